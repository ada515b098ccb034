/**
 * The parsers of the structured settings (`kubeship:app`, `:postgres`, `:redis`, `:cluster`). Each
 * reads its map field by field: an unset field takes its default from DEFAULTS, a set one is validated,
 * and every problem is recorded (not thrown) so that the whole config is checked in one go.
 */
import { notReservedRole, parseBackup, parseRestore } from "./backup";
import { CLOUD_FACTS, CLOUDWATCH_RETENTION_DAYS, isManaged, type Cloud } from "./clouds";
import { DEFAULTS, defaultDockerfile } from "./defaults";
import { article, ConfigError, Problems } from "./errors";
import { parseQuantity } from "./quantity";
import { NESTED_KEYS, RESOURCE_KEYS, SECTION_KEYS } from "./schema";
import * as t from "./types";
import * as v from "./validators";

type Map = Record<string, v.Raw>;

/** Reads the fields of one map, recording problems in `problems`. */
export class Section {
    readonly fields: Map;

    constructor(
        readonly key: string,
        value: v.Raw,
        allowed: readonly string[],
        readonly problems: Problems,
    ) {
        this.fields = value === undefined ? {} : problems.check(() => v.object(key, value), {});
        // Every unknown key is a problem of its own (a typo, usually: the message suggests the key meant).
        for (const k of Object.keys(this.fields)) problems.check(() => v.noUnknownKeys(key, { [k]: this.fields[k] }, allowed), undefined);
    }

    /** A field: the default when unset, else the parsed value (the default when it fails to parse). */
    get<T>(name: string, fallback: T, parse: (key: string, value: v.Raw) => T): T {
        const value = this.fields[name];
        return value === undefined ? fallback : this.problems.check(() => parse(`${this.key}.${name}`, value), fallback);
    }

    /** A cross-field check, skipped when one of its fields already has a problem. */
    require(names: string[], check: () => void): void {
        if (!this.problems.about(...names.map(n => `${this.key}.${n}`))) this.problems.check(check, undefined);
    }

    sub(name: string, allowed: readonly string[]): Section {
        return new Section(`${this.key}.${name}`, this.fields[name], allowed, this.problems);
    }
}

function resources(s: Section, d: t.ContainerResources): t.ContainerResources {
    const r = {} as t.ContainerResources;
    for (const k of RESOURCE_KEYS) r[k] = s.get(k, d[k], v.quantity);
    s.require(["cpu", "cpuLimit"], () => v.quantityAtMost(`${s.key}.cpu`, r.cpu, `${s.key}.cpuLimit`, r.cpuLimit));
    s.require(["memory", "memoryLimit"], () => v.quantityAtMost(`${s.key}.memory`, r.memory, `${s.key}.memoryLimit`, r.memoryLimit));
    return r;
}

