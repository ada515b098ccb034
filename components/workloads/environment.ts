import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { App, AppArgs } from "./app";
import { Namespace } from "./namespace";
import { NetworkPolicies } from "./network-policies";
import { Postgres, PostgresArgs } from "./postgres";
import { Redis, RedisArgs } from "./redis";

type Own<T> = Omit<T, "provider" | "namespace">;

export interface EnvironmentArgs {
    /** Kubernetes provider of the target cluster (from the cluster contract). */
    provider: k8s.Provider;
    /** Namespace name for this environment. */
    namespace: string;
    /** Protect Postgres data and the namespace from deletion by Pulumi. */
    protectData: boolean;
    /** The app (see AppArgs); its `database` and `redis` endpoints are wired here. */
    app: Omit<Own<AppArgs>, "database" | "redis">;
    /** Postgres (see PostgresArgs); protection follows `protectData`. */
    postgres: Omit<Own<PostgresArgs>, "protect">;
    /** Redis (see RedisArgs). */
    redis: Own<RedisArgs>;
}

/**
 * One environment on one cluster: namespace, network policies, Postgres, Redis and the app, wired by
 * generated secrets. Cloud-agnostic: it only knows the Kubernetes provider it is given.
 */
export class Environment extends pulumi.ComponentResource {
    readonly namespace: pulumi.Output<string>;
    readonly app: App;
    readonly postgres: Postgres;
    readonly redis: Redis;

    constructor(name: string, args: EnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:workloads:Environment", name, {}, opts);
        const protectData = args.protectData;
        const provider = args.provider;

        const namespace = new Namespace(`${name}-namespace`, { provider, name: args.namespace, protect: protectData }, { parent: this });
        this.namespace = namespace.name;
        const ns = namespace.name;

        this.postgres = new Postgres(`${name}-postgres`, { ...args.postgres, provider, namespace: ns, protect: protectData }, { parent: this });
        this.redis = new Redis(`${name}-redis`, { ...args.redis, provider, namespace: ns }, { parent: this });

        // Only plain host names and the generated passwords flow into the app: it is created alongside the
        // databases, not after them.
        this.app = new App(
            `${name}-app`,
            {
                ...args.app,
                provider,
                namespace: ns,
                database: this.postgres,
                redis: this.redis,
            },
            { parent: this },
        );

        new NetworkPolicies(
            `${name}-network`,
            {
                provider,
                namespace: ns,
                publicIngress: { to: this.app.selector, port: this.app.port },
                connections: [
                    { name: "app-postgres", from: this.app.selector, to: this.postgres.selector, port: this.postgres.port },
                    { name: "app-redis", from: this.app.selector, to: this.redis.selector, port: this.redis.port },
                ],
            },
            { parent: this },
        );

        this.registerOutputs({ namespace: this.namespace, appUrl: this.app.url });
    }
}
