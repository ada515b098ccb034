/**
 * Point-in-time recovery for the environment's Postgres, with pgbackup (backup/): the server archives
 * every WAL segment through `archive_command` and a CronJob takes base backups over the replication
 * protocol, both into the store the cluster layer provides (BackupStore). What the Postgres pod itself
 * needs (archiving settings, the install and restore init containers) is archive.ts; this file owns the
 * objects beside it (`PostgresBackup`): the ServiceAccount the cloud's identity is bound to, the store's
 * keys, its volume on kind and local, the pg_hba ConfigMap, the base-backup CronJob and the archive
 * check's.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BACKUP_SERVICE_ACCOUNT, type BackupStore, dataProtection } from "../cluster/contract";
import {
    BACKUP_PASSWORD_KEY,
    BACKUP_ROLE,
    CREDENTIALS_SECRET,
    HBA_CONFIG_MAP,
    PG_HBA,
    PGBACKUP_UID as UID,
    storeEnv,
    storeVolumes,
    VOLUME_CLAIM,
} from "./archive";
import { containerSecurity, labels, meta, podSecurity, resources, selector } from "./common";

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

/** Every five minutes, the archive check: a failed Job when archiving fails, is stuck or is off (`pgbackup check`). */
export const ARCHIVE_CHECK_SCHEDULE = "*/5 * * * *";

/** `pgbackup check` as the archive check runs it: a normal connection as the backup role (pg_stat_archiver is readable by any role). */
export function archiveCheckArgs(host: string, port: number): string[] {
    return ["check", `host=${host} port=${port} user=${BACKUP_ROLE} dbname=postgres`];
}

/** What differs between the CronJobs' pods. */
interface PodParts {
    /** The pods' component label, which NetworkPolicies select. */
    component: string;
    serviceAccountName: pulumi.Input<string>;
    affinity?: k8s.types.input.core.v1.Affinity;
    args: string[];
    env?: pulumi.Input<k8s.types.input.core.v1.EnvVar>[];
    volumeMounts?: k8s.types.input.core.v1.VolumeMount[];
    volumes?: k8s.types.input.core.v1.Volume[];
}

/**
 * The archiving identity (a ServiceAccount with no API token), the store's keys and volume, the pg_hba
 * ConfigMap, the base-backup CronJob and the archive check's. The check fails its Job within minutes
 * when the archiver's latest attempt failed, and after 15 minutes when finished segments wait with
 * neither success nor failure; a base backup waits until its last WAL segment is archived, so it fails
 * at its deadline too when archiving is broken. A failed Job is the alert hook.
 */
export class PostgresBackup extends pulumi.ComponentResource {
    /** Pod labels of the base-backup Jobs, for NetworkPolicies. */
    readonly selector = selector("postgres-backup");
    /** Pod labels of the archive check's Jobs, for NetworkPolicies. */
    readonly checkSelector = selector("postgres-archive-check");
    /** Resources the Postgres pod needs before it starts. */
    readonly ready: pulumi.Resource[];
    readonly cronJob: k8s.batch.v1.CronJob;
    readonly archiveCheck: k8s.batch.v1.CronJob;

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
        const password = { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: args.postgres.secret, key: BACKUP_PASSWORD_KEY } } };
        /** A CronJob of pgbackup as the backup role (its password from the Secret, never an argument), restricted. */
        const cronJob = (role: string, spec: { schedule: string; historyKept: number; backoffLimit: number; deadline: number }, pod: PodParts) =>
            new k8s.batch.v1.CronJob(
                `${name}-${role}`,
                {
                    metadata: meta(`postgres-${role}`, args.namespace, pod.component),
                    spec: {
                        schedule: spec.schedule,
                        timeZone: "Etc/UTC",
                        // One at a time; a run missed by more than an hour (the cluster was down) waits for the next.
                        concurrencyPolicy: "Forbid",
                        startingDeadlineSeconds: 3600,
                        successfulJobsHistoryLimit: spec.historyKept,
                        failedJobsHistoryLimit: 3,
                        jobTemplate: {
                            spec: {
                                backoffLimit: spec.backoffLimit,
                                activeDeadlineSeconds: spec.deadline,
                                template: {
                                    metadata: { labels: labels(pod.component) },
                                    spec: {
                                        serviceAccountName: pod.serviceAccountName,
                                        automountServiceAccountToken: false,
                                        securityContext: podSecurity(UID),
                                        restartPolicy: "Never",
                                        affinity: pod.affinity,
                                        containers: [
                                            {
                                                name: role,
                                                image: args.image,
                                                args: pod.args,
                                                env: [...(pod.env ?? []), password],
                                                resources: resources({ cpu: "100m", memory: "64Mi", cpuLimit: "1", memoryLimit: "256Mi" }),
                                                securityContext: containerSecurity(UID),
                                                volumeMounts: pod.volumeMounts,
                                            },
                                        ],
                                        volumes: pod.volumes,
                                    },
                                },
                            },
                        },
                    },
                },
                child,
            );

        this.cronJob = cronJob(
            "base-backup",
            { schedule: args.schedule, historyKept: 3, backoffLimit: 2, deadline: BASE_BACKUP_DEADLINE_SECONDS },
            {
                component: "postgres-backup",
                serviceAccountName: account.metadata.name,
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
                args: ["backup", `host=${host} port=${port} user=${BACKUP_ROLE}`],
                env: storeEnv(store, args.location),
                // A writable /tmp: the root filesystem is read-only.
                volumeMounts: [...volumes.volumeMounts, { name: "tmp", mountPath: "/tmp" }],
                volumes: [...volumes.volumes, { name: "tmp", emptyDir: {} }],
            },
        );
        // The server's own view of its archiver, often: a store that refuses writes fails this Job within
        // minutes, where the base backup would fail only at its next run's deadline. No store, no identity.
        this.archiveCheck = cronJob(
            "archive-check",
            { schedule: ARCHIVE_CHECK_SCHEDULE, historyKept: 1, backoffLimit: 0, deadline: 120 },
            { component: "postgres-archive-check", serviceAccountName: "default", args: archiveCheckArgs(host, port) },
        );

        this.registerOutputs({ cronJob: this.cronJob.metadata.name, archiveCheck: this.archiveCheck.metadata.name });
    }
}
