/**
 * Runs the real kubeship program offline under the shared mocks, for one stack and one config map,
 * and returns what it registered and exported. Used by the tests and by `npm run render`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parseSettings } from "../../components/config";
import { kubeship } from "../../components/program";
import { isKubernetesObject } from "../../policy/rules";
import { fakeKubeconfig, installMocks, MockRun, Registered } from "./mocks";

export { FAKE_CLIENT_KEY } from "./mocks";

export interface RunOptions {
    stack: string;
    config: Record<string, string>;
    secretKeys?: string[];
}

export interface Output {
    value: unknown;
    secret: boolean;
}

export interface RunResult extends MockRun {
    stack: string;
    outputs: Record<string, Output>;
}

/**
 * Runs the program. Config errors reject (before anything registers, as under `pulumi up`).
 */
export async function runProgram(opts: RunOptions): Promise<RunResult> {
    const run = await installMocks(opts.stack);
    pulumi.runtime.setAllConfig(opts.config, opts.secretKeys ?? []);

    const context = opts.config["kubeship:kubeContext"] || "kind-kubeship";
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeship-kubeconfig-"));
    const file = path.join(dir, "config");
    fs.writeFileSync(file, fakeKubeconfig(context));
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = file;
    try {
        const exported = kubeship(parseSettings(pulumi.runtime.allConfig(), opts.stack));
        const outputs: Record<string, Output> = {};
        for (const [k, v] of Object.entries(exported)) {
            const o = pulumi.output(v);
            outputs[k] = { value: await new Promise(resolve => o.apply(resolve)), secret: await pulumi.isSecret(o) };
        }
        await (pulumi.runtime as any).waitForRPCs();
        return { ...run, stack: opts.stack, outputs };
    } finally {
        if (saved === undefined) delete process.env.KUBECONFIG;
        else process.env.KUBECONFIG = saved;
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** Kubernetes object resources (not providers, not components), as the policy pack sees them. */
export function kubernetesObjects(resources: Registered[]): Registered[] {
    return resources.filter(r => r.custom && isKubernetesObject(r.type));
}
