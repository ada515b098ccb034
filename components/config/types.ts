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
export const CONTROL_PLANE_TIERS = ["standard", "free"] as const;
export const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * The settings as the parser resolves them. Each field's `@default` is what the parser applies when a
 * stack leaves it unset (from DEFAULTS in defaults.ts; test/settings.spec.ts holds the two together).
 */

/** CPU and memory requests and limits of one container, as Kubernetes quantities. */
export interface ContainerResources {
    /** @default each workload's own (DEFAULTS.app, .postgres, .redis) */
    cpu: string;
    /** @default each workload's own */
    memory: string;
    /** @default each workload's own */
    cpuLimit: string;
    /** @default each workload's own */
    memoryLimit: string;
}

/** HTTPS at the edge: a Gateway with a certificate cert-manager issues and renews for `host`. */
export interface IngressSettings {
    /** The app's DNS name (no wildcard: the certificate is proven over HTTP). Required when `ingress` is set. @default none */
    host: string;
}

export interface AutoscalingSettings {
    /** @default 6, or `replicas` when that is larger */
    maxReplicas: number;
    /** @default 70 */
    targetCPUUtilization: number;
}

/** How `pulumi up` builds the app image when no prebuilt `image` is configured. */
export interface BuildSettings {
    /** Context directory, relative to the project root (or absolute). @default "." */
    context: string;
    /** Dockerfile, relative to the context (see `defaultDockerfile`). @default "app/Dockerfile" */
    dockerfile: string;
    /** @default the nodes' platform: "linux/arm64" on ARM node sizes and, for kind and local, on ARM machines; else "linux/amd64" */
    platform: string;
    /** Rolling tag pushed with each build and used as cache; deployments pin the digest. @default "kubeship-build" */
    tag: string;
}

export interface AppSettings extends ContainerResources {
    /** A prebuilt image (pipelines that build elsewhere); undefined = build from `build`. @default none */
    image?: string;
    /** @default the sample app, see BuildSettings */
    build: BuildSettings;
    /** @default 2 */
    replicas: number;
    /** @default 8080 */
    port: number;
    /** @default "/health" */
    healthPath: string;
    /** @default "/ready" */
    readyPath: string;
    /** @default "ClusterIP" with `ingress` (the edge is the way in), else "LoadBalancer" */
    serviceType: ServiceType;
    /** @default 80 */
    servicePort: number;
    /** @default none */
    ingress?: IngressSettings;
    /** Undefined when autoscaling is disabled. @default on, see AutoscalingSettings */
    autoscaling?: AutoscalingSettings;
}

export interface PostgresSettings extends ContainerResources {
    /** @default "postgres:17.6@sha256:00bc86618629af00d2937fdc5a5d63db3ff8450acf52f0636ec813c7f4902929" */
    image: string;
    /** Bump to rotate the password. @default 1 */
    passwordVersion: number;
    /** @default "app" */
    database: string;
    /** @default "app" */
    user: string;
    /** @default "10Gi" */
    storageSize: string;
    /** @default 120 */
    terminationGracePeriodSeconds: number;
    /** Derived from `memoryLimit`, not a key. @default see PostgresMemory */
    tuning: PostgresMemory;
    /** Continuous archiving and base backups; undefined when `backup.enabled` is false. @default on for the managed clouds, see BackupSettings */
    backup?: BackupSettings;
    /** Where this environment's data came from: a point-in-time restore, kept in the config while its data lives. @default none */
    restore?: RestoreSettings;
}

/**
 * A point-in-time restore into this environment's Postgres: the data directory is replaced (the old one
 * kept beside it) by the archive `from` as of `time`, once; the restored server archives to a location
 * of its own in this environment's store.
 */
export interface RestoreSettings {
    /** The archive to restore from: the `postgresBackupUrl` output of this stack or another on the same cloud. */
    from: string;
    /** The point in time, RFC 3339 with a zone ("2026-12-02T08:00:00Z"). */
    time: string;
}

/** Point-in-time recovery: WAL archived continuously and base backups on a schedule, to the cluster layer's store. */
export interface BackupSettings {
    /** Longest a committed transaction waits before its WAL is archived: PostgreSQL's `archive_timeout`, seconds. @default 300 */
    rpoSeconds: number;
    /** When base backups run: a five-field cron expression, UTC. @default "30 1 * * *" */
    schedule: string;
    /** Days every backup and WAL file is kept (and cannot be deleted) in the store. @default 14 */
    retentionDays: number;
    /** A prebuilt `pgbackup` image (backup/Dockerfile); undefined = built from `backup/` and pushed to the cluster's registry like the app. @default none */
    image?: string;
}

