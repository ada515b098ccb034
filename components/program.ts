import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { createCluster } from "./cluster";
import { loadSettings, Settings } from "./config";
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
    const imageRef = pulumi.output(app.image);

    const env = new Environment("kubeship", {
        provider: cluster.provider,
        namespace: settings.namespace,
        protectData: settings.protectData,
        app: {
            image: imageRef,
            replicas: app.replicas,
            port: app.port,
            healthPath: app.healthPath,
            readyPath: app.readyPath,
            cpu: app.cpu, memory: app.memory, cpuLimit: app.cpuLimit, memoryLimit: app.memoryLimit,
            serviceType: app.serviceType,
            servicePort: app.servicePort,
            serviceAnnotations: cluster.serviceAnnotations,
            loadBalancerAddress: cluster.loadBalancerAddress,
            ingress: app.ingress,
            autoscaling: app.autoscaling,
        },
        postgres: { ...postgres, storageClassName: settings.cluster.storageClass ?? cluster.storageClassName },
        redis,
    }, { providers: [randomProvider] });

    return {
        cloud: settings.cloud,
        clusterName: cluster.name,
        kubeconfig: pulumi.secret(cluster.kubeconfig),
        namespace: env.namespace,
        appUrl: env.app.url,
        imageRef,
    };
}
