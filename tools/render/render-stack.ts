import { overrideCloud } from "./cloud-override";
import { runProgram, RunResult } from "./harness";
import { manifests, manifestsYaml, outputsYaml, resourceListing } from "./manifests";
import { policyViolations } from "./policy-resources";
import { schemaErrors } from "./schema";
import { readStackConfig } from "./stack-config";

export interface Rendered {
    run: RunResult;
    files: Record<string, string>;
    objects: number;
    resources: number;
    /** Schema errors, policy violations (Pod Security, resources, images, probes, NetworkPolicy, secrets, protection), unmocked invokes. */
    problems: string[];
    /** Stand-ins used because `--cloud` switched to a cloud the stack file has no settings for. */
    substituted: string[];
}

/** Renders one stack file offline, optionally with `kubeship:cloud` overridden. */
export async function renderStack(stack: string, cloud?: string): Promise<Rendered> {
    const stackConfig = readStackConfig(stack);
    const { config, secretKeys, substituted } = cloud ? overrideCloud(stackConfig, cloud) : { ...stackConfig, substituted: [] };
    const run = await runProgram({ stack, config, secretKeys });
    const list = manifests(run);
    const problems: string[] = [];
    for (const m of list) {
        const id = `${m.object.kind}/${m.object.metadata?.name}`;
        for (const e of schemaErrors(m.type, m.object)) problems.push(`${id}: schema: ${e}`);
    }
    problems.push(...policyViolations(run).map(v => `policy ${v}`));
    for (const token of run.unmockedCalls) problems.push(`unmocked invoke ${token}`);
    return {
        run,
        files: {
            "manifests.yaml": manifestsYaml(list),
            "resources.txt": resourceListing(run.registered),
            "outputs.yaml": outputsYaml(run),
        },
        objects: list.length,
        resources: run.registered.length,
        problems,
        substituted,
    };
}

const cache = new Map<string, Promise<Rendered>>();

/** `renderStack`, once per (stack, cloud) in a test process: specs that only read a render share it. */
export function renderStackOnce(stack: string, cloud?: string): Promise<Rendered> {
    const key = `${stack}/${cloud ?? ""}`;
    if (!cache.has(key)) cache.set(key, renderStack(stack, cloud));
    return cache.get(key)!;
}
