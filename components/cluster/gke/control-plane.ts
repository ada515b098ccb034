/**
 * The GKE cluster and its node pool: a regional private-node cluster on a release channel, with
 * Workload Identity, Shielded Nodes, Dataplane V2 and Secrets encrypted with the KMS key, whose default
 * pool is removed for an autoscaling pool of hardened nodes.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { Weekday } from "../../config";
import { weeklyWindow } from "../common";
import type { GatewayImplementation } from "../contract";
import type { Identity } from "./identity";
import { RANGES, type Network } from "./network";

export interface ControlPlaneArgs {
    clusterName: string;
    project: string;
    region: string;
    releaseChannel: "RAPID" | "REGULAR" | "STABLE";
    authorizedNetworks: string[];
    maintenanceDay: Weekday;
    maintenanceStartTime: string;
    deletionProtection: boolean;
    nodeSize: string;
    minNodes: number;
    maxNodes: number;
}

/** What every node runs with: the nodes' account, Shielded VM, no legacy metadata. */
const SCOPES = ["https://www.googleapis.com/auth/cloud-platform"];
const SHIELDED = { enableSecureBoot: true, enableIntegrityMonitoring: true };

/**
 * GKE's Gateway controller, which the cluster runs on the standard channel (`gatewayApiConfig`), with
 * its CustomResourceDefinitions: the global external Application Load Balancer, on the ports it serves.
 * Its health checks ask for `/` on the pods unless a HealthCheckPolicy on the Service says otherwise
 * (cloud.google.com/kubernetes-engine/docs/how-to/configure-gateway-resources#configure_health_check).
 */
export const GKE_GATEWAY: GatewayImplementation = {
    className: "gke-l7-global-external-managed",
    ports: { http: 80, https: 443 },
    healthCheck: ({ service, path }) => ({
        apiVersion: "networking.gke.io/v1",
        kind: "HealthCheckPolicy",
        spec: {
            default: { config: { type: "HTTP", httpHealthCheck: { portSpecification: "USE_SERVING_PORT", requestPath: path } } },
            targetRef: { group: "", kind: "Service", name: service },
        },
    }),
};

export function controlPlane(
    name: string,
    args: ControlPlaneArgs,
    deps: { network: Network; identity: Identity; apis: pulumi.Resource[]; nodeAccess: pulumi.Resource[] },
    opts: pulumi.CustomResourceOptions,
): { cluster: gcp.container.Cluster; nodePool: gcp.container.NodePool } {
    const { network, identity } = deps;
    const cluster = new gcp.container.Cluster(
        `${name}-cluster`,
        {
            name: args.clusterName,
            location: args.region,
            network: network.network.id,
            subnetwork: network.subnet.id,
            networkingMode: "VPC_NATIVE",
            ipAllocationPolicy: { clusterSecondaryRangeName: "pods", servicesSecondaryRangeName: "services" },
            removeDefaultNodePool: true,
            initialNodeCount: 1,
            // The default pool exists for a moment: give it the node account rather than the Compute default.
            nodeConfig: { serviceAccount: identity.nodeAccount.email, oauthScopes: SCOPES, shieldedInstanceConfig: SHIELDED },
            releaseChannel: { channel: args.releaseChannel },
            privateClusterConfig: {
                enablePrivateNodes: true,
                enablePrivateEndpoint: false,
                masterIpv4CidrBlock: RANGES.controlPlane,
                masterGlobalAccessConfig: { enabled: true },
            },
            masterAuthorizedNetworksConfig: { cidrBlocks: args.authorizedNetworks.map(cidrBlock => ({ cidrBlock, displayName: `kubeship ${cidrBlock}` })) },
            masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
            workloadIdentityConfig: { workloadPool: `${args.project}.svc.id.goog` },
            enableShieldedNodes: true,
            datapathProvider: "ADVANCED_DATAPATH",
            databaseEncryption: { state: "ENCRYPTED", keyName: identity.secretsKey.id },
            // Binary Authorization off, said so rather than "on" with the project's allow-all default policy.
            // An enforcing policy is one per project, shared by every cluster in it, and must name every
            // image that runs (the app, Postgres, Redis, each add-on's, cert-manager's solver): a stack
            // cannot own it without overwriting its neighbours'. The README's runbook enforces it.
            binaryAuthorization: { evaluationMode: "DISABLED" },
            addonsConfig: { gcePersistentDiskCsiDriverConfig: { enabled: true }, httpLoadBalancing: { disabled: false } },
            gatewayApiConfig: { channel: "CHANNEL_STANDARD" },
            loggingConfig: { enableComponents: ["SYSTEM_COMPONENTS", "WORKLOADS"] },
            monitoringConfig: { enableComponents: ["SYSTEM_COMPONENTS"], managedPrometheus: { enabled: true } },
            maintenancePolicy: { recurringWindow: weeklyWindow(args.maintenanceDay, args.maintenanceStartTime) },
            deletionProtection: args.deletionProtection,
        },
        { ...opts, dependsOn: [...deps.apis, identity.keyAccess], ignoreChanges: ["nodeConfig", "initialNodeCount"] },
    );
    const nodePool = new gcp.container.NodePool(
        `${name}-nodes`,
        {
            name: "kubeship",
            cluster: cluster.id,
            location: args.region,
            initialNodeCount: 1,
            autoscaling: { totalMinNodeCount: args.minNodes, totalMaxNodeCount: args.maxNodes, locationPolicy: "BALANCED" },
            management: { autoRepair: true, autoUpgrade: true },
            upgradeSettings: { strategy: "SURGE", maxSurge: 1, maxUnavailable: 0 },
            nodeConfig: {
                machineType: args.nodeSize,
                imageType: "COS_CONTAINERD",
                diskType: "pd-balanced",
                diskSizeGb: 50,
                serviceAccount: identity.nodeAccount.email,
                oauthScopes: SCOPES,
                shieldedInstanceConfig: SHIELDED,
                workloadMetadataConfig: { mode: "GKE_METADATA" },
                metadata: { "disable-legacy-endpoints": "true" },
                labels: { "kubeship.dev/pool": "default" },
            },
        },
        // Nodes start with their permissions in place: logging, metrics and image pulls.
        { ...opts, dependsOn: deps.nodeAccess, ignoreChanges: ["initialNodeCount"] },
    );
    return { cluster, nodePool };
}
