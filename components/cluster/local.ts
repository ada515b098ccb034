import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { SettingsOn } from "../config";
import { kubernetesProvider, localRepository, UnmanagedClusterArgs, unmanagedArgs, volumeBackupStore } from "./common";
import { defaultKubeconfigPath, minifyKubeconfig, readKubeconfigFile } from "./kubeconfig";
import { ClusterContract, ClusterFeatures, RegistryInfo, VolumeBackupStore } from "./contract";

export interface LocalClusterArgs extends UnmanagedClusterArgs {
    /**
     * kubeconfig holding exactly the context to deploy to (see `minifyKubeconfig`).
     */
    kubeconfig: string;
    /** Name of the cluster entry in that kubeconfig, reported as the cluster name. */
    clusterName: string;
    /** Registry the cluster can pull from, as `docker push` and the pods name it. */
    registry: string;
}

/**
 * An existing cluster from the user's kubeconfig: kind, minikube, Docker Desktop or any other.
 * Creates nothing but the Kubernetes provider.
 */
export class LocalCluster extends pulumi.ComponentResource implements ClusterContract {
    readonly name: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    readonly kubeconfig: pulumi.Output<string>;
    readonly registry: RegistryInfo;
    readonly storageClassName?: string;
    readonly backup?: VolumeBackupStore;
    readonly serviceAnnotations: Record<string, string> = {};
    /** Assumed to be like kind (minikube and Docker Desktop are): no metrics-server, self-signed kubelet certificates. */
    readonly features: ClusterFeatures = { metricsApi: false, kubeletCertsVerifiable: false, publicLoadBalancers: false };

    /** The cluster of the stack's kubeconfig context (`$KUBECONFIG`, else `~/.kube/config`), trimmed to that context. */
    static fromSettings(settings: SettingsOn<"local">, opts?: pulumi.ComponentResourceOptions): LocalCluster {
        const file = defaultKubeconfigPath();
        const { kubeconfig, cluster } = minifyKubeconfig(readKubeconfigFile(file), settings.kubeContext, file);
        return new LocalCluster("cluster", { ...unmanagedArgs(settings), kubeconfig, clusterName: cluster, registry: settings.cluster.registry }, opts);
    }

    constructor(name: string, args: LocalClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:cluster:Local", name, {}, opts);

        this.kubeconfig = pulumi.secret(args.kubeconfig);
        this.name = pulumi.output(args.clusterName);
        this.registry = { server: args.registry, repository: localRepository(args.registry) };
        this.storageClassName = args.storageClassName;
        this.backup = volumeBackupStore(args);
        this.provider = kubernetesProvider(name, { kubeconfig: this.kubeconfig, clusterIdentifier: args.clusterIdentifier }, { parent: this });

        this.registerOutputs({ name: this.name, kubeconfig: this.kubeconfig });
    }
}
