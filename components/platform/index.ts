/**
 * Cluster-wide add-ons: what the workloads' promises need from the cluster itself (metrics for the
 * HorizontalPodAutoscaler, TLS at the edge, node autoscaling). The add-ons themselves arrive with the
 * next issue; this module fixes how they are built, so that each one stays cloud-agnostic:
 *
 * - One component per add-on (`kubeship:platform:<Name>`), its children `{ parent: this }` named
 *   `${name}-<role>`, all on the cluster's Kubernetes provider.
 * - It takes the cluster contract and resolved arguments, never settings and never a cloud: where the
 *   clouds differ (EKS installs metrics-server as a managed add-on, GKE runs its own), the contract says
 *   what the cluster already provides, and the cluster layer that knows the cloud sets it.
 * - Versions are pinned; charts go through `kubernetes.helm.v4.Chart`, so `npm run render` shows and
 *   checks every object; each add-on's namespace states the Pod Security level it needs.
 *
 * The lint rule for this folder and test/layers.spec.ts keep imports to the cluster contract.
 */
import type { ClusterContract } from "../cluster/contract";

/** What every add-on takes: the cluster, through its contract only. */
export interface AddonArgs {
    /** The cluster to install into: its Kubernetes provider (and, as add-ons need them, what the cloud already runs). */
    cluster: Pick<ClusterContract, "provider">;
}
