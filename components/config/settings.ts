/**
 * The typed settings of a kubeship stack and the pure function that builds them from raw config.
 * Every key, default and rule lives here; `load.ts` only gathers the raw values from Pulumi.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "./errors";
import { parseQuantity } from "./quantity";
import * as v from "./validators";

export const PROJECT = "kubeship";
export const CLOUDS = ["gcp", "aws", "digitalocean", "kind", "local"] as const;
export type Cloud = (typeof CLOUDS)[number];
/** The clouds whose cluster, network and registry kubeship creates and pays for: they need a region. */
export const MANAGED_CLOUDS = ["gcp", "aws", "digitalocean"] as const;
export type ManagedCloud = (typeof MANAGED_CLOUDS)[number];
export function isManaged(cloud: Cloud): cloud is ManagedCloud {
    return (MANAGED_CLOUDS as readonly string[]).includes(cloud);
}
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

export const RELEASE_CHANNELS = ["RAPID", "REGULAR", "STABLE"] as const;
export const NAT_GATEWAYS = ["perAz", "single"] as const;
export const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] as const;

/** Region names per cloud. */
export const REGION_FORMATS: Record<ManagedCloud, { pattern: RegExp; example: string }> = {
    gcp: { pattern: /^[a-z]+-[a-z]+[0-9]+$/, example: "europe-west1" },
    aws: { pattern: /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$/, example: "eu-west-1" },
    digitalocean: { pattern: /^[a-z]{3}[0-9]$/, example: "ams3" },
};

/** Node sizes per cloud, by the naming scheme each cloud uses. */
export const NODE_SIZE_FORMATS: Record<ManagedCloud, { pattern: RegExp; example: string; default: string }> = {
    gcp: {
        pattern: /^[a-z][a-z0-9]*-(standard|highmem|highcpu|medium|small|micro|custom|megamem|ultramem|hightcpu)(-[0-9]+)?(-[0-9]+)?$/,
        example: "e2-standard-4",
        default: "e2-standard-2",
    },
    aws: { pattern: /^[a-z][a-z0-9-]*\.(nano|micro|small|medium|large|metal|[0-9]*xlarge)$/, example: "m7i.large", default: "t3.large" },
    digitalocean: { pattern: /^[a-z0-9]+(-[a-z0-9]+)+$/, example: "s-2vcpu-4gb", default: "s-2vcpu-4gb" },
};

