import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { firstIngressAddress } from "../cluster/contract";
import { DEFAULTS } from "../config";
import { containerSecurity, labels, meta, PASSWORD_VERSION_ANNOTATION, podSecurity, resolveSizes, resources, ResourceSizes, selector } from "./common";

/** Where the app finds Postgres. Host and port are plain values so the app never waits for the database. */
export interface DatabaseEndpoint {
    /** Changes when the password is rotated; the app restarts to read the new one. @default 1 */
    passwordVersion?: number;
    /** Service name in the namespace. */
    host: string;
    port: number;
    user: string;
    database: string;
    /** Secret. */
    password: pulumi.Input<string>;
}

/** Where the app finds Redis; plain host and port, like DatabaseEndpoint. */
export interface RedisEndpoint {
    /** @default 1 */
    passwordVersion?: number;
    host: string;
    port: number;
    /** Secret. */
    password: pulumi.Input<string>;
}

/**
 * App arguments. The inherited `cpu`, `memory`, `cpuLimit` and `memoryLimit` default to
 * "100m", "128Mi", "1" and "256Mi".
 */
export interface AppArgs extends Partial<ResourceSizes> {
    /** Kubernetes provider of the target cluster. */
    provider: k8s.Provider;
    /** Namespace (the Namespace resource's output, so deletes are ordered). */
    namespace: pulumi.Input<string>;
    /** Plain namespace name, for the in-cluster URL. */
    namespaceName: string;
    /** Image reference to run, pinned by tag or digest. */
    image: pulumi.Input<string>;
    /** Replicas; the HPA's minimum when `autoscaling` is set. @default 2 */
    replicas?: number;
    /** Port the app listens on (passed as PORT). @default 8080 */
    port?: number;
    /** Liveness and startup probe path. @default "/health" */
    healthPath?: string;
    /** Readiness probe path. @default "/ready" */
    readyPath?: string;
    /** Service type. @default "LoadBalancer" */
    serviceType?: "LoadBalancer" | "ClusterIP";
    /** Service port. @default 80 */
    servicePort?: number;
    /** Annotations for a LoadBalancer Service, from the cluster contract. @default {} */
    serviceAnnotations?: Record<string, string>;
    /**
     * Reads the external address of the LoadBalancer Service, from the cluster contract.
     * @default the first ingress IP, else hostname, of the Service status
     */
    loadBalancerAddress?: (service: k8s.core.v1.Service) => pulumi.Output<string>;
    /** Ingress in front of the Service. @default undefined (no Ingress) */
    ingress?: { host: string; className?: string; tlsSecretName?: string };
    /**
     * HorizontalPodAutoscaler on CPU.
     * @default undefined (fixed replicas; the `kubeship:app.autoscaling` config turns it on by default)
     */
    autoscaling?: { maxReplicas: number; targetCPUUtilization: number };
    /** Postgres endpoint, written into DATABASE_URL. */
    database: DatabaseEndpoint;
    /** Redis endpoint, written into REDIS_URL. */
    redis: RedisEndpoint;
}

const UID = 10001; // a high, non-root UID: kube-score and Checkov want > 10000
const SECRET_NAME = "app-env";

/** Builds a credentials URL with every user-supplied part percent-encoded. */
export function connectionUrl(scheme: string, user: string, password: string, host: string, port: number, path: string): string {
    return `${scheme}://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${encodeURIComponent(path)}`;
}

/**
 * The app: Deployment with its own ServiceAccount, env from a Secret (DATABASE_URL, REDIS_URL), a Service,
 * an optional Ingress, a PodDisruptionBudget and an optional HorizontalPodAutoscaler.
 */
export class App extends pulumi.ComponentResource {
    readonly deployment: k8s.apps.v1.Deployment;
    readonly service: k8s.core.v1.Service;
    readonly secret: k8s.core.v1.Secret;
    readonly selector = selector("app");
    /** Container port the app listens on. */
    readonly port: number;
    /** Where users reach the app: the Ingress host, the load balancer, or the in-cluster address. */
    readonly url: pulumi.Output<string>;

