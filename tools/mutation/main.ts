/**
 * Mutation run: `npm run test:mutation -- [--only <id,…>] [--workers <n>] [--min <percent>] [--list]`.
 * Applies each mutant of mutants.ts (one realistic defect in components/) to a sandbox copy of the
 * checkout, runs the unit suite there, and counts the mutant killed when a test fails. Exits non-zero
 * when the score is below `--min` (95 by default), when the unmutated suite fails, or when a mutant no
 * longer matches the code (its `find` must occur exactly once: update it with the code).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MUTANTS, type Mutant } from "./mutants";
import { checkoutFiles, createSandbox, type Sandbox } from "./sandbox";

const ROOT = path.resolve(__dirname, "..", "..");
/** The unit spec that checks every mutant against the unmutated code. */
export const SELF_SPEC = "test/mutation.spec.ts";

interface Outcome {
    mutant: Mutant;
    status: "killed" | "survived" | "timeout";
    /** The first failing test, for a killed mutant. */
    by?: string;
    seconds: number;
}

/** The mutated text of the mutant's file, or an error saying why the mutant no longer fits the code. */
export function mutate(source: string, m: Mutant): string {
    const count = source.split(m.find).length - 1;
    if (count !== 1)
        throw new Error(`mutant ${m.id}: the text to replace occurs ${count} times in ${m.file} (it must occur once): update the mutant with the code`);
    return source.replace(m.find, () => m.replace);
}

interface RunResult {
    passed: boolean;
    firstFailure?: string;
    timedOut: boolean;
    seconds: number;
}

/**
 * The specs that test a components/ file most directly, by its folder: a mutant there runs them first,
 * and the whole suite only when they all pass. A kill by either is a kill; only the order changes.
 */
