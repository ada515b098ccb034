/**
 * The AKS layer's backup store: a private, zone-redundant storage account (HTTPS and TLS 1.2 only, no
 * shared keys, no public blobs, encrypted at rest by Azure) with one container, `postgres`. The
 * environment's archiving ServiceAccount signs in as a managed identity through workload identity (a
 * federated credential for its token) and holds a role that can read and create blobs but not overwrite
 * or delete them. A lifecycle rule deletes blobs after the retention; with protected data an immutability
 * policy keeps anyone from deleting them before, and the account outlives `pulumi destroy`.
 */
import type * as containerservice from "@pulumi/azure-native/containerservice";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import type * as resources from "@pulumi/azure-native/resources";
import * as storage from "@pulumi/azure-native/storage";
import * as pulumi from "@pulumi/pulumi";
import { ArchiveSource, BackupBucketArgs, OBJECT_STORAGE_EGRESS, uniqueName } from "../common";
import { BACKUP_SERVICE_ACCOUNT, dataProtection, ObjectBackupStore } from "../contract";
import { AzurePlace, customRole, grant } from "./identity";

const CONTAINER = "postgres";
const BLOBS = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";
/** Read and create blobs: `add/action` is "create a blob or snapshot, or append data"; `write` (overwrite) and `delete` are not granted. */
export const ARCHIVER_DATA_ACTIONS = [`${BLOBS}/read`, `${BLOBS}/add/action`];
/** A restore's read of its source: blobs only (the built-in Reader also lists containers and issues delegation keys). */
export const RESTORE_READER_DATA_ACTIONS = [`${BLOBS}/read`];

/** Where the pods' projected ServiceAccount token is, and the audience Entra ID expects of it (azure-workload-identity). */
export const WORKLOAD_IDENTITY_TOKEN = { audience: "api://AzureADTokenExchange", path: "/var/run/secrets/azure/tokens/azure-identity-token" } as const;

/**
 * The ABAC condition (version 2.0) of a restore's read grant: reading blobs only in the source account,
 * its container and under its prefix, and listing only with that prefix. From an `azblob://` archive:
 * the bucket is the account and the prefix's first segment the container.
 */
export function restoreSourceCondition({ bucket, prefix }: ArchiveSource): string {
    const [container, ...rest] = prefix.split("/");
    const place = `@Resource[Microsoft.Storage/storageAccounts:name] StringEquals '${bucket}' AND @Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals '${container}'`;
    // An archive at the container's root (azblob://account/postgres) is the whole container.
    const under = (attribute: string) => (rest.length ? ` AND ${attribute} StringStartsWith '${rest.join("/")}/'` : "");
    const read = `(!(ActionMatches{'${BLOBS}/read'} AND NOT SubOperationMatches{'Blob.List'}) OR (${place}${under(`@Resource[${BLOBS}:path]`)}))`;
    const list = `(!(ActionMatches{'${BLOBS}/read'} AND SubOperationMatches{'Blob.List'}) OR (${place}${under(`@Request[${BLOBS}:prefix]`)}))`;
    return `${read} AND ${list}`;
}

