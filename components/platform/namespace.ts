/**
 * An add-on's own namespace: Pod Security "restricted" enforced (the workloads' Namespace), every
 * connection denied both ways, then exactly the traffic the add-on needs.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Namespace } from "../workloads/namespace";

export interface AddonNamespaceArgs {
    provider: k8s.Provider;
    /** The namespace's name. */
    name: string;
    /**
     * Connections its pods accept from anywhere: load balancers, the API server (webhooks), other
     * namespaces' pods. `pods` selects the pods (every pod when undefined).
     */
    ingress: { pods?: Record<string, string>; ports: number[] }[];
    /** Its pods connect out to anywhere (the API server, ACME, backends in other namespaces), or nowhere. */
    egress: boolean;
}

/** The namespace and its NetworkPolicies, children of `parent` named `${name}-<role>`; objects in it wait for the returned Namespace. */
export function addonNamespace(name: string, args: AddonNamespaceArgs, parent: pulumi.Resource): Namespace {
    const namespace = new Namespace(`${name}-namespace`, { provider: args.provider, name: args.name, protect: false }, { parent });
    const policy = (role: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec) =>
        new k8s.networking.v1.NetworkPolicy(
            `${name}-${role}`,
            { metadata: { name: role, namespace: namespace.name, labels: { "app.kubernetes.io/part-of": "kubeship" } }, spec },
            { parent, provider: args.provider },
        );
    policy("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    args.ingress.forEach((rule, i) =>
        policy(`allow-ingress-${i}`, {
            podSelector: { matchLabels: rule.pods ?? {} },
            policyTypes: ["Ingress"],
            ingress: [{ ports: rule.ports.map(port => ({ protocol: "TCP", port })) }],
        }),
    );
    if (args.egress) policy("allow-egress", { podSelector: {}, policyTypes: ["Egress"], egress: [{}] });
    return namespace;
}