export function parseCluster(key: string, value: v.Raw, cloud: Cloud | undefined, stack: string, protectData: boolean, problems: Problems): t.ClusterSettings {
    const d = DEFAULTS.cluster;
    const s = new Section(key, value, SECTION_KEYS.cluster, problems);
    const facts = cloud !== undefined && isManaged(cloud) ? CLOUD_FACTS[cloud] : undefined;
    const minNodes = s.get("minNodes", d.minNodes, (k, x) => v.integer(k, x, 1, 1000));
    const maxNodes = s.get("maxNodes", Math.max(d.maxNodes, minNodes), (k, x) => v.integer(k, x, 1, 1000));
    s.require(["minNodes", "maxNodes"], () => v.ordered(`${key}.minNodes`, minNodes, `${key}.maxNodes`, maxNodes));
    const authorizedNetworks = s.get("authorizedNetworks", [] as string[], (k, x) => v.list(k, x, v.cidr));
    if (facts && authorizedNetworks.length === 0 && !problems.about(`${key}.authorizedNetworks`)) {
        problems.found.push(
            new ConfigError(
                `${key}.authorizedNetworks`,
                s.fields.authorizedNetworks,
                `is required for kubeship:cloud "${cloud}": the CIDR blocks allowed to reach the Kubernetes API (your office, VPN or CI egress); ["0.0.0.0/0"] opens it to the whole internet (still authenticated)`,
            ),
        );
    }
    for (const [refused, instead] of Object.entries(facts?.refusedClusterKeys ?? {})) {
        if (s.fields[refused] !== undefined)
            problems.found.push(new ConfigError(`${key}.${refused}`, s.fields[refused], `is not used on ${cloud}: ${instead}`));
    }
    const allowApiFromInternet = s.get("allowApiFromInternet", false, v.boolean);
    const everywhere = authorizedNetworks.filter(block => block.endsWith("/0"));
    if (facts && everywhere.length > 0 && !allowApiFromInternet) {
        problems.found.push(
            new ConfigError(
                `${key}.authorizedNetworks`,
                authorizedNetworks,
                `opens the Kubernetes API to the whole internet (${everywhere.join(", ")}); list your office, VPN or CI egress ranges, or set ${key}.allowApiFromInternet to true to accept it`,
            ),
        );
    }
    const why = 'for kubeship:cloud "kind": the registry container is published on that loopback port, and the kind nodes map the same name to it';
    return {
        registry: s.get("registry", d.registry, (k, x) => (cloud === "kind" ? v.localhostRegistry(k, x, why) : v.requireString(k, x))),
        storageClass: s.get("storageClass", undefined, (k, x) => v.dns1123Subdomain(k, x)),
        nodeSize: s.get("nodeSize", facts?.nodeSize.default ?? "", (k, x) => {
            const size = v.requireString(k, x);
            if (facts && !facts.nodeSize.pattern.test(size))
                throw new ConfigError(k, x, `is not ${article(cloud ?? "")} ${cloud} node size; expected a name such as "${facts.nodeSize.example}"`);
            return size;
        }),
        minNodes,
        maxNodes,
        kubernetesVersion: s.get("kubernetesVersion", undefined, v.kubernetesMinor),
        extendedSupport: s.get("extendedSupport", false, v.boolean),
        releaseChannel: s.get("releaseChannel", d.releaseChannel, (k, x) => v.oneOf(k, x, t.RELEASE_CHANNELS)),
        deletionProtection: s.get("deletionProtection", protectData, v.boolean),
        authorizedNetworks,
        allowApiFromInternet,
        natGateways: s.get("natGateways", d.natGateways, (k, x) => v.oneOf(k, x, t.NAT_GATEWAYS)),
        tier: s.get("tier", d.tier, (k, x) => v.oneOf(k, x, t.CONTROL_PLANE_TIERS)),
        maintenanceDay: s.get("maintenanceDay", d.maintenanceDay, (k, x) => v.oneOf(k, x, t.WEEKDAYS)),
        maintenanceStartTime: s.get("maintenanceStartTime", d.maintenanceStartTime, v.timeOfDay),
        logRetentionDays: s.get("logRetentionDays", d.logRetentionDays, (k, x) =>
            v.oneOfNumbers(k, x, CLOUDWATCH_RETENTION_DAYS, "CloudWatch's retention periods"),
        ),
        awsProfile: s.get("awsProfile", undefined, v.requireString),
        assumeRoleArn: s.get("assumeRoleArn", undefined, v.iamRoleArn),
        registryName: s.get("registryName", `kubeship-${stack}`, v.dns1123Label),
        existingRegistry: s.get("existingRegistry", false, v.boolean),
    };
}

/** @param nodes the platform the cluster's nodes run (see `nodePlatform`): the build's default, and, when known, the only one allowed. */
export function parseApp(key: string, value: v.Raw, problems: Problems, nodes: { platform: string; known: boolean }): t.AppSettings {
    const d = DEFAULTS.app;
    const s = new Section(key, value, SECTION_KEYS.app, problems);
    if (s.fields.image !== undefined && s.fields.build !== undefined) {
        problems.found.push(
            new ConfigError(
                `${key}.build`,
                s.fields.build,
                `cannot be set together with ${key}.image: a prebuilt image is deployed as it is; remove one of them`,
            ),
        );
    }
    const replicas = s.get("replicas", d.replicas, (k, x) => v.integer(k, x, 1));
    return {
        image: s.get("image", undefined, v.imageRef),
        build: parseBuild(s.sub("build", NESTED_KEYS.build), nodes),
        replicas,
        port: s.get("port", d.port, v.port),
        healthPath: s.get("healthPath", d.healthPath, v.httpPath),
        readyPath: s.get("readyPath", d.readyPath, v.httpPath),
        ...resources(s, d),
        serviceType: s.get("serviceType", s.fields.ingress === undefined ? d.serviceType : d.serviceTypeBehindEdge, (k, x) => v.oneOf(k, x, t.SERVICE_TYPES)),
        servicePort: s.get("servicePort", d.servicePort, v.port),
        ingress: s.fields.ingress === undefined ? undefined : parseIngress(s.sub("ingress", NESTED_KEYS.ingress)),
        autoscaling: parseAutoscaling(s.sub("autoscaling", NESTED_KEYS.autoscaling), replicas, `${key}.replicas`),
    };
}

function parseBuild(s: Section, nodes: { platform: string; known: boolean }): t.BuildSettings {
    const d = DEFAULTS.app.build;
    const context = s.get("context", d.context, v.requireString);
    const platform = s.get("platform", nodes.platform, v.ociPlatform);
    if (nodes.known && s.fields.platform !== undefined) {
        s.require(["platform"], () => {
            if (platform !== nodes.platform)
                throw new ConfigError(
                    `${s.key}.platform`,
                    platform,
                    `must be "${nodes.platform}", the platform of the nodes (kubeship:cluster.nodeSize) that run the image; leave it unset to follow them`,
                );
        });
    }
    return {
        context,
        dockerfile: s.get("dockerfile", defaultDockerfile(context), v.requireString),
        platform,
        tag: s.get("tag", d.tag, v.dockerTag),
    };
}

