/**
 * `npm run render -- <stack> [--cloud <cloud>] [--out <dir>]`, as a function for the CLI and the tests.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CLOUDS } from "../../components/config";
import { ConfigError } from "../../components/config/errors";
import { renderStack } from "./render-stack";
import { ROOT } from "./stack-config";

export const USAGE = `usage: npm run render -- <stack> [--cloud <${CLOUDS.join("|")}>] [--out <dir>]`;

export interface Io {
    log(line: string): void;
    error(line: string): void;
}

export function parseRenderArgs(argv: string[]): { stack: string; cloud?: string; out?: string } {
    const rest: string[] = [];
    const flags: Record<string, string> = {};
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--cloud" || a === "--out") {
            if (argv[i + 1] === undefined || argv[i + 1].startsWith("--")) throw new Error(`${a} needs a value\n${USAGE}`);
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

/** Runs the render; returns the process exit code. */
export async function renderCommand(argv: string[], io: Io): Promise<number> {
    try {
        const args = parseRenderArgs(argv);
        const out = path.resolve(args.out ?? path.join(ROOT, "rendered", args.cloud ? `${args.stack}-${args.cloud}` : args.stack));
        const result = await renderStack(args.stack, args.cloud);
        fs.rmSync(out, { recursive: true, force: true });
        fs.mkdirSync(out, { recursive: true });
        for (const [file, text] of Object.entries(result.files)) fs.writeFileSync(path.join(out, file), text);
        if (result.substituted.length) io.log(`stand-ins for cloud ${args.cloud}: ${result.substituted.join("; ")}`);
        io.log(
            `rendered ${args.stack}${args.cloud ? ` (cloud ${args.cloud})` : ""}: ${result.objects} Kubernetes objects, ${result.resources} resources -> ${out}`,
        );
        if (result.problems.length) {
            io.error(`${result.problems.length} problem(s):\n${result.problems.map(p => `  - ${p}`).join("\n")}`);
            return 1;
        }
        io.log("manifests: valid against the Kubernetes schema; every policy of policy/ passes (Pod Security restricted included)");
        return 0;
    } catch (e) {
        io.error(e instanceof ConfigError ? `error: ${e.message}` : e instanceof Error ? e.message : String(e));
        return 1;
    }
}
