/**
 * Offline Kubernetes schema validation with kubernetes-models (the OpenAPI schemas of Kubernetes ~1.33).
 */
import * as fs from "node:fs";
import * as path from "node:path";

type Model = new (data: Record<string, unknown>) => { validate(): void };

/**
 * The kubernetes-models module for a Pulumi type token such as `kubernetes:apps/v1:Deployment`. A patch
 * (`ConfigMapPatch`) is checked as the object it applies: kubeship's patches carry whole objects.
 */
export function modelPath(pulumiType: string): string {
    const m = /^kubernetes:([^/]+)\/([^:]+):(.+?)(?:Patch)?$/.exec(pulumiType);
    if (!m) throw new Error(`not a Kubernetes type: ${pulumiType}`);
    const [, group, version, kind] = m;
    return group === "core" ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
}

/**
 * kubernetes-models 5 is ESM and exports its models for `import` only. Node 24 can `require()` an ES
 * module by its file, so the models are loaded by path from the package's folder, found the way
 * `require` would look for it, and the checks stay synchronous.
 */
function packageDir(): string {
    for (const dir of require.resolve.paths("kubernetes-models") ?? []) {
        const candidate = path.join(dir, "kubernetes-models");
        if (fs.existsSync(path.join(candidate, "package.json"))) return candidate;
    }
    throw new Error("kubernetes-models is not installed: run npm ci");
}

/** Validates one manifest; returns the schema errors (empty when valid). */
export function schemaErrors(pulumiType: string, manifest: Record<string, unknown>): string[] {
    let model: Model;
    try {
        const module = modelPath(pulumiType);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        model = require(path.join(packageDir(), `${path.relative("kubernetes-models", module)}.js`))[path.basename(module)];
    } catch (e) {
        return [`no schema for ${pulumiType}: ${(e as Error).message}`];
    }
    try {
        new model(manifest).validate();
        return [];
    } catch (e) {
        return [(e as Error).message];
    }
}
