/**
 * cert-manager, which issues and renews the edge's certificates, from its pinned chart
 * (vendor/cert-manager.yaml): controller, webhook and CA injector in the `cert-manager` namespace,
 * Pod Security "restricted", with HTTP-01 challenges answered through Gateway API routes.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AddonArgs } from "./addon";
import { Manifest, patchContainer, readManifests, registerManifests } from "./manifests";
import { addonNamespace } from "./namespace";

export interface CertManagerArgs extends AddonArgs {
    /** The Gateway API definitions, which the controller must find when it starts. @default none (the cluster's own) */
    gatewayApi?: pulumi.Resource;
}

/** The namespace the chart was rendered for. */
export const CERT_MANAGER_NAMESPACE = "cert-manager";

/**
 * The chart's objects with probes where it has none, which the policies ask of every long-running
 * container: the controller is ready when its health endpoint answers (the chart checks only
 * liveness); the CA injector serves nothing but metrics, so answering there is its sign of life.
 */
export function certManagerObjects(): Manifest[] {
    return readManifests("cert-manager.yaml").map(m => {
        if (m.kind !== "Deployment") return m;
        if (m.metadata.name === "cert-manager")
            return patchContainer(m, "cert-manager-controller", c => {
                c.readinessProbe = c.livenessProbe;
            });
        if (m.metadata.name === "cert-manager-cainjector")
            return patchContainer(m, "cert-manager-cainjector", c => {
                const probe = { httpGet: { path: "/metrics", port: "http-metrics" }, periodSeconds: 10, timeoutSeconds: 5 };
                c.livenessProbe = { ...probe, initialDelaySeconds: 10, failureThreshold: 6 };
                c.readinessProbe = probe;
            });
        return m;
    });
}

export class CertManager extends pulumi.ComponentResource {
    constructor(name: string, args: CertManagerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:platform:CertManager", name, {}, opts);
        const provider = args.cluster.provider;
        // The API server calls the webhook on 10250; the controller reaches the API server, ACME and DNS.
        const namespace = addonNamespace(
            name,
            { provider, name: CERT_MANAGER_NAMESPACE, ingress: [{ pods: { "app.kubernetes.io/component": "webhook" }, ports: [10250] }], egress: true },
            this,
        );
        const dependsOn = [namespace, ...(args.gatewayApi ? [args.gatewayApi] : [])];
        registerManifests(name, certManagerObjects(), { parent: this, provider, dependsOn });
        this.registerOutputs({});
    }
}