export interface ClusterSettings {
    /**
     * Registry for `kind` and `local`, as `docker push` and the pods' image references name it. For
     * `kind` it is `localhost:<port>`: the registry container is published on that loopback port and the
     * nodes' containerd maps the same name to the container (kind's local registry convention).
     */
    registry: string;
    /** StorageClass for Postgres volumes; undefined = the cluster layer's class (local: the cluster default). */
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
    maintenanceDay: (typeof WEEKDAYS)[number];
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

export interface Settings {
    project: string;
    stack: string;
    cloud: Cloud;
    /** Required for gcp, aws and digitalocean. */
    region?: string;
    /** kubeconfig context for `local`; undefined = the current context. */
    kubeContext?: string;
    /** The `gcp:project` setting (required for gcp). */
    gcpProject?: string;
    /** The `digitalocean:token` setting (required for digitalocean), always a Pulumi secret. */
    digitaloceanToken?: pulumi.Output<string>;
    namespace: string;
    protectData: boolean;
    cluster: ClusterSettings;
    app: AppSettings;
    postgres: PostgresSettings;
    redis: RedisSettings;
}

type Plain = { type: "string" | "integer" | "boolean"; description: string; default?: string | number | boolean };

/**
 * The plain (non-object) `kubeship:` settings with the defaults `Pulumi.yaml` declares; a test holds
 * Pulumi.yaml to this table. An empty-string default means "not set".
 */
export const PLAIN_SETTINGS: Record<string, Plain> = {
    cloud: {
        type: "string",
        description:
            "Where the cluster comes from - gcp, aws, digitalocean, kind (a kind cluster and local registry that kubeship creates) or local (an existing cluster from your kubeconfig).",
    },
    region: { type: "string", description: "Cloud region (required for gcp, aws and digitalocean), for example europe-west1, eu-west-1 or ams3.", default: "" },
    kubeContext: { type: "string", description: "kubeconfig context for cloud=local; empty uses the current context.", default: "" },
    namespace: { type: "string", description: "Namespace for the environment; empty uses the stack name.", default: "" },
    protectData: {
        type: "boolean",
        description: "Protect Postgres, its password, its Service and the namespace from deletion by Pulumi (protect + retainOnDelete). On in prod.",
        default: false,
    },
};

export const DEFAULTS = {
    app: {
        replicas: 2,
        port: 8080,
        healthPath: "/health",
        readyPath: "/ready",
        cpu: "100m",
        memory: "128Mi",
        cpuLimit: "1",
        memoryLimit: "256Mi",
        serviceType: "LoadBalancer" as ServiceType,
        servicePort: 80,
        // The sample app is an npm workspace: its image builds from the project root, where the lockfile is.
        build: { context: ".", dockerfile: "app/Dockerfile", platform: "linux/amd64", tag: "kubeship-build" },
        autoscaling: { enabled: true, maxReplicas: 6, targetCPUUtilization: 70 },
    },
    postgres: {
        image: "postgres:17.6",
        database: "app",
        user: "app",
        storageSize: "10Gi",
        terminationGracePeriodSeconds: 120,
        cpu: "250m",
        memory: "512Mi",
        cpuLimit: "1",
        memoryLimit: "1Gi",
    },
    redis: {
        image: "redis:7.4.5",
        cpu: "100m",
        memory: "128Mi",
        cpuLimit: "500m",
        memoryLimit: "256Mi",
        /** Share of the memory limit given to `maxmemory` when it is not set. */
        maxmemoryShare: 0.8,
        maxmemoryPolicy: "allkeys-lru" as MaxmemoryPolicy,
    },
    cluster: {
        registry: "localhost:5001",
        minNodes: 3,
        maxNodes: 6,
        kubernetesVersion: "1.33",
        releaseChannel: "REGULAR" as const,
        natGateways: "perAz" as const,
        maintenanceDay: "sunday" as const,
        maintenanceStartTime: "03:00",
        logRetentionDays: 90,
    },
} as const;

/**
 * The Dockerfile for a build context: the sample app's `app/Dockerfile` for the default context, and
 * `Dockerfile` at the top of any context you choose.
 */
export function defaultDockerfile(context: string | undefined): string {
    return context === undefined || context === DEFAULTS.app.build.context ? DEFAULTS.app.build.dockerfile : "Dockerfile";
}

/** Raw config: full keys (`kubeship:app`, `gcp:project`) to the strings Pulumi stores. */
export type RawConfig = Readonly<Record<string, string | undefined>>;

/** Builds validated, frozen settings from raw config. Throws a ConfigError on the first bad value. */
export function parseSettings(raw: RawConfig, stack: string): Settings {
    const key = (k: string) => `${PROJECT}:${k}`;
    const knownTop = [...Object.keys(PLAIN_SETTINGS), ...Object.keys(SECTION_KEYS)];
    for (const full of Object.keys(raw)) {
        if (!full.startsWith(`${PROJECT}:`)) continue;
        const k = full.slice(PROJECT.length + 1);
        if (!knownTop.includes(k)) {
            const hint = v.closest(k, knownTop);
            // The value is not shown: a mistyped key may hold a secret.
            throw new ConfigError(
                full,
                raw[full],
                `unknown setting${hint ? ` (did you mean "${key(hint)}"?)` : ""}; kubeship settings: ${knownTop.join(", ")}`,
                true,
            );
        }
    }

    const cloud = v.oneOf(key("cloud"), raw[key("cloud")], CLOUDS);
    const region = v.optionalString(key("region"), raw[key("region")]);
    if (isManaged(cloud) && !region) throw new ConfigError(key("region"), region, `is required when kubeship:cloud is "${cloud}"`);
    if (isManaged(cloud) && !REGION_FORMATS[cloud].pattern.test(region!)) {
        throw new ConfigError(key("region"), region, `is not a ${cloud} region; expected a name such as "${REGION_FORMATS[cloud].example}"`);
    }
    const gcpProject = v.optionalString("gcp:project", raw["gcp:project"]);
    if (cloud === "gcp" && !gcpProject)
        throw new ConfigError("gcp:project", gcpProject, 'is required when kubeship:cloud is "gcp" (pulumi config set gcp:project <project-id>)');
    const token = v.optionalString("digitalocean:token", raw["digitalocean:token"]);
    if (cloud === "digitalocean" && !token)
        throw new ConfigError(
            "digitalocean:token",
            undefined,
            'is required when kubeship:cloud is "digitalocean" (pulumi config set --secret digitalocean:token <token>)',
        );

    const protectData = raw[key("protectData")] === undefined ? false : v.boolean(key("protectData"), raw[key("protectData")]);
    const settings: Settings = {
        project: PROJECT,
        stack,
        cloud,
        region,
        kubeContext: v.optionalString(key("kubeContext"), raw[key("kubeContext")]),
        gcpProject,
        digitaloceanToken: token === undefined ? undefined : pulumi.secret(token),
        namespace: parseNamespace(key("namespace"), v.optionalString(key("namespace"), raw[key("namespace")]), stack),
        protectData,
        cluster: parseCluster(key("cluster"), raw[key("cluster")], cloud, stack, protectData),
        app: parseApp(key("app"), raw[key("app")]),
        postgres: parsePostgres(key("postgres"), raw[key("postgres")]),
        redis: parseRedis(key("redis"), raw[key("redis")]),
    };
    return deepFreeze(settings);
}

/** The namespace: the setting, else the stack name, which need not be a valid one (`Dev_EU` is a fine stack name). */
function parseNamespace(key: string, value: string | undefined, stack: string): string {
    if (value !== undefined) return v.dns1123Label(key, value);
    try {
        return v.dns1123Label(key, stack);
    } catch (e) {
        throw new ConfigError(
            key,
            undefined,
            `is not set, so it defaults to the stack name "${stack}", which is not a valid namespace (${(e as ConfigError).allowed}); set one with: pulumi config set ${key} <name>`,
        );
    }
}

function section(key: string, value: v.Raw, allowed: readonly string[]): Record<string, v.Raw> {
    const obj = value === undefined ? {} : v.object(key, value);
    v.noUnknownKeys(key, obj, allowed);
    return obj;
}

/** Reads a field with a default: `undefined` (absent) takes the default, anything else is validated. */
function field<T>(obj: Record<string, v.Raw>, name: string, fallback: T, parse: (value: v.Raw) => T): T {
    return obj[name] === undefined ? fallback : parse(obj[name]);
}

const RESOURCE_KEYS = ["cpu", "memory", "cpuLimit", "memoryLimit"] as const;

function parseResources(key: string, obj: Record<string, v.Raw>, d: ContainerResources): ContainerResources {
    const r = {} as ContainerResources;
    for (const k of RESOURCE_KEYS) r[k] = field(obj, k, d[k], x => v.quantity(`${key}.${k}`, x));
    v.quantityAtMost(`${key}.cpu`, r.cpu, `${key}.cpuLimit`, r.cpuLimit);
    v.quantityAtMost(`${key}.memory`, r.memory, `${key}.memoryLimit`, r.memoryLimit);
    return r;
}

const CLUSTER_KEYS = [
    "registry",
    "storageClass",
    "nodeSize",
    "minNodes",
    "maxNodes",
    "kubernetesVersion",
    "releaseChannel",
    "deletionProtection",
    "authorizedNetworks",
    "natGateways",
    "maintenanceDay",
    "maintenanceStartTime",
    "logRetentionDays",
    "awsProfile",
    "assumeRoleArn",
    "registryName",
    "existingRegistry",
] as const;
/** The keys of each structured setting (`kubeship:app`, …), as `Pulumi.yaml`'s comment lists them. */
export const SECTION_KEYS = {
    app: ["image", "build", "replicas", "port", "healthPath", "readyPath", ...RESOURCE_KEYS, "serviceType", "servicePort", "ingress", "autoscaling"],
    postgres: ["image", "passwordVersion", "database", "user", "storageSize", "terminationGracePeriodSeconds", ...RESOURCE_KEYS],
    redis: ["image", "passwordVersion", "maxmemory", "maxmemoryPolicy", ...RESOURCE_KEYS],
    cluster: CLUSTER_KEYS,
} as const;

/** Retention periods CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

function parseCluster(key: string, value: v.Raw, cloud: Cloud, stack: string, protectData: boolean): ClusterSettings {
    const d = DEFAULTS.cluster;
    const o = section(key, value, SECTION_KEYS.cluster);
    const sizeFormat = isManaged(cloud) ? NODE_SIZE_FORMATS[cloud] : undefined;
    const nodeSize = field(o, "nodeSize", sizeFormat?.default ?? "", x => {
        const size = v.requireString(`${key}.nodeSize`, x);
        if (sizeFormat && !sizeFormat.pattern.test(size))
            throw new ConfigError(`${key}.nodeSize`, x, `is not a ${cloud} node size; expected a name such as "${sizeFormat.example}"`);
        return size;
    });
    const minNodes = field(o, "minNodes", d.minNodes, x => v.integer(`${key}.minNodes`, x, 1, 1000));
    const maxNodes = field(o, "maxNodes", Math.max(d.maxNodes, minNodes), x => v.integer(`${key}.maxNodes`, x, 1, 1000));
    v.ordered(`${key}.minNodes`, minNodes, `${key}.maxNodes`, maxNodes);
    const authorizedNetworks = field(o, "authorizedNetworks", [] as string[], x => v.list(`${key}.authorizedNetworks`, x, v.cidr));
    if (isManaged(cloud) && authorizedNetworks.length === 0) {
        throw new ConfigError(
            `${key}.authorizedNetworks`,
            o.authorizedNetworks,
            `is required for kubeship:cloud "${cloud}": the CIDR blocks allowed to reach the Kubernetes API (your office, VPN or CI egress); ["0.0.0.0/0"] opens it to the whole internet (still authenticated)`,
        );
    }
    const logRetentionDays = field(o, "logRetentionDays", d.logRetentionDays, x => {
        const days = v.integer(`${key}.logRetentionDays`, x, 1);
        if (!LOG_RETENTION_DAYS.includes(days))
            throw new ConfigError(`${key}.logRetentionDays`, x, `must be one of CloudWatch's retention periods: ${LOG_RETENTION_DAYS.join(", ")}`);
        return days;
    });
    return {
        registry: field(o, "registry", d.registry, x => {
            const registry = v.requireString(`${key}.registry`, x);
            const port = /^localhost:([0-9]{1,5})$/.exec(registry)?.[1];
            if (cloud === "kind" && !(Number(port) >= 1 && Number(port) <= 65535))
                throw new ConfigError(
                    `${key}.registry`,
                    x,
                    'must be "localhost:<port>" for kubeship:cloud "kind": the registry container is published on that loopback port, and the kind nodes map the same name to it',
                );
            return registry;
        }),
        storageClass: field(o, "storageClass", undefined, x => v.dns1123Subdomain(`${key}.storageClass`, x)),
        nodeSize,
        minNodes,
        maxNodes,
        kubernetesVersion: field(o, "kubernetesVersion", d.kubernetesVersion, x => {
            // `pulumi config set --path … 1.34` may store a number: read it back as "1.34" (minors are two digits).
            const text = typeof x === "number" ? x.toFixed(2) : x;
            if (typeof text !== "string" || !/^1\.[0-9]{2}$/.test(text)) {
                throw new ConfigError(`${key}.kubernetesVersion`, x, 'must be a Kubernetes minor version such as "1.33"');
            }
            return text;
        }),
        releaseChannel: field(o, "releaseChannel", d.releaseChannel, x => v.oneOf(`${key}.releaseChannel`, x, RELEASE_CHANNELS)),
        deletionProtection: field(o, "deletionProtection", protectData, x => v.boolean(`${key}.deletionProtection`, x)),
        authorizedNetworks,
        natGateways: field(o, "natGateways", d.natGateways, x => v.oneOf(`${key}.natGateways`, x, NAT_GATEWAYS)),
        maintenanceDay: field(o, "maintenanceDay", d.maintenanceDay, x => v.oneOf(`${key}.maintenanceDay`, x, WEEKDAYS)),
        maintenanceStartTime: field(o, "maintenanceStartTime", d.maintenanceStartTime, x => v.timeOfDay(`${key}.maintenanceStartTime`, x)),
        logRetentionDays,
        awsProfile: field(o, "awsProfile", undefined, x => v.requireString(`${key}.awsProfile`, x)),
        assumeRoleArn: field(o, "assumeRoleArn", undefined, x => {
            if (typeof x !== "string" || !/^arn:aws[a-z-]*:iam::[0-9]{12}:role\/[\w+=,.@/-]+$/.test(x))
                throw new ConfigError(`${key}.assumeRoleArn`, x, 'must be an IAM role ARN such as "arn:aws:iam::123456789012:role/deployer"');
            return x;
        }),
        registryName: field(o, "registryName", `kubeship-${stack}`, x => v.dns1123Label(`${key}.registryName`, x)),
        existingRegistry: field(o, "existingRegistry", false, x => v.boolean(`${key}.existingRegistry`, x)),
    };
}

function parseApp(key: string, value: v.Raw): AppSettings {
    const d = DEFAULTS.app;
    const o = section(key, value, SECTION_KEYS.app);
    if (o.image !== undefined && o.build !== undefined) {
        throw new ConfigError(`${key}.build`, o.build, `cannot be set together with ${key}.image: a prebuilt image is deployed as it is; remove one of them`);
    }
    const replicas = field(o, "replicas", d.replicas, x => v.integer(`${key}.replicas`, x, 1));
    return {
        image: field(o, "image", undefined, x => v.imageRef(`${key}.image`, x)),
        build: parseBuild(`${key}.build`, o.build),
        replicas,
        port: field(o, "port", d.port, x => v.port(`${key}.port`, x)),
        healthPath: field(o, "healthPath", d.healthPath, x => v.httpPath(`${key}.healthPath`, x)),
        readyPath: field(o, "readyPath", d.readyPath, x => v.httpPath(`${key}.readyPath`, x)),
        ...parseResources(key, o, d),
        serviceType: field(o, "serviceType", d.serviceType, x => v.oneOf(`${key}.serviceType`, x, SERVICE_TYPES)),
        servicePort: field(o, "servicePort", d.servicePort, x => v.port(`${key}.servicePort`, x)),
        ingress: o.ingress === undefined ? undefined : parseIngress(`${key}.ingress`, o.ingress),
        autoscaling: parseAutoscaling(`${key}.autoscaling`, o.autoscaling, replicas, `${key}.replicas`),
    };
}

function parseBuild(key: string, value: v.Raw): BuildSettings {
    const d = DEFAULTS.app.build;
    const o = section(key, value, ["context", "dockerfile", "platform", "tag"]);
    const context = field(o, "context", d.context, x => v.requireString(`${key}.context`, x));
    return {
        context,
        dockerfile: field(o, "dockerfile", defaultDockerfile(context), x => v.requireString(`${key}.dockerfile`, x)),
        platform: field(o, "platform", d.platform, x => {
            if (typeof x !== "string" || !/^[a-z0-9]+\/[a-z0-9_]+(\/v[0-9]+)?$/.test(x))
                throw new ConfigError(`${key}.platform`, x, 'must be an OCI platform such as "linux/amd64" or "linux/arm64"');
            return x;
        }),
        tag: field(o, "tag", d.tag, x => {
            if (typeof x !== "string" || !/^[\w][\w.-]{0,127}$/.test(x) || x === "latest")
                throw new ConfigError(`${key}.tag`, x, 'must be a Docker tag other than "latest" (letters, digits, "_", "." and "-")');
            return x;
        }),
    };
}

function parseIngress(key: string, value: v.Raw): IngressSettings {
    const o = section(key, value, ["host", "className", "tlsSecretName"]);
    return {
        host: v.dns1123Subdomain(`${key}.host`, o.host, { wildcard: true }),
        className: field(o, "className", undefined, x => v.dns1123Subdomain(`${key}.className`, x)),
        tlsSecretName: field(o, "tlsSecretName", undefined, x => v.dns1123Subdomain(`${key}.tlsSecretName`, x)),
    };
}

function parseAutoscaling(key: string, value: v.Raw, replicas: number, replicasKey: string): AutoscalingSettings | undefined {
    const d = DEFAULTS.app.autoscaling;
    const o = section(key, value, ["enabled", "maxReplicas", "targetCPUUtilization"]);
    const enabled = field(o, "enabled", d.enabled, x => v.boolean(`${key}.enabled`, x));
    const maxReplicas = field(o, "maxReplicas", Math.max(d.maxReplicas, replicas), x => v.integer(`${key}.maxReplicas`, x, 1));
    const targetCPUUtilization = field(o, "targetCPUUtilization", d.targetCPUUtilization, x => v.integer(`${key}.targetCPUUtilization`, x, 1, 100));
    if (!enabled) return undefined;
    v.ordered(replicasKey, replicas, `${key}.maxReplicas`, maxReplicas);
    return { maxReplicas, targetCPUUtilization };
}

function parsePostgres(key: string, value: v.Raw): PostgresSettings {
    const d = DEFAULTS.postgres;
    const o = section(key, value, SECTION_KEYS.postgres);
    const identifier = (k: string) => (x: v.Raw) => {
        if (typeof x !== "string" || !/^[a-z_][a-z0-9_]{0,62}$/.test(x)) {
            throw new ConfigError(
                `${key}.${k}`,
                x,
                "must be a lower-case Postgres identifier: a letter or '_' followed by letters, digits or '_', at most 63 characters",
            );
        }
        return x;
    };
    return {
        image: field(o, "image", d.image, x => v.imageRef(`${key}.image`, x)),
        passwordVersion: field(o, "passwordVersion", 1, x => v.integer(`${key}.passwordVersion`, x, 1)),
        database: field(o, "database", d.database, identifier("database")),
        user: field(o, "user", d.user, identifier("user")),
        storageSize: field(o, "storageSize", d.storageSize, x => v.quantity(`${key}.storageSize`, x)),
        terminationGracePeriodSeconds: field(o, "terminationGracePeriodSeconds", d.terminationGracePeriodSeconds, x =>
            v.integer(`${key}.terminationGracePeriodSeconds`, x, 30, 3600),
        ),
        ...parseResources(key, o, d),
    };
}

function parseRedis(key: string, value: v.Raw): RedisSettings {
    const d = DEFAULTS.redis;
    const o = section(key, value, SECTION_KEYS.redis);
    const resources = parseResources(key, o, d);
    const limit = parseQuantity(resources.memoryLimit)!;
    const maxmemory =
        o.maxmemory === undefined ? Math.floor(limit * d.maxmemoryShare) : Math.floor(parseQuantity(v.quantity(`${key}.maxmemory`, o.maxmemory))!);
    if (maxmemory >= limit) {
        throw new ConfigError(
            `${key}.maxmemory`,
            o.maxmemory,
            `must be below ${key}.memoryLimit (${resources.memoryLimit}) so Redis evicts keys before the kernel kills it; about 80% of the limit leaves room for overhead`,
        );
    }
    return {
        image: field(o, "image", d.image, x => v.imageRef(`${key}.image`, x)),
        passwordVersion: field(o, "passwordVersion", 1, x => v.integer(`${key}.passwordVersion`, x, 1)),
        maxmemory,
        maxmemoryPolicy: field(o, "maxmemoryPolicy", d.maxmemoryPolicy, x => v.oneOf(`${key}.maxmemoryPolicy`, x, MAXMEMORY_POLICIES)),
        ...resources,
    };
}

function deepFreeze<T>(value: T): T {
    if (value && typeof value === "object" && !pulumi.Output.isInstance(value)) {
        for (const child of Object.values(value)) deepFreeze(child);
        Object.freeze(value);
    }
    return value;
}
