import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { dataProtection } from "../cluster/contract";
import type { DatabaseEndpoint } from "./app";
import { ArchiveWiring, BACKUP_PASSWORD_KEY } from "./archive";
import { containerSecurity, generatedPassword, hardenedPod, labels, meta, resources, ResourceSizes, selector, templateMeta } from "./common";
import { PASSWORD_SYNC_HEARTBEAT, passwordSyncScript, passwordWatchScript, SECRET_MOUNT, SOCKET_DIR } from "./postgres-hook";

/** Postgres arguments, resolved (the config parser applies the defaults), with the container's sizes. */
export interface PostgresArgs extends ResourceSizes {
    /** Kubernetes provider of the target cluster. */
    provider: k8s.Provider;
    /** Namespace (the Namespace resource's output, so deletes are ordered). */
    namespace: pulumi.Input<string>;
    /**
     * Postgres image; the Debian-based official image (UID 999) is assumed.
     * PostgreSQL 18+ images keep PGDATA elsewhere: this component is written for 17 and below.
     */
    image: string;
    /** Database created on first start. */
    database: string;
    /** Owner role of that database. */
    user: string;
    /** Size of the data volume. */
    storageSize: string;
    /** StorageClass of the data volume; undefined = the cluster's default StorageClass. */
    storageClassName?: pulumi.Input<string>;
    /** Seconds Postgres gets to shut down cleanly (it flushes to disk on SIGINT/SIGTERM). */
    terminationGracePeriodSeconds: number;
    /**
     * Protect the StatefulSet, its Service and Secret from deletion by Pulumi (protect + retainOnDelete).
     * Volumes are always retained when the StatefulSet is deleted.
     */
    protect: boolean;
    /**
     * Bump it to rotate the password: a new one is generated, and the pod's password sync container sets
     * it on the role once the kubelet has refreshed the mounted Secret, without restarting Postgres.
     */
    passwordVersion: number;
    /** Memory settings in MiB, derived from the memory limit by the config: shared_buffers, effective_cache_size, /dev/shm. */
    tuning: { sharedBuffersMB: number; effectiveCacheSizeMB: number; sharedMemoryMB: number };
    /**
     * Continuous archiving (see backup.ts): the pod's pgbackup wiring, and the objects it needs first.
     * A backup role's password is generated with the user's (same `passwordVersion`).
     * @default none: no archiving
     */
    archive?: { wiring: ArchiveWiring; dependsOn: pulumi.Resource[] };
}

const UID = 999; // the postgres user of the official Debian-based image
/** The Service, port and Secret the other objects of the environment reach Postgres by, as plain names. */
export const POSTGRES_ENDPOINT = { host: "postgres", port: 5432, secret: "postgres" } as const;
const PORT = POSTGRES_ENDPOINT.port;
const DATA_MOUNT = "/var/lib/postgresql/data";
// A subdirectory: fresh ext4 volumes hold lost+found and initdb refuses a non-empty directory.
const PGDATA = `${DATA_MOUNT}/pgdata`;
/** The password sync container: a shell loop and a psql every few seconds, or on a rotation. */
const PASSWORD_SYNC_RESOURCES = { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } };

/** Postgres as a single-replica StatefulSet with a volume, a headless Service and a generated password. */
/** The server's memory settings, as `postgres` command-line options. */
export function postgresArgs(tuning: PostgresArgs["tuning"]): string[] {
    return ["-c", `shared_buffers=${tuning.sharedBuffersMB}MB`, "-c", `effective_cache_size=${tuning.effectiveCacheSizeMB}MB`];
}

export class Postgres extends pulumi.ComponentResource implements DatabaseEndpoint {
    /** Service host name inside the namespace (computed, not read from the Service: the app must not wait for it). */
    readonly host: string;
    readonly port = PORT;
    readonly user: string;
    readonly database: string;
    /** Generated password, secret. */
    readonly password: pulumi.Output<string>;
    /** Pod labels, for NetworkPolicies (and, static, for what is created before the component). */
    static readonly selector = selector("postgres");
    /** The data volume of the pod, where it is mounted, and the data directory in it. */
    static readonly data = { volume: "data", mountPath: DATA_MOUNT, pgdata: PGDATA } as const;
    readonly selector = Postgres.selector;
    readonly statefulSet: k8s.apps.v1.StatefulSet;

    constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:workloads:Postgres", name, {}, opts);
        const protect = dataProtection(args.protect);
        const child = { parent: this, provider: args.provider };
        this.host = POSTGRES_ENDPOINT.host;
        this.user = args.user;
        this.database = args.database;

        // Not protected: Postgres sets whatever password the Secret holds at each start (postStart hook)
        // and when it changes (the password sync container).
        this.password = generatedPassword(`${name}-password`, args.passwordVersion, { parent: this });

        const archive = args.archive?.wiring;
        const secretData: Record<string, pulumi.Input<string>> = { username: this.user, password: this.password };
        if (archive) secretData[BACKUP_PASSWORD_KEY] = generatedPassword(`${name}-backup-password`, args.passwordVersion, { parent: this });
        const secret = new k8s.core.v1.Secret(
            `${name}-secret`,
            {
                metadata: meta(POSTGRES_ENDPOINT.secret, args.namespace, "postgres"),
                type: "Opaque",
                stringData: secretData,
            },
            { ...child, ...protect },
        );

