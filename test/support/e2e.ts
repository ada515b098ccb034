/**
 * The end-to-end suite's world: the real Pulumi CLI (from the tool cache) on a fresh local file backend,
 * against the local control plane. The project runs from a scratch folder that holds copies of
 * `Pulumi.yaml` and the stack file (the CLI writes to them: stack init, config set) and links to the
 * program, its tsconfig and node_modules, so the checkout is never written to.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "../../tools/render/stack-config";

export interface Run {
    code: number | null;
    stdout: string;
    stderr: string;
    /** Wall time, ms. */
    ms: number;
}

/** What the project's scratch copy links to rather than copies (the code and its dependencies). */
const LINKED = ["index.ts", "components", "package.json", "tsconfig.json", "node_modules"];

export class Workspace {
    readonly dir: string;
    readonly project: string;
    readonly env: NodeJS.ProcessEnv;

    constructor(
        readonly tools: { bin: string; pulumiHome: string },
        readonly stack: string,
        kubeconfig: string,
    ) {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeship-e2e-"));
        this.project = path.join(this.dir, "project");
        fs.mkdirSync(path.join(this.project, "stacks"), { recursive: true });
        fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(this.project, "Pulumi.yaml"));
        fs.copyFileSync(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`), path.join(this.project, "stacks", `Pulumi.${stack}.yaml`));
        for (const entry of LINKED) fs.symlinkSync(path.join(ROOT, entry), path.join(this.project, entry));
        // A PULUMI_HOME of its own, sharing only the plugins the tool build installed (the language host
        // and the providers): the engine finds them there, not on PATH.
        const home = path.join(this.dir, "pulumi-home");
        fs.mkdirSync(home);
        fs.symlinkSync(path.join(fs.realpathSync(tools.pulumiHome), "plugins"), path.join(home, "plugins"));
        fs.mkdirSync(path.join(this.dir, "state"));
        this.env = {
            ...process.env,
            PULUMI_HOME: home,
            PULUMI_BACKEND_URL: `file://${path.join(this.dir, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: "kubeship-e2e",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
            KUBECONFIG: kubeconfig,
            NO_COLOR: "1",
        };
    }

    /** Runs `pulumi <args>` in the project for the stack; never throws for an exit code. */
    pulumi(args: string[], timeoutMs = 600_000): Promise<Run> {
        const started = Date.now();
        return new Promise((resolve, reject) => {
            const child = spawn(path.join(this.tools.bin, "pulumi"), [...args, "--stack", this.stack, "--non-interactive", "--color", "never"], {
                cwd: this.project,
                env: this.env,
                stdio: ["ignore", "pipe", "pipe"],
            });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
            child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
            const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
            child.once("error", reject);
            child.once("exit", code => {
                clearTimeout(timer);
                resolve({ code, stdout, stderr, ms: Date.now() - started });
            });
        });
    }

    /** Runs a pulumi command that must succeed; a failure shows its whole output. */
    async ok(args: string[]): Promise<Run> {
        const r = await this.pulumi(args);
        if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited with ${r.code}\n${r.stdout}\n${r.stderr}`);
        return r;
    }

    /** `pulumi config set [--path] key value`, as a user types it. */
    configSet(key: string, value: string, opts: { path?: boolean } = {}): Promise<Run> {
        return this.ok(["config", "set", ...(opts.path ? ["--path"] : []), key, value]);
    }

    remove(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** One entry of `pulumi preview --json`'s steps. */
export interface Step {
    op: string;
    urn: string;
}

/** The steps of a `--json` preview, by operation. */
export function stepsOf(run: Run): Step[] {
    const plan = JSON.parse(run.stdout) as { steps?: Step[] };
    return plan.steps ?? [];
}

/** The type and name of a URN (`urn:pulumi:stack::project::parent$type::name`). */
export function typeAndName(urn: string): { type: string; name: string } {
    const [qualifiedType, name] = urn.split("::").slice(2);
    return { type: qualifiedType.split("$").pop()!, name };
}
