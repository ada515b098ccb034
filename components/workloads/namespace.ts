import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { dataProtection } from "../cluster/contract";
import { labels } from "./common";

export interface NamespaceArgs {
    /** Kubernetes provider of the target cluster. */
    provider: k8s.Provider;
    /** Namespace name (a DNS-1123 label). */
    name: string;
    /** Protect the namespace from deletion by Pulumi (deleting it deletes the Postgres volumes in it). */
    protect: boolean;
}

/** The environment's namespace, enforcing Pod Security Standards "restricted". */
export class Namespace extends pulumi.ComponentResource {
    /** The namespace name, as an output of the Namespace resource: depend on it to order deletes. */
    readonly name: pulumi.Output<string>;

    constructor(name: string, args: NamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:workloads:Namespace", name, {}, opts);

        const ns = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: args.name,
                    labels: {
                        ...labels("namespace"),
                        "pod-security.kubernetes.io/enforce": "restricted",
                        "pod-security.kubernetes.io/enforce-version": "latest",
                        "pod-security.kubernetes.io/audit": "restricted",
                        "pod-security.kubernetes.io/audit-version": "latest",
                        "pod-security.kubernetes.io/warn": "restricted",
                        "pod-security.kubernetes.io/warn-version": "latest",
                    },
                },
            },
            { parent: this, provider: args.provider, ...dataProtection(args.protect) },
        );

        this.name = ns.metadata.name;
        this.registerOutputs({ name: this.name });
    }
}
