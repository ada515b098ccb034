import type { ClusterContract } from "../cluster/contract";

/** What every add-on takes: the cluster, through its contract only. */
export interface AddonArgs {
    /** The cluster to install into: its Kubernetes provider, what it already provides, its load balancers' annotations. */
    cluster: Pick<ClusterContract, "provider" | "features" | "serviceAnnotations">;
}