export function backupContainer(
    name: string,
    args: BackupBucketArgs &
        Omit<AzurePlace, "resourceGroupName"> & {
            /** The data resource group, which outlives the cluster's (and `destroy`, with protected data). */
            dataGroup: resources.ResourceGroup;
            cluster: containerservice.ManagedCluster;
        },
    parent: pulumi.Resource,
    opts: pulumi.CustomResourceOptions,
): ObjectBackupStore {
    const { region: location, subscriptionId } = args;
    const resourceGroupName = args.dataGroup.name;
    // The account and what holds the backups go with protected data; the rest is replaceable.
    const inAccount = { ...opts, ...dataProtection(args.lock) };
    const account = new storage.StorageAccount(
        `${name}-backups`,
        {
            resourceGroupName,
            location,
            // 3 to 24 lowercase letters and digits, unique across Azure.
            accountName: uniqueName(`${name}-backups-suffix`, args.clusterName.slice(0, 18), parent, ""),
            kind: "StorageV2",
            sku: { name: "Standard_ZRS" },
            allowBlobPublicAccess: false,
            allowSharedKeyAccess: false,
            defaultToOAuthAuthentication: true,
            enableHttpsTrafficOnly: true,
            minimumTlsVersion: "TLS1_2",
        },
        inAccount,
    );
    const accountName = account.name;
    new storage.BlobServiceProperties(
        `${name}-backups-service`,
        {
            resourceGroupName,
            accountName,
            blobServicesName: "default",
            deleteRetentionPolicy: { enabled: true, days: 7 },
            containerDeleteRetentionPolicy: { enabled: true, days: 7 },
        },
        inAccount,
    );
    const container = new storage.BlobContainer(
        `${name}-backups-container`,
        { resourceGroupName, accountName, containerName: CONTAINER, publicAccess: "None" },
        inAccount,
    );
    new storage.ManagementPolicy(
        `${name}-backups-lifecycle`,
        {
            resourceGroupName,
            accountName,
            managementPolicyName: "default",
            policy: {
                rules: [
                    {
                        name: "retention",
                        enabled: true,
                        type: "Lifecycle",
                        definition: {
                            filters: { blobTypes: ["blockBlob"], prefixMatch: [`${CONTAINER}/`] },
                            actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: args.retentionDays } } },
                        },
                    },
                ],
            },
        },
        inAccount,
    );
    if (args.lock)
        new storage.BlobContainerImmutabilityPolicy(
            `${name}-backups-retention`,
            {
                resourceGroupName,
                accountName,
                containerName: container.name,
                immutabilityPolicyName: "default",
                immutabilityPeriodSinceCreationInDays: args.retentionDays,
            },
            inAccount,
        );

    const identity = new managedidentity.UserAssignedIdentity(
        `${name}-backups-identity`,
        { resourceGroupName, location, resourceName: `${args.clusterName}-backups` },
        opts,
    );
    const archiver = customRole(
        `${name}-backups-archiver`,
        {
            subscriptionId,
            scope: args.dataGroup.id,
            roleName: pulumi.interpolate`kubeship archiver ${accountName}`,
            description: "Read and create backup blobs; never overwrite or delete them",
            dataActions: ARCHIVER_DATA_ACTIONS,
        },
        parent,
        opts,
    );
    const asArchiver = { subscriptionId, principalId: identity.principalId, principalType: "ServicePrincipal" } as const;
    const grants: pulumi.Resource[] = [
        grant(`${name}-backups-grant`, { ...asArchiver, scope: container.id, role: archiver.role }, opts),
        new managedidentity.FederatedIdentityCredential(
            `${name}-backups-federation`,
            {
                resourceGroupName,
                resourceName: identity.name,
                federatedIdentityCredentialResourceName: "postgres-backup",
                issuer: args.cluster.oidcIssuerProfile.apply(p => p?.issuerURL ?? ""),
                subject: `system:serviceaccount:${args.namespace}:${BACKUP_SERVICE_ACCOUNT}`,
                audiences: [WORKLOAD_IDENTITY_TOKEN.audience],
            },
            opts,
        ),
    ];
    // A restore reads its source archive, in any account of the subscription (its URL names no resource
    // group): a role that reads blobs and nothing else, granted on its own, narrowed by its condition to
    // that account, container and prefix.
    if (args.restoreFrom) {
        const reader = customRole(
            `${name}-backups-restore-reader`,
            {
                subscriptionId,
                scope: `/subscriptions/${subscriptionId}`,
                roleName: pulumi.interpolate`kubeship restore reader ${accountName}`,
                description: "Read the blobs of the archive a kubeship:postgres.restore reads",
                dataActions: RESTORE_READER_DATA_ACTIONS,
            },
            parent,
            opts,
        );
        const condition = restoreSourceCondition(args.restoreFrom);
        grants.push(grant(`${name}-backups-restore-source`, { ...asArchiver, scope: `/subscriptions/${subscriptionId}`, role: reader.role, condition }, opts));
    }
    return {
        kind: "object",
        url: pulumi.interpolate`azblob://${accountName}/${CONTAINER}`,
        // Entra ID's public authority is pgbackup's default (AZURE_AUTHORITY_HOST elsewhere, as azure-identity reads it).
        env: {
            AZURE_CLIENT_ID: identity.clientId,
            AZURE_TENANT_ID: identity.tenantId,
            AZURE_FEDERATED_TOKEN_FILE: WORKLOAD_IDENTITY_TOKEN.path,
        },
        token: WORKLOAD_IDENTITY_TOKEN,
        // Blob Storage and Entra ID's token endpoint: both public HTTPS.
        egress: [OBJECT_STORAGE_EGRESS],
        dependsOn: grants,
    };
}
