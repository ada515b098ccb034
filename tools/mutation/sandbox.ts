/**
 * A throwaway copy of the checkout for mutants: the files git knows (tracked, and new ones not ignored),
 * with the installed `node_modules` folders linked rather than copied. Mutants are written here, never
 * into the working tree.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface Sandbox {
    dir: string;
    /** Writes `text` to `file` (relative) inside the sandbox. */
    write(file: string, text: string): void;
    remove(): void;
}

/** The files of the checkout that a test run may read: what git tracks, and new files it does not ignore. */
export function checkoutFiles(root: string): string[] {
    const out = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8" });
    return out.split("\0").filter(f => f !== "" && fs.existsSync(path.join(root, f)));
}

export function createSandbox(root: string, files: string[]): Sandbox {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeship-mutation-"));
    for (const file of files) {
        const target = path.join(dir, file);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.copyFileSync(path.join(root, file), target);
    }
    // The workspaces' installed packages: linked, so a sandbox costs the size of the sources only.
    for (const modules of ["node_modules", "app/node_modules", "policy/node_modules"]) {
        if (fs.existsSync(path.join(root, modules))) fs.symlinkSync(path.join(root, modules), path.join(dir, modules), "dir");
    }
    return {
        dir,
        write: (file, text) => fs.writeFileSync(path.join(dir, file), text),
        remove: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
}
