import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { DEFAULTS, WEEKDAYS } from "../config";
import { databaseStorageClass, kubernetesProvider, maintenanceDefaults, ManagedClusterArgs, nodePoolDefaults, weeklyWindow } from "./common";
import { ClusterContract, firstIngressAddress, RegistryInfo } from "./contract";
import { execKubeconfig } from "./kubeconfig";

/** GKE arguments; `nodeSize` defaults to "e2-standard-2", and the node bounds span all zones. */
export interface GkeClusterArgs extends ManagedClusterArgs {
    /** GCP project id (`gcp:project`). */
    project: string;
    /** Release channel; the control plane and nodes follow it. @default "REGULAR" */
    releaseChannel?: "RAPID" | "REGULAR" | "STABLE";
    /** Refuse `pulumi destroy` of the cluster. @default true (pulumi-gcp's own default) */
    deletionProtection?: boolean;
    /** Weekly maintenance window (12 hours from the start time, UTC). @default "sunday", "03:00" */
    maintenanceDay?: (typeof WEEKDAYS)[number];
    maintenanceStartTime?: string;
    /** Keep database volumes when their claims are deleted. @default false */
    retainVolumes?: boolean;
}

const NETWORK = { nodes: "10.0.0.0/20", pods: "10.4.0.0/14", services: "10.8.0.0/20", controlPlane: "172.16.0.0/28" };
const APIS = ["compute", "container", "artifactregistry", "cloudkms", "binaryauthorization"];

/**
 * GKE, hardened after terraform-google-kubernetes-engine's safer-cluster: own VPC-native network with
 * Cloud NAT, regional private-node cluster on a release channel, Workload Identity, Shielded Nodes with
 * secure boot, Dataplane V2, Secrets encrypted with a Cloud KMS key, a separate autoscaling node pool
 * with its own least-privilege service account, and an Artifact Registry repository.
 */
export class GkeCluster extends pulumi.ComponentResource implements ClusterContract {
    readonly cloud = "gcp" as const;
    readonly name: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    readonly kubeconfig: pulumi.Output<string>;
    readonly registry: RegistryInfo;
    readonly storageClassName: pulumi.Output<string>;
    readonly serviceAnnotations: Record<string, string> = {};
    readonly loadBalancerAddress: (service: k8s.core.v1.Service) => pulumi.Output<string> = firstIngressAddress;
    readonly cluster: gcp.container.Cluster;
    readonly nodePool: gcp.container.NodePool;

