/**
 * The keys of kubeship's configuration: the plain settings `Pulumi.yaml` declares (a test holds the two
 * together) and the keys of each structured setting (`Pulumi.yaml`'s comment lists them, tested too).
 */
import { CLOUD_FACTS, MANAGED_CLOUDS } from "./clouds";

export const PROJECT = "kubeship";

/** "a, b and c". */
function listed(words: readonly string[], conjunction: string): string {
    return words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} ${conjunction} ${words[words.length - 1]}`;
}

type Plain = { type: "string" | "integer" | "boolean"; description: string; default?: string | number | boolean };

/** The plain (non-object) `kubeship:` settings with their `Pulumi.yaml` declarations. An empty-string default means "not set". */
export const PLAIN_SETTINGS: Record<string, Plain> = {
    cloud: {
        type: "string",
        description: `Where the cluster comes from - ${MANAGED_CLOUDS.join(", ")}, kind (a kind cluster and local registry that kubeship creates) or local (an existing cluster from your kubeconfig).`,
    },
    region: {
        type: "string",
        description: `Cloud region (required for ${listed(MANAGED_CLOUDS, "and")}), for example ${listed(
            MANAGED_CLOUDS.map(c => CLOUD_FACTS[c].region.example),
            "or",
        )}.`,
        default: "",
    },
    kubeContext: { type: "string", description: "kubeconfig context for cloud=local; empty uses the current context.", default: "" },
    namespace: { type: "string", description: "Namespace for the environment; empty uses the stack name.", default: "" },
    protectData: {
        type: "boolean",
        description: "Protect Postgres, its password, its Service and the namespace from deletion by Pulumi (protect + retainOnDelete). On in prod.",
        default: false,
    },
};

export const RESOURCE_KEYS = ["cpu", "memory", "cpuLimit", "memoryLimit"] as const;

/** The keys of each structured setting (`kubeship:app`, …) and of its nested maps. */
export const SECTION_KEYS = {
    app: ["image", "build", "replicas", "port", "healthPath", "readyPath", ...RESOURCE_KEYS, "serviceType", "servicePort", "ingress", "autoscaling"],
    postgres: ["image", "passwordVersion", "database", "user", "storageSize", "terminationGracePeriodSeconds", ...RESOURCE_KEYS, "backup", "restore"],
    redis: ["image", "passwordVersion", "maxmemory", "maxmemoryPolicy", ...RESOURCE_KEYS],
    cluster: [
        "registry",
        "storageClass",
        "nodeSize",
        "minNodes",
        "maxNodes",
        "kubernetesVersion",
        "extendedSupport",
        "releaseChannel",
        "deletionProtection",
        "authorizedNetworks",
        "allowApiFromInternet",
        "natGateways",
        "tier",
        "maintenanceDay",
        "maintenanceStartTime",
        "logRetentionDays",
        "awsProfile",
        "assumeRoleArn",
        "registryName",
        "existingRegistry",
    ],
} as const;

/** The keys of the maps nested in `kubeship:app`. */
export const NESTED_KEYS = {
    build: ["context", "dockerfile", "platform", "tag"],
    ingress: ["host"],
    autoscaling: ["enabled", "maxReplicas", "targetCPUUtilization"],
    backup: ["enabled", "rpoSeconds", "schedule", "retentionDays", "image"],
    restore: ["from", "time"],
} as const;
