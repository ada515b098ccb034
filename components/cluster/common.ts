/** Pieces the cluster layers share. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { WEEKDAYS, type ClusterSettings, type ManagedCloud, type Settings, type SettingsOn, type Weekday } from "../config";
import type { EgressRule, VolumeBackupStore } from "./contract";

/** The app's repository in a registry kubeship does not create (kind's and a local cluster's). */
export function localRepository(server: string): string {
    return `${server}/kubeship-app`;
}

/**
 * The Kubernetes provider a cluster layer hands to the workloads. It is replaced with `cluster` (the
 * engine's `replaceWith`): a cluster created anew is empty, so every object on the provider is created
 * again in it rather than left recorded in a cluster that is gone. It updates Secrets in place
 * (`enableSecretMutable`): by default the provider replaces a changed Secret, and as kubeship's Secrets
 * have fixed names it deletes before it creates, which replaces every workload that reads the Secret
 * too: rotating the Postgres password would recreate the StatefulSet. The pods roll through their
 * template annotations instead. (Found by the end-to-end suite on a real API server.)
 */
export function kubernetesProvider(
    name: string,
    args: { kubeconfig: pulumi.Input<string>; clusterIdentifier: string; cluster?: pulumi.Resource },
    opts: pulumi.CustomResourceOptions,
): k8s.Provider {
    const replaceWith = args.cluster ? [args.cluster] : [];
    return new k8s.Provider(
        `${name}-k8s`,
        { kubeconfig: args.kubeconfig, clusterIdentifier: args.clusterIdentifier, enableSecretMutable: true },
        { ...opts, replaceWith },
    );
}

/** Cluster name used by every cloud: `kubeship-<stack>`. */
export function clusterName(stack: string): string {
    return `kubeship-${stack}`;
}

/** Stable identity for the Kubernetes provider, `<cloud>-<stack>`: changing it replaces every workload. */
export function clusterIdentifier(settings: Pick<Settings, "cloud" | "stack">): string {
    return `${settings.cloud}-${settings.stack}`;
}

/** Arguments the layers for clusters kubeship does not pay for (kind's and an existing one) share. */
export interface UnmanagedClusterArgs {
    /** Stable identity of this cluster for the Kubernetes provider: changing it replaces every resource. */
    clusterIdentifier: string;
    /** StorageClass for Postgres volumes; undefined = the cluster's default StorageClass (kind's is `standard`, local-path). */
    storageClassName?: string;
    /** Size of the volume Postgres' backups go to, in `storageClassName`; undefined = no backups. @default none */
    backupVolumeSize?: string;
}

/** The unmanaged layers' arguments from a stack's settings. Backups get a volume as large as Postgres' own. */
export function unmanagedArgs(settings: SettingsOn<"kind" | "local">): UnmanagedClusterArgs {
    return {
        clusterIdentifier: clusterIdentifier(settings),
        storageClassName: settings.cluster.storageClass,
        backupVolumeSize: settings.postgres.backup && settings.postgres.storageSize,
    };
}

/** An unmanaged layer's backup store: a volume in the environment's namespace, when backups are on. */
export function volumeBackupStore(args: UnmanagedClusterArgs): VolumeBackupStore | undefined {
    return args.backupVolumeSize === undefined ? undefined : { kind: "volume", size: args.backupVolumeSize, storageClassName: args.storageClassName };
}

/** Arguments every managed cluster layer (GKE, EKS, DOKS) takes, resolved by the config parser. */
export interface ManagedClusterArgs {
    /** The cloud's region (`kubeship:region`). */
    region: string;
    /** Cluster name. */
    clusterName: string;
    /** Kubernetes provider identity; change it only for a new cluster. */
    clusterIdentifier: string;
    /** Node machine type, instance type or droplet size. */
    nodeSize: string;
    /** Node pool autoscaling bounds for the whole cluster. */
    minNodes: number;
    maxNodes: number;
    /** CIDR blocks that may reach the Kubernetes API. */
    authorizedNetworks: string[];
    /** The bucket for Postgres' backups; undefined = no backups. @default none */
    backup?: BackupBucketArgs;
}

/** A managed layer's backup bucket, for the environment's archiving ServiceAccount. */
export interface BackupBucketArgs {
    /** The environment's namespace, where BACKUP_SERVICE_ACCOUNT is. */
    namespace: string;
    /** Days objects are kept; the lifecycle deletes them after. */
    retentionDays: number;
    /**
     * Protected data (`protectData`): objects cannot be deleted by anyone before `retentionDays` (GCS
     * retention policy, S3 Object Lock), and `pulumi destroy` keeps the bucket. Otherwise only the
     * archiving identity is write-once, and destroy empties and deletes the bucket.
     */
    lock: boolean;
    /**
     * The archive a restore reads (`kubeship:postgres.restore.from`): another environment's, or this
     * one's. The archiving identity may read it, for as long as the restore is configured. @default none
     */
    restoreFrom?: ArchiveSource;
}

