/**
 * The keys of kubeship's configuration: the plain settings `Pulumi.yaml` declares (a test holds the two
 * together) and the keys of each structured setting (`Pulumi.yaml`'s comment lists them, tested too).
 */
export const PROJECT = "kubeship";

type Plain = { type: "string" | "integer" | "boolean"; description: string; default?: string | number | boolean };

/** The plain (non-object) `kubeship:` settings with their `Pulumi.yaml` declarations. An empty-string default means "not set". */
export const PLAIN_SETTINGS: Record<string, Plain> = {
    cloud: {
        type: "string",
        description:
            "Where the cluster comes from - gcp, aws, digitalocean, kind (a kind cluster and local registry that kubeship creates) or local (an existing cluster from your kubeconfig).",
    },
    region: { type: "string", description: "Cloud region (required for gcp, aws and digitalocean), for example europe-west1, eu-west-1 or ams3.", default: "" },
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
    postgres: ["image", "passwordVersion", "database", "user", "storageSize", "terminationGracePeriodSeconds", ...RESOURCE_KEYS],
    redis: ["image", "passwordVersion", "maxmemory", "maxmemoryPolicy", ...RESOURCE_KEYS],
    cluster: [
        "registry",
        "storageClass",
        "nodeSize",
        "minNodes",
        "maxNodes",
        "kubernetesVersion",
        "releaseChannel",
        "deletionProtection",
        "authorizedNetworks",
        "natGateways",
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
    ingress: ["host", "className", "tlsSecretName"],
    autoscaling: ["enabled", "maxReplicas", "targetCPUUtilization"],
} as const;
