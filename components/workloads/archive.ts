/**
 * What the Postgres pod needs for point-in-time recovery, as plain values the Postgres component merges
 * into its StatefulSet: PostgreSQL's archiving settings and client authentication file, pgbackup's
 * store environment and volumes, the init container that installs pgbackup and, when a restore is
 * configured, the one that restores into PGDATA first. The objects beside the pod are in backup.ts.
 */
import { createHash } from "node:crypto";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BACKUP_SERVICE_ACCOUNT, type BackupStore } from "../cluster/contract";
import { containerSecurity, resources } from "./common";

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
export const CREDENTIALS_SECRET = "postgres-backup-store";
/** The claim of the volume store (kind, local). */
export const VOLUME_CLAIM = "postgres-backup";
export const PGBACKUP_UID = 999; // the postgres image's user, which the pgbackup image runs as too

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
export function storeEnv(store: BackupStore, location: pulumi.Input<string>): pulumi.Input<EnvVar>[] {
    if (store.kind === "volume") return [{ name: "KUBESHIP_BACKUP_URL", value: location }];
    return [
        { name: "KUBESHIP_BACKUP_URL", value: location },
        ...Object.entries(store.env).map(([name, value]) => ({ name, value })),
        ...Object.keys(store.credentials ?? {}).map(name => ({ name, valueFrom: { secretKeyRef: { name: CREDENTIALS_SECRET, key: name } } })),
    ];
}

export function storeVolumes(store: BackupStore): { volumes: Volume[]; volumeMounts: VolumeMount[] } {
    if (store.kind === "object") {
        if (!store.token) return { volumes: [], volumeMounts: [] };
        // A projected token of its own: the ServiceAccount's default token stays unmounted.
        const { audience, path } = store.token;
        const dir = path.slice(0, path.lastIndexOf("/"));
        return {
            volumes: [
                {
                    name: "cloud-identity-token",
                    projected: { sources: [{ serviceAccountToken: { audience, expirationSeconds: 3600, path: path.slice(dir.length + 1) } }] },
                },
            ],
            volumeMounts: [{ name: "cloud-identity-token", mountPath: dir, readOnly: true }],
        };
    }
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
        securityContext: containerSecurity(PGBACKUP_UID),
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
        securityContext: containerSecurity(PGBACKUP_UID),
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
