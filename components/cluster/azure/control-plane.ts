/**
 * The AKS cluster after Microsoft's AKS baseline: Entra ID with Azure RBAC and no local accounts, Azure CNI
 * Overlay with Cilium enforcing NetworkPolicy, egress through the NAT gateway, the API limited to
 * authorized ranges, workload identity, patch and node-image upgrades in planned windows, Standard tier,
 * a zonal system pool for the cluster's own add-ons, and a separate user pool for the workloads, so that a
 * change of node size replaces that pool and not the cluster.
 */
import * as crypto from "node:crypto";
import * as containerservice from "@pulumi/azure-native/containerservice";
import type * as managedidentity from "@pulumi/azure-native/managedidentity";
import type * as pulumi from "@pulumi/pulumi";
import type { Weekday } from "../../config";
import { ADDRESSES } from "./network";

/** The system pool: fixed, small, spread over three zones; only critical add-ons run on it. */
export const SYSTEM_POOL = { vmSize: "Standard_D2ds_v5", minCount: 3, maxCount: 4 } as const;
/** Every pool spans the region's three zones. */
export const ZONES = ["1", "2", "3"];
const OS_DISK_GB = 64;
/** A third of a pool is added at once during an upgrade, none taken away first (AKS's production guidance). */
const UPGRADE = { maxSurge: "33%", drainTimeoutInMinutes: 30 };

/**
 * The OS disk for a VM size: ephemeral (on the VM's local disk: faster, free, reimaged on upgrade) when the
 * size has one, a "d" among its feature letters (D2ds_v5); a managed disk otherwise (D4s_v5).
 */
export function osDisk(vmSize: string): "Ephemeral" | "Managed" {
    const features = /^Standard_[A-Z]+[0-9]+(?:-[0-9]+)?([a-z]*)/.exec(vmSize)?.[1] ?? "";
    return features.includes("d") ? "Ephemeral" : "Managed";
}

/**
 * The user pool's name: `kubeship` and four hex digits of what Azure cannot change in place (the VM size,
 * its OS disk, the zones). A new size is a new pool, created before the old one is deleted, so the
 * workloads always have nodes; one fixed name would make the new pool collide with the old.
 */
export function userPoolName(vmSize: string): string {
    const settings = JSON.stringify([vmSize, osDisk(vmSize), ZONES]);
    return `kubeship${crypto.createHash("sha256").update(settings).digest("hex").slice(0, 4)}`;
}

export interface ControlPlaneArgs {
    region: string;
    clusterName: string;
    resourceGroupName: pulumi.Input<string>;
    subnetId: pulumi.Input<string>;
    nodeSize: string;
    minNodes: number;
    maxNodes: number;
    /** The pinned minor, if any: the user pool runs it too. */
    kubernetesVersion?: string;
    /** The minor the cluster runs: the pin once checked, or the newest in standard support (kept in state). */
    version: pulumi.Input<string>;
    tier: "standard" | "free";
    /** The Entra ID tenant users sign in from. @default the subscription's */
    tenantId?: string;
    authorizedNetworks: pulumi.Input<string[]>;
    maintenanceDay: Weekday;
    maintenanceStartTime: string;
    controlPlane: managedidentity.UserAssignedIdentity;
    kubelet: managedidentity.UserAssignedIdentity;
}

