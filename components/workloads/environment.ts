import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { BackupStore } from "../cluster/contract";
import { App, AppArgs } from "./app";
import { archiveLocation, archiveWiring, type RestorePoint } from "./archive";
import { PostgresBackup } from "./backup";
import { Namespace } from "./namespace";
import { NetworkPolicies } from "./network-policies";
import { Postgres, POSTGRES_ENDPOINT, PostgresArgs } from "./postgres";
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
    /** Postgres' continuous archiving and base backups (see backup.ts). @default none: no backups */
    backup?: {
        /** The cluster layer's store. */
        store: BackupStore;
        /** The pgbackup image, digest-pinned. */
        image: pulumi.Input<string>;
        /** `archive_timeout`, seconds. */
        rpoSeconds: number;
        /** Base backups' cron schedule, UTC. */
        schedule: string;
        /** Restore this point into Postgres first, once per volume (see backup.ts). @default none */
        restore?: RestorePoint;
    };
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
    readonly backup?: PostgresBackup;
    /** Where Postgres archives: the URL a restore of this environment reads (`from`). */
    readonly backupUrl?: pulumi.Output<string>;

    constructor(name: string, args: EnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:workloads:Environment", name, {}, opts);
        const protectData = args.protectData;
        const provider = args.provider;

        const namespace = new Namespace(`${name}-namespace`, { provider, name: args.namespace, protect: protectData }, { parent: this });
        this.namespace = namespace.name;
        const ns = namespace.name;

        // The backup objects take plain names of Postgres' Service and Secret, so both are created at once.
        const backup = args.backup;
        this.backupUrl = backup && archiveLocation(backup.store, backup.restore);
        this.backup =
            backup &&
            new PostgresBackup(
                `${name}-backup`,
                {
                    provider,
                    namespace: ns,
                    store: backup.store,
                    location: this.backupUrl!,
                    image: backup.image,
                    schedule: backup.schedule,
                    postgres: POSTGRES_ENDPOINT,
                    postgresSelector: Postgres.selector,
                    protect: protectData,
                },
                { parent: this },
            );
        const archive = backup &&
            this.backup && {
                wiring: archiveWiring(backup.store, backup.image, {
                    location: this.backupUrl!,
                    rpoSeconds: backup.rpoSeconds,
                    restore: backup.restore,
                    data: Postgres.data,
                }),
                dependsOn: this.backup.ready,
            };
        this.postgres = new Postgres(`${name}-postgres`, { ...args.postgres, provider, namespace: ns, protect: protectData, archive }, { parent: this });
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
                    ...(this.backup
                        ? [
                              { name: "base-backup-postgres", from: this.backup.selector, to: this.postgres.selector, port: this.postgres.port },
                              { name: "archive-check-postgres", from: this.backup.checkSelector, to: this.postgres.selector, port: this.postgres.port },
                          ]
                        : []),
                ],
                external:
                    this.backup && backup?.store.kind === "object"
                        ? [
                              { name: "postgres-archive", from: this.postgres.selector, to: backup.store.egress },
                              { name: "base-backup-store", from: this.backup.selector, to: backup.store.egress },
                          ]
                        : [],
            },
            { parent: this },
        );

        this.registerOutputs({ namespace: this.namespace, appUrl: this.app.url, backupUrl: this.backupUrl });
    }
}
