/**
 * The per-cloud facts of the configuration: which clouds there are, and for each managed cloud its
 * region and node-size naming, its default node size, and the provider credential it needs. The parser
 * and the tests read them from here; the cluster layers hold everything else about a cloud.
 */

import { DEFAULTS } from "./defaults";

export const CLOUDS = ["gcp", "aws", "azure", "digitalocean", "kind", "local"] as const;
export type Cloud = (typeof CLOUDS)[number];
/** The clouds whose cluster, network and registry kubeship creates and pays for: they need a region. */
export const MANAGED_CLOUDS = ["gcp", "aws", "azure", "digitalocean"] as const;
export type ManagedCloud = (typeof MANAGED_CLOUDS)[number];

export function isManaged(cloud: Cloud): cloud is ManagedCloud {
    return (MANAGED_CLOUDS as readonly string[]).includes(cloud);
}

/** A naming scheme: what a valid name looks like, and one to show in messages. */
export interface NameFormat {
    pattern: RegExp;
    example: string;
}

export interface CloudFacts {
    region: NameFormat;
    /** Machine type (gcp), instance type (aws), VM size (azure) or droplet size (digitalocean). */
    nodeSize: NameFormat & {
        /** The node size when none is configured: the smallest that runs the default workloads with headroom. */
        default: string;
        /** Sizes whose nodes are ARM (arm64): the app image is built for them. Undefined: every size is amd64. */
        arm?: RegExp;
    };
    /**
     * The provider setting the cloud cannot work without, and how to set it. The parser requires it and
     * hands it to the cluster layer as `settings.credential` (a Pulumi secret when `secret`).
     */
    credential?: {
        key: string;
        secret: boolean;
        howToSet: string;
        /** What a valid value looks like, when the cloud fixes it; the example is also the render's stand-in. */
        format?: NameFormat & { what: string };
    };
    /**
     * An optional provider setting the layer passes on to its provider (whose explicit provider does not
     * read the stack's provider config): the parser checks its format and hands it on as `settings.tenant`.
     */
    tenant?: { key: string; format: NameFormat & { what: string } };
    /** `kubeship:cluster` keys this cloud refuses, each with what to do instead. */
    refusedClusterKeys?: Record<string, string>;
}