function parseIngress(s: Section): t.IngressSettings {
    return {
        host: s.problems.check(() => v.dns1123Subdomain(`${s.key}.host`, s.fields.host), ""),
    };
}

function parseAutoscaling(s: Section, replicas: number, replicasKey: string): t.AutoscalingSettings | undefined {
    const d = DEFAULTS.app.autoscaling;
    const enabled = s.get("enabled", d.enabled, v.boolean);
    const maxReplicas = s.get("maxReplicas", Math.max(d.maxReplicas, replicas), (k, x) => v.integer(k, x, 1));
    const targetCPUUtilization = s.get("targetCPUUtilization", d.targetCPUUtilization, (k, x) => v.integer(k, x, 1, 100));
    if (!enabled) return undefined;
    if (!s.problems.about(replicasKey)) s.require(["maxReplicas"], () => v.ordered(replicasKey, replicas, `${s.key}.maxReplicas`, maxReplicas));
    return { maxReplicas, targetCPUUtilization };
}

/** @param cloud the stack's cloud: backups are on by default on the managed ones; a restore reads its kind of store. */
export function parsePostgres(key: string, value: v.Raw, problems: Problems, cloud: Cloud | undefined): t.PostgresSettings {
    const d = DEFAULTS.postgres;
    const s = new Section(key, value, SECTION_KEYS.postgres, problems);
    const sizes = resources(s, d);
    const backup = parseBackup(s.sub("backup", NESTED_KEYS.backup), cloud !== undefined && isManaged(cloud));
    const restore = s.fields.restore === undefined ? undefined : parseRestore(s.sub("restore", NESTED_KEYS.restore), cloud);
    s.require(["restore", "backup"], () => {
        if (restore && !backup)
            throw new ConfigError(
                `${key}.restore`,
                s.fields.restore,
                `needs ${key}.backup.enabled: the restore runs with pgbackup and the restored server archives from its first write`,
            );
    });
    return {
        image: s.get("image", d.image, v.imageRef),
        passwordVersion: s.get("passwordVersion", d.passwordVersion, (k, x) => v.integer(k, x, 1)),
        database: s.get("database", d.database, v.postgresIdentifier),
        user: s.get("user", d.user, (k, x) => notReservedRole(k, v.postgresIdentifier(k, x))),
        storageSize: s.get("storageSize", d.storageSize, v.quantity),
        terminationGracePeriodSeconds: s.get("terminationGracePeriodSeconds", d.terminationGracePeriodSeconds, (k, x) => v.integer(k, x, 30, 3600)),
        ...sizes,
        tuning: postgresMemory(parseQuantity(sizes.memoryLimit) ?? 0),
        backup,
        restore,
    };
}

/** Postgres' memory settings from its memory limit in bytes (DEFAULTS.postgres.memoryShares), in MiB. */
export function postgresMemory(limitBytes: number): t.PostgresMemory {
    const shares = DEFAULTS.postgres.memoryShares;
    const mib = (share: number) => Math.floor((limitBytes * share) / 2 ** 20);
    return { sharedBuffersMB: mib(shares.sharedBuffers), effectiveCacheSizeMB: mib(shares.effectiveCacheSize), sharedMemoryMB: mib(shares.sharedMemory) };
}

export function parseRedis(key: string, value: v.Raw, problems: Problems): t.RedisSettings {
    const d = DEFAULTS.redis;
    const s = new Section(key, value, SECTION_KEYS.redis, problems);
    const sizes = resources(s, d);
    const limit = parseQuantity(sizes.memoryLimit)!;
    const maxmemory = s.get("maxmemory", Math.floor(limit * d.maxmemoryShare), (k, x) => Math.floor(parseQuantity(v.quantity(k, x))!));
    s.require(["maxmemory", "memoryLimit"], () => {
        if (maxmemory >= limit) {
            throw new ConfigError(
                `${key}.maxmemory`,
                s.fields.maxmemory,
                `must be below ${key}.memoryLimit (${sizes.memoryLimit}) so Redis evicts keys before the kernel kills it; about 80% of the limit leaves room for overhead`,
            );
        }
    });
    return {
        image: s.get("image", d.image, v.imageRef),
        passwordVersion: s.get("passwordVersion", d.passwordVersion, (k, x) => v.integer(k, x, 1)),
        maxmemory,
        maxmemoryPolicy: s.get("maxmemoryPolicy", d.maxmemoryPolicy, (k, x) => v.oneOf(k, x, t.MAXMEMORY_POLICIES)),
        ...sizes,
    };
}
