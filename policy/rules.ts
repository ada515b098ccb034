/**
 * The rules kubeship holds its manifests to, as pure functions over Kubernetes objects. The policy pack
 * (index.ts) enforces them at `pulumi preview`/`up`; the test suite runs the same functions on every
 * rendered stack. Each returns the violations it finds (empty = compliant).
 */
import { podSpecOf, restrictedViolations } from "./pss";

export type Manifest = Record<string, any>;

/** A resource as the policy engine (and the tests) see it. */
export interface Resource {
    type: string;
    urn: string;
    props: Manifest;
    protect: boolean;
}

const WORKLOADS = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"];
const LONG_RUNNING = ["Deployment", "StatefulSet", "DaemonSet"];

function containersOf(m: Manifest): Manifest[] {
    const pod = podSpecOf(m);
    return pod ? [...(pod.initContainers ?? []), ...(pod.containers ?? [])] : [];
}

function where(m: Manifest, container?: Manifest): string {
    return `${m.kind} ${m.metadata?.namespace ? `${m.metadata.namespace}/` : ""}${m.metadata?.name}${container ? ` container ${container.name}` : ""}`;
}

/** Pod Security Standards "restricted" for every pod template, and namespaces that enforce it. */
export function podSecurity(m: Manifest): string[] {
    if (m.kind === "Namespace") {
        return m.metadata?.labels?.["pod-security.kubernetes.io/enforce"] === "restricted"
            ? []
            : [`${where(m)} does not enforce Pod Security "restricted" (label pod-security.kubernetes.io/enforce)`];
    }
    const pod = WORKLOADS.includes(m.kind) ? podSpecOf(m) : undefined;
    return pod ? restrictedViolations(pod).map(v => `${where(m)}: ${v}`) : [];
}

/** CPU and memory requests, and a memory limit, on every container. */
export function resources(m: Manifest): string[] {
    return containersOf(m).flatMap(c => {
        const missing = [
            c.resources?.requests?.cpu === undefined && "a CPU request",
            c.resources?.requests?.memory === undefined && "a memory request",
            c.resources?.limits?.memory === undefined && "a memory limit",
        ].filter((x): x is string => !!x);
        return missing.length ? [`${where(m, c)} lacks ${missing.join(", ")}`] : [];
    });
}

/** True for a reference pinned by a digest, or by a tag other than "latest". */
export function isPinnedImage(image: string): boolean {
    if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
    const lastSegment = image.split("/").pop() ?? "";
    const tag = lastSegment.includes(":") ? lastSegment.split(":").pop() : undefined;
    return !!tag && tag !== "latest";
}

/** Every image pinned by tag or digest; no `:latest`, no untagged images. */
export function pinnedImages(m: Manifest): string[] {
    return containersOf(m)
        .filter(c => typeof c.image !== "string" || !isPinnedImage(c.image))
        .map(c => `${where(m, c)} runs "${String(c.image)}": pin a tag other than "latest", or a digest`);
}

/** Readiness and liveness probes on every container of a long-running workload. */
export function probes(m: Manifest): string[] {
    if (!LONG_RUNNING.includes(m.kind)) return [];
    return (podSpecOf(m)?.containers ?? []).flatMap((c: Manifest) =>
        [!c.readinessProbe && "a readiness probe", !c.livenessProbe && "a liveness probe"]
            .filter((x): x is string => !!x)
            .map(missing => `${where(m, c)} lacks ${missing}`),
    );
}

const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH)/i;
const CREDENTIALS_IN_URL = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]+@/i;

/** Secrets reach containers through secretKeyRef, envFrom or files; never as a plain env value. */
export function noPlainSecrets(m: Manifest): string[] {
    return containersOf(m).flatMap(c =>
        (c.env ?? [])
            .filter((e: Manifest) => typeof e.value === "string" && e.value !== "")
            .filter((e: Manifest) => (SECRET_NAME.test(e.name) && !/_FILE$/.test(e.name)) || CREDENTIALS_IN_URL.test(e.value))
            .map((e: Manifest) => `${where(m, c)} sets ${e.name} as a plain value: take it from a Secret (secretKeyRef or envFrom)`),
    );
}

