/**
 * Offline render: `npm run render -- <stack> [--cloud <cloud>] [--out <dir>]`.
 * Runs the real program under Pulumi's mock runtime (no Pulumi CLI, no credentials, no cluster) and
 * writes every Kubernetes object it would apply (manifests.yaml), every resource it would register
 * (resources.txt) and the stack outputs (outputs.yaml). Secrets are redacted; values that exist only
 * after a deployment are placeholders. The manifests are checked against the Kubernetes schema and
 * Pod Security "restricted"; any violation or config error exits non-zero.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError } from "../components/config/errors";
import { renderStack } from "./support/render-stack";
import { ROOT } from "./support/stack-config";

const USAGE = "usage: npm run render -- <stack> [--cloud <gcp|aws|digitalocean|local>] [--out <dir>]";

function parseArgs(argv: string[]): { stack: string; cloud?: string; out?: string } {
    const rest: string[] = [];
    const flags: Record<string, string> = {};
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--cloud" || a === "--out") {
            if (!argv[i + 1]) throw new Error(`${a} needs a value\n${USAGE}`);
            flags[a.slice(2)] = argv[++i];
        } else if (a.startsWith("-")) {
            throw new Error(`unknown option ${a}\n${USAGE}`);
        } else {
            rest.push(a);
        }
    }
    if (rest.length !== 1) throw new Error(USAGE);
    return { stack: rest[0], cloud: flags.cloud, out: flags.out };
}

async function main(): Promise<number> {
    const args = parseArgs(process.argv.slice(2));
    const out = path.resolve(args.out ?? path.join(ROOT, "rendered", args.cloud ? `${args.stack}-${args.cloud}` : args.stack));
    const result = await renderStack(args.stack, args.cloud);
    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(out, { recursive: true });
    for (const [file, text] of Object.entries(result.files)) fs.writeFileSync(path.join(out, file), text);
    console.log(`rendered ${args.stack}${args.cloud ? ` (cloud ${args.cloud})` : ""}: ${result.objects} Kubernetes objects, ${result.resources} resources -> ${path.relative(process.cwd(), out) || "."}`);
    if (result.problems.length) {
        console.error(`${result.problems.length} problem(s):\n${result.problems.map(p => `  - ${p}`).join("\n")}`);
        return 1;
    }
    console.log("schema: valid; Pod Security: restricted");
    return 0;
}

main().then(code => process.exit(code), (e: unknown) => {
    console.error(e instanceof ConfigError ? `error: ${e.message}` : e instanceof Error ? e.message : String(e));
    process.exit(1);
});
