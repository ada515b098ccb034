import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { containerSecurity, Endpoint, hardenedPod, meta, resources, ResourceSizes, secretHash, selector, templateMeta } from "./common";
import { expose, ExposureArgs } from "./exposure";

/** Where the app finds Postgres: an endpoint, its role and its database. */
export interface DatabaseEndpoint extends Endpoint {
    readonly user: string;
    readonly database: string;
}

/** App arguments, resolved (the config parser applies the defaults), with the container's sizes. */
export interface AppArgs extends ResourceSizes, Omit<ExposureArgs, "namespace" | "selector" | "deployment"> {
    /** Kubernetes provider of the target cluster. */
    provider: k8s.Provider;
    /** Namespace (the Namespace resource's output, so deletes are ordered). */
    namespace: pulumi.Input<string>;
    /** Image reference to run, pinned by tag or digest. */
    image: pulumi.Input<string>;
    /** Port the app listens on (passed as PORT). */
    port: number;
    /** Liveness and startup probe path. */
    healthPath: string;
    /** Postgres endpoint, written into DATABASE_URL. */
    database: DatabaseEndpoint;
    /** Redis endpoint, written into REDIS_URL. */
    redis: Endpoint;
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
        const { port, healthPath, readyPath } = args;
        this.port = port;
        const child = { parent: this, provider: args.provider };
        const ns = args.namespace;
        const db = args.database;
        const redis = args.redis;

        const env = {
            DATABASE_URL: pulumi.secret(pulumi.output(db.password).apply(pw => connectionUrl("postgresql", db.user, pw, db.host, db.port, db.database))),
            REDIS_URL: pulumi.secret(pulumi.output(redis.password).apply(pw => connectionUrl("redis", "", pw, redis.host, redis.port, "0"))),
        };
        this.secret = new k8s.core.v1.Secret(
            `${name}-env`,
            {
                metadata: meta(SECRET_NAME, ns, "app"),
                type: "Opaque",
                stringData: env,
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
                    replicas: args.replicas,
                    revisionHistoryLimit: 5,
                    minReadySeconds: 5,
                    selector: { matchLabels: this.selector },
                    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                    template: {
                        // envFrom is read at start: any change to the Secret (a new password) rolls the app.
                        metadata: templateMeta("app", secretHash(env)),
                        spec: {
                            serviceAccountName: account.metadata.name,
                            ...hardenedPod(UID),
                            terminationGracePeriodSeconds: 30,
                            topologySpreadConstraints: [spread("topology.kubernetes.io/zone"), spread("kubernetes.io/hostname")],
                            containers: [
                                {
                                    name: "app",
                                    image: args.image,
                                    ports: [{ name: "http", containerPort: port, protocol: "TCP" }],
                                    env: [{ name: "PORT", value: String(port) }],
                                    envFrom: [{ secretRef: { name: this.secret.metadata.name } }],
                                    resources: resources(args),
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

        ({ service: this.service, url: this.url } = expose(name, { ...args, namespace: ns, selector: this.selector, deployment: this.deployment }, child));
        this.registerOutputs({ url: this.url });
    }
}
