/**
 * Turns a program run into what `kubectl` would see: Kubernetes manifests (secrets redacted), stably
 * ordered, plus a listing of every resource and the stack outputs.
 */
import * as YAML from "yaml";
import { kubernetesObjects, type RunResult } from "./harness";
import { redact, Registered } from "./mocks";

export const REDACTED = "<redacted>";

export interface Manifest {
    /** Pulumi type token, for example `kubernetes:apps/v1:Deployment`. */
    type: string;
    /** Pulumi resource name. */
    resource: string;
    object: Record<string, any>;
}

/** Apply order: what others reference comes first. */
const KIND_ORDER = [
    "Namespace",
    "StorageClass",
    "NetworkPolicy",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "PersistentVolumeClaim",
    "Service",
    "StatefulSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "Ingress",
];

function rank(kind: string): number {
    const i = KIND_ORDER.indexOf(kind);
    return i === -1 ? KIND_ORDER.length : i;
}

export function manifests(run: RunResult): Manifest[] {
    return kubernetesObjects(run.registered)
        .map(r => ({ type: r.type, resource: r.name, object: redact(r.inputs, REDACTED) as Record<string, any> }))
        .sort(
            (a, b) =>
                rank(a.object.kind) - rank(b.object.kind) ||
                String(a.object.metadata?.namespace ?? "").localeCompare(String(b.object.metadata?.namespace ?? "")) ||
                String(a.object.metadata?.name ?? "").localeCompare(String(b.object.metadata?.name ?? "")) ||
                a.resource.localeCompare(b.resource),
        );
}

export function manifestsYaml(list: Manifest[]): string {
    return list
        .map(m => YAML.stringify(m.object, { sortMapEntries: false }))
        .map(doc => `---\n${doc}`)
        .join("");
}

/** One line per registered resource: type, name, parent, provider and the options that matter for safety. */
export function resourceListing(registered: Registered[]): string {
    const short = (urn: string) => (urn ? urn.split("::").pop()! : "-");
    const rows = registered
        .map(r => {
            const flags = [
                r.protect && "protect",
                r.retainOnDelete && "retainOnDelete",
                r.ignoreChanges.length > 0 && `ignoreChanges=${r.ignoreChanges.join(",")}`,
                r.replaceWith.length > 0 && `replaceWith=${r.replaceWith.map(short).join(",")}`,
                // The value changes with the clock (a rotation window): shown as set, not as its value.
                r.replacementTrigger !== undefined && "replacementTrigger",
            ].filter(Boolean);
            return [
                r.type,
                r.name,
                `parent=${short(r.parent)}`,
                `provider=${r.provider ? short(r.provider.split("::").slice(0, -1).join("::")) : "-"}`,
                ...flags,
            ].join("  ");
        })
        .sort();
    return `${rows.join("\n")}\n`;
}

export function outputsYaml(run: RunResult): string {
    const shown = Object.fromEntries(Object.entries(run.outputs).map(([k, o]) => [k, o.secret ? REDACTED : o.value]));
    return YAML.stringify(shown);
}
