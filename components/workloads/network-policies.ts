import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { EgressRule } from "../cluster/contract";
import { meta } from "./common";

type Selector = Record<string, string>;

/** One allowed TCP connection between two workloads of the namespace. */
export interface Connection {
    /** Short name for the policy objects, for example "app-postgres". */
    name: string;
    from: Selector;
    to: Selector;
    port: number;
}

export interface NetworkPoliciesArgs {
    /** Kubernetes provider of the target cluster. */
    provider: k8s.Provider;
    /** Namespace (the Namespace resource's output). */
    namespace: pulumi.Input<string>;
    /** Pods that accept traffic from anywhere (load balancer, ingress controller), and on which port. */
    publicIngress: { to: Selector; port: number };
    /** Connections allowed inside the namespace; each yields an egress and an ingress rule. */
    connections: Connection[];
    /** Destinations outside the cluster that some pods may reach (the backup store): one egress policy each. @default none */
    external?: { name: string; from: Selector; to: readonly EgressRule[] }[];
}

/**
 * Default deny for the whole namespace (ingress and egress), then exactly: DNS egress for every pod,
 * public ingress to the app port, the listed pod-to-pod connections, and the listed external egress.
 */
export class NetworkPolicies extends pulumi.ComponentResource {
    readonly names: pulumi.Output<string>[] = [];

    constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:workloads:NetworkPolicies", name, {}, opts);
        const child = { parent: this, provider: args.provider };
        const policy = (role: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec) => {
            const np = new k8s.networking.v1.NetworkPolicy(`${name}-${role}`, { metadata: meta(role, args.namespace, "network-policy"), spec }, child);
            this.names.push(np.metadata.name);
        };

        policy("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        // DNS by port, to any destination: kube-dns, CoreDNS and node-local caches differ per cloud.
        policy("allow-dns", {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [
                {
                    ports: [
                        { protocol: "UDP", port: 53 },
                        { protocol: "TCP", port: 53 },
                    ],
                },
            ],
        });
        policy("allow-public-ingress", {
            podSelector: { matchLabels: args.publicIngress.to },
            policyTypes: ["Ingress"],
            ingress: [{ ports: [{ protocol: "TCP", port: args.publicIngress.port }] }],
        });
        for (const c of args.connections) {
            const ports = [{ protocol: "TCP", port: c.port }];
            policy(`allow-${c.name}-egress`, {
                podSelector: { matchLabels: c.from },
                policyTypes: ["Egress"],
                egress: [{ to: [{ podSelector: { matchLabels: c.to } }], ports }],
            });
            policy(`allow-${c.name}-ingress`, {
                podSelector: { matchLabels: c.to },
                policyTypes: ["Ingress"],
                ingress: [{ from: [{ podSelector: { matchLabels: c.from } }], ports }],
            });
        }
        for (const e of args.external ?? []) {
            policy(`allow-${e.name}-egress`, {
                podSelector: { matchLabels: e.from },
                policyTypes: ["Egress"],
                egress: e.to.map(rule => ({
                    to: [{ ipBlock: { cidr: rule.cidr, except: rule.except && [...rule.except] } }],
                    ports: [{ protocol: "TCP", port: rule.port }],
                })),
            });
        }
        this.registerOutputs({ names: this.names });
    }
}
