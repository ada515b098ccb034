import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Where the app image is pushed and pulled from. */
export interface RegistryInfo {
    /** Registry host (and port), for example `localhost:5001` or `europe-west1-docker.pkg.dev`. */
    server: pulumi.Input<string>;
    /** Repository path for the app image, without tag or digest. */
    repository: pulumi.Input<string>;
    /** Push credentials, secret; undefined when the registry needs none (a local registry). */
    username?: pulumi.Input<string>;
    password?: pulumi.Input<string>;
}

/** What a cluster already runs or is, so that the platform add-ons install only what is missing. */
export interface ClusterFeatures {
    /** The Metrics API (metrics.k8s.io) the HorizontalPodAutoscaler reads: GKE runs it, EKS installs it as a managed add-on. */
    readonly metricsApi: boolean;
    /** The kubelets' serving certificates are signed by the cluster's CA, so metrics-server can verify them (kind's are self-signed). */
    readonly kubeletCertsVerifiable: boolean;
    /**
     * The cluster's own Gateway API implementation, with its CustomResourceDefinitions (GKE's Gateway
     * controller); undefined where kubeship installs the definitions and a controller (Traefik).
     */
    readonly gateway?: GatewayImplementation;
    /**
     * A LoadBalancer Service gets an address on the internet, so the edge is public and Let's Encrypt can
     * check a host over HTTP (ACME HTTP-01). False on kind and local clusters: the edge is a NodePort and
     * its certificates are self-signed.
     */
    readonly publicLoadBalancers: boolean;
}

/** A GatewayClass and the ports its Gateways' listeners must use. */
export interface GatewayImplementation {
    readonly className: string;
    /** Listener ports: the controller's own (Traefik's entry points) or those the load balancer serves. */
    readonly ports: { readonly http: number; readonly https: number };
    /**
     * The policy object that makes a load balancer which checks backends itself check the app's
     * readiness path (GKE's checks `/` otherwise); undefined where the controller follows the pods'
     * readiness alone.
     */
    readonly healthCheck?: (target: { service: pulumi.Input<string>; path: string }) => PolicyObject;
}

/** A policy custom resource, without its metadata (the caller names and places it). */
export interface PolicyObject {
    apiVersion: string;
    kind: string;
    spec: Record<string, unknown>;
}

/** The ServiceAccount, in the environment's namespace, of the pods that archive Postgres: the cloud's identity is bound to it. */
export const BACKUP_SERVICE_ACCOUNT = "postgres-backup";

/** A destination outside the cluster that archiving pods may connect to (a NetworkPolicy egress rule). */
export interface EgressRule {
    /** What it is, for the policy's name and the reader: "object-storage", "pod-identity-agent". */
    readonly name: string;
    readonly cidr: string;
    /** Blocks excluded from `cidr`. */
    readonly except?: readonly string[];
    readonly port: number;
}

/**
 * Where Postgres' WAL archive and base backups go: object storage (the managed clouds) or a volume in the
 * environment's namespace (kind, local). Write-once for the archiving identity: it can create and read
 * objects, never delete or overwrite them; the store's own retention removes them.
 */
export type BackupStore = ObjectBackupStore | VolumeBackupStore;

/** A bucket, and what pgbackup needs to reach it. */
export interface ObjectBackupStore {
    readonly kind: "object";
    /** pgbackup's `$KUBESHIP_BACKUP_URL`: `gs://bucket/prefix`, `s3://bucket/prefix` or `azblob://account/container/prefix`. */
    readonly url: pulumi.Input<string>;
    /** More environment for pgbackup, plain values (the S3 region, an S3-compatible endpoint). */
    readonly env: Readonly<Record<string, pulumi.Input<string>>>;
    /** Access keys as environment variable name to secret value (Spaces); undefined where the pod's identity is the credential. */
    readonly credentials?: Readonly<Record<string, pulumi.Output<string>>>;
    /**
     * A ServiceAccount token the archiving pods mount, for a cloud that exchanges it for its own
     * credential (AKS workload identity): its audience and the file it is read from. @default none
     */
    readonly token?: { readonly audience: string; readonly path: string };
    /** Where archiving pods connect besides the cluster's DNS: the storage API and, where it is one, the credential endpoint. */
    readonly egress: readonly EgressRule[];
    /**
     * What must exist before an archiving pod starts: its identity's bindings (EKS Pod Identity changes
     * only pods created after the association; a Workload Identity grant made later fails the first
     * archives).
     */
    readonly dependsOn: readonly pulumi.Resource[];
}

/** A volume the workloads claim in the namespace and mount in the archiving pods. */
export interface VolumeBackupStore {
    readonly kind: "volume";
    readonly size: string;
    /** undefined = the cluster's default class. */
    readonly storageClassName?: pulumi.Input<string>;
}

/**
 * The contract every cluster layer (GKE, EKS, AKS, DOKS, kind, local) hands to the workloads. Workloads consume
 * only this: nothing cloud-specific leaks past it.
 */
export interface ClusterContract {
    /** Cluster name as the cloud (or kubeconfig) knows it. */
    readonly name: pulumi.Output<string>;
    /** Kubernetes provider for every workload resource, with a stable `clusterIdentifier`. */
    readonly provider: k8s.Provider;
    /** kubeconfig for this cluster, always a Pulumi secret. */
    readonly kubeconfig: pulumi.Output<string>;
    /** Registry for the app image. */
    readonly registry: RegistryInfo;
    /** StorageClass for Postgres volumes; undefined = the cluster's default class. */
    readonly storageClassName?: pulumi.Input<string>;
    /** Annotations for LoadBalancer Services on this cloud. */
    readonly serviceAnnotations: Record<string, string>;
    /** What the cluster already provides. */
    readonly features: ClusterFeatures;
    /** The store for Postgres' backups; undefined when `kubeship:postgres.backup` is off. */
    readonly backup?: BackupStore;
}

/**
 * Resource options for data that must survive `pulumi destroy` and accidental deletes when
 * `protectData` is on: one meaning for the
 * cluster layers (backup buckets) and the workloads (Postgres, its Secret, the namespace).
 */
export function dataProtection(protect: boolean): pulumi.CustomResourceOptions {
    return protect ? { protect: true, retainOnDelete: true } : {};
}
