import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { createCluster } from "./cluster";
import { loadSettings, Settings } from "./config";
import { AppImage } from "./image";
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

    const env = new Environment(
        "kubeship",
        {
            provider: cluster.provider,
            namespace: settings.namespace,
            protectData: settings.protectData,
            app: {
                image: imageRef,
                replicas: app.replicas,
                port: app.port,
                healthPath: app.healthPath,
                readyPath: app.readyPath,
                cpu: app.cpu,
                memory: app.memory,
                cpuLimit: app.cpuLimit,
                memoryLimit: app.memoryLimit,
                serviceType: app.serviceType,
                servicePort: app.servicePort,
                serviceAnnotations: cluster.serviceAnnotations,
                loadBalancerAddress: cluster.loadBalancerAddress,
                ingress: app.ingress,
                autoscaling: app.autoscaling,
            },
            postgres: { ...postgres, storageClassName: settings.cluster.storageClass ?? cluster.storageClassName },
            redis,
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
    };
}
