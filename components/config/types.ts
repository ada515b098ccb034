/**
 * The typed settings of a stack, resolved: every default applied, every value validated. `Settings` is
 * narrowed by `cloud`, so a cloud's own keys (its region, project or token) are present, not optional.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Cloud, CredentialOf, ManagedCloud } from "./clouds";

export const SERVICE_TYPES = ["LoadBalancer", "ClusterIP"] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];
/** Redis eviction policies (redis.io/docs/latest/develop/reference/eviction). */
export const MAXMEMORY_POLICIES = [
    "noeviction",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
] as const;
export type MaxmemoryPolicy = (typeof MAXMEMORY_POLICIES)[number];
export const RELEASE_CHANNELS = ["RAPID", "REGULAR", "STABLE"] as const;
export const NAT_GATEWAYS = ["perAz", "single"] as const;
export const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** CPU and memory requests and limits of one container, as Kubernetes quantities. */
export interface ContainerResources {
    cpu: string;
    memory: string;
    cpuLimit: string;
    memoryLimit: string;
}

export interface IngressSettings {
    host: string;
    className?: string;
    tlsSecretName?: string;
}

export interface AutoscalingSettings {
    maxReplicas: number;
    targetCPUUtilization: number;
}

/** How `pulumi up` builds the app image when no prebuilt `image` is configured. */
export interface BuildSettings {
    /** Context directory, relative to the project root (or absolute). */
    context: string;
    /** Dockerfile, relative to the context (see `defaultDockerfile`). */
    dockerfile: string;
    platform: string;
    /** Rolling tag pushed with each build and used as cache; deployments pin the digest. */
    tag: string;
}

export interface AppSettings extends ContainerResources {
    /** A prebuilt image (pipelines that build elsewhere); undefined = build from `build`. */
    image?: string;
    build: BuildSettings;
    replicas: number;
    port: number;
    healthPath: string;
    readyPath: string;
    serviceType: ServiceType;
    servicePort: number;
    ingress?: IngressSettings;
    /** Undefined when autoscaling is disabled. */
    autoscaling?: AutoscalingSettings;
}

export interface PostgresSettings extends ContainerResources {
    image: string;
    /** Bump to rotate the password. */
    passwordVersion: number;
    database: string;
    user: string;
    storageSize: string;
    terminationGracePeriodSeconds: number;
}

export interface RedisSettings extends ContainerResources {
    image: string;
    /** Bump to rotate the password. */
    passwordVersion: number;
    /** Bytes. */
    maxmemory: number;
    maxmemoryPolicy: MaxmemoryPolicy;
}

export interface ClusterSettings {
    /**
     * Registry for `kind` and `local`, as `docker push` and the pods' image references name it. For
     * `kind` it is `localhost:<port>`: the registry container is published on that loopback port and the
     * nodes' containerd maps the same name to the container (kind's local registry convention).
     */
    registry: string;
    /** StorageClass for Postgres volumes; undefined = the cluster layer's class (kind, local: the cluster default). */
    storageClass?: string;
    /** Machine type (gcp), instance type (aws) or droplet size (digitalocean). */
    nodeSize: string;
    /** Node pool autoscaling bounds, in nodes for the whole cluster. */
    minNodes: number;
    maxNodes: number;
    /** Kubernetes minor version: pinned on EKS, the version prefix on DOKS. GKE follows `releaseChannel`. */
    kubernetesVersion: string;
    /** GKE release channel. */
    releaseChannel: (typeof RELEASE_CHANNELS)[number];
    /** Refuse to delete the cluster (GKE, EKS); DOKS keeps its volumes and load balancers on delete. */
    deletionProtection: boolean;
    /** CIDR blocks allowed to reach the Kubernetes API. */
    authorizedNetworks: string[];
    /** EKS NAT gateways: one per AZ (resilient) or a single one (cheaper). */
    natGateways: (typeof NAT_GATEWAYS)[number];
    /** Weekly maintenance window start (GKE, DOKS), UTC. */
    maintenanceDay: Weekday;
    maintenanceStartTime: string;
    /** EKS control-plane log retention, days. */
    logRetentionDays: number;
    /** AWS CLI profile baked into the EKS kubeconfig (and used by the AWS provider). */
    awsProfile?: string;
    /** IAM role the EKS kubeconfig assumes; it also gets the cluster-admin access entry. */
    assumeRoleArn?: string;
    /** DigitalOcean container registry name (one per account, globally unique). */
    registryName: string;
    /** Use an existing DigitalOcean registry of that name instead of creating one. */
    existingRegistry: boolean;
}

/** What every stack has, whatever its cloud. */
interface CommonSettings {
    project: string;
    stack: string;
    namespace: string;
    protectData: boolean;
    cluster: ClusterSettings;
    app: AppSettings;
    postgres: PostgresSettings;
    redis: RedisSettings;
}

/**
 * A managed cloud's own settings: its region and, when its facts name one (CLOUD_FACTS), its provider
 * credential (`gcp:project` on gcp; `digitalocean:token` on digitalocean, a Pulumi secret).
 */
export type ManagedSettings = { [C in ManagedCloud]: { cloud: C; region: string } & CredentialOf<C, pulumi.Output<string>> }[ManagedCloud];

/** Each cloud's own settings. */
export type CloudSettings =
    ManagedSettings | { cloud: "kind" } | { cloud: "local"; /** kubeconfig context; undefined = the current context. */ kubeContext?: string };

export type Settings = CommonSettings & CloudSettings;

/** The settings of a stack on one cloud. */
export type SettingsOn<C extends Cloud> = Settings & { cloud: C };

/** Raw config: full keys (`kubeship:app`, `gcp:project`) to the strings Pulumi stores. */
export type RawConfig = Readonly<Record<string, string | undefined>>;
