/**
 * The one table of defaults. The parser applies them, once, to every setting a stack leaves unset; the
 * components take resolved values only. Each default says why it is what it is.
 */
import type { MaxmemoryPolicy, ServiceType } from "./types";

export const DEFAULTS = {
    app: {
        /** Two replicas survive one pod or node going away; the PodDisruptionBudget keeps one. */
        replicas: 2,
        /** The sample app's port, and the convention of most Node.js and Go services. */
        port: 8080,
        healthPath: "/health",
        readyPath: "/ready",
        /** A small service's baseline; the HPA adds replicas rather than bigger pods. */
        cpu: "100m",
        memory: "128Mi",
        /** Room to burst at start-up (TypeScript services JIT-compile); memory capped to catch leaks early. */
        cpuLimit: "1",
        memoryLimit: "256Mi",
        /** Reachable from outside on every cloud without an ingress controller. */
        serviceType: "LoadBalancer" as ServiceType,
        /** With `ingress`, the app is reached through the edge only. */
        serviceTypeBehindEdge: "ClusterIP" as ServiceType,
        servicePort: 80,
        build: {
            /** The sample app is an npm workspace: its image builds from the project root, where the lockfile is. */
            context: ".",
            dockerfile: "app/Dockerfile",
            /**
             * The platform of x86 nodes. The build follows the nodes (`nodePlatform`): ARM instance types,
             * and ARM laptops running kind, get linux/arm64 instead.
             */
            platform: "linux/amd64",
            /** The rolling tag each build pushes and pulls back as cache; deployments use the digest. */
            tag: "kubeship-build",
        },
        /** CPU autoscaling with headroom: up to three times the default replicas, before 70 % saturation. */
        autoscaling: { enabled: true, maxReplicas: 6, targetCPUUtilization: 70 },
    },
    postgres: {
        /** The newest major whose official image keeps PGDATA where the StatefulSet mounts it (18 moved it). */
        image: "postgres:17.6@sha256:00bc86618629af00d2937fdc5a5d63db3ff8450acf52f0636ec813c7f4902929",
        database: "app",
        user: "app",
        /** Enough for a small service; volumes grow in place (see the runbooks). */
        storageSize: "10Gi",
        /** Postgres flushes to disk on SIGTERM; a busy server needs more than Kubernetes' 30 s. */
        terminationGracePeriodSeconds: 120,
        cpu: "250m",
        memory: "512Mi",
        cpuLimit: "1",
        memoryLimit: "1Gi",
        /** The first generated password; bump it to rotate. */
        passwordVersion: 1,
        /**
         * Memory from the limit, by PostgreSQL's guidance for a dedicated server: shared_buffers a
         * quarter; effective_cache_size three quarters (the shared buffers plus the page cache, which
         * the container's limit counts too); a memory-backed /dev/shm of a quarter for the dynamic
         * shared memory of parallel queries (the container runtime's default is 64 MB).
         */
        memoryShares: { sharedBuffers: 0.25, effectiveCacheSize: 0.75, sharedMemory: 0.25 },
        /** Role names the app's role may not take: base backups' replication role (workloads/archive.ts, BACKUP_ROLE; a test holds the two together). */
        reservedRoles: ["backup"] as readonly string[],
        backup: {
            /**
             * Archiving protects the data of the managed clouds' stacks (staging, prod); kind and local
             * clusters are development machines, where it is opt-in.
             */
            enabledOnManagedClouds: true,
            /**
             * At most five minutes of committed writes not yet archived (CloudNativePG's default
             * `archive_timeout`). Each timeout on an idle server archives one 16 MB segment, which
             * compresses to a few kilobytes.
             */
            rpoSeconds: 300,
            /** Nightly, before the maintenance window (03:00 UTC) and outside European working hours. */
            schedule: "30 1 * * *",
            /** Two weeks: a bad migration found after a weekend and a sprint can still be undone. */
            retentionDays: 14,
            /**
             * The rolling tag of the pgbackup image's build, pushed to the app's repository (one registry
             * per cloud, no second repository to create) and, like the app's, never deployed: the digest is.
             */
            buildTag: "pgbackup-build",
        },
    },
    redis: {
        image: "redis:7.4.5@sha256:90e7a336d044f1abc9e9dbc05d65566850896d11453bbd1dd0fb7e5059f0e8fb",
        cpu: "100m",
        memory: "128Mi",
        cpuLimit: "500m",
        memoryLimit: "256Mi",
        /** Share of the memory limit given to `maxmemory` when it is not set: room for Redis' own overhead. */
        maxmemoryShare: 0.8,
        /** Redis is a cache here: evict the least recently used key rather than refuse writes. */
        maxmemoryPolicy: "allkeys-lru" as MaxmemoryPolicy,
        passwordVersion: 1,
    },
    cluster: {
        /** kind's local registry convention. */
        registry: "localhost:5001",
        /** One node per zone across three zones; scaling within the bounds is the cloud's (or Karpenter's). */
        minNodes: 3,
        maxNodes: 6,
        /** GKE's own default channel: tested upgrades, not the newest minor. */
        releaseChannel: "REGULAR" as const,
        /** A NAT gateway per AZ: an AZ outage does not cut the other AZs' egress. */
        natGateways: "perAz" as const,
        /** AKS' Standard tier: the control plane's uptime SLA, which the Free tier lacks. */
        tier: "standard" as const,
        /** The quietest hours of a European week. */
        maintenanceDay: "sunday" as const,
        maintenanceStartTime: "03:00",
        /** Three months of control-plane audit logs. */
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