/** Postgres memory settings, in MiB (PostgreSQL's "MB"), from the memory limit by DEFAULTS.postgres.memoryShares. */
export interface PostgresMemory {
    /** `shared_buffers`: a quarter of the limit. */
    sharedBuffersMB: number;
    /** `effective_cache_size`: three quarters of the limit. */
    effectiveCacheSizeMB: number;
    /** The size limit of the memory-backed /dev/shm: a quarter of the limit. */
    sharedMemoryMB: number;
}

export interface RedisSettings extends ContainerResources {
    /** @default "redis:7.4.5@sha256:90e7a336d044f1abc9e9dbc05d65566850896d11453bbd1dd0fb7e5059f0e8fb" */
    image: string;
    /** Bump to rotate the password. @default 1 */
    passwordVersion: number;
    /** Bytes. @default 80 % of `memoryLimit` */
    maxmemory: number;
    /** @default "allkeys-lru" */
    maxmemoryPolicy: MaxmemoryPolicy;
}

export interface ClusterSettings {
    /**
     * Registry for `kind` and `local`, as `docker push` and the pods' image references name it. For
     * `kind` it is `localhost:<port>`: the registry container is published on that loopback port and the
     * nodes' containerd maps the same name to the container (kind's local registry convention).
     * @default "localhost:5001"
     */
    registry: string;
    /** StorageClass for Postgres volumes; undefined = the cluster layer's class (kind, local: the cluster default). @default none */
    storageClass?: string;
    /** Machine type (gcp), instance type (aws) or droplet size (digitalocean). @default the cloud's, from CLOUD_FACTS */
    nodeSize: string;
    /** Node pool autoscaling bounds, in nodes for the whole cluster. @default 3 */
    minNodes: number;
    /** @default 6, or `minNodes` when that is larger */
    maxNodes: number;
    /**
     * Kubernetes minor version: pinned on EKS (it must be in standard support unless `extendedSupport`)
     * and AKS (in standard support), the version prefix on DOKS; refused on GKE, which follows `releaseChannel`.
     * @default the newest version in standard support when the cluster is created, kept in state
     */
    kubernetesVersion?: string;
    /** EKS: let the version run into paid extended support instead of refusing an old pin. @default false */
    extendedSupport: boolean;
    /** GKE release channel. @default "REGULAR" */
    releaseChannel: (typeof RELEASE_CHANNELS)[number];
    /** Refuse to delete the cluster (GKE, EKS; AKS with a management lock); DOKS keeps its volumes and load balancers on delete. @default `protectData` */
    deletionProtection: boolean;
    /** CIDR blocks allowed to reach the Kubernetes API. Required on managed clouds. @default [] */
    authorizedNetworks: string[];
    /** Allow a `/0` block in `authorizedNetworks` (the API reachable from the whole internet, still authenticated). @default false */
    allowApiFromInternet: boolean;
    /** EKS NAT gateways: one per AZ (resilient) or a single one (cheaper). @default "perAz" */
    natGateways: (typeof NAT_GATEWAYS)[number];
    /** AKS control-plane tier: "standard" (the uptime SLA, for anything beyond a dev stack) or "free" (no SLA). @default "standard" */
    tier: (typeof CONTROL_PLANE_TIERS)[number];
    /** Weekly maintenance window start (GKE, DOKS, AKS), UTC. @default "sunday" */
    maintenanceDay: Weekday;
    /** @default "03:00" */
    maintenanceStartTime: string;
    /** EKS control-plane log retention, days. @default 90 */
    logRetentionDays: number;
    /** AWS CLI profile baked into the EKS kubeconfig (and used by the AWS provider). @default the ambient credentials */
    awsProfile?: string;
    /** IAM role the EKS kubeconfig assumes; it also gets the cluster-admin access entry. @default the deploying identity */
    assumeRoleArn?: string;
    /** DigitalOcean container registry name (one per account, globally unique). @default `kubeship-<stack>` */
    registryName: string;
    /** Use an existing DigitalOcean registry of that name instead of creating one. @default false */
    existingRegistry: boolean;
}

/** What every stack has, whatever its cloud. */
interface CommonSettings {
    project: string;
    stack: string;
    /** @default the stack name */
    namespace: string;
    /** @default false */
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
export type ManagedSettings = {
    [C in ManagedCloud]: { cloud: C; region: string; /** The tenant, on clouds whose facts name one (azure). */ tenant?: string } & CredentialOf<
        C,
        pulumi.Output<string>
    >;
}[ManagedCloud];

/** Each cloud's own settings. */
export type CloudSettings =
    ManagedSettings | { cloud: "kind" } | { cloud: "local"; /** kubeconfig context; undefined = the current context. */ kubeContext?: string };

export type Settings = CommonSettings & CloudSettings;

/** The settings of a stack on one cloud. */
export type SettingsOn<C extends Cloud> = Settings & { cloud: C };

/** Raw config: full keys (`kubeship:app`, `gcp:project`) to the strings Pulumi stores. */
export type RawConfig = Readonly<Record<string, string | undefined>>;
