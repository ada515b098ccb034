import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { clusterIdentifier, kubernetesProvider, localRepository, UnmanagedClusterArgs } from "./common";
import { ClusterContract, firstIngressAddress, RegistryInfo } from "./contract";

export interface LocalClusterArgs extends UnmanagedClusterArgs {
    /**
     * kubeconfig holding exactly the context to deploy to (see `minifyKubeconfig`).
     */
    kubeconfig: string;
    /** Name of the cluster entry in that kubeconfig, reported as the cluster name. */
    clusterName: string;
    /**
     * Registry the cluster can pull from.
     * @default kind's local registry convention, "localhost:5001"
     */
    registry: string;
}

/**
 * An existing cluster from the user's kubeconfig: kind, minikube, Docker Desktop or any other.
 * Creates nothing but the Kubernetes provider.
 */
export class LocalCluster extends pulumi.ComponentResource implements ClusterContract {
    readonly cloud = "local" as const;
    readonly name: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    readonly kubeconfig: pulumi.Output<string>;
    readonly registry: RegistryInfo;
    readonly storageClassName?: string;
    readonly serviceAnnotations: Record<string, string> = {};
    readonly loadBalancerAddress: (service: k8s.core.v1.Service) => pulumi.Output<string> = firstIngressAddress;

    constructor(name: string, args: LocalClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:cluster:Local", name, {}, opts);
        const identifier = args.clusterIdentifier ?? clusterIdentifier({ cloud: this.cloud, stack: pulumi.getStack() });

        this.kubeconfig = pulumi.secret(args.kubeconfig);
        this.name = pulumi.output(args.clusterName);
        this.registry = { server: args.registry, repository: localRepository(args.registry) };
        this.storageClassName = args.storageClassName;
        this.provider = kubernetesProvider(name, { kubeconfig: this.kubeconfig, clusterIdentifier: identifier }, { parent: this });

        this.registerOutputs({ name: this.name, kubeconfig: this.kubeconfig });
    }
}
