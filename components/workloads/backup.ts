/**
 * Point-in-time recovery for the environment's Postgres, with pgbackup (backup/): the server archives
 * every WAL segment through `archive_command` and a CronJob takes base backups over the replication
 * protocol, both into the store the cluster layer provides (BackupStore). This file owns what the
 * Postgres pod needs to archive (`archiveWiring`, plain values) and the objects beside it
 * (`PostgresBackup`): the ServiceAccount the cloud's identity is bound to, the store's keys, its volume
 * on kind and local, and the CronJob.
 */
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BACKUP_SERVICE_ACCOUNT, type BackupStore } from "../cluster/contract";
import { containerSecurity, dataProtection, labels, meta, podSecurity, resources, selector } from "./common";

type Container = k8s.types.input.core.v1.Container;
type EnvVar = k8s.types.input.core.v1.EnvVar;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

/** The replication role base backups connect as: REPLICATION and LOGIN, nothing else. */
export const BACKUP_ROLE = "backup";
/** The key of the backup role's password in the Postgres Secret. */
export const BACKUP_PASSWORD_KEY = "backup-password";
/** Where the init container puts pgbackup in the postgres container. */
export const PGBACKUP_BIN = "/kubeship/bin/pgbackup";
/** The Secret holding the store's access keys, where it has some (Spaces). */
const CREDENTIALS_SECRET = "postgres-backup-store";
/** The claim of the volume store (kind, local). */
const VOLUME_CLAIM = "postgres-backup";
const UID = 999; // the postgres image's user, which the pgbackup image runs as too

/**
 * PostgreSQL's archiving settings, as `postgres` command-line options: archive each WAL segment with
 * pgbackup, and switch segments at least every `rpoSeconds` so a quiet server's last writes are
 * archived too. The integration suite runs a real server with exactly these.
 */
export function archiveSettings(rpoSeconds: number, bin = PGBACKUP_BIN): string[] {
    return ["-c", "archive_mode=on", "-c", `archive_timeout=${rpoSeconds}`, "-c", `archive_command=${bin} wal-push %p %f`];
}

/**
 * The client authentication file when archiving is on: the official image's rules (trusted local
 * socket, passwords over the network), and replication over the network for the backup role alone,
 * which the image's rules do not allow.
 */
export const PG_HBA = [
    "# kubeship: written by components/workloads/backup.ts",
    "local all         all                 trust",
    "local replication all                 trust",
    "host  all         all         all     scram-sha-256",
    `host  replication ${BACKUP_ROLE}      all     scram-sha-256`,
    "",
].join("\n");
/** The ConfigMap with PG_HBA, and where the postgres container mounts it. */
export const HBA_CONFIG_MAP = "postgres-hba";
export const HBA_MOUNT = "/etc/postgres-hba";

/** What the Postgres pod needs to archive: merged into its StatefulSet by the Postgres component. */
export interface ArchiveWiring {
    serviceAccountName: string;
    /** Copies pgbackup into the pod, then restores into the data directory when a restore is configured. */
    initContainers: Container[];
    /** Added to the postgres container's arguments. */
    args: string[];
    /** pgbackup's store, for `archive_command`. */
    env: pulumi.Input<EnvVar>[];
    volumes: Volume[];
    volumeMounts: VolumeMount[];
}

/** Where the volume store is mounted, and its URL. */
const VOLUME_PATH = "/var/lib/kubeship-backup";

/** A point-in-time restore: the archive read, and the time (RFC 3339). */
export interface RestorePoint {
    from: string;
    time: string;
}

/**
 * A restore's name: its target time and a digest of the whole point, so that a new point is a new
 * restore. It names the restored server's archive location and the marker that makes the restore run
 * once per volume.
 */
export function restoreId({ from, time }: RestorePoint): string {
    const at = new Date(time).toISOString().replace(/[-:]|\.\d+/g, "");
    return `restore-${at}-${createHash("sha256").update(`${from}@${time}`).digest("hex").slice(0, 8)}`;
}

/**
 * Where this environment's server archives: the store itself, or after a restore a location of its own
 * in it (`<store>/<restore id>`), empty when the restore starts, as CloudNativePG requires of a
 * recovered cluster: the restored server's new timeline can never meet WAL or history files of the
 * server it replaced, or of the environment it came from.
 */
export function archiveLocation(store: BackupStore, restore?: RestorePoint): pulumi.Output<string> {
    const root = store.kind === "volume" ? pulumi.output(`file://${VOLUME_PATH}`) : pulumi.output(store.url);
    return restore ? pulumi.interpolate`${root}/${restoreId(restore)}` : root;
}

