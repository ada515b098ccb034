import type * as pulumi from "@pulumi/pulumi";
import type { Cloud, Settings, SettingsOn } from "../config";
import { AksCluster } from "./azure";
import { ClusterContract } from "./contract";
import { DoksCluster } from "./doks";
import { EksCluster } from "./eks";
import { GkeCluster } from "./gke";
import { KindCluster } from "./kind";
import { LocalCluster } from "./local";

export { AksCluster } from "./azure";
export * from "./contract";
export { DoksCluster } from "./doks";
export { EksCluster } from "./eks";
export { GkeCluster } from "./gke";
export { KindCluster } from "./kind";
export { LocalCluster } from "./local";

/** Each cloud's cluster layer, built from a stack's settings. Adding a cloud adds a row. */
const LAYERS: { [C in Cloud]: (settings: SettingsOn<C>, opts?: pulumi.ComponentResourceOptions) => ClusterContract } = {
    gcp: (s, opts) => GkeCluster.fromSettings(s, opts),
    aws: (s, opts) => EksCluster.fromSettings(s, opts),
    azure: (s, opts) => AksCluster.fromSettings(s, opts),
    digitalocean: (s, opts) => DoksCluster.fromSettings(s, opts),
    kind: (s, opts) => KindCluster.fromSettings(s, opts),
    local: (s, opts) => LocalCluster.fromSettings(s, opts),
};

/**
 * The cluster layer: builds the chosen cloud's cluster and returns the contract the workloads use. Only
 * the chosen cloud's resources and provider are created, so the other clouds need no credentials.
 */
export function createCluster(settings: Settings, opts?: pulumi.ComponentResourceOptions): ClusterContract {
    const layer = LAYERS[settings.cloud] as (settings: Settings, opts?: pulumi.ComponentResourceOptions) => ClusterContract;
    return layer(settings, opts);
}
