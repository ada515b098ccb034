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
 * - Each add-on lives in a namespace of its own, Pod Security "restricted", every connection denied but
 *   what it needs (namespace.ts); metrics-server joins the cluster's own components in kube-system.
 *
 * Today: metrics-server where the cluster has no Metrics API, and HTTPS at the edge (Gateway API
 * definitions and Traefik where the cluster has no Gateway controller, cert-manager, the Edge).
 *
 * The lint rule for this folder and test/layers.spec.ts keep imports to the cluster contract (and the
 * workloads' restricted Namespace).
 */
import * as pulumi from "@pulumi/pulumi";
import type { AddonArgs } from "./addon";
import { CertManager } from "./cert-manager";
import { Edge, GatewayRoute } from "./edge";
import { GatewayApiCrds } from "./gateway-api";
import { MetricsServer } from "./metrics-server";
import { Traefik } from "./traefik";

export type { AddonArgs } from "./addon";
export type { GatewayRoute } from "./edge";
export { MetricsServer } from "./metrics-server";

export interface PlatformArgs extends AddonArgs {
    /** The app autoscales on CPU: the HorizontalPodAutoscaler needs the Metrics API. */
    metrics: boolean;
    /** HTTPS at the edge for the app's host, whose routes come from `routeNamespace`. @default none */
    edge?: { host: string; routeNamespace: string };
}

/** The add-ons a stack needs that its cluster does not provide. */
export class Platform extends pulumi.ComponentResource {
    /** Where the app's routes attach; undefined without `edge`. */
    readonly route?: GatewayRoute;

    constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:platform:Platform", name, {}, opts);
        const { cluster } = args;
        const child = { parent: this };
        if (args.metrics && !cluster.features.metricsApi) {
            new MetricsServer(`${name}-metrics-server`, { cluster, verifyKubeletCerts: cluster.features.kubeletCertsVerifiable }, child);
        }
        if (args.edge) {
            // The cluster's own Gateway implementation (GKE), else the definitions and Traefik; cert-manager
            // needs the definitions when it starts.
            let gateway = cluster.features.gateway;
            let gatewayApi: GatewayApiCrds | undefined;
            const controller: pulumi.Resource[] = [];
            if (!gateway) {
                gatewayApi = new GatewayApiCrds(`${name}-gateway-api`, { cluster }, child);
                const traefik = new Traefik(`${name}-traefik`, { cluster, gatewayApi }, child);
                gateway = traefik.gateway;
                controller.push(gatewayApi, traefik);
            }
            const certManager = new CertManager(`${name}-cert-manager`, { cluster, gatewayApi }, child);
            const edge = new Edge(
                `${name}-edge`,
                {
                    cluster,
                    ...args.edge,
                    gateway,
                    issuer: cluster.features.publicLoadBalancers ? "letsencrypt" : "self-signed",
                    dependsOn: [certManager, ...controller],
                },
                child,
            );
            this.route = edge.route;
        }
        this.registerOutputs({});
    }
}