/** Environment for pgbackup: the archive location, the store's settings, its keys from their Secret. */
function storeEnv(store: BackupStore, location: pulumi.Input<string>): pulumi.Input<EnvVar>[] {
    if (store.kind === "volume") return [{ name: "KUBESHIP_BACKUP_URL", value: location }];
    return [
        { name: "KUBESHIP_BACKUP_URL", value: location },
        ...Object.entries(store.env).map(([name, value]) => ({ name, value })),
        ...Object.keys(store.credentials ?? {}).map(name => ({ name, valueFrom: { secretKeyRef: { name: CREDENTIALS_SECRET, key: name } } })),
    ];
}

function storeVolumes(store: BackupStore): { volumes: Volume[]; volumeMounts: VolumeMount[] } {
    if (store.kind !== "volume") return { volumes: [], volumeMounts: [] };
    return {
        volumes: [{ name: "backup-store", persistentVolumeClaim: { claimName: VOLUME_CLAIM } }],
        volumeMounts: [{ name: "backup-store", mountPath: VOLUME_PATH }],
    };
}

export interface ArchiveOptions {
    /** Where the server archives (archiveLocation). */
    location: pulumi.Input<string>;
    /** `archive_timeout`, seconds. */
    rpoSeconds: number;
    /** Restore this point into the data directory before Postgres starts, once per volume. @default none */
    restore?: RestorePoint;
    /** Postgres' data volume, where it is mounted and PGDATA in it: a restore writes there. */
    data: { volume: string; mountPath: string; pgdata: string };
}

/** The pieces of the Postgres pod that archive to `store` with the pgbackup `image` (and restore first, when asked). */
export function archiveWiring(store: BackupStore, image: pulumi.Input<string>, o: ArchiveOptions): ArchiveWiring {
    const bin = { name: "pgbackup-bin", mountPath: PGBACKUP_BIN.slice(0, PGBACKUP_BIN.lastIndexOf("/")) };
    const volumes = storeVolumes(store);
    const env = storeEnv(store, o.location);
    const install: Container = {
        name: "pgbackup-install",
        image,
        args: ["install", PGBACKUP_BIN],
        securityContext: containerSecurity(UID),
        resources: resources({ cpu: "10m", memory: "16Mi", cpuLimit: "100m", memoryLimit: "64Mi" }),
        volumeMounts: [bin],
    };
    // The copy in the pod's volume runs the restore: restore_command names the path it runs from, which
    // is where the postgres container finds pgbackup too. It restores once per volume (a marker beside
    // PGDATA) and moves the data it replaces aside, to PGDATA.before-<restore id>.
    const restore: Container | undefined = o.restore && {
        name: "pgbackup-restore",
        image,
        command: [PGBACKUP_BIN],
        args: ["restore", o.data.pgdata, o.restore.time, restoreId(o.restore)],
        env: [...env, { name: "KUBESHIP_RESTORE_FROM", value: o.restore.from }],
        securityContext: containerSecurity(UID),
        resources: resources({ cpu: "100m", memory: "64Mi", cpuLimit: "1", memoryLimit: "256Mi" }),
        volumeMounts: [{ ...bin, readOnly: true }, { name: o.data.volume, mountPath: o.data.mountPath }, ...volumes.volumeMounts],
    };
    return {
        serviceAccountName: BACKUP_SERVICE_ACCOUNT,
        initContainers: restore ? [install, restore] : [install],
        args: [...archiveSettings(o.rpoSeconds), "-c", `hba_file=${HBA_MOUNT}/pg_hba.conf`],
        env,
        volumes: [{ name: "pgbackup-bin", emptyDir: { sizeLimit: "64Mi" } }, { name: "hba", configMap: { name: HBA_CONFIG_MAP } }, ...volumes.volumes],
        volumeMounts: [{ ...bin, readOnly: true }, { name: "hba", mountPath: HBA_MOUNT, readOnly: true }, ...volumes.volumeMounts],
    };
}

export interface PostgresBackupArgs {
    /** Kubernetes provider of the target cluster. */
    provider: k8s.Provider;
    /** Namespace (the Namespace resource's output). */
    namespace: pulumi.Input<string>;
    /** The cluster layer's store. */
    store: BackupStore;
    /** Where base backups go: the server's archive location (archiveLocation). */
    location: pulumi.Input<string>;
    /** The pgbackup image, digest-pinned. */
    image: pulumi.Input<string>;
    /** Base backups' schedule, five-field cron, UTC. */
    schedule: string;
    /** The Postgres to back up: its Service and port, and the Secret with the backup role's password. */
    postgres: { host: string; port: number; secret: pulumi.Input<string> };
    /** Postgres' pod labels: a Job on a volume store runs beside that pod. */
    postgresSelector: Record<string, string>;
    /** Keep the volume store's claim (and its backups) when the stack is destroyed. */
    protect: boolean;
}

/** The longest a base backup may run, waiting for its WAL to be archived included: a broken archive fails the Job. */
export const BASE_BACKUP_DEADLINE_SECONDS = 6 * 3600;

