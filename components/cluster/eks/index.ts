/**
 * EKS with terraform-aws-eks' production defaults, built from named parts: its own VPC across 3 AZs
 * (network.ts), the control plane with API authentication, KMS envelope encryption of Secrets and
 * logs (control-plane.ts), the managed add-ons and node group (nodes.ts), ECR (registry.ts), then the
 * exec kubeconfig, the Kubernetes provider and an encrypted gp3 StorageClass.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS, type SettingsOn } from "../../config";
import { databaseStorageClass, kubernetesProvider, ManagedClusterArgs, managedArgs, pick } from "../common";
import { ClusterContract, ClusterFeatures, ObjectBackupStore, RegistryInfo } from "../contract";
import { execKubeconfig } from "../kubeconfig";
import { clusterAutoscaler } from "./autoscaler";
import { backupBucket } from "./backup";
import { controlPlane } from "./control-plane";
import { partition } from "./iam";
import { network } from "./network";
import { nodes } from "./nodes";
import { registry } from "./registry";

export { eksAmiType } from "./nodes";

/** EKS arguments, resolved. Graviton node types (m7g, c7g, …) get ARM nodes. */
export interface EksClusterArgs extends ManagedClusterArgs {
    /**
     * Kubernetes minor version, which must be in standard support (or `extendedSupport`).
     * @default the newest in standard support when the cluster is created, kept in state
     */
    kubernetesVersion?: string;
    /** Accept a pin in paid extended support, and let EKS move the cluster there at the end of standard support. */
    extendedSupport: boolean;
    /** NAT gateways: one per AZ, or a single shared one. */
    natGateways: "perAz" | "single";
    /** Refuse to delete the cluster. */
    deletionProtection: boolean;
    /** Retention of the control-plane log group, days. */
    logRetentionDays: number;
    /** AWS CLI profile, for the provider and baked into the kubeconfig; undefined = the ambient credentials. */
    awsProfile?: string;
    /** Role the kubeconfig assumes; it gets the cluster-admin access entry. Undefined = the deploying identity. */
    assumeRoleArn?: string;
    /** Keep database volumes when their claims are deleted, and the registry's images when the stack is destroyed. */
    retainVolumes: boolean;
    /** The tags ECR lets pushes overwrite: the image builds' rolling cache tags (the app's, pgbackup's). Every other tag is immutable. */
    rollingTags: string[];
}

export class EksCluster extends pulumi.ComponentResource implements ClusterContract {
    readonly name: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    readonly kubeconfig: pulumi.Output<string>;
    readonly registry: RegistryInfo;
    readonly storageClassName: pulumi.Output<string>;
    readonly serviceAnnotations: Record<string, string> = { "service.beta.kubernetes.io/aws-load-balancer-type": "nlb" };
    /** metrics-server runs as a managed add-on (nodes.ts). */
    readonly features: ClusterFeatures = { metricsApi: true, kubeletCertsVerifiable: true, publicLoadBalancers: true };
    readonly backup?: ObjectBackupStore;
    readonly cluster: aws.eks.Cluster;
    readonly nodeGroup: aws.eks.NodeGroup;

    /** The cluster a stack's settings describe. */
    static fromSettings(settings: SettingsOn<"aws">, opts?: pulumi.ComponentResourceOptions): EksCluster {
        const own = pick(
            settings.cluster,
            "kubernetesVersion",
            "extendedSupport",
            "natGateways",
            "deletionProtection",
            "logRetentionDays",
            "awsProfile",
            "assumeRoleArn",
        );
        // The builds' rolling tags are the ones ECR lets pushes overwrite.
        const rollingTags = [settings.app.build.tag, ...(settings.postgres.backup ? [DEFAULTS.postgres.backup.buildTag] : [])];
        return new EksCluster("cluster", { ...managedArgs(settings), ...own, retainVolumes: settings.protectData, rollingTags }, opts);
    }

    constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:cluster:Eks", name, {}, opts);
        const clusterName = args.clusterName;
        const awsProvider = new aws.Provider(
            `${name}-aws`,
            { region: args.region as aws.Region, profile: args.awsProfile, defaultTags: { tags: { "kubeship:cluster": clusterName, "managed-by": "pulumi" } } },
            { parent: this },
        );
        const child = { parent: this, provider: awsProvider };
        const part = partition(child);

        const net = network(name, { clusterName, natGateways: args.natGateways }, child);
        const subnetIds = net.privateSubnets.map(s => s.id);
        const plane = controlPlane(name, { ...args, subnetIds, partition: part }, child);
        this.cluster = plane.cluster;
        const pool = nodes(name, { ...args, cluster: this.cluster, subnetIds, partition: part }, child);
        this.nodeGroup = pool.nodeGroup;
        this.registry = registry(name, { clusterName, rollingTags: args.rollingTags, keepImages: args.retainVolumes }, child);
        const routeTableIds = net.privateRouteTables.map(t => t.id);
        this.backup =
            args.backup && backupBucket(name, { ...args.backup, region: args.region, cluster: this.cluster, vpcId: net.vpc.id, routeTableIds }, child);

        this.name = this.cluster.name;
        this.kubeconfig = eksKubeconfig(this.cluster, args);
        this.provider = kubernetesProvider(
            name,
            { kubeconfig: this.kubeconfig, clusterIdentifier: args.clusterIdentifier, cluster: this.cluster },
            { parent: this, dependsOn: [this.nodeGroup, plane.adminPolicy] },
        );
        pool.podAddons([systemTraffic(name, this.provider, this)]);
        clusterAutoscaler(name, { clusterName, cluster: this.cluster, region: args.region, provider: this.provider }, child, this);
        const storageClass = databaseStorageClass(
            name,
            {
                provider: this.provider,
                provisioner: "ebs.csi.aws.com",
                parameters: { type: "gp3", encrypted: "true", "csi.storage.k8s.io/fstype": "ext4" },
                isDefault: true, // new EKS clusters have no default StorageClass
                retain: args.retainVolumes,
            },
            this,
        );
        this.storageClassName = storageClass.metadata.name;

        this.registerOutputs({ name: this.name, kubeconfig: this.kubeconfig, storageClassName: this.storageClassName });
    }
}

/**
 * Strict network-policy mode denies every pod on the pod network until a policy selects it, CoreDNS
 * included. kube-system keeps standard mode's behaviour: its pods (CoreDNS, the EBS CSI controller,
 * metrics-server) may reach and be reached by anything. Applied before those add-ons, whose pods would
 * otherwise never become ready.
 */
function systemTraffic(name: string, provider: k8s.Provider, parent: pulumi.Resource): k8s.networking.v1.NetworkPolicy {
    return new k8s.networking.v1.NetworkPolicy(
        `${name}-kube-system-traffic`,
        {
            metadata: { name: "kubeship-allow-system-traffic", namespace: "kube-system", labels: { "app.kubernetes.io/managed-by": "pulumi" } },
            spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{}], egress: [{}] },
        },
        { parent, provider },
    );
}

/** A kubeconfig whose credentials come from `aws eks get-token` at each use (as the profile or role), a secret. */
function eksKubeconfig(cluster: aws.eks.Cluster, args: Pick<EksClusterArgs, "region" | "clusterName" | "assumeRoleArn" | "awsProfile">): pulumi.Output<string> {
    const execArgs = [
        "--region",
        args.region,
        "eks",
        "get-token",
        "--cluster-name",
        args.clusterName,
        "--output",
        "json",
        ...(args.assumeRoleArn ? ["--role-arn", args.assumeRoleArn] : []),
    ];
    return pulumi.secret(
        pulumi.all([cluster.arn, cluster.endpoint, cluster.certificateAuthority]).apply(([arn, endpoint, ca]) =>
            execKubeconfig(arn, endpoint, ca.data ?? "", {
                command: "aws",
                args: execArgs,
                env: args.awsProfile ? { AWS_PROFILE: args.awsProfile } : undefined,
                installHint: "Install the AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html",
            }),
        ),
    );
}
