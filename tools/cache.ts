/**
 * The tool cache: every tool is built once per content key into a folder outside the checkout, then
 * linked into `.kubeship/tools/bin`. The key hashes what the build depends on: the tool's folder under
 * tools/ (its pinned go.mod and go.sum, its sources), the recipe's code and the Go version. A changed
 * pin, source or recipe builds anew; anything else reuses what is there, in this checkout and others.
 */
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..");
/** Where the checkout finds its tools: `bin/` (first on PATH for the project's scripts) and `pulumi-home/`. */
export const LOCAL = path.join(ROOT, ".kubeship", "tools");

/** `$KUBESHIP_CACHE`, else `$XDG_CACHE_HOME/kubeship`, else `~/.cache/kubeship`. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
    return env.KUBESHIP_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "kubeship");
}

/** Every file below `dir`, as sorted paths relative to it. */
function filesBelow(dir: string): string[] {
    const out: string[] = [];
    const walk = (rel: string) => {
        for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
            const child = path.join(rel, entry.name);
            if (entry.isDirectory()) walk(child);
            else out.push(child);
        }
    };
    walk("");
    return out.sort();
}

/** The installed Go's version line, part of every key (a new Go builds anew). */
export function goVersion(): string {
    try {
        return execFileSync("go", ["version"], { encoding: "utf8", env: { ...process.env, GOTOOLCHAIN: "local" } }).trim();
    } catch {
        throw new Error("go is not installed or not on PATH: the tools build from Go modules (Go 1.26 is at /usr/local/go/bin on the project's machines)");
    }
}

/** A content key over `parts` (strings) and the files of each folder in `dirs`. */
export function contentKey(parts: string[], dirs: string[]): string {
    const hash = crypto.createHash("sha256");
    for (const part of parts) hash.update(`${part}\0`);
    for (const dir of dirs) {
        for (const file of filesBelow(dir)) {
            hash.update(`${path.relative(ROOT, path.join(dir, file))}\0`);
            hash.update(fs.readFileSync(path.join(dir, file)));
            hash.update("\0");
        }
    }
    return hash.digest("hex").slice(0, 16);
}

/** Points `link` at `target`, replacing whatever was there. */
export function link(target: string, linkPath: string): void {
    fs.mkdirSync(path.dirname(linkPath), { recursive: true });
    fs.rmSync(linkPath, { force: true, recursive: true });
    fs.symlinkSync(target, linkPath);
}
