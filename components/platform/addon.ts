import type { ClusterContract } from "../cluster/contract";

/** What every add-on takes: the cluster, through its contract only. */
export interface AddonArgs {
    /** The cluster to install into: its Kubernetes provider, and what it already provides. */
    cluster: Pick<ClusterContract, "provider" | "features">;
}
