/**
 * Traefik as the Gateway API controller where the cluster has none of its own, from its pinned chart
 * (vendor/traefik.yaml): two replicas and a disruption budget in the `traefik` namespace, Pod Security
 * "restricted", behind the cluster's load balancer (a NodePort where there is none).
 */
import * as pulumi from "@pulumi/pulumi";
import type { GatewayImplementation } from "../cluster/contract";
import type { AddonArgs } from "./addon";
import { Manifest, readManifests, registerManifests } from "./manifests";
import { addonNamespace } from "./namespace";

export interface TraefikArgs extends AddonArgs {
    /** The Gateway API definitions its GatewayClass and watches need. */
    gatewayApi: pulumi.Resource;
}

/** The namespace the chart was rendered for. */
export const TRAEFIK_NAMESPACE = "traefik";

/** The chart's entry points by name, from the container's `--entryPoints.<name>.address=:<port>/tcp` arguments. */
export function entryPoints(objects: Manifest[]): Record<string, number> {
    const deployment = objects.find(m => m.kind === "Deployment") as { spec: { template: { spec: { containers: { args?: string[] }[] } } } } | undefined;
    const args = deployment?.spec.template.spec.containers[0].args ?? [];
    const found = args.map(a => /^--entryPoints\.(\w+)\.address=:(\d+)\/tcp$/.exec(a)).filter(m => m !== null);
    return Object.fromEntries(found.map(([, name, port]) => [name, Number(port)]));
}

/** The chart's GatewayClass, and the entry points that Gateway listeners must use as their ports. */
export function traefikGateway(objects: Manifest[]): GatewayImplementation {
    const gatewayClass = objects.find(m => m.kind === "GatewayClass");
    const { web, websecure } = entryPoints(objects);
    if (!gatewayClass || !web || !websecure) throw new Error("vendor/traefik.yaml lacks its GatewayClass or the web and websecure entry points");
    return { className: gatewayClass.metadata.name, ports: { http: web, https: websecure } };
}

/** The chart's objects, its Service a LoadBalancer with the cloud's annotations, or a NodePort without public load balancers. */
export function traefikObjects(cluster: AddonArgs["cluster"]): Manifest[] {
    return readManifests("traefik.yaml").map(m => {
        if (m.kind !== "Service") return m;
        const service = structuredClone(m) as Manifest & { spec: { type: string } };
        service.metadata.annotations = cluster.features.publicLoadBalancers ? cluster.serviceAnnotations : {};
        service.spec.type = cluster.features.publicLoadBalancers ? "LoadBalancer" : "NodePort";
        return service;
    });
}

export class Traefik extends pulumi.ComponentResource {
    /** The GatewayClass and listener ports of this controller. */
    readonly gateway: GatewayImplementation;

    constructor(name: string, args: TraefikArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:platform:Traefik", name, {}, opts);
        const provider = args.cluster.provider;
        const objects = traefikObjects(args.cluster);
        this.gateway = traefikGateway(objects);
        // Clients through the load balancer on the entry points, kubelets on the ping entry point;
        // out to backends in every namespace, the API server and DNS.
        const ports = [this.gateway.ports.http, this.gateway.ports.https, entryPoints(objects).traefik];
        const namespace = addonNamespace(name, { provider, name: TRAEFIK_NAMESPACE, ingress: [{ ports }], egress: true }, this);
        registerManifests(name, objects, { parent: this, provider, dependsOn: [namespace, args.gatewayApi] });
        this.registerOutputs({});
    }
}
