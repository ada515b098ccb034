/**
 * The EKS layer's backup store: a private S3 bucket (public access blocked, owner-enforced, encrypted
 * with SSE-S3, versioned, TLS only), reached through a free gateway endpoint rather than the NAT
 * gateways. The environment's archiving ServiceAccount gets a role through EKS Pod Identity that can
 * put, get and list objects, never delete them, and the bucket policy refuses its writes unless they
 * are conditional (`If-None-Match`), so it cannot overwrite either. A lifecycle rule expires objects
 * after the retention; with protected data, Object Lock (governance mode) keeps every version that long
 * from anyone without the bypass permission, and the bucket outlives `pulumi destroy`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ArchiveSource, BackupBucketArgs, OBJECT_STORAGE_EGRESS } from "../common";
import { BACKUP_SERVICE_ACCOUNT, dataProtection, ObjectBackupStore } from "../contract";
import { assumeRolePolicy } from "./iam";

/** The EKS Pod Identity agent, on every node, from which the SDK gets the role's credentials. */
export const POD_IDENTITY_EGRESS = { name: "pod-identity-agent", cidr: "169.254.170.23/32", port: 80 } as const;

/** The archiving role's permissions: objects in, objects out, a listing; nothing that deletes. */
export function archiverPolicy(bucketArn: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            { Effect: "Allow", Action: ["s3:PutObject", "s3:GetObject"], Resource: `${bucketArn}/*` },
            { Effect: "Allow", Action: ["s3:ListBucket"], Resource: bucketArn },
        ],
    });
}

/**
 * Read access to a restore's source archive: its objects under the prefix, and listing the bucket (key
 * names only). Listing is not narrowed to the prefix: without ListBucket on a key, S3 answers a missing
 * one with 403 rather than 404, which PostgreSQL's restore_command probes for on every history file.
 */
export function restoreSourcePolicy({ bucket, prefix }: ArchiveSource): string {
    const arn = `arn:aws:s3:::${bucket}`;
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            { Effect: "Allow", Action: ["s3:GetObject"], Resource: `${arn}/${prefix ? `${prefix}/` : ""}*` },
            { Effect: "Allow", Action: ["s3:ListBucket"], Resource: arn },
        ],
    });
}

/** The bucket policy: TLS only, and the archiving role's writes only if the key is new. */
export function bucketPolicy(bucketArn: string, roleArn: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "TlsOnly",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [bucketArn, `${bucketArn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
            {
                Sid: "ArchiverWritesOnlyNewKeys",
                Effect: "Deny",
                Principal: { AWS: roleArn },
                Action: "s3:PutObject",
                Resource: `${bucketArn}/*`,
                // Objects are created by PutObject and CompleteMultipartUpload, which must carry the
                // condition; a multipart upload's parts cannot (AWS: "Enforce conditional writes").
                Condition: { Null: { "s3:if-none-match": "true" }, Bool: { "s3:ObjectCreationOperation": "true" } },
            },
        ],
    });
}

export function backupBucket(
    name: string,
    args: BackupBucketArgs & { region: string; cluster: aws.eks.Cluster; vpcId: pulumi.Input<string>; routeTableIds: pulumi.Input<string>[] },
    opts: pulumi.CustomResourceOptions,
): ObjectBackupStore {
    // The bucket and what configures it outlive destroy together (a kept bucket keeps its versioning, lock, lifecycle and policy).
    const inBucket = { ...opts, ...dataProtection(args.lock) };
    const bucket = new aws.s3.Bucket(`${name}-backups`, { bucketPrefix: "kubeship-backups-", objectLockEnabled: true, forceDestroy: !args.lock }, inBucket);
    const of = { bucket: bucket.id };
    new aws.s3.BucketPublicAccessBlock(
        `${name}-backups-private`,
        { ...of, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
        inBucket,
    );
    new aws.s3.BucketOwnershipControls(`${name}-backups-ownership`, { ...of, rule: { objectOwnership: "BucketOwnerEnforced" } }, inBucket);
    new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-backups-encryption`,
        { ...of, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
        inBucket,
    );
    const versioning = new aws.s3.BucketVersioning(`${name}-backups-versioning`, { ...of, versioningConfiguration: { status: "Enabled" } }, inBucket);
    if (args.lock) {
        new aws.s3.BucketObjectLockConfiguration(
            `${name}-backups-lock`,
            { ...of, rule: { defaultRetention: { mode: "GOVERNANCE", days: args.retentionDays } } },
            { ...inBucket, dependsOn: [versioning] },
        );
    }
    new aws.s3.BucketLifecycleConfiguration(
        `${name}-backups-retention`,
        {
            ...of,
            rules: [
                {
                    id: "retention",
                    status: "Enabled",
                    filter: { prefix: "" },
                    expiration: { days: args.retentionDays },
                    noncurrentVersionExpiration: { noncurrentDays: 1 },
                    abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                },
            ],
        },
        { ...inBucket, dependsOn: [versioning] },
    );

    const role = new aws.iam.Role(`${name}-backups-role`, { assumeRolePolicy: assumeRolePolicy("pods.eks.amazonaws.com") }, opts);
    new aws.iam.RolePolicy(`${name}-backups-access`, { role: role.id, policy: bucket.arn.apply(archiverPolicy) }, opts);
    new aws.s3.BucketPolicy(`${name}-backups-policy`, { ...of, policy: pulumi.all([bucket.arn, role.arn]).apply(([b, r]) => bucketPolicy(b, r)) }, inBucket);
    // A restore reads its source archive with the same role: another stack's bucket in this account (one
    // in another account must also allow the role in its bucket policy), or this one's (a second grant of
    // what the role has, harmless).
    const restoreSource =
        args.restoreFrom && new aws.iam.RolePolicy(`${name}-backups-restore-source`, { role: role.id, policy: restoreSourcePolicy(args.restoreFrom) }, opts);
    const identity = new aws.eks.PodIdentityAssociation(
        `${name}-backups-identity`,
        { clusterName: args.cluster.name, namespace: args.namespace, serviceAccount: BACKUP_SERVICE_ACCOUNT, roleArn: role.arn },
        opts,
    );
    // S3 traffic from the private subnets goes through a gateway endpoint: no NAT processing charges.
    new aws.ec2.VpcEndpoint(
        `${name}-s3-endpoint`,
        { vpcId: args.vpcId, serviceName: `com.amazonaws.${args.region}.s3`, vpcEndpointType: "Gateway", routeTableIds: args.routeTableIds },
        opts,
    );
    return {
        kind: "object",
        url: pulumi.interpolate`s3://${bucket.bucket}/postgres`,
        env: { AWS_REGION: args.region },
        egress: [OBJECT_STORAGE_EGRESS, POD_IDENTITY_EGRESS],
        dependsOn: restoreSource ? [identity, restoreSource] : [identity],
    };
}
