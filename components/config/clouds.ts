/**
 * The per-cloud facts of the configuration: which clouds there are, and for each managed cloud its
 * region and node-size naming, its default node size, and the provider credential it needs. The parser
 * and the tests read them from here; the cluster layers hold everything else about a cloud.
 */

export const CLOUDS = ["gcp", "aws", "digitalocean", "kind", "local"] as const;
export type Cloud = (typeof CLOUDS)[number];
/** The clouds whose cluster, network and registry kubeship creates and pays for: they need a region. */
export const MANAGED_CLOUDS = ["gcp", "aws", "digitalocean"] as const;
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
    /** Machine type (gcp), instance type (aws) or droplet size (digitalocean). */
    nodeSize: NameFormat & {
        /** The node size when none is configured: the smallest that runs the default workloads with headroom. */
        default: string;
    };
    /**
     * The provider setting the cloud cannot work without, and how to set it. The parser requires it and
     * hands it to the cluster layer as `settings.credential` (a Pulumi secret when `secret`).
     */
    credential?: { key: string; secret: boolean; howToSet: string };
}

const FACTS = {
    gcp: {
        region: { pattern: /^[a-z]+-[a-z]+[0-9]+$/, example: "europe-west1" },
        nodeSize: {
            pattern: /^[a-z][a-z0-9]*-(standard|highmem|highcpu|medium|small|micro|custom|megamem|ultramem|hightcpu)(-[0-9]+)?(-[0-9]+)?$/,
            example: "e2-standard-4",
            default: "e2-standard-2",
        },
        credential: { key: "gcp:project", secret: false, howToSet: "pulumi config set gcp:project <project-id>" },
    },
    aws: {
        region: { pattern: /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$/, example: "eu-west-1" },
        nodeSize: { pattern: /^[a-z][a-z0-9-]*\.(nano|micro|small|medium|large|metal|[0-9]*xlarge)$/, example: "m7i.large", default: "t3.large" },
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

/** Retention periods CloudWatch Logs accepts (EKS control-plane logs). */
export const CLOUDWATCH_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
