/**
 * The DOKS layer's backup store: a private Spaces bucket (S3-compatible; DigitalOcean encrypts Spaces
 * at rest), versioned, with a lifecycle that expires objects after the retention and keeps overwritten
 * or deleted versions as long. The archiver gets a Spaces key scoped to this bucket, in a Kubernetes
 * Secret. Spaces has no Object Lock and its bucket-scoped keys are read-only or read-write: the key can
 * delete, so versioning is what keeps a deleted object recoverable for the retention (README).
 * Managing buckets needs Spaces keys too: the layer makes its own full-access key with the API token
 * for a provider of its own, so a stack needs no keys beyond `digitalocean:token`.
 */
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";

import { BackupBucketArgs, OBJECT_STORAGE_EGRESS, uniqueName } from "../common";
import { dataProtection, ObjectBackupStore } from "../contract";

/** Regions with Spaces: the container registry's list (DOCR stores in Spaces). */
const SPACES_REGIONS = ["nyc3", "sfo2", "sfo3", "ams3", "sgp1", "fra1", "blr1", "syd1"];
/** The nearest Spaces region for the cluster regions without one (lon1's data then leaves the UK: README). */
const NEAREST_SPACES: Record<string, string> = { nyc1: "nyc3", nyc2: "nyc3", tor1: "nyc3", atl1: "nyc3", sfo1: "sfo3", lon1: "ams3" };

/** The Spaces region for a cluster region: the same one where Spaces is, else the nearest. */
export function spacesRegion(clusterRegion: string): string {
    return SPACES_REGIONS.includes(clusterRegion) ? clusterRegion : (NEAREST_SPACES[clusterRegion] ?? clusterRegion);
}

export function backupBucket(
    name: string,
    args: BackupBucketArgs & { region: string; clusterName: string; token: pulumi.Input<string> },
    parent: pulumi.Resource,
    opts: pulumi.CustomResourceOptions,
): ObjectBackupStore {
    const region = spacesRegion(args.region);
    const admin = new digitalocean.SpacesKey(
        `${name}-spaces-admin`,
        { name: `${args.clusterName}-spaces-admin`, grants: [{ bucket: "", permission: "fullaccess" }] },
        opts,
    );
    const spaces = new digitalocean.Provider(
        `${name}-spaces`,
        { token: args.token, spacesAccessId: admin.accessKey, spacesSecretKey: pulumi.secret(admin.secretKey) },
        { parent },
    );
    const bucket = new digitalocean.SpacesBucket(
        `${name}-backups`,
        {
            // Bucket names are global: a random suffix keeps a stack's name free of anyone else's.
            name: uniqueName(`${name}-backups-suffix`, `${args.clusterName}-backups`, parent),
            region,
            acl: "private",
            versioning: { enabled: true },
            lifecycleRules: [
                {
                    id: "retention",
                    enabled: true,
                    expiration: { days: args.retentionDays },
                    noncurrentVersionExpiration: { days: args.retentionDays },
                    abortIncompleteMultipartUploadDays: 1,
                },
            ],
            forceDestroy: !args.lock,
        },
        { parent, provider: spaces, ...dataProtection(args.lock) },
    );
    const key = new digitalocean.SpacesKey(
        `${name}-backups-key`,
        {
            name: `${args.clusterName}-backups`,
            // And read on a restore's source archive, when that is another bucket (another stack's).
            grants: bucket.name.apply(own => [
                { bucket: own, permission: "readwrite" },
                ...(args.restoreFrom && args.restoreFrom.bucket !== own ? [{ bucket: args.restoreFrom.bucket, permission: "read" }] : []),
            ]),
        },
        opts,
    );
    return {
        kind: "object",
        url: pulumi.interpolate`s3://${bucket.name}/postgres`,
        env: {
            AWS_REGION: "us-east-1",
            AWS_ENDPOINT_URL_S3: `https://${region}.digitaloceanspaces.com`,
            // The SDK's default CRC32 checksums on every request are AWS's own; S3-compatible stores are asked only what S3 requires.
            AWS_REQUEST_CHECKSUM_CALCULATION: "when_required",
            AWS_RESPONSE_CHECKSUM_VALIDATION: "when_required",
        },
        credentials: { AWS_ACCESS_KEY_ID: pulumi.secret(key.accessKey), AWS_SECRET_ACCESS_KEY: pulumi.secret(key.secretKey) },
        egress: [OBJECT_STORAGE_EGRESS],
        dependsOn: [key],
    };
}
