import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { containerSecurity, Endpoint, generatedPassword, hardenedPod, meta, resources, ResourceSizes, secretHash, selector, templateMeta } from "./common";

/** Redis arguments, resolved (the config parser applies the defaults), with the container's sizes. */
export interface RedisArgs extends ResourceSizes {
    /** Kubernetes provider of the target cluster. */
    provider: k8s.Provider;
    /** Namespace (the Namespace resource's output, so deletes are ordered). */
    namespace: pulumi.Input<string>;
    /** Redis image; the official Debian-based image (UID 999) is assumed. */
    image: string;
    /** `maxmemory` in bytes, below the memory limit so that Redis evicts before the kernel kills it. */
    maxmemory: number;
    /** `maxmemory-policy`. */
    maxmemoryPolicy: string;
    /** Bump it to rotate the password; Redis restarts with the new one. */
    passwordVersion: number;
}

const UID = 999;
const PORT = 6379;
const AUTH_MOUNT = "/etc/redis-auth";

/**
 * Redis as a cache: one replica, no persistence, a generated password in a Secret-mounted config file
 * (so it never appears in the process arguments), and `maxmemory` below the memory limit.
 */
export class Redis extends pulumi.ComponentResource implements Endpoint {
    /** Service host name inside the namespace (computed: the app must not wait for the Service). */
    readonly host: string;
    readonly port = PORT;
    /** Generated password, secret. */
    readonly password: pulumi.Output<string>;
    readonly selector = selector("redis");
    readonly deployment: k8s.apps.v1.Deployment;

    constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:workloads:Redis", name, {}, opts);
        const child = { parent: this, provider: args.provider };
        this.host = "redis";

        this.password = generatedPassword(`${name}-password`, args.passwordVersion, { parent: this });

        const secretData = {
            password: this.password,
            // The password alphabet has no quote, backslash or space, so double quotes are enough.
            "auth.conf": pulumi.interpolate`requirepass "${this.password}"\n`,
        };
        const secret = new k8s.core.v1.Secret(
            `${name}-secret`,
            {
                metadata: meta("redis", args.namespace, "redis"),
                type: "Opaque",
                stringData: secretData,
            },
            child,
        );

        // An authenticated PING (REDISCLI_AUTH from the Secret) for both probes: a hung server still
        // accepts TCP connections (the kernel does), but answers no command, and the kubelet's timeout
        // fails the probe. No TCP probe from the node, which default-deny policies break on some CNIs.
        const ping = ["sh", "-c", `redis-cli -h 127.0.0.1 -p ${PORT} ping | grep -q PONG`];
        this.deployment = new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
                metadata: meta("redis", args.namespace, "redis"),
                spec: {
                    replicas: 1,
                    selector: { matchLabels: this.selector },
                    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                    template: {
                        metadata: templateMeta("redis", secretHash(secretData)),
                        spec: {
                            ...hardenedPod(UID),
                            containers: [
                                {
                                    name: "redis",
                                    image: args.image,
                                    command: ["redis-server"],
                                    args: [
                                        "--port",
                                        String(PORT),
                                        "--include",
                                        `${AUTH_MOUNT}/auth.conf`,
                                        "--maxmemory",
                                        String(args.maxmemory),
                                        "--maxmemory-policy",
                                        args.maxmemoryPolicy,
                                        "--save",
                                        "",
                                        "--appendonly",
                                        "no",
                                    ],
                                    ports: [{ name: "redis", containerPort: PORT, protocol: "TCP" }],
                                    env: [{ name: "REDISCLI_AUTH", valueFrom: { secretKeyRef: { name: secret.metadata.name, key: "password" } } }],
                                    resources: resources(args),
                                    securityContext: containerSecurity(UID),
                                    readinessProbe: { exec: { command: ping }, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 3 },
                                    livenessProbe: { exec: { command: ping }, periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 3 },
                                    volumeMounts: [
                                        { name: "data", mountPath: "/data" },
                                        { name: "auth", mountPath: AUTH_MOUNT, readOnly: true },
                                    ],
                                },
                            ],
                            volumes: [
                                { name: "data", emptyDir: {} },
                                { name: "auth", secret: { secretName: secret.metadata.name, defaultMode: 0o440 } },
                            ],
                        },
                    },
                },
            },
            child,
        );

        new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: meta(this.host, args.namespace, "redis"),
                spec: {
                    type: "ClusterIP",
                    selector: this.selector,
                    ports: [{ name: "redis", port: PORT, targetPort: "redis", protocol: "TCP" }],
                },
            },
            child,
        );

        this.registerOutputs({ host: this.host, password: this.password });
    }
}