        const service = new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: meta(this.host, args.namespace, "postgres"),
                spec: {
                    clusterIP: "None",
                    selector: this.selector,
                    ports: [{ name: "postgres", port: PORT, targetPort: "postgres", protocol: "TCP" }],
                },
            },
            { ...child, ...protect },
        );

        // No Secret hash: a rotated password must not restart Postgres (the sync container sets it).
        const podMeta = templateMeta("postgres", undefined, { "kubectl.kubernetes.io/default-container": "postgres" });
        const passwordScriptArgs = [SOCKET_DIR, `${SECRET_MOUNT}/password`, archive && `${SECRET_MOUNT}/${BACKUP_PASSWORD_KEY}`] as const;
        // Not a subPath: the kubelet refreshes a mounted Secret in place, which the sync container relies on.
        const secretMount = { name: "secret", mountPath: SECRET_MOUNT, readOnly: true };
        const roleEnv = [
            { name: "POSTGRES_USER", value: this.user },
            { name: "POSTGRES_DB", value: this.database },
        ];
        // The sync loop's heartbeat, younger than `minutes`: liveness restarts a loop stuck for a minute.
        // Readiness gates the whole pod, so Postgres itself, out of the Service: it fails only when
        // restarts have not brought the loop back for ten minutes, never before liveness has acted.
        const heartbeatWithin = (minutes: number) => ({
            exec: { command: ["sh", "-c", `[ -n "$(find ${PASSWORD_SYNC_HEARTBEAT} -mmin -${minutes})" ]`] },
            timeoutSeconds: 5,
        });
        const pgIsReady = (host: string) => ({ exec: { command: ["pg_isready", "-U", this.user, "-d", this.database, "-h", host, "-p", String(PORT)] } });
        this.statefulSet = new k8s.apps.v1.StatefulSet(
            `${name}-statefulset`,
            {
                metadata: meta("postgres", args.namespace, "postgres"),
                spec: {
                    serviceName: service.metadata.name,
                    replicas: 1,
                    selector: { matchLabels: this.selector },
                    persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
                    template: {
                        metadata: podMeta,
                        spec: {
                            ...hardenedPod(UID),
                            terminationGracePeriodSeconds: args.terminationGracePeriodSeconds,
                            serviceAccountName: archive?.serviceAccountName,
                            initContainers: archive?.initContainers,
                            containers: [
                                {
                                    name: "postgres",
                                    image: args.image,
                                    ports: [{ name: "postgres", containerPort: PORT, protocol: "TCP" }],
                                    // The image's entrypoint runs `postgres` with arguments that start with "-".
                                    args: [...postgresArgs(args.tuning), ...(archive?.args ?? [])],
                                    env: [
                                        ...roleEnv,
                                        { name: "POSTGRES_PASSWORD_FILE", value: `${SECRET_MOUNT}/password` },
                                        { name: "POSTGRES_INITDB_ARGS", value: "--auth-host=scram-sha-256" },
                                        { name: "PGDATA", value: PGDATA },
                                        ...(archive?.env ?? []),
                                    ],
                                    resources: resources(args),
                                    securityContext: containerSecurity(UID),
                                    startupProbe: { ...pgIsReady("127.0.0.1"), periodSeconds: 5, failureThreshold: 60, timeoutSeconds: 5 },
                                    readinessProbe: { ...pgIsReady("127.0.0.1"), periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 5 },
                                    livenessProbe: { ...pgIsReady("/var/run/postgresql"), periodSeconds: 20, failureThreshold: 6, timeoutSeconds: 5 },
                                    lifecycle: { postStart: { exec: { command: ["sh", "-c", passwordSyncScript(...passwordScriptArgs)] } } },
                                    volumeMounts: [
                                        { name: Postgres.data.volume, mountPath: DATA_MOUNT },
                                        secretMount,
                                        { name: "run", mountPath: SOCKET_DIR },
                                        { name: "tmp", mountPath: "/tmp" },
                                        { name: "shm", mountPath: "/dev/shm" },
                                        ...(archive?.volumeMounts ?? []),
                                    ],
                                },
                                {
                                    name: "password-sync",
                                    image: args.image,
                                    command: ["sh", "-c", passwordWatchScript(...passwordScriptArgs)],
                                    env: roleEnv,
                                    resources: PASSWORD_SYNC_RESOURCES,
                                    securityContext: containerSecurity(UID),
                                    readinessProbe: { ...heartbeatWithin(10), periodSeconds: 5, failureThreshold: 3 },
                                    livenessProbe: { ...heartbeatWithin(1), periodSeconds: 20, failureThreshold: 3 },
                                    volumeMounts: [secretMount, { name: "run", mountPath: SOCKET_DIR }, { name: "password-sync", mountPath: "/tmp" }],
                                },
                            ],
                            volumes: [
                                { name: "secret", secret: { secretName: secret.metadata.name, defaultMode: 0o440 } },
                                { name: "password-sync", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
                                { name: "run", emptyDir: {} },
                                { name: "tmp", emptyDir: {} },
                                // Parallel queries' dynamic shared memory; the runtime's default /dev/shm is 64 MB.
                                { name: "shm", emptyDir: { medium: "Memory", sizeLimit: `${args.tuning.sharedMemoryMB}Mi` } },
                                ...(archive?.volumes ?? []),
                            ],
                        },
                    },
                    volumeClaimTemplates: [
                        {
                            metadata: { name: Postgres.data.volume, labels: labels("postgres") },
                            spec: {
                                accessModes: ["ReadWriteOnce"],
                                storageClassName: args.storageClassName,
                                resources: { requests: { storage: args.storageSize } },
                            },
                        },
                    ],
                },
            },
            { ...child, ...protect, dependsOn: args.archive?.dependsOn },
        );

        this.registerOutputs({ host: this.host, password: this.password, statefulSet: this.statefulSet.metadata.name });
    }
}
