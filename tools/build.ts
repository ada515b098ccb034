/**
 * `npm run tools`: builds the Pulumi CLI, its Node.js language host, the provider plugins the dev stack
 * needs, etcd and the Kubernetes control plane from pinned Go modules into the tool cache (outside the
 * checkout), reuses what is already there, links the binaries into `.kubeship/tools/bin`, and installs
 * the provider plugins for the engine into `.kubeship/tools/pulumi-home`. The tests call `ensureTools`.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Builder } from "./builder";
import { cacheRoot, contentKey, goVersion, link, LOCAL, ROOT } from "./cache";
import { Recipe, RECIPES } from "./recipes";

export interface Tools {
    /** Folder with every tool binary: put it first on PATH. */
    bin: string;
    /** A PULUMI_HOME with the provider plugins installed at the versions the SDKs ask for. */
    pulumiHome: string;
}

/**
 * The provider plugins, installed into the PULUMI_HOME under the version each npm SDK asks for, so that
 * the engine finds them without a PATH lookup (the language host sits beside the CLI).
 */
const PLUGINS = [
    { name: "kubernetes", binary: "pulumi-resource-kubernetes", sdk: "@pulumi/kubernetes" },
    { name: "random", binary: "pulumi-resource-random", sdk: "@pulumi/random" },
];

function minutes(ms: number): string {
    const s = Math.round(ms / 1000);
    return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

function recipeKey(recipe: Recipe, go: string): string {
    return contentKey([recipe.name, go, JSON.stringify(recipe.pins), recipe.build.toString()], [path.join(ROOT, "tools", recipe.source)]);
}

/** Builds one tool unless its folder for this key is complete; returns that folder. */
async function buildTool(recipe: Recipe, go: string, log: (line: string) => void): Promise<string> {
    const dir = path.join(cacheRoot(), "tools", `${recipe.name}-${recipeKey(recipe, go)}`);
    if (fs.existsSync(path.join(dir, "complete"))) return dir;

    const partial = `${dir}.partial`;
    fs.rmSync(partial, { recursive: true, force: true });
    const work = path.join(partial, "work");
    fs.cpSync(path.join(ROOT, "tools", recipe.source), work, { recursive: true });
    fs.mkdirSync(path.join(partial, "bin"));
    const started = Date.now();
    log(`building ${recipe.name} (a cold build takes about ${recipe.coldMinutes} min on 2 cores) into ${dir}`);
    const heartbeat = setInterval(() => log(`  still building ${recipe.name}: ${minutes(Date.now() - started)}`), 60_000);
    try {
        await recipe.build(new Builder(work, path.join(partial, "bin"), line => log(`  ${line}`)));
    } catch (e) {
        throw new Error(`building ${recipe.name} failed: ${(e as Error).message} (its work folder is kept in ${partial})`, { cause: e });
    } finally {
        clearInterval(heartbeat);
    }
    for (const binary of recipe.binaries) {
        if (!fs.existsSync(path.join(partial, "bin", binary))) throw new Error(`building ${recipe.name} made no ${binary}`);
    }
    fs.rmSync(work, { recursive: true, force: true });
    fs.writeFileSync(path.join(partial, "complete"), `${new Date().toISOString()} ${minutes(Date.now() - started)}\n`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(partial, dir);
    log(`built ${recipe.name} in ${minutes(Date.now() - started)}`);
    return dir;
}

/** The version of an installed npm package (what the program's SDK asks the engine for). */
function sdkVersion(pkg: string): string {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
}

/** A PULUMI_HOME holding the plugins, made once per CLI and set of plugin binaries and versions. */
function pluginHome(bin: string): string {
    const plugins = PLUGINS.map(p => ({ name: p.name, version: sdkVersion(p.sdk), file: fs.realpathSync(path.join(bin, p.binary)) }));
    const cli = fs.realpathSync(path.join(bin, "pulumi"));
    const home = path.join(cacheRoot(), "tools", `pulumi-home-${contentKey([cli, JSON.stringify(plugins)], [])}`);
    if (fs.existsSync(path.join(home, "complete"))) return home;
    const partial = `${home}.partial`;
    fs.rmSync(partial, { recursive: true, force: true });
    fs.mkdirSync(partial, { recursive: true });
    for (const p of plugins) {
        execFileSync(cli, ["plugin", "install", "resource", p.name, p.version, "--file", p.file], {
            env: { ...process.env, PULUMI_HOME: partial, PULUMI_SKIP_UPDATE_CHECK: "true" },
            stdio: ["ignore", "ignore", "inherit"],
        });
    }
    fs.writeFileSync(path.join(partial, "complete"), `${plugins.map(p => `${p.name} ${p.version}`).join("\n")}\n`);
    fs.rmSync(home, { recursive: true, force: true });
    fs.renameSync(partial, home);
    return home;
}

/** Builds what is missing (with progress on `log`), links everything into `.kubeship/tools`. */
export async function ensureTools(log: (line: string) => void = line => console.error(`[tools] ${line}`)): Promise<Tools> {
    const go = goVersion();
    const bin = path.join(LOCAL, "bin");
    for (const recipe of RECIPES) {
        const dir = await buildTool(recipe, go, log);
        for (const binary of recipe.binaries) link(path.join(dir, "bin", binary), path.join(bin, binary));
    }
    const pulumiHome = path.join(LOCAL, "pulumi-home");
    link(pluginHome(bin), pulumiHome);
    return { bin, pulumiHome };
}

/** Builds (or finds) one tool and returns the folder of its binaries: for a suite that needs only it. */
export async function ensureTool(name: string, log: (line: string) => void = line => console.error(`[tools] ${line}`)): Promise<string> {
    const recipe = RECIPES.find(r => r.name === name);
    if (!recipe) throw new Error(`no recipe for ${name}`);
    return path.join(await buildTool(recipe, goVersion(), log), "bin");
}

// `npm run tools` builds every tool; `npm run tools -- <name>` one (the integration suite's pgbackup).
// The suites run it before mocha: a cold build takes longer than any test's timeout.
if (require.main === module) {
    const started = Date.now();
    const only = process.argv[2];
    (only ? ensureTool(only).then(bin => ({ bin })) : ensureTools()).then(
        tools => console.error(`[tools] ready in ${minutes(Date.now() - started)}: ${tools.bin}`),
        (e: Error) => {
            console.error(`[tools] ${e.message}`);
            process.exit(1);
        },
    );
}
