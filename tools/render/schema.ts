/**
 * Offline Kubernetes schema validation: built-in kinds with kubernetes-models (the OpenAPI schemas of
 * Kubernetes ~1.33), custom resources with the schema of their CustomResourceDefinition among the
 * vendored add-on manifests (components/platform/vendor), or the cloud's, from its documentation.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import { readManifests, VENDOR } from "../../components/platform/manifests";
import { packageDir } from "../package-dir";
import { CLOUD_SCHEMAS } from "./cloud-schemas";

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

interface CrdVersion {
    name: string;
    served: boolean;
    schema?: { openAPIV3Schema?: object };
}

let crdSchemas: Map<string, object> | undefined;

/**
 * The served versions' schemas of every vendored CustomResourceDefinition, and of the definitions clouds
 * install (cloud-schemas.ts), by `<group>/<version>:<Kind>`.
 */
function vendoredCrdSchemas(): Map<string, object> {
    if (!crdSchemas) {
        crdSchemas = new Map(Object.entries(CLOUD_SCHEMAS));
        for (const file of fs.readdirSync(VENDOR)) {
            for (const m of readManifests(file).filter(o => o.kind === "CustomResourceDefinition")) {
                const spec = m.spec as { group: string; names: { kind: string }; versions: CrdVersion[] };
                for (const v of spec.versions.filter(x => x.served && x.schema?.openAPIV3Schema)) {
                    crdSchemas.set(`${spec.group}/${v.name}:${spec.names.kind}`, v.schema!.openAPIV3Schema!);
                }
            }
        }
    }
    return crdSchemas;
}

// Kubernetes' structural schemas use `x-kubernetes-*` keywords and formats of their own; neither (CEL rules
// among them) is checked here, types, enums, patterns and required fields are.
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const validators = new Map<string, ValidateFunction>();

/** Schema errors of a custom resource against its definition; undefined when no vendored definition has the kind. */
export function customResourceErrors(pulumiType: string, manifest: Record<string, unknown>): string[] | undefined {
    const key = pulumiType.replace(/^kubernetes:/, "");
    const schema = vendoredCrdSchemas().get(key);
    if (!schema) return undefined;
    let validate = validators.get(key);
    if (!validate) validators.set(key, (validate = ajv.compile(schema)));
    if (validate(manifest)) return [];
    return (validate.errors ?? []).map(e => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`);
}

/** Validates one manifest; returns the schema errors (empty when valid). */
export function schemaErrors(pulumiType: string, manifest: Record<string, unknown>): string[] {
    const custom = customResourceErrors(pulumiType, manifest);
    if (custom) return custom;
    let model: Model;
    try {
        const module = modelPath(pulumiType);
        // kubernetes-models 5 is ESM and exports its models for `import` only. Node 24 can `require()` an ES
        // module by its file, so the models are loaded by path from the package's folder, and the checks
        // stay synchronous.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        model = require(path.join(packageDir("kubernetes-models"), `${path.relative("kubernetes-models", module)}.js`))[path.basename(module)];
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
