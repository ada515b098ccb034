/**
 * Kubernetes objects from a vendored manifest file, registered one by one as Pulumi resources: typed
 * where the SDK has the kind, `CustomResource` otherwise. The provider's Helm and YAML components would
 * be single opaque resources to the mock runtime and the offline render, and would fail a first preview
 * against a cluster that does not exist yet; objects registered from TypeScript are seen, checked and
 * ordered like every other resource.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";

/** One Kubernetes object as a manifest holds it. */
export interface Manifest {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; [key: string]: unknown };
    [field: string]: unknown;
}

/** The folder of vendored manifests (written by `npm run addons`, never by hand). */
export const VENDOR = path.join(__dirname, "vendor");

const parsed = new Map<string, readonly Manifest[]>();

/**
 * The objects of a vendored manifest file, one per YAML document; empty documents are skipped. Parsed
 * once per process (the files hold megabytes of definitions) and shared: copy an object before changing it.
 */
export function readManifests(file: string): readonly Manifest[] {
    let objects = parsed.get(file);
    if (!objects) {
        const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(VENDOR, file), "utf8"));
        objects = Object.freeze(docs.map(d => d.toJS() as Manifest | null).filter((m): m is Manifest => m !== null));
        parsed.set(file, objects);
    }
    return objects;
}

/** The API groups built into Kubernetes, by the SDK module that holds their kinds. */
const BUILTIN_GROUPS: Record<string, string> = {
    "": "core",
    apps: "apps",
    batch: "batch",
    policy: "policy",
    autoscaling: "autoscaling",
    "rbac.authorization.k8s.io": "rbac",
    "apiextensions.k8s.io": "apiextensions",
    "apiregistration.k8s.io": "apiregistration",
    "admissionregistration.k8s.io": "admissionregistration",
    "networking.k8s.io": "networking",
    "storage.k8s.io": "storage",
    "scheduling.k8s.io": "scheduling",
    "coordination.k8s.io": "coordination",
    "discovery.k8s.io": "discovery",
    "certificates.k8s.io": "certificates",
};

type ResourceClass = new (name: string, args: object, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;

/** The SDK class of a built-in kind; undefined for a custom resource. A built-in kind the SDK lacks is an error. */
export function builtinClass(apiVersion: string, kind: string): ResourceClass | undefined {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    const module = BUILTIN_GROUPS[group];
    if (module === undefined) return undefined;
    const found = (k8s as unknown as Record<string, Record<string, Record<string, ResourceClass>> | undefined>)[module]?.[version]?.[kind];
    if (!found) throw new Error(`the Kubernetes SDK has no ${apiVersion} ${kind}: vendor a manifest the SDK can register`);
    return found;
}

/** A resource name unique within an add-on: `<name>-<kind>-[<namespace>-]<object>`, lower case. */
export function objectName(name: string, m: Manifest): string {
    return [name, m.kind.toLowerCase(), m.metadata.namespace, m.metadata.name].filter(Boolean).join("-");
}

export interface RegisterOptions {
    parent: pulumi.Resource;
    provider: k8s.Provider;
    /** What every object waits for (the add-on's Namespace, the CRDs it uses). */
    dependsOn?: pulumi.Resource[];
}

/**
 * Registers the objects: CustomResourceDefinitions first, and every custom resource after all of them.
 * Returns the registered resources in the manifests' order.
 */
export function registerManifests(name: string, objects: readonly Manifest[], opts: RegisterOptions): pulumi.CustomResource[] {
    const base = { parent: opts.parent, provider: opts.provider, dependsOn: opts.dependsOn ?? [] };
    const isCrd = (m: Manifest) => m.kind === "CustomResourceDefinition";
    const crds = new Map(objects.filter(isCrd).map(m => [m, new k8s.apiextensions.v1.CustomResourceDefinition(objectName(name, m), m as never, base)]));
    return objects.map(m => {
        const done = crds.get(m);
        if (done) return done;
        const typed = builtinClass(m.apiVersion, m.kind);
        if (typed) return new typed(objectName(name, m), m, base);
        return new k8s.apiextensions.CustomResource(objectName(name, m), m, { ...base, dependsOn: [...base.dependsOn, ...crds.values()] });
    });
}

/** A container of a vendored workload, as far as kubeship changes it. */
export interface Container {
    name: string;
    args?: string[];
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    livenessProbe?: object;
    readinessProbe?: object;
}

/** A copy of a Deployment whose named container `patch` changes; an error when it has no such container. */
export function patchContainer(m: Manifest, container: string, patch: (c: Container) => void): Manifest {
    const copy = structuredClone(m) as Manifest & { spec: { template: { spec: { containers: Container[] } } } };
    const target = copy.spec.template.spec.containers.find(c => c.name === container);
    if (!target) throw new Error(`${m.kind} ${m.metadata.name} has no container ${container}`);
    patch(target);
    return copy;
}