export function controlPlane(
    name: string,
    args: ControlPlaneArgs,
    opts: pulumi.CustomResourceOptions & { dependsOn: pulumi.Resource[] },
): { cluster: containerservice.ManagedCluster; userPool: containerservice.AgentPool } {
    const { resourceGroupName, subnetId, kubernetesVersion } = args;
    const cluster = new containerservice.ManagedCluster(
        `${name}-aks`,
        {
            resourceGroupName,
            location: args.region,
            resourceName: args.clusterName,
            dnsPrefix: args.clusterName.replace(/_/g, "-"), // letters, digits and hyphens
            nodeResourceGroup: `${args.clusterName}-nodes`,
            kubernetesVersion: args.version,
            sku: { name: "Base", tier: args.tier === "standard" ? "Standard" : "Free" },
            identity: { type: "UserAssigned", userAssignedIdentities: [args.controlPlane.id] },
            identityProfile: {
                kubeletidentity: { resourceId: args.kubelet.id, clientId: args.kubelet.clientId, objectId: args.kubelet.principalId },
            },
            aadProfile: { managed: true, enableAzureRBAC: true, tenantID: args.tenantId },
            enableRBAC: true,
            disableLocalAccounts: true,
            oidcIssuerProfile: { enabled: true },
            securityProfile: { workloadIdentity: { enabled: true }, imageCleaner: { enabled: true, intervalHours: 168 } },
            networkProfile: {
                networkPlugin: "azure",
                networkPluginMode: "overlay",
                networkDataplane: "cilium",
                networkPolicy: "cilium",
                podCidr: ADDRESSES.pods,
                serviceCidr: ADDRESSES.services,
                dnsServiceIP: ADDRESSES.dns,
                outboundType: "userAssignedNATGateway",
            },
            apiServerAccessProfile: { authorizedIPRanges: args.authorizedNetworks, disableRunCommand: true },
            autoUpgradeProfile: { upgradeChannel: "patch", nodeOSUpgradeChannel: "NodeImage" },
            storageProfile: { diskCSIDriver: { enabled: true } },
            agentPoolProfiles: [
                {
                    name: "system",
                    mode: "System",
                    vmSize: SYSTEM_POOL.vmSize,
                    availabilityZones: ZONES,
                    enableAutoScaling: true,
                    minCount: SYSTEM_POOL.minCount,
                    maxCount: SYSTEM_POOL.maxCount,
                    count: SYSTEM_POOL.minCount,
                    nodeTaints: ["CriticalAddonsOnly=true:NoSchedule"],
                    osSKU: "AzureLinux",
                    osDiskType: osDisk(SYSTEM_POOL.vmSize),
                    osDiskSizeGB: OS_DISK_GB,
                    vnetSubnetID: subnetId,
                    type: "VirtualMachineScaleSets",
                    upgradeSettings: UPGRADE,
                },
            ],
        },
        // An edit of an inline pool scales every pool, and the autoscaler moves its count: the system pool
        // is set once. Its version follows the cluster's (no orchestratorVersion of its own). Without a
        // pin, the version taken at creation stays: a newer one is an upgrade, which is a pin's to make.
        { ...opts, ignoreChanges: ["agentPoolProfiles", ...(kubernetesVersion === undefined ? ["kubernetesVersion"] : [])] },
    );
    const userPool = new containerservice.AgentPool(
        `${name}-nodes`,
        {
            resourceGroupName,
            resourceName: cluster.name,
            agentPoolName: userPoolName(args.nodeSize),
            mode: "User",
            vmSize: args.nodeSize,
            availabilityZones: ZONES,
            enableAutoScaling: true,
            minCount: args.minNodes,
            maxCount: args.maxNodes,
            count: args.minNodes,
            orchestratorVersion: kubernetesVersion,
            osSKU: "AzureLinux",
            osDiskType: osDisk(args.nodeSize),
            osDiskSizeGB: OS_DISK_GB,
            vnetSubnetID: subnetId,
            nodeLabels: { "kubeship.dev/pool": "default" },
            upgradeSettings: UPGRADE,
        },
        // The autoscaler owns the count.
        { ...opts, dependsOn: [], ignoreChanges: ["count"] },
    );
    maintenanceWindows(name, args, cluster, opts);
    return { cluster, userPool };
}

/** Kubernetes patch upgrades and node image upgrades, each in the weekly window (4 hours, AKS's minimum). */
function maintenanceWindows(name: string, args: ControlPlaneArgs, cluster: containerservice.ManagedCluster, opts: pulumi.CustomResourceOptions): void {
    const maintenanceWindow = {
        schedule: { weekly: { dayOfWeek: args.maintenanceDay[0].toUpperCase() + args.maintenanceDay.slice(1), intervalWeeks: 1 } },
        durationHours: 4,
        startTime: args.maintenanceStartTime,
        utcOffset: "+00:00",
    };
    for (const [role, configName] of [
        ["upgrades", "aksManagedAutoUpgradeSchedule"],
        ["node-os-upgrades", "aksManagedNodeOSUpgradeSchedule"],
    ])
        new containerservice.MaintenanceConfiguration(
            `${name}-${role}-window`,
            { resourceGroupName: args.resourceGroupName, resourceName: cluster.name, configName, maintenanceWindow },
            { ...opts, dependsOn: [] },
        );
}