export const FIRST_SPECS: [RegExp, string[]][] = [
    [/^components\/platform\//, ["test/platform.spec.ts"]],
    [/^components\/workloads\//, ["test/workloads.spec.ts"]],
    [/^components\/config\//, ["test/settings.spec.ts", "test/validators.spec.ts"]],
    [/^components\/cluster\/kind\.ts$/, ["test/kind.spec.ts"]],
    [/^components\/cluster\//, ["test/clusters.spec.ts"]],
    [/^components\/image\//, ["test/image.spec.ts"]],
    [/^components\/program\.ts$/, ["test/stacks.spec.ts"]],
];

/** The first specs for a mutated file; empty when none is mapped (then the whole suite runs at once). */
export function firstSpecs(file: string): string[] {
    return FIRST_SPECS.find(([pattern]) => pattern.test(file))?.[1] ?? [];
}

/** .mocharc.json's options other than its spec list, as command-line arguments. */
function configOptions(dir: string): string[] {
    const config = JSON.parse(fs.readFileSync(path.join(dir, ".mocharc.json"), "utf8")) as Record<string, unknown>;
    return Object.entries(config)
        .filter(([key]) => key !== "spec")
        .flatMap(([key, value]) => (Array.isArray(value) ? value.flatMap(v => [`--${key}`, String(v)]) : [`--${key}`, String(value)]));
}

/** Runs the unit suite in `dir` (mocha, stopping at the first failure), or only `specs` when given. */
function runSuite(dir: string, timeoutMs: number, specs: string[] = []): Promise<RunResult> {
    const report = path.join(dir, ".mutation-result.json");
    fs.rmSync(report, { force: true });
    const started = Date.now();
    return new Promise(resolve => {
        // Without the spec that checks the mutants against the unmutated code: it fails on every mutant.
        // Given specs, mocha runs them with the config's options but not its spec list (which it would add).
        const only = specs.length ? ["--no-config", ...configOptions(dir), ...specs] : [];
        const mocha = [
            "node_modules/mocha/bin/mocha.js",
            "--bail",
            "--ignore",
            SELF_SPEC,
            "--reporter",
            "json",
            "--reporter-option",
            `output=${report}`,
            ...only,
        ];
        const child = spawn(process.execPath, mocha, {
            cwd: dir,
            stdio: ["ignore", "ignore", "pipe"],
            detached: true,
            env: { ...process.env, FORCE_COLOR: "0" },
        });
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            process.kill(-child.pid!, "SIGKILL");
        }, timeoutMs);
        child.on("close", code => {
            clearTimeout(timer);
            const seconds = (Date.now() - started) / 1000;
            let firstFailure: string | undefined;
            try {
                const json = JSON.parse(fs.readFileSync(report, "utf8")) as { failures: { fullTitle: string }[] };
                firstFailure = json.failures[0]?.fullTitle;
            } catch {
                firstFailure = stderr.trim().split("\n").slice(-3).join(" | ") || `mocha exited with ${code}`;
            }
            resolve({ passed: code === 0 && !timedOut, firstFailure, timedOut, seconds });
        });
    });
}

function parseArgs(argv: string[]): { only?: string[]; workers: number; min: number; list: boolean } {
    const value = (flag: string) => {
        const i = argv.indexOf(flag);
        return i >= 0 ? argv[i + 1] : undefined;
    };
    const known = new Set(["--only", "--workers", "--min", "--list"]);
    for (const a of argv) if (a.startsWith("--") && !known.has(a)) throw new Error(`unknown option ${a}; options: ${[...known].join(", ")}`);
    return {
        only: value("--only")?.split(","),
        workers: Number(value("--workers") ?? Math.min(2, os.availableParallelism())),
        min: Number(value("--min") ?? 95),
        list: argv.includes("--list"),
    };
}

async function main(): Promise<number> {
    const args = parseArgs(process.argv.slice(2));
    const unknown = (args.only ?? []).filter(id => !MUTANTS.some(m => m.id === id));
    if (unknown.length) throw new Error(`no mutant named ${unknown.join(", ")}`);
    const mutants = args.only ? MUTANTS.filter(m => args.only!.includes(m.id)) : MUTANTS;
    if (args.list) {
        for (const m of mutants) console.log(`${m.id.padEnd(34)} ${m.file}: ${m.defect}`);
        return 0;
    }

    // Every mutant must fit the code before anything runs.
    const sources = new Map<string, string>();
    const mutated = mutants.map(m => {
        if (!sources.has(m.file)) sources.set(m.file, fs.readFileSync(path.join(ROOT, m.file), "utf8"));
        return mutate(sources.get(m.file)!, m);
    });

    const files = checkoutFiles(ROOT);
    const sandboxes: Sandbox[] = Array.from({ length: Math.max(1, Math.min(args.workers, mutants.length)) }, () => createSandbox(ROOT, files));
    try {
        const baseline = await runSuite(sandboxes[0].dir, 600_000);
        if (!baseline.passed) {
            console.error(`The unit suite fails without mutants (${baseline.firstFailure}): fix it first.`);
            return 1;
        }
        const timeoutMs = Math.max(120_000, baseline.seconds * 3000);
        console.log(`Unmutated unit suite: passed in ${baseline.seconds.toFixed(1)} s. ${mutants.length} mutants, ${sandboxes.length} at a time.`);

        const outcomes: Outcome[] = [];
        let next = 0;
        const work = async (box: Sandbox) => {
            while (next < mutants.length) {
                const i = next++;
                const m = mutants[i];
                box.write(m.file, mutated[i]);
                const first = firstSpecs(m.file);
                const quick = first.length ? await runSuite(box.dir, timeoutMs, first) : undefined;
                const r = quick && (!quick.passed || quick.timedOut) ? quick : await runSuite(box.dir, timeoutMs);
                if (quick && r !== quick) r.seconds += quick.seconds;
                box.write(m.file, sources.get(m.file)!);
                const status = r.timedOut ? "timeout" : r.passed ? "survived" : "killed";
                const outcome: Outcome = { mutant: m, status, by: r.firstFailure, seconds: r.seconds };
                outcomes.push(outcome);
                const detail = status === "killed" ? `by "${r.firstFailure}"` : status === "survived" ? `SURVIVED: ${m.defect}` : "the suite hung";
                console.log(`${String(outcomes.length).padStart(3)}/${mutants.length} ${status.padEnd(8)} ${m.id} (${r.seconds.toFixed(0)} s) ${detail}`);
            }
        };
        await Promise.all(sandboxes.map(work));

        const killed = outcomes.filter(o => o.status !== "survived").length;
        const score = (100 * killed) / outcomes.length;
        const survivors = outcomes.filter(o => o.status === "survived");
        console.log(`\nMutation score of components/: ${killed} of ${outcomes.length} mutants killed (${score.toFixed(1)} %); required: ${args.min} %.`);
        for (const o of survivors) console.log(`  survived: ${o.mutant.id} in ${o.mutant.file}: ${o.mutant.defect}`);
        return score >= args.min ? 0 : 1;
    } finally {
        for (const box of sandboxes) box.remove();
    }
}

if (require.main === module) {
    main().then(
        code => process.exit(code),
        (e: Error) => {
            console.error(e.message);
            process.exit(1);
        },
    );
}
