/** Pieces every workload shares: labels, Pod Security "restricted" contexts, resources, owned names. */
import * as crypto from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

type Input<T> = pulumi.Input<T>;

/** The recommended labels (kubernetes.io/docs/concepts/overview/working-with-objects/common-labels). */
export function labels(component: string, extra: Record<string, string> = {}): Record<string, string> {
    return { ...selector(component), "app.kubernetes.io/part-of": "kubeship", "app.kubernetes.io/managed-by": "pulumi", ...extra };
}

/** The stable subset used in selectors (immutable on Deployments and StatefulSets). */
export function selector(component: string): Record<string, string> {
    return { "app.kubernetes.io/name": component, "app.kubernetes.io/instance": "kubeship" };
}

/** Pod-level security context meeting Pod Security Standards "restricted". */
export function podSecurity(uid: number): k8s.types.input.core.v1.PodSecurityContext {
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        fsGroup: uid,
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Container-level security context meeting Pod Security Standards "restricted", read-only root. */
export function containerSecurity(uid: number): k8s.types.input.core.v1.SecurityContext {
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** CPU and memory of one container, as Kubernetes quantities. */
export interface ResourceSizes {
    /** CPU request, for example "250m". */
    cpu: string;
    /** Memory request, for example "256Mi". */
    memory: string;
    /** CPU limit. */
    cpuLimit: string;
    /** Memory limit. */
    memoryLimit: string;
}

export function resources(r: ResourceSizes): k8s.types.input.core.v1.ResourceRequirements {
    return { requests: { cpu: r.cpu, memory: r.memory }, limits: { cpu: r.cpuLimit, memory: r.memoryLimit } };
}

/**
 * A data service the app reaches: where it is and its generated password. Host and port are plain values
 * (the Service's name, not an output of it), so the app never waits for the service to be ready.
 */
export interface Endpoint {
    /** Service host name in the namespace. */
    readonly host: string;
    readonly port: number;
    /** Generated password, secret. */
    readonly password: pulumi.Input<string>;
}

/** Metadata of a namespaced object. `namespace` is the Namespace resource's output, so deletes are ordered. */
export function meta(name: string, namespace: Input<string>, component: string): k8s.types.input.meta.v1.ObjectMeta {
    return { name, namespace, labels: labels(component) };
}

/** Characters allowed in generated passwords: URL-special ones included (credentials are URL-encoded), no quotes, backslash, '$' or spaces. */
export const PASSWORD_SPECIALS = "!#%&*()-_=+[]{}<>:?@/";

/**
 * Pod-template annotation: a digest of the Secret content the pods read at start. Any change to it (a
 * `passwordVersion` bump, or a RandomPassword replaced for any other reason) changes the template, and
 * the pods roll and read the new values.
 */
export const SECRET_HASH_ANNOTATION = "kubeship.dev/secret-hash";

/**
 * The digest of a Secret's `stringData` (SHA-256 of its keys and values, 16 hex characters). It is not
 * secret: it cannot give back a 32-character generated password, and a plain annotation keeps the
 * template's diff readable.
 */
export function secretHash(stringData: Record<string, Input<string>>): pulumi.Output<string> {
    const entries = Object.entries(stringData).sort(([a], [b]) => a.localeCompare(b));
    const digest = pulumi
        .all(entries.map(([key, value]) => pulumi.all([key, value])))
        .apply(pairs => crypto.createHash("sha256").update(JSON.stringify(pairs)).digest("hex").slice(0, 16));
    return pulumi.unsecret(digest);
}

/**
 * A pod template's metadata: the component's labels, the hash of the Secret content its pods read at
 * start if they do (Postgres reads its Secret's files while it runs: no hash, so no restart), and any
 * other annotations.
 */
export function templateMeta(component: string, secretDigest?: Input<string>, annotations: Record<string, string> = {}): k8s.types.input.meta.v1.ObjectMeta {
    const all: Record<string, Input<string>> = { ...annotations, ...(secretDigest === undefined ? {} : { [SECRET_HASH_ANNOTATION]: secretDigest }) };
    return { labels: labels(component), ...(Object.keys(all).length ? { annotations: all } : {}) };
}

/** The pod-level hardening every workload shares: no API token mounted, Pod Security "restricted" as `uid`. */
export function hardenedPod(uid: number): { automountServiceAccountToken: false; securityContext: k8s.types.input.core.v1.PodSecurityContext } {
    return { automountServiceAccountToken: false, securityContext: podSecurity(uid) };
}

/**
 * A generated 32-character password (RandomPassword, on the inherited random provider), as a secret.
 * A new `version` generates a new password: that is how credentials are rotated.
 */
export function generatedPassword(name: string, version: number, opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
    const password = new random.RandomPassword(
        name,
        {
            length: 32,
            special: true,
            overrideSpecial: PASSWORD_SPECIALS,
            minLower: 2,
            minUpper: 2,
            minNumeric: 2,
            minSpecial: 2,
            keepers: { version: String(version) },
        },
        opts,
    );
    // Mocks and some engines do not apply additionalSecretOutputs: mark it secret here.
    return pulumi.secret(password.result);
}
