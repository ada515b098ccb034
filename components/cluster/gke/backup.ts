/**
 * The GKE layer's backup store: a private regional Cloud Storage bucket (uniform access, public access
 * prevented, encrypted at rest by Google) that the environment's archiving ServiceAccount may write and
 * read through Workload Identity, but not delete from or overwrite (`objectCreator` + `objectViewer`).
 * A lifecycle rule deletes objects after the retention; with protected data a retention policy keeps
 * anyone from deleting them before, and the bucket outlives `pulumi destroy`.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

import { ArchiveSource, BackupBucketArgs, OBJECT_STORAGE_EGRESS, uniqueName } from "../common";
import { BACKUP_SERVICE_ACCOUNT, dataProtection, ObjectBackupStore } from "../contract";

/**
 * Where pods get their Google token (GKE's metadata server, on each node) with Dataplane V2: the
 * metadata address and the server's own port (cloud.google.com/kubernetes-engine/docs/how-to/network-policy).
 */
export const GKE_METADATA_EGRESS = [
    { name: "gke-metadata", cidr: "169.254.169.254/32", port: 80 },
    { name: "gke-metadata-server", cidr: "169.254.169.252/32", port: 988 },
] as const;

/** The Workload Identity principal of a Kubernetes ServiceAccount, for IAM bindings without a Google service account. */
export function workloadPrincipal(projectNumber: pulumi.Input<string>, project: string, namespace: string, serviceAccount: string): pulumi.Output<string> {
    return pulumi.interpolate`principal://iam.googleapis.com/projects/${projectNumber}/locations/global/workloadIdentityPools/${project}.svc.id.goog/subject/ns/${namespace}/sa/${serviceAccount}`;
}

/** IAM condition of the restore's read grant: the source bucket itself (for listing) and its archive's objects. */
export function restoreSourceCondition({ bucket, prefix }: ArchiveSource): string {
    const objects = `projects/_/buckets/${bucket}/objects/${prefix ? `${prefix}/` : ""}`;
    return `resource.name == "projects/_/buckets/${bucket}" || resource.name.startsWith("${objects}")`;
}

export function backupBucket(
    name: string,
    args: BackupBucketArgs & { project: string; region: string; clusterName: string; cluster: gcp.container.Cluster },
    parent: pulumi.Resource,
    opts: pulumi.CustomResourceOptions,
): ObjectBackupStore {
    const day = 24 * 3600;
    const bucket = new gcp.storage.Bucket(
        `${name}-backups`,
        {
            // Bucket names are global: a random suffix keeps a stack's name free of anyone else's.
            name: uniqueName(`${name}-backups-suffix`, `${args.clusterName}-backups`, parent),
            location: args.region,
            uniformBucketLevelAccess: true,
            publicAccessPrevention: "enforced",
            retentionPolicy: args.lock ? { retentionPeriod: String(args.retentionDays * day) } : undefined,
            lifecycleRules: [{ action: { type: "Delete" }, condition: { age: args.retentionDays } }],
            forceDestroy: !args.lock,
        },
        { ...opts, ...dataProtection(args.lock) },
    );
    const projectNumber = gcp.organizations.getProjectOutput({ projectId: args.project }, opts).number;
    const member = workloadPrincipal(projectNumber, args.project, args.namespace, BACKUP_SERVICE_ACCOUNT);
    // The principal's pool, <project>.svc.id.goog, exists once a cluster with Workload Identity does: IAM refuses it before.
    const afterPool = { ...opts, dependsOn: [args.cluster] };
    const grants = ["objectCreator", "objectViewer"].map(
        role => new gcp.storage.BucketIAMMember(`${name}-backups-${role}`, { bucket: bucket.name, role: `roles/storage.${role}`, member }, afterPool),
    );
    // A restore reads its source archive: another stack's bucket, or this one's. The binding's condition
    // limits it to the bucket (listing) and the archive's objects, and makes it a binding of its own,
    // never the unconditional objectViewer above: removing the restore cannot take that grant away.
    const from = args.restoreFrom;
    if (from) {
        grants.push(
            new gcp.storage.BucketIAMMember(
                `${name}-backups-restore-source`,
                {
                    bucket: from.bucket,
                    role: "roles/storage.objectViewer",
                    member,
                    condition: {
                        title: "kubeship-restore-source",
                        description: "Read the archive a kubeship:postgres.restore reads",
                        expression: restoreSourceCondition(from),
                    },
                },
                afterPool,
            ),
        );
    }
    return {
        kind: "object",
        url: pulumi.interpolate`gs://${bucket.name}/postgres`,
        env: {},
        egress: [OBJECT_STORAGE_EGRESS, ...GKE_METADATA_EGRESS],
        dependsOn: grants,
    };
}
