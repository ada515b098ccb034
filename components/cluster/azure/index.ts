/**
 * AKS, after Microsoft's AKS baseline and the Azure Verified Module, built from named parts: a resource
 * group with its VNet and NAT gateway (network.ts), user-assigned identities and their grants
 * (identity.ts), ACR without its admin user (registry.ts), the cluster with its system and user pools and
 * maintenance windows (control-plane.ts), the kubelogin kubeconfig (kubeconfig.ts), the Kubernetes
 * provider and a zone-redundant StorageClass; the backup store when backups are on (backup.ts).
 */
import * as command from "@pulumi/command";
import * as authorization from "@pulumi/azure-native/authorization";
import { Provider } from "@pulumi/azure-native/provider";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { SettingsOn, Weekday } from "../../config";
import { databaseStorageClass, kubernetesProvider, ManagedClusterArgs, managedArgs, pick } from "../common";
import { ClusterContract, ClusterFeatures, ObjectBackupStore, RegistryInfo } from "../contract";
import { backupContainer } from "./backup";
import { controlPlane } from "./control-plane";
import { grant, identities } from "./identity";
import { aksKubeconfig } from "./kubeconfig";
import { azureNetwork } from "./network";
import { azureRegistry } from "./registry";
import { aksVersion } from "./version";

/**
 * The cluster's name as Azure's resources may carry it: a stack name may hold a dot, which resource
 * groups allow and clusters, identities and networks do not.
 */
export function azureName(clusterName: string): string {
    return clusterName.replace(/[^A-Za-z0-9_-]/g, "-");
}

/** AKS arguments, resolved; `minNodes`/`maxNodes` bound the workloads' pool, across its three zones. */
export interface AksClusterArgs extends ManagedClusterArgs {
    /** Azure subscription id (`azure-native:subscriptionId`). */
    subscriptionId: string;
    /** Entra ID tenant (`azure-native:tenantId`), of the provider and the cluster's sign-in. @default the Azure CLI's, or ARM_TENANT_ID */
    tenantId?: string;
    /**
     * Minor version (major.minor), in AKS' standard support on the day of the run (`az aks get-versions`);
     * AKS runs its newest patch and the patch channel follows it.
     * @default the newest minor in standard support when the cluster is created, kept in state
     */
    kubernetesVersion?: string;
    /** The control plane's tier: "standard" has the uptime SLA, "free" none (a dev or test stack). @default "standard" */
    tier: "standard" | "free";
    /** A CanNotDelete lock on the cluster: neither it nor its node pools can be deleted until the lock is removed. */
    deletionProtection: boolean;
    /** Weekly window for Kubernetes patches and node images: 4 hours from the start time, UTC. */
    maintenanceDay: Weekday;
    maintenanceStartTime: string;
    /** Keep database volumes when their claims are deleted. */
    retainVolumes: boolean;
}

export class AksCluster extends pulumi.ComponentResource implements ClusterContract {
    readonly name: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    readonly kubeconfig: pulumi.Output<string>;
    readonly registry: RegistryInfo;
    readonly storageClassName: pulumi.Output<string>;
    /** Traefik's LoadBalancer Service gets a public address on the cluster's Standard load balancer. */
    readonly serviceAnnotations: Record<string, string> = {};
    readonly backup?: ObjectBackupStore;
    /**
     * AKS runs metrics-server; its Gateway API implementation needs a newer API version than
     * azure-native's, so kubeship installs the definitions and Traefik as on EKS and DOKS.
     */
    readonly features: ClusterFeatures = { metricsApi: true, kubeletCertsVerifiable: true, publicLoadBalancers: true };
    readonly cluster: containerservice.ManagedCluster;
    readonly nodePool: containerservice.AgentPool;

    /** The cluster a stack's settings describe. */
    static fromSettings(settings: SettingsOn<"azure">, opts?: pulumi.ComponentResourceOptions): AksCluster {
        const own = pick(settings.cluster, "kubernetesVersion", "tier", "deletionProtection", "maintenanceDay", "maintenanceStartTime");
        return new AksCluster(
            "cluster",
            { ...managedArgs(settings), ...own, subscriptionId: settings.credential, tenantId: settings.tenant, retainVolumes: settings.protectData },
            opts,
        );
    }

