/**
 * GKE, hardened after terraform-google-kubernetes-engine's safer-cluster, built from named parts: the
 * project's APIs, its own VPC-native network with Cloud NAT (network.ts), a KMS key for Secrets and the
 * nodes' least-privilege account (identity.ts), Artifact Registry (registry.ts), the private regional
 * cluster and its autoscaling node pool (control-plane.ts), then the exec kubeconfig, the Kubernetes
 * provider and a pd-balanced StorageClass.
 */
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { SettingsOn, Weekday } from "../../config";
import { databaseStorageClass, kubernetesProvider, ManagedClusterArgs, managedArgs, pick } from "../common";
import { ClusterContract, ClusterFeatures, ObjectBackupStore, RegistryInfo } from "../contract";
import { execKubeconfig } from "../kubeconfig";
import { backupBucket } from "./backup";
import { controlPlane, GKE_GATEWAY } from "./control-plane";
import { identity } from "./identity";
import { network } from "./network";
import { registry } from "./registry";

/** GKE arguments, resolved; the node bounds span all zones of the region. */
export interface GkeClusterArgs extends ManagedClusterArgs {
    /** GCP project id (`gcp:project`). */
    project: string;
    /** Release channel; the control plane and nodes follow it. */
    releaseChannel: "RAPID" | "REGULAR" | "STABLE";
    /** Refuse `pulumi destroy` of the cluster. */
    deletionProtection: boolean;
    /** Weekly maintenance window: 12 hours from the start time, UTC. */
    maintenanceDay: Weekday;
    maintenanceStartTime: string;
    /** Keep database volumes when their claims are deleted. */
    retainVolumes: boolean;
}

/** Every API the resources below use, enabled first: a fresh project deploys on the first `up`. */
const APIS = ["compute", "container", "artifactregistry", "cloudkms", "iam", "cloudresourcemanager", "storage"];

export class GkeCluster extends pulumi.ComponentResource implements ClusterContract {
    readonly name: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    readonly kubeconfig: pulumi.Output<string>;
    readonly registry: RegistryInfo;
    readonly storageClassName: pulumi.Output<string>;
    readonly serviceAnnotations: Record<string, string> = {};
    readonly backup?: ObjectBackupStore;
    /** GKE runs metrics-server and its own Gateway controller. */
    readonly features: ClusterFeatures = { metricsApi: true, kubeletCertsVerifiable: true, gateway: GKE_GATEWAY, publicLoadBalancers: true };
    readonly cluster: gcp.container.Cluster;
    readonly nodePool: gcp.container.NodePool;

    /** The cluster a stack's settings describe. */
    static fromSettings(settings: SettingsOn<"gcp">, opts?: pulumi.ComponentResourceOptions): GkeCluster {
        const own = pick(settings.cluster, "releaseChannel", "deletionProtection", "maintenanceDay", "maintenanceStartTime");
        return new GkeCluster("cluster", { ...managedArgs(settings), ...own, project: settings.credential, retainVolumes: settings.protectData }, opts);
    }

    constructor(name: string, args: GkeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:cluster:Gke", name, {}, opts);
        const { project, region } = args;
        const gcpProvider = new gcp.Provider(`${name}-gcp`, { project, region }, { parent: this });
        const child = { parent: this, provider: gcpProvider };
        const apis = APIS.map(
            api =>
                new gcp.projects.Service(
                    `${name}-api-${api}`,
                    { project, service: `${api}.googleapis.com`, disableOnDestroy: false, disableDependentServices: false },
                    child,
                ),
        );
        const afterApis = { ...child, dependsOn: apis };

        const net = network(name, args, child, afterApis);
        const who = identity(name, args, this, child, afterApis);
        const repository = registry(name, { ...args, nodeMember: who.nodeMember }, child, afterApis);
        this.registry = repository.info;
        const nodeAccess = [who.nodeRole, repository.nodeAccess];
        ({ cluster: this.cluster, nodePool: this.nodePool } = controlPlane(name, args, { network: net, identity: who, apis, nodeAccess }, child));

        this.backup =
            args.backup && backupBucket(name, { ...args.backup, project, region, clusterName: args.clusterName, cluster: this.cluster }, this, afterApis);

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
            { kubeconfig: this.kubeconfig, clusterIdentifier: args.clusterIdentifier, cluster: this.cluster },
            { parent: this, dependsOn: [this.nodePool] },
        );
        const storageClass = databaseStorageClass(
            name,
            {
                provider: this.provider,
                provisioner: "pd.csi.storage.gke.io",
                parameters: { type: "pd-balanced" },
                isDefault: false,
                retain: args.retainVolumes,
            },
            this,
        );
        this.storageClassName = storageClass.metadata.name;

        this.registerOutputs({ name: this.name, kubeconfig: this.kubeconfig, storageClassName: this.storageClassName });
    }
}
