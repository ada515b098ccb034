/**
 * What a recipe builds with: a scratch copy of its source folder, the output folder, and `go` and other
 * commands run with their output shown, in a pinned, offline-friendly Go environment.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface RunOptions {
    cwd?: string;
    env?: Record<string, string>;
}

/** The Go environment of every build: no VCS stamping, no toolchain download, static binaries. */
export const GO_ENV = { GOFLAGS: "-buildvcs=false -trimpath", GOTOOLCHAIN: "local", CGO_ENABLED: "0" };

export class Builder {
    constructor(
        /** A writable copy of the recipe's source folder; commands run here unless told otherwise. */
        readonly work: string,
        /** The folder the binaries go to. */
        readonly bin: string,
        private readonly log: (line: string) => void,
    ) {}

    /** The path of a binary in the output folder. */
    out(binary: string): string {
        return path.join(this.bin, binary);
    }

    go(args: string[], opts: RunOptions = {}): Promise<void> {
        return this.run("go", args, { ...opts, env: { ...GO_ENV, ...opts.env } });
    }

    /** Runs a command to completion; its output goes to this process's stderr. Rejects on failure. */
    run(command: string, args: string[], opts: RunOptions = {}): Promise<void> {
        const cwd = opts.cwd ?? this.work;
        this.log(`$ ${[command, ...args].join(" ")}${cwd === this.work ? "" : `   (in ${path.relative(this.work, cwd)})`}`);
        return new Promise((resolve, reject) => {
            const child = spawn(command, args, { cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", "inherit", "inherit"] });
            child.once("error", e => reject(new Error(`${command} did not start: ${e.message}`)));
            child.once("exit", code => (code === 0 ? resolve() : reject(new Error(`${command} ${args[0] ?? ""} exited with ${code}`))));
        });
    }

    /** The folder of a module the work folder's go.mod requires, in the module cache. */
    async moduleDir(module: string): Promise<string> {
        return execFileSync("go", ["list", "-m", "-f", "{{.Dir}}", module], { cwd: this.work, encoding: "utf8", env: { ...process.env, ...GO_ENV } }).trim();
    }

    /** Copies a module version from the module cache (downloading it through the proxy first) to `dest`, writable. */
    async copyModule(module: string, version: string, dest: string): Promise<void> {
        this.log(`$ go mod download ${module}@${version}`);
        const info = JSON.parse(
            execFileSync("go", ["mod", "download", "-json", `${module}@${version}`], { cwd: this.work, encoding: "utf8", env: { ...process.env, ...GO_ENV } }),
        ) as { Dir?: string; Error?: string };
        if (!info.Dir) throw new Error(`go mod download ${module}@${version}: ${info.Error ?? "no directory"}`);
        fs.cpSync(info.Dir, dest, { recursive: true });
        for (const file of walk(dest)) fs.chmodSync(file, fs.statSync(file).isDirectory() ? 0o755 : 0o644);
    }
}

function walk(dir: string): string[] {
    return [dir, ...fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]))];
}