    constructor(name: string, given: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:cluster:Aks", name, {}, opts);
        const args = { ...given, clusterName: azureName(given.clusterName) };
        const { subscriptionId, region } = args;
        const azure = new Provider(`${name}-azure`, { subscriptionId, tenantId: args.tenantId, location: region }, { parent: this });
        const commands = new command.Provider(`${name}-command`, {}, { parent: this });
        const child = { parent: this, provider: azure };
        const deployer = authorization.getClientConfigOutput(child);

        const net = azureNetwork(name, args, child);
        const resourceGroupName = net.group.name;
        const who = identities(name, { ...args, resourceGroupName, subnetId: net.subnet.id, dataGroupId: net.dataGroup.id }, child);
        const repository = azureRegistry(
            name,
            { ...args, resourceGroupName, kubeletPrincipalId: who.kubelet.principalId, deployerObjectId: deployer.objectId, commands },
            this,
            child,
        );
        this.registry = repository.info;
        // The nodes reach the API server through the NAT gateway: its address is allowed with the configured ranges.
        const authorizedNetworks = pulumi.all([args.authorizedNetworks, net.egressIp.ipAddress]).apply(([ranges, ip]) => [...ranges, `${ip}/32`]);
        ({ cluster: this.cluster, userPool: this.nodePool } = controlPlane(
            name,
            {
                ...args,
                version: aksVersion({ subscriptionId, region, pinned: args.kubernetesVersion }, commands, child),
                authorizedNetworks,
                resourceGroupName,
                subnetId: net.subnet.id,
                controlPlane: who.controlPlane,
                kubelet: who.kubelet,
            },
            { ...child, dependsOn: [...who.grants, repository.nodeAccess, net.natGateway] },
        ));
        // The deploying identity administers the cluster through Azure RBAC (there is no local admin). The
        // grant is on the resource group, outside the cluster's lock: a grant under it could not be replaced.
        const admin = grant(
            `${name}-admin-grant`,
            { subscriptionId, scope: net.group.id, role: "aksRbacClusterAdmin", principalId: deployer.objectId },
            { ...child, dependsOn: [this.cluster] },
        );
        // Nothing can delete the cluster, nor its node pools, until the lock is removed.
        if (args.deletionProtection)
            new authorization.ManagementLockByScope(
                `${name}-lock`,
                { scope: this.cluster.id, lockName: "kubeship-protect", level: "CanNotDelete", notes: "kubeship:cluster.deletionProtection" },
                child,
            );

        this.backup =
            args.backup &&
            backupContainer(
                name,
                { ...args.backup, subscriptionId, region, dataGroup: net.dataGroup, clusterName: args.clusterName, cluster: this.cluster },
                this,
                child,
            );

        this.name = this.cluster.name;
        this.kubeconfig = aksKubeconfig({ subscriptionId, resourceGroupName, cluster: this.cluster }, child);
        // Workloads wait for the user pool, and for the deployer's admin grant to exist.
        this.provider = kubernetesProvider(
            name,
            { kubeconfig: this.kubeconfig, clusterIdentifier: args.clusterIdentifier, cluster: this.cluster },
            { parent: this, dependsOn: [this.nodePool, admin] },
        );
        // Zone-redundant disks (a Postgres pod rescheduled to another zone keeps its volume), in the data
        // resource group: AKS deletes its node resource group, the default place for disks, with the cluster.
        const storageClass = databaseStorageClass(
            name,
            {
                provider: this.provider,
                provisioner: "disk.csi.azure.com",
                parameters: { skuName: "Premium_ZRS", resourceGroup: net.dataGroup.name },
                isDefault: false,
                retain: args.retainVolumes,
            },
            this,
        );
        this.storageClassName = storageClass.metadata.name;

        this.registerOutputs({ name: this.name, kubeconfig: this.kubeconfig, storageClassName: this.storageClassName });
    }
}