/** An archive in object storage, as a grant names it: its bucket and the key prefix under it. */
export interface ArchiveSource {
    bucket: string;
    /** The keys' prefix, without slashes at either end ("postgres", "postgres/restore-…"). */
    prefix: string;
}

/** The bucket and prefix of an archive URL (gs://bucket/prefix, s3://bucket/prefix), as config validated it. */
export function archiveSource(url: string): ArchiveSource {
    const { host, pathname } = new URL(url);
    return { bucket: host, prefix: pathname.replace(/^\/+|\/+$/g, "") };
}

/** Archiving pods reach object storage over HTTPS on the internet, not the private ranges of the network. */
export const OBJECT_STORAGE_EGRESS: EgressRule = {
    name: "object-storage",
    cidr: "0.0.0.0/0",
    except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
    port: 443,
};

/** The named cluster settings, as a layer's arguments of the same names. */
export function pick<K extends keyof ClusterSettings>(cluster: ClusterSettings, ...keys: K[]): Pick<ClusterSettings, K> {
    return Object.fromEntries(keys.map(k => [k, cluster[k]])) as Pick<ClusterSettings, K>;
}

/** The arguments every managed layer takes, from a stack's settings. */
export function managedArgs(settings: SettingsOn<ManagedCloud>): ManagedClusterArgs {
    const c = settings.cluster;
    return {
        region: settings.region,
        clusterName: clusterName(settings.stack),
        clusterIdentifier: clusterIdentifier(settings),
        nodeSize: c.nodeSize,
        minNodes: c.minNodes,
        maxNodes: c.maxNodes,
        authorizedNetworks: [...c.authorizedNetworks],
        backup: settings.postgres.backup && {
            namespace: settings.namespace,
            retentionDays: settings.postgres.backup.retentionDays,
            lock: settings.protectData,
            restoreFrom: settings.postgres.restore && archiveSource(settings.postgres.restore.from),
        },
    };
}

export interface StorageClassArgs {
    provider: k8s.Provider;
    provisioner: string;
    parameters: Record<string, pulumi.Input<string>>;
    /** Mark it as the cluster's default class (only where the cloud ships none). */
    isDefault: boolean;
    /** Keep volumes when their claim is deleted (on with protectData). */
    retain: boolean;
}

/** The `kubeship` StorageClass for database volumes: bound where the pod lands, expandable. */
export function databaseStorageClass(name: string, args: StorageClassArgs, parent: pulumi.Resource): k8s.storage.v1.StorageClass {
    return new k8s.storage.v1.StorageClass(
        `${name}-storageclass`,
        {
            metadata: {
                name: "kubeship",
                labels: { "app.kubernetes.io/part-of": "kubeship", "app.kubernetes.io/managed-by": "pulumi" },
                annotations: args.isDefault ? { "storageclass.kubernetes.io/is-default-class": "true" } : {},
            },
            provisioner: args.provisioner,
            parameters: args.parameters,
            reclaimPolicy: args.retain ? "Retain" : "Delete",
            volumeBindingMode: "WaitForFirstConsumer",
            allowVolumeExpansion: true,
        },
        { parent, provider: args.provider },
    );
}

/**
 * A weekly window as GKE wants it: RFC 3339 start and end on a date that falls on `day`, plus an RRULE.
 * 12 hours a week keeps GKE's minimum of 48 hours of availability in any 32 days.
 */
export function weeklyWindow(day: Weekday, startTime: string, hours = 12): { startTime: string; endTime: string; recurrence: string } {
    const monday = Date.UTC(2024, 0, 1); // 2024-01-01 was a Monday
    const [h, m] = startTime.split(":").map(Number);
    const start = new Date(monday + WEEKDAYS.indexOf(day) * 86_400_000 + (h * 60 + m) * 60_000);
    const end = new Date(start.getTime() + hours * 3_600_000);
    const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
    return { startTime: iso(start), endTime: iso(end), recurrence: `FREQ=WEEKLY;BYDAY=${day.slice(0, 2).toUpperCase()}` };
}

/**
 * A name unique beyond this stack: `base` and a random suffix of six hex digits, kept in the state. For
 * names that are global (buckets) or cannot be used again once deleted (KMS key rings).
 * @param name the RandomId's resource name
 * @param separator between base and suffix; "" where the cloud allows lowercase letters and digits only
 *   (Azure's storage accounts and registries), and then base is lowercased and loses everything else. @default "-"
 */
export function uniqueName(name: string, base: pulumi.Input<string>, parent: pulumi.Resource, separator = "-"): pulumi.Output<string> {
    const suffix = new random.RandomId(name, { byteLength: 3 }, { parent });
    const stem = pulumi.output(base).apply(b => (separator === "" ? b.toLowerCase().replace(/[^a-z0-9]/g, "") : b));
    return pulumi.interpolate`${stem}${separator}${suffix.hex}`;
}
