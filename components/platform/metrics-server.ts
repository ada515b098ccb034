/**
 * metrics-server, the Metrics API the HorizontalPodAutoscaler reads, from its pinned release manifest
 * (vendor/metrics-server.yaml): nine objects in kube-system, its pod already Pod Security "restricted".
 */
import * as pulumi from "@pulumi/pulumi";
import type { AddonArgs } from "./addon";
import { Manifest, patchContainer, readManifests, registerManifests } from "./manifests";

export interface MetricsServerArgs extends AddonArgs {
    /**
     * Verify the kubelets' serving certificates. Off where they are self-signed (kind), which
     * metrics-server's README says to answer with `--kubelet-insecure-tls`.
     */
    verifyKubeletCerts: boolean;
}

/**
 * The release's objects with kubeship's changes: a memory limit on the server (the release sets
 * requests only, and a leak would take its node's memory), and `--kubelet-insecure-tls` when the
 * kubelets' certificates cannot be verified.
 */
export function metricsServerObjects(verifyKubeletCerts: boolean): Manifest[] {
    return readManifests("metrics-server.yaml").map(m =>
        m.kind !== "Deployment"
            ? m
            : patchContainer(m, "metrics-server", c => {
                  c.resources = { ...c.resources, limits: { ...c.resources?.limits, memory: "500Mi" } };
                  if (!verifyKubeletCerts) c.args = [...(c.args ?? []), "--kubelet-insecure-tls"];
              }),
    );
}

export class MetricsServer extends pulumi.ComponentResource {
    constructor(name: string, args: MetricsServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:platform:MetricsServer", name, {}, opts);
        registerManifests(name, metricsServerObjects(args.verifyKubeletCerts), { parent: this, provider: args.cluster.provider });
        this.registerOutputs({});
    }
}