    constructor(name: string, args: GkeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:cluster:Gke", name, {}, opts);
        const { nodeSize, minNodes, maxNodes } = nodePoolDefaults(args, "gcp");
        const channel = args.releaseChannel ?? DEFAULTS.cluster.releaseChannel;
        const deletionProtection = args.deletionProtection ?? true;
        const maintenance = maintenanceDefaults(args);
        const window = weeklyWindow(maintenance.day, maintenance.startTime);
        const { project, region } = args;

        const gcpProvider = new gcp.Provider(`${name}-gcp`, { project, region }, { parent: this });
        const child = { parent: this, provider: gcpProvider };

        const apis = APIS.map(
            api =>
                new gcp.projects.Service(
                    `${name}-api-${api}`,
                    {
                        project,
                        service: `${api}.googleapis.com`,
                        disableOnDestroy: false,
                        disableDependentServices: false,
                    },
                    child,
                ),
        );
        const afterApis = { ...child, dependsOn: apis };

        // Network: a custom VPC, a subnet with named secondary ranges (VPC-native), Cloud NAT for private nodes.
        const network = new gcp.compute.Network(
            `${name}-network`,
            {
                name: args.clusterName,
                autoCreateSubnetworks: false,
                routingMode: "REGIONAL",
            },
            afterApis,
        );
        const subnet = new gcp.compute.Subnetwork(
            `${name}-subnet`,
            {
                name: `${args.clusterName}-nodes`,
                region,
                network: network.id,
                ipCidrRange: NETWORK.nodes,
                privateIpGoogleAccess: true,
                secondaryIpRanges: [
                    { rangeName: "pods", ipCidrRange: NETWORK.pods },
                    { rangeName: "services", ipCidrRange: NETWORK.services },
                ],
            },
            child,
        );
        const router = new gcp.compute.Router(`${name}-router`, { name: args.clusterName, region, network: network.id }, child);
        new gcp.compute.RouterNat(
            `${name}-nat`,
            {
                name: args.clusterName,
                region,
                router: router.name,
                natIpAllocateOption: "AUTO_ONLY",
                sourceSubnetworkIpRangesToNat: "ALL_SUBNETWORKS_ALL_IP_RANGES",
                logConfig: { enable: true, filter: "ERRORS_ONLY" },
            },
            child,
        );

        // Application-layer Secrets encryption with a regional KMS key. Key rings cannot be deleted, so the
        // name carries a random suffix: a destroyed stack can be created again.
        const suffix = new random.RandomId(`${name}-keyring-suffix`, { byteLength: 3 }, { parent: this });
        const keyRing = new gcp.kms.KeyRing(
            `${name}-keyring`,
            {
                name: pulumi.interpolate`${args.clusterName}-${suffix.hex}`,
                location: region,
            },
            afterApis,
        );
        const key = new gcp.kms.CryptoKey(
            `${name}-secrets-key`,
            {
                name: "kubernetes-secrets",
                keyRing: keyRing.id,
                purpose: "ENCRYPT_DECRYPT",
                rotationPeriod: "7776000s",
            },
            child,
        );
        const projectInfo = gcp.organizations.getProjectOutput({ projectId: project }, child);
        const keyAccess = new gcp.kms.CryptoKeyIAMMember(
            `${name}-secrets-key-gke`,
            {
                cryptoKeyId: key.id,
                role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
                member: pulumi.interpolate`serviceAccount:service-${projectInfo.number}@container-engine-robot.iam.gserviceaccount.com`,
            },
            afterApis,
        );

        // Nodes run as their own service account with only what nodes need.
        const nodeAccount = new gcp.serviceaccount.Account(
            `${name}-nodes`,
            {
                accountId: `${args.clusterName}-nodes`.slice(0, 30).replace(/-+$/, ""),
                displayName: `kubeship ${args.clusterName} nodes`,
            },
            child,
        );
        const nodeMember = pulumi.interpolate`serviceAccount:${nodeAccount.email}`;
        new gcp.projects.IAMMember(`${name}-nodes-role`, { project, role: "roles/container.defaultNodeServiceAccount", member: nodeMember }, child);

        // Registry: Artifact Registry with cleanup; nodes may only read this repository.
        const repository = new gcp.artifactregistry.Repository(
            `${name}-registry`,
            {
                repositoryId: args.clusterName,
                location: region,
                format: "DOCKER",
                description: "kubeship app images",
                cleanupPolicies: [
                    { id: "delete-untagged", action: "DELETE", condition: { tagState: "UNTAGGED", olderThan: "604800s" } },
                    { id: "keep-recent", action: "KEEP", mostRecentVersions: { keepCount: 20 } },
                ],
            },
            afterApis,
        );
        new gcp.artifactregistry.RepositoryIamMember(
            `${name}-registry-nodes`,
            {
                location: region,
                repository: repository.name,
                role: "roles/artifactregistry.reader",
                member: nodeMember,
            },
            child,
        );

        this.cluster = new gcp.container.Cluster(
            `${name}-cluster`,
            {
                name: args.clusterName,
                location: region,
                network: network.id,
                subnetwork: subnet.id,
                networkingMode: "VPC_NATIVE",
                ipAllocationPolicy: { clusterSecondaryRangeName: "pods", servicesSecondaryRangeName: "services" },
                removeDefaultNodePool: true,
                initialNodeCount: 1,
                // The default pool exists for a moment: give it the node account rather than the Compute default.
                nodeConfig: {
                    serviceAccount: nodeAccount.email,
                    oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
                    shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
                },
                releaseChannel: { channel },
                privateClusterConfig: {
                    enablePrivateNodes: true,
                    enablePrivateEndpoint: false,
                    masterIpv4CidrBlock: NETWORK.controlPlane,
                    masterGlobalAccessConfig: { enabled: true },
                },
                masterAuthorizedNetworksConfig: { cidrBlocks: args.authorizedNetworks.map(cidrBlock => ({ cidrBlock, displayName: `kubeship ${cidrBlock}` })) },
                masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
                workloadIdentityConfig: { workloadPool: `${project}.svc.id.goog` },
                enableShieldedNodes: true,
                datapathProvider: "ADVANCED_DATAPATH",
                databaseEncryption: { state: "ENCRYPTED", keyName: key.id },
                binaryAuthorization: { evaluationMode: "PROJECT_SINGLETON_POLICY_ENFORCE" },
                addonsConfig: { gcePersistentDiskCsiDriverConfig: { enabled: true }, httpLoadBalancing: { disabled: false } },
                loggingConfig: { enableComponents: ["SYSTEM_COMPONENTS", "WORKLOADS"] },
                monitoringConfig: { enableComponents: ["SYSTEM_COMPONENTS"], managedPrometheus: { enabled: true } },
                maintenancePolicy: { recurringWindow: window },
                deletionProtection,
            },
            { ...child, dependsOn: [...apis, keyAccess], ignoreChanges: ["nodeConfig", "initialNodeCount"] },
        );

        this.nodePool = new gcp.container.NodePool(
            `${name}-nodes`,
            {
                name: "kubeship",
                cluster: this.cluster.id,
                location: region,
                initialNodeCount: 1,
                autoscaling: { totalMinNodeCount: minNodes, totalMaxNodeCount: maxNodes, locationPolicy: "BALANCED" },
                management: { autoRepair: true, autoUpgrade: true },
                upgradeSettings: { strategy: "SURGE", maxSurge: 1, maxUnavailable: 0 },
                nodeConfig: {
                    machineType: nodeSize,
                    imageType: "COS_CONTAINERD",
                    diskType: "pd-balanced",
                    diskSizeGb: 50,
                    serviceAccount: nodeAccount.email,
                    oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
                    shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
                    workloadMetadataConfig: { mode: "GKE_METADATA" },
                    metadata: { "disable-legacy-endpoints": "true" },
                    labels: { "kubeship.dev/pool": "default" },
                },
            },
            { ...child, ignoreChanges: ["initialNodeCount"] },
        );

        this.name = this.cluster.name;
        this.kubeconfig = pulumi.secret(
            pulumi.all([this.cluster.name, this.cluster.endpoint, this.cluster.masterAuth]).apply(([n, endpoint, auth]) =>
                execKubeconfig(`gke_${project}_${region}_${n}`, `https://${endpoint}`, auth.clusterCaCertificate ?? "", {
                    command: "gke-gcloud-auth-plugin",
                    args: [],
                    installHint: "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin",
                    provideClusterInfo: true,
                }),
            ),
        );

        // Workloads wait for a node pool, not just a control plane.
        this.provider = kubernetesProvider(
            name,
            { kubeconfig: this.kubeconfig, clusterIdentifier: args.clusterIdentifier },
            { parent: this, dependsOn: [this.nodePool] },
        );

        const storageClass = databaseStorageClass(
            name,
            {
                provider: this.provider,
                provisioner: "pd.csi.storage.gke.io",
                parameters: { type: "pd-balanced" },
                isDefault: false,
                retain: args.retainVolumes ?? false,
            },
            this,
        );
        this.storageClassName = storageClass.metadata.name;

        const server = `${region}-docker.pkg.dev`;
        this.registry = {
            server,
            repository: pulumi.interpolate`${server}/${project}/${repository.repositoryId}/app`,
            username: "oauth2accesstoken",
            password: pulumi.secret(gcp.organizations.getClientConfigOutput(child).accessToken),
        };

        this.registerOutputs({ name: this.name, kubeconfig: this.kubeconfig, storageClassName: this.storageClassName });
    }
}