    constructor(name: string, args: AppArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:workloads:App", name, {}, opts);
        const d = DEFAULTS.app;
        const replicas = args.replicas ?? d.replicas;
        const port = args.port ?? d.port;
        this.port = port;
        const healthPath = args.healthPath ?? d.healthPath;
        const readyPath = args.readyPath ?? d.readyPath;
        const serviceType = args.serviceType ?? d.serviceType;
        const servicePort = args.servicePort ?? d.servicePort;
        const serviceAnnotations = args.serviceAnnotations ?? {};
        const loadBalancerAddress = args.loadBalancerAddress ?? firstIngressAddress;
        const sizes = resolveSizes(args, d);
        const child = { parent: this, provider: args.provider };
        const ns = args.namespace;
        const db = args.database;
        const redis = args.redis;

        this.secret = new k8s.core.v1.Secret(
            `${name}-env`,
            {
                metadata: meta(SECRET_NAME, ns, "app"),
                type: "Opaque",
                stringData: {
                    DATABASE_URL: pulumi.secret(
                        pulumi.output(db.password).apply(pw => connectionUrl("postgresql", db.user, pw, db.host, db.port, db.database)),
                    ),
                    REDIS_URL: pulumi.secret(pulumi.output(redis.password).apply(pw => connectionUrl("redis", "", pw, redis.host, redis.port, "0"))),
                },
            },
            child,
        );

        const account = new k8s.core.v1.ServiceAccount(
            `${name}-serviceaccount`,
            {
                metadata: meta("app", ns, "app"),
                automountServiceAccountToken: false,
            },
            child,
        );

        const spread = (topologyKey: string) => ({
            maxSkew: 1,
            topologyKey,
            whenUnsatisfiable: "ScheduleAnyway",
            labelSelector: { matchLabels: this.selector },
        });
        this.deployment = new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
                metadata: meta("app", ns, "app"),
                spec: {
                    replicas,
                    revisionHistoryLimit: 5,
                    minReadySeconds: 5,
                    selector: { matchLabels: this.selector },
                    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                    template: {
                        // envFrom is read at start: a rotated password rolls the app.
                        metadata: {
                            labels: labels("app"),
                            annotations: { [PASSWORD_VERSION_ANNOTATION]: `postgres-${db.passwordVersion ?? 1}.redis-${redis.passwordVersion ?? 1}` },
                        },
                        spec: {
                            serviceAccountName: account.metadata.name,
                            automountServiceAccountToken: false,
                            securityContext: podSecurity(UID),
                            terminationGracePeriodSeconds: 30,
                            topologySpreadConstraints: [spread("topology.kubernetes.io/zone"), spread("kubernetes.io/hostname")],
                            containers: [
                                {
                                    name: "app",
                                    image: args.image,
                                    ports: [{ name: "http", containerPort: port, protocol: "TCP" }],
                                    env: [{ name: "PORT", value: String(port) }],
                                    envFrom: [{ secretRef: { name: this.secret.metadata.name } }],
                                    resources: resources(sizes),
                                    securityContext: containerSecurity(UID),
                                    startupProbe: { httpGet: { path: healthPath, port: "http" }, periodSeconds: 2, failureThreshold: 60, timeoutSeconds: 2 },
                                    livenessProbe: { httpGet: { path: healthPath, port: "http" }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
                                    readinessProbe: { httpGet: { path: readyPath, port: "http" }, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 2 },
                                    // Keep serving while load balancers drop the pod from their endpoints.
                                    lifecycle: { preStop: { sleep: { seconds: 5 } } },
                                    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                                },
                            ],
                            volumes: [{ name: "tmp", emptyDir: {} }],
                        },
                    },
                },
            },
            { ...child, ignoreChanges: args.autoscaling ? ["spec.replicas"] : [] },
        );

        this.service = new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: {
                    ...meta("app", ns, "app"),
                    annotations: serviceType === "LoadBalancer" ? serviceAnnotations : {},
                },
                spec: {
                    type: serviceType,
                    selector: this.selector,
                    ports: [{ name: "http", port: servicePort, targetPort: "http", protocol: "TCP" }],
                },
            },
            child,
        );

        if (args.ingress) {
            const ing = args.ingress;
            new k8s.networking.v1.Ingress(
                `${name}-ingress`,
                {
                    metadata: meta("app", ns, "app"),
                    spec: {
                        ingressClassName: ing.className,
                        tls: ing.tlsSecretName ? [{ hosts: [ing.host], secretName: ing.tlsSecretName }] : undefined,
                        rules: [
                            {
                                host: ing.host,
                                http: {
                                    paths: [
                                        { path: "/", pathType: "Prefix", backend: { service: { name: this.service.metadata.name, port: { name: "http" } } } },
                                    ],
                                },
                            },
                        ],
                    },
                },
                child,
            );
        }

        new k8s.policy.v1.PodDisruptionBudget(
            `${name}-pdb`,
            {
                metadata: meta("app", ns, "app"),
                spec: { maxUnavailable: 1, selector: { matchLabels: this.selector } },
            },
            child,
        );

        if (args.autoscaling) {
            new k8s.autoscaling.v2.HorizontalPodAutoscaler(
                `${name}-hpa`,
                {
                    metadata: meta("app", ns, "app"),
                    spec: {
                        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: this.deployment.metadata.name },
                        minReplicas: replicas,
                        maxReplicas: args.autoscaling.maxReplicas,
                        metrics: [
                            {
                                type: "Resource",
                                resource: { name: "cpu", target: { type: "Utilization", averageUtilization: args.autoscaling.targetCPUUtilization } },
                            },
                        ],
                    },
                },
                child,
            );
        }

        this.url = args.ingress
            ? pulumi.output(`${args.ingress.tlsSecretName ? "https" : "http"}://${args.ingress.host}`)
            : serviceUrl(serviceType, servicePort, args.namespaceName, () => loadBalancerAddress(this.service));
        this.registerOutputs({ url: this.url });
    }
}

/** The Service's URL: the load balancer address, or the in-cluster name for ClusterIP. */
function serviceUrl(type: string, port: number, namespace: string, address: () => pulumi.Output<string>): pulumi.Output<string> {
    const suffix = port === 80 ? "" : `:${port}`;
    if (type === "LoadBalancer") return address().apply(a => `http://${a}${suffix}`);
    return pulumi.output(`http://app.${namespace}.svc.cluster.local${suffix}`);
}