/** Azure's subscription and tenant ids. */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const FACTS = {
    gcp: {
        region: { pattern: /^[a-z]+-[a-z]+[0-9]+$/, example: "europe-west1" },
        nodeSize: {
            pattern: /^[a-z][a-z0-9]*-(standard|highmem|highcpu|medium|small|micro|custom|megamem|ultramem|hightcpu)(-[0-9]+)?(-[0-9]+)?$/,
            example: "e2-standard-4",
            default: "e2-standard-2",
        },
        credential: { key: "gcp:project", secret: false, howToSet: "pulumi config set gcp:project <project-id>" },
        // A pin on a release channel is not honoured: GKE upgrades along the channel.
        refusedClusterKeys: { kubernetesVersion: "GKE follows kubeship:cluster.releaseChannel; remove it, or choose a channel" },
    },
    aws: {
        region: { pattern: /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$/, example: "eu-west-1" },
        nodeSize: {
            pattern: /^[a-z][a-z0-9-]*\.(nano|micro|small|medium|large|metal|[0-9]*xlarge)$/,
            example: "m7i.large",
            default: "t3.large",
            // Graviton: a "g" after the generation digit (m7g, c7gn, t4g, r8g).
            arm: /^[a-z]+[0-9]+g[a-z-]*\./,
        },
    },
    azure: {
        // Lowercase, no hyphens: westeurope, eastus2, swedencentral (refuses DigitalOcean's ams3 and the
        // hyphenated names of GCP and AWS).
        region: { pattern: /^[a-z]{5,}[0-9]?$/, example: "westeurope" },
        nodeSize: {
            // Standard_<family><vCPUs>[-<constrained vCPUs>]<features>[_<accelerator>][_v<version>]:
            // D2ds_v5, E64-16ds_v5, NC24ads_A100_v4, B2ms (learn.microsoft.com vm-naming-conventions).
            // An "s" among the features (premium storage) is required: Postgres' disks are Premium_ZRS.
            pattern: /^Standard_[A-Z]+[0-9]+(-[0-9]+)?[a-z]*s[a-z]*(_[A-Z][A-Z0-9]*)?(_v[0-9]+)?$/,
            example: "Standard_D4ds_v5",
            // 2 vCPUs and 8 GiB like the other clouds' defaults; "d": a local disk, for an ephemeral OS disk.
            default: "Standard_D2ds_v5",
            // Ampere: a "p" among the feature letters (D2pds_v5, E4ps_v5).
            arm: /^Standard_[A-Z]+[0-9]+(-[0-9]+)?[a-z]*p[a-z]*_/,
        },
        credential: {
            key: "azure-native:subscriptionId",
            secret: false,
            howToSet: "pulumi config set azure-native:subscriptionId <subscription-id>",
            format: { what: "a subscription id", pattern: GUID, example: "00000000-0000-0000-0000-000000000000" },
        },
        // The Entra ID tenant, where the account sees several: else the Azure CLI's or ARM_TENANT_ID's.
        tenant: { key: "azure-native:tenantId", format: { what: "a tenant id", pattern: GUID, example: "00000000-0000-0000-0000-000000000000" } },
    },
    digitalocean: {
        region: { pattern: /^[a-z]{3}[0-9]$/, example: "ams3" },
        nodeSize: { pattern: /^[a-z0-9]+(-[a-z0-9]+)+$/, example: "s-2vcpu-4gb", default: "s-2vcpu-4gb" },
        credential: { key: "digitalocean:token", secret: true, howToSet: "pulumi config set --secret digitalocean:token <token>" },
    },
} as const satisfies Record<ManagedCloud, CloudFacts>;

export const CLOUD_FACTS: Record<ManagedCloud, CloudFacts> = FACTS;

/** `settings.credential` of a cloud: the setting's value (a Pulumi secret when the cloud's facts say so), or nothing. */
export type CredentialOf<C extends ManagedCloud, Secret> = (typeof FACTS)[C] extends { credential: { secret: true } }
    ? { credential: Secret }
    : (typeof FACTS)[C] extends { credential: { secret: false } }
      ? { credential: string }
      : unknown;

/**
 * The platform the app image must be built for: the nodes'. A managed cloud's nodes are named by their
 * size, so their platform is known; kind and local clusters run on the machine that runs `pulumi up`
 * (`hostArch`, Node's `process.arch`), which a remote `local` cluster need not share.
 */
export function nodePlatform(cloud: Cloud | undefined, nodeSize: string, hostArch: string): { platform: string; known: boolean } {
    const platform = (arm: boolean) => (arm ? "linux/arm64" : DEFAULTS.app.build.platform);
    if (cloud !== undefined && isManaged(cloud)) return { platform: platform(CLOUD_FACTS[cloud].nodeSize.arm?.test(nodeSize) ?? false), known: true };
    return { platform: platform(hostArch === "arm64"), known: false };
}

/**
 * The scheme of the backup store URL each cloud's layer provides (Cloud Storage, S3 and Spaces, Blob
 * Storage as `azblob://<account>/<container>/<prefix>`, a volume): a restore reads another archive of the same kind. test/backup.spec.ts holds the layers to it.
 */
export const BACKUP_URL_SCHEMES = { gcp: "gs", aws: "s3", azure: "azblob", digitalocean: "s3", kind: "file", local: "file" } as const satisfies Record<
    Cloud,
    string
>;

/** Retention periods CloudWatch Logs accepts (EKS control-plane logs). */
export const CLOUDWATCH_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
