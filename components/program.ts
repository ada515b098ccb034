import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { createCluster } from "./cluster";
import { AppSettings, DEFAULTS, loadSettings, Settings } from "./config";
import { AppImage } from "./image";
import { Platform } from "./platform";
import { Environment } from "./workloads";

/** The stack outputs of kubeship. */
export interface StackOutputs {
    cloud: string;
    clusterName: pulumi.Output<string>;
    /** Secret. */
    kubeconfig: pulumi.Output<string>;
    namespace: pulumi.Output<string>;
    appUrl: pulumi.Output<string>;
    imageRef: pulumi.Output<string>;
    /** Where Postgres archives, when backups are on: what a restore reads (`kubeship:postgres.restore.from`). */
    postgresBackupUrl?: pulumi.Output<string>;
}

/** The app settings the workloads take: everything but how its image is made and where its edge is. */
function workloadSettings({ image: _image, build: _build, ingress: _ingress, ...rest }: AppSettings) {
    return rest;
}

/** The Postgres settings the component takes: all but the backup's, which the environment wires. */
function postgresSettings({ backup: _backup, restore: _restore, ...rest }: Settings["postgres"]) {
    return rest;
}

/** Every cluster layer gives a backup store when the settings ask for backups; one that does not is a bug in it. */
function requireBackupStore<T>(store: T | undefined): T {
    if (store === undefined) throw new Error("kubeship: kubeship:postgres.backup is on, but this cluster layer provides no backup store");
    return store;
}

/**
 * The whole program: validated settings, then the cluster, then the environment on it.
 * Config errors are thrown by `loadSettings` before any resource is registered.
 */
export function kubeship(settings: Settings = loadSettings()): StackOutputs {
    // Default providers are disabled (Pulumi.yaml): every package gets an explicit provider.
    const randomProvider = new random.Provider("random", {});
    const cluster = createCluster(settings, { providers: [randomProvider] });
    const { app, postgres, redis } = settings;
    // A prebuilt image is deployed as configured; otherwise build and push, pinned by digest. The build
    // needs only the registry, so it runs while the cluster is being created.
    const imageRef = app.image !== undefined ? pulumi.output(app.image) : new AppImage("app", { registry: cluster.registry, ...app.build }).ref;

    // What the workloads need from the cluster that it lacks: the Metrics API for an autoscaled app, HTTPS
    // at the edge for its host.
    const platform = new Platform("platform", {
        cluster,
        metrics: app.autoscaling !== undefined,
        edge: app.ingress && { host: app.ingress.host, routeNamespace: settings.namespace },
    });
    const route = app.ingress && platform.route && { host: app.ingress.host, gateway: platform.route };

    // Backups: the cluster layer's store, and pgbackup's image, prebuilt or built from backup/ for the nodes.
    const backup = postgres.backup && {
        store: requireBackupStore(cluster.backup),
        image:
            postgres.backup.image ??
            new AppImage("pgbackup", {
                registry: cluster.registry,
                context: "backup",
                dockerfile: "Dockerfile",
                platform: app.build.platform,
                tag: DEFAULTS.postgres.backup.buildTag,
            }).ref,
        rpoSeconds: postgres.backup.rpoSeconds,
        schedule: postgres.backup.schedule,
        restore: postgres.restore,
    };

    const env = new Environment(
        "kubeship",
        {
            provider: cluster.provider,
            namespace: settings.namespace,
            protectData: settings.protectData,
            // The app's settings, less the ones the image build reads, plus what the cluster decides.
            app: { ...workloadSettings(app), image: imageRef, serviceAnnotations: cluster.serviceAnnotations, route },
            postgres: { ...postgresSettings(postgres), storageClassName: settings.cluster.storageClass ?? cluster.storageClassName },
            redis,
            backup,
        },
        { providers: [randomProvider] },
    );

    return {
        cloud: settings.cloud,
        clusterName: cluster.name,
        kubeconfig: pulumi.secret(cluster.kubeconfig),
        namespace: env.namespace,
        appUrl: env.app.url,
        imageRef,
        postgresBackupUrl: env.backupUrl,
    };
}
