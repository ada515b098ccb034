/**
 * Offline Kubernetes schema validation with kubernetes-models (the OpenAPI schemas of Kubernetes ~1.33).
 */
type Model = new (data: Record<string, unknown>) => { validate(): void };

/** The kubernetes-models module for a Pulumi type token such as `kubernetes:apps/v1:Deployment`. */
export function modelPath(pulumiType: string): string {
    const m = /^kubernetes:([^/]+)\/([^:]+):(.+)$/.exec(pulumiType);
    if (!m) throw new Error(`not a Kubernetes type: ${pulumiType}`);
    const [, group, version, kind] = m;
    return group === "core" ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
}

/** Validates one manifest; returns the schema errors (empty when valid). */
export function schemaErrors(pulumiType: string, manifest: Record<string, unknown>): string[] {
    let model: Model;
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        model = require(modelPath(pulumiType))[pulumiType.split(":").pop()!];
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
