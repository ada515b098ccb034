/**
 * `npm run render -- <stack>|--all [--cloud <cloud>] [--out <dir>]`, as a function for the CLI and the tests.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CLOUDS } from "../../components/config";
import { ConfigError } from "../../components/config/errors";
import { renderStack } from "./render-stack";
import { ROOT, stackNames } from "./stack-config";

export const USAGE = `usage: npm run render -- <stack> [--cloud <${CLOUDS.join("|")}>] [--out <dir>]\n       npm run render -- --all   (every stack file, each to rendered/<stack>)`;

/** The file a render leaves in its folder, listing the files it wrote: what a later render may replace. */
export const MARKER = ".kubeship-render";

export interface Io {
    log(line: string): void;
    error(line: string): void;
}

export interface RenderArgs {
    /** One stack, or undefined with `all`. */
    stack?: string;
    all: boolean;
    cloud?: string;
    out?: string;
}

export function parseRenderArgs(argv: string[]): RenderArgs {
    const rest: string[] = [];
    const flags: Record<string, string> = {};
    let all = false;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--cloud" || a === "--out") {
            if (argv[i + 1] === undefined || argv[i + 1].startsWith("--")) throw new Error(`${a} needs a value\n${USAGE}`);
            flags[a.slice(2)] = argv[++i];
        } else if (a === "--all") {
            all = true;
        } else if (a.startsWith("-")) {
            throw new Error(`unknown option ${a}\n${USAGE}`);
        } else {
            rest.push(a);
        }
    }
    if (all ? rest.length !== 0 || flags.cloud !== undefined || flags.out !== undefined : rest.length !== 1) throw new Error(USAGE);
    return { stack: rest[0], all, cloud: flags.cloud, out: flags.out };
}

/**
 * Writes a render's files into `out`. The folder is the render's own when it is new or empty, or when an
 * earlier render left its marker there; then the files of that earlier render are replaced and anything
 * else is left alone. Any other folder is refused: a render never deletes what it did not write.
 */
export function writeRender(out: string, files: Record<string, string>): void {
    const marker = path.join(out, MARKER);
    if (fs.existsSync(out)) {
        if (!fs.statSync(out).isDirectory()) throw new Error(`--out ${out} is a file, not a folder`);
        const entries = fs.readdirSync(out);
        if (entries.length > 0 && !entries.includes(MARKER)) {
            throw new Error(
                `--out ${out} already holds files that no render wrote (${entries.slice(0, 3).join(", ")}${entries.length > 3 ? ", …" : ""}); give a new or empty folder`,
            );
        }
        if (entries.includes(MARKER)) {
            for (const old of fs.readFileSync(marker, "utf8").split("\n").filter(Boolean)) {
                if (old === path.basename(old)) fs.rmSync(path.join(out, old), { force: true });
            }
        }
    }
    fs.mkdirSync(out, { recursive: true });
    for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(out, file), text);
    fs.writeFileSync(marker, `${Object.keys(files).join("\n")}\n`);
}

/** Renders one stack; returns the process exit code. */
async function renderOne(stack: string, cloud: string | undefined, out: string | undefined, io: Io): Promise<number> {
    const folder = path.resolve(out ?? path.join(ROOT, "rendered", cloud ? `${stack}-${cloud}` : stack));
    const result = await renderStack(stack, cloud);
    writeRender(folder, result.files);
    if (result.substituted.length) io.log(`stand-ins for cloud ${cloud}: ${result.substituted.join("; ")}`);
    io.log(`rendered ${stack}${cloud ? ` (cloud ${cloud})` : ""}: ${result.objects} Kubernetes objects, ${result.resources} resources -> ${folder}`);
    if (result.problems.length) {
        io.error(`${stack}: ${result.problems.length} problem(s):\n${result.problems.map(p => `  - ${p}`).join("\n")}`);
        return 1;
    }
    io.log("manifests: valid against the Kubernetes schema; every policy of policy/ passes (Pod Security restricted included)");
    return 0;
}

const message = (e: unknown) => (e instanceof ConfigError ? `error: ${e.message}` : e instanceof Error ? e.message : String(e));

/** Runs the render; returns the process exit code (1 when any stack has a problem). */
export async function renderCommand(argv: string[], io: Io): Promise<number> {
    let args: RenderArgs;
    try {
        args = parseRenderArgs(argv);
    } catch (e) {
        io.error(message(e));
        return 1;
    }
    let code = 0;
    // With --all, every stack is rendered even after one fails, and each error names its stack.
    for (const stack of args.all ? stackNames() : [args.stack!]) {
        try {
            code = Math.max(code, await renderOne(stack, args.cloud, args.out, io));
        } catch (e) {
            io.error(args.all ? `${stack}: ${message(e)}` : message(e));
            code = 1;
        }
    }
    return code;
}
