import type { Settings } from "../config";
import { ConfigError } from "../config/errors";
import { ClusterContract } from "./contract";
import { defaultKubeconfigPath, minifyKubeconfig, readKubeconfigFile } from "./kubeconfig";
import { LocalCluster } from "./local";

export * from "./contract";
export { LocalCluster } from "./local";

/**
 * The cluster layer: builds the chosen cloud's cluster and returns the contract the workloads use.
 * This is the only place that branches on `kubeship:cloud`.
 */
export function createCluster(settings: Settings): ClusterContract {
    switch (settings.cloud) {
        case "local": {
            const file = defaultKubeconfigPath();
            const { kubeconfig, cluster } = minifyKubeconfig(readKubeconfigFile(file), settings.kubeContext, file);
            return new LocalCluster("cluster", {
                kubeconfig,
                clusterName: cluster,
                registry: settings.cluster.registry,
                storageClassName: settings.cluster.storageClass,
            });
        }
        case "gcp":
        case "aws":
        case "digitalocean":
            throw new ConfigError("kubeship:cloud", settings.cloud, 'is valid, but its managed cluster layer is not built yet; only "local" deploys today (render the workloads with `npm run render -- <stack> --cloud local`)');
    }
}