/** Rules checked one object at a time. */
export const OBJECT_RULES: Record<string, { description: string; check: (m: Manifest) => string[] }> = {
    "pod-security-restricted": { description: 'Pods meet Pod Security Standards "restricted" and namespaces enforce it.', check: podSecurity },
    "resources-set": { description: "Every container sets CPU and memory requests and a memory limit.", check: resources },
    "images-pinned": { description: 'Images are pinned by digest or a tag other than "latest".', check: pinnedImages },
    "probes-present": { description: "Long-running containers have readiness and liveness probes.", check: probes },
    "no-plain-secrets": { description: "Secrets are never plain environment values.", check: noPlainSecrets },
};

/** True for a selector that matches every pod (`{}`). */
function selectsAllPods(selector: Manifest | undefined): boolean {
    return selector !== undefined && !Object.keys(selector.matchLabels ?? {}).length && !(selector.matchExpressions ?? []).length;
}

/** A NetworkPolicy that selects every pod and allows nothing, both ways. */
function isDefaultDeny(o: Manifest): boolean {
    const types: string[] = o.spec?.policyTypes ?? [];
    return selectsAllPods(o.spec?.podSelector) && types.includes("Ingress") && types.includes("Egress") && !o.spec?.ingress?.length && !o.spec?.egress?.length;
}

/**
 * Every namespace that runs workloads has a default-deny NetworkPolicy for ingress and egress. The
 * cluster's own namespaces (`kube-*`) are exempt: they hold the cluster's components, whose traffic
 * the cluster layer decides.
 */
export function networkPolicies(objects: Manifest[]): string[] {
    const denied = new Set(objects.filter(o => o.kind === "NetworkPolicy" && isDefaultDeny(o)).map(o => o.metadata?.namespace));
    const namespaces = new Set(
        objects.filter(o => WORKLOADS.includes(o.kind) && !String(o.metadata?.namespace).startsWith("kube-")).map(o => o.metadata?.namespace),
    );
    return [...namespaces].filter(ns => !denied.has(ns)).map(ns => `namespace ${ns} runs workloads without a default-deny NetworkPolicy (ingress and egress)`);
}

/** The stack name in a resource URN: `urn:pulumi:<stack>::<project>::…`. */
export function stackOf(urn: string): string {
    return urn.split("::")[0].replace(/^urn:pulumi:/, "");
}

/** In protected stacks (prod), Postgres (every StatefulSet) and every Namespace holding one are protected. */
export function protectedData(resources: Resource[], protectedStacks: string[]): string[] {
    if (!resources.length || !protectedStacks.includes(stackOf(resources[0].urn))) return [];
    const statefulSets = resources.filter(r => r.type === "kubernetes:apps/v1:StatefulSet");
    const dataNamespaces = new Set(statefulSets.map(r => r.props.metadata?.namespace));
    return [
        ...statefulSets
            .filter(r => !r.protect)
            .map(r => `StatefulSet ${r.props.metadata?.namespace}/${r.props.metadata?.name} holds data but is not protected`),
        ...resources
            .filter(r => r.type === "kubernetes:core/v1:Namespace" && dataNamespaces.has(r.props.metadata?.name) && !r.protect)
            .map(r => `Namespace ${r.props.metadata?.name} holds data volumes but is not protected`),
    ];
}

/** The resources the rules look at: Kubernetes objects, not providers or Helm releases (their objects are rendered elsewhere). */
export function isKubernetesObject(type: string): boolean {
    return type.startsWith("kubernetes:") && !type.startsWith("kubernetes:helm");
}

/** Every violation of every rule over a stack's resources, each prefixed with its rule's name: what the pack reports. */
export function violations(resources: Resource[], protectedStacks: string[]): string[] {
    const objects = resources.filter(r => isKubernetesObject(r.type));
    return [
        ...Object.entries(OBJECT_RULES).flatMap(([name, rule]) => objects.flatMap(r => rule.check(r.props).map(v => `${name}: ${v}`))),
        ...networkPolicies(objects.map(r => r.props)).map(v => `network-policy-present: ${v}`),
        ...protectedData(objects, protectedStacks).map(v => `prod-data-protected: ${v}`),
    ];
}