/**
 * The archiving identity (a ServiceAccount with no API token), the store's keys and volume, the pg_hba
 * ConfigMap, and the base-backup CronJob. A base backup waits until its last WAL segment is archived,
 * so when archiving is broken the Job fails at its deadline: a failed Job is the alert hook.
 */
export class PostgresBackup extends pulumi.ComponentResource {
    /** Pod labels of the base-backup Jobs, for NetworkPolicies. */
    readonly selector = selector("postgres-backup");
    /** Resources the Postgres pod needs before it starts. */
    readonly ready: pulumi.Resource[];
    readonly cronJob: k8s.batch.v1.CronJob;

    constructor(name: string, args: PostgresBackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:workloads:PostgresBackup", name, {}, opts);
        const child = { parent: this, provider: args.provider };
        const { store } = args;

        const account = new k8s.core.v1.ServiceAccount(
            `${name}-account`,
            { metadata: meta(BACKUP_SERVICE_ACCOUNT, args.namespace, "postgres-backup"), automountServiceAccountToken: false },
            child,
        );
        const hba = new k8s.core.v1.ConfigMap(
            `${name}-hba`,
            { metadata: meta(HBA_CONFIG_MAP, args.namespace, "postgres"), data: { "pg_hba.conf": PG_HBA } },
            child,
        );
        this.ready = [account, hba, ...(store.kind === "object" ? store.dependsOn : [])];
        if (store.kind === "object" && store.credentials) {
            const keys = new k8s.core.v1.Secret(
                `${name}-store-keys`,
                { metadata: meta(CREDENTIALS_SECRET, args.namespace, "postgres-backup"), type: "Opaque", stringData: { ...store.credentials } },
                child,
            );
            this.ready.push(keys);
        }
        if (store.kind === "volume") {
            const claim = new k8s.core.v1.PersistentVolumeClaim(
                `${name}-volume`,
                {
                    metadata: meta(VOLUME_CLAIM, args.namespace, "postgres-backup"),
                    spec: { accessModes: ["ReadWriteOnce"], storageClassName: store.storageClassName, resources: { requests: { storage: store.size } } },
                },
                // The claim is bound when Postgres, its first user, is scheduled (WaitForFirstConsumer).
                { ...child, ...dataProtection(args.protect), ignoreChanges: ["spec.volumeName"] },
            );
            this.ready.push(claim);
        }

        const volumes = storeVolumes(store);
        const { host, port } = args.postgres;
        this.cronJob = new k8s.batch.v1.CronJob(
            `${name}-base-backup`,
            {
                metadata: meta("postgres-base-backup", args.namespace, "postgres-backup"),
                spec: {
                    schedule: args.schedule,
                    timeZone: "Etc/UTC",
                    // One at a time; a run missed by more than an hour (the cluster was down) waits for the next.
                    concurrencyPolicy: "Forbid",
                    startingDeadlineSeconds: 3600,
                    successfulJobsHistoryLimit: 3,
                    failedJobsHistoryLimit: 3,
                    jobTemplate: {
                        spec: {
                            backoffLimit: 2,
                            activeDeadlineSeconds: BASE_BACKUP_DEADLINE_SECONDS,
                            template: {
                                metadata: { labels: labels("postgres-backup") },
                                spec: {
                                    serviceAccountName: account.metadata.name,
                                    automountServiceAccountToken: false,
                                    securityContext: podSecurity(UID),
                                    restartPolicy: "Never",
                                    // A volume store is ReadWriteOnce: the Job runs on Postgres' node, where the volume is attached.
                                    affinity:
                                        store.kind === "volume"
                                            ? {
                                                  podAffinity: {
                                                      requiredDuringSchedulingIgnoredDuringExecution: [
                                                          { labelSelector: { matchLabels: args.postgresSelector }, topologyKey: "kubernetes.io/hostname" },
                                                      ],
                                                  },
                                              }
                                            : undefined,
                                    containers: [
                                        {
                                            name: "base-backup",
                                            image: args.image,
                                            // No password in the arguments: libpq's PGPASSWORD, from the Secret.
                                            args: ["backup", `host=${host} port=${port} user=${BACKUP_ROLE}`],
                                            env: [
                                                ...storeEnv(store, args.location),
                                                { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: args.postgres.secret, key: BACKUP_PASSWORD_KEY } } },
                                            ],
                                            resources: resources({ cpu: "100m", memory: "64Mi", cpuLimit: "1", memoryLimit: "256Mi" }),
                                            securityContext: containerSecurity(UID),
                                            // The S3 store spools an object to a temporary file (a single PUT needs its length).
                                            volumeMounts: [...volumes.volumeMounts, { name: "tmp", mountPath: "/tmp" }],
                                        },
                                    ],
                                    volumes: [...volumes.volumes, { name: "tmp", emptyDir: {} }],
                                },
                            },
                        },
                    },
                },
            },
            child,
        );

        this.registerOutputs({ cronJob: this.cronJob.metadata.name });
    }
}
