/**
 * Cluster-wide add-ons: what the workloads' promises need from the cluster itself, installed where the
 * cluster lacks it.
 *
 * - One component per add-on (`kubeship:platform:<Name>`), its children `{ parent: this }` named
 *   `${name}-<role>`, all on the cluster's Kubernetes provider.
 * - An add-on takes the cluster contract and resolved arguments, never settings and never a cloud: what
 *   differs per cloud is a field of the contract (`features`), set by the cluster layer that knows it.
 * - Upstream manifests are vendored, pinned and rendered by `npm run addons` (vendor/), and registered
 *   object by object (manifests.ts), so the offline render shows and checks every object.
 *
 * The lint rule for this folder and test/layers.spec.ts keep imports to the cluster contract.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AddonArgs } from "./addon";
import { MetricsServer } from "./metrics-server";

export type { AddonArgs } from "./addon";
export { MetricsServer } from "./metrics-server";

export interface PlatformArgs extends AddonArgs {
    /** The app autoscales on CPU: the HorizontalPodAutoscaler needs the Metrics API. */
    metrics: boolean;
}

/** The add-ons a stack needs that its cluster does not provide. */
export class Platform extends pulumi.ComponentResource {
    constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:platform:Platform", name, {}, opts);
        const { cluster } = args;
        if (args.metrics && !cluster.features.metricsApi) {
            new MetricsServer(`${name}-metrics-server`, { cluster, verifyKubeletCerts: cluster.features.kubeletCertsVerifiable }, { parent: this });
        }
        this.registerOutputs({});
    }
}
