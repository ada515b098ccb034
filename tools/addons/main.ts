/**
 * `npm run addons [-- --check]`: renders each add-on of tools/addons/sources.ts from its pinned module
 * into components/platform/vendor/. With `--check`, renders into memory and exits 1 when a vendored file
 * differs (the test suite runs it). Builds Helm and kustomize into the tool cache first when missing.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ensureTools } from "../build";
import { GO_ENV } from "../builder";
import { ROOT } from "../cache";
import { SOURCES, type AddonSource } from "./sources";

export const VENDOR = path.join(ROOT, "components", "platform", "vendor");

/** The module's folder in the module cache, downloaded through the proxy when missing; its checksum must be the pinned one. */
export function moduleDir(source: AddonSource): string {
    const out = execFileSync("go", ["mod", "download", "-json", `${source.module}@${source.version}`], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, ...GO_ENV, GOFLAGS: `${GO_ENV.GOFLAGS} -mod=mod` },
    });
    const info = JSON.parse(out) as { Dir?: string; Sum?: string; Error?: string };
    if (!info.Dir) throw new Error(`go mod download ${source.module}@${source.version}: ${info.Error ?? "no directory"}`);
    if (info.Sum !== source.sum) throw new Error(`${source.module}@${source.version} has checksum ${info.Sum}, not the pinned ${source.sum}`);
    return info.Dir;
}

/** The vendored file's text: a header saying where it comes from, then the rendered documents. */
export function vendoredText(source: AddonSource, rendered: string): string {
    const header = [
        `# Vendored by \`npm run addons\` from ${source.module}@${source.version} (${source.sum}):`,
        `# ${source.how}.`,
        "# Do not edit: change tools/addons/sources.ts and run `npm run addons`.",
    ];
    return `${header.join("\n")}\n${rendered.endsWith("\n") ? rendered : `${rendered}\n`}`;
}

/**
 * Renders every source. Writes the vendored files, or with `check` compares them; returns the files that
 * are not what their pinned sources render (and vendored files no source names).
 */
export async function vendor(check: boolean, log: (line: string) => void = line => console.error(`[addons] ${line}`)): Promise<string[]> {
    const tools = await ensureTools(line => log(line));
    const bin = { helm: path.join(tools.bin, "helm"), kustomize: path.join(tools.bin, "kustomize") };
    const stale: string[] = [];
    for (const source of SOURCES) {
        const text = vendoredText(source, source.render(moduleDir(source), bin));
        const file = path.join(VENDOR, source.file);
        if (check) {
            if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text) stale.push(source.file);
        } else {
            fs.mkdirSync(VENDOR, { recursive: true });
            fs.writeFileSync(file, text);
            log(`${source.file}: ${source.module}@${source.version}`);
        }
    }
    const known = new Set(SOURCES.map(s => s.file));
    const strays = fs.existsSync(VENDOR) ? fs.readdirSync(VENDOR).filter(f => !known.has(f)) : [];
    return [...stale, ...strays.map(f => `${f} (no source)`)];
}

async function main(check: boolean): Promise<number> {
    const stale = await vendor(check);
    if (!stale.length) return 0;
    console.error(`[addons] not what the pinned sources render: ${stale.join(", ")}; run npm run addons`);
    return 1;
}

if (require.main === module) {
    main(process.argv.includes("--check")).then(
        code => process.exit(code),
        (e: Error) => {
            console.error(`[addons] ${e.message}`);
            process.exit(1);
        },
    );
}
