/** The local cluster's processes: started detached, each leading its own process group and logging to `<dir>/logs/<name>.log`. */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";

/** Whether a process id is running. */
export function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

/** A TCP port free on loopback now. */
export async function freePort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise(resolve => server.close(resolve));
    return port;
}

/** Polls `probe` every 250 ms until it returns a value; `check` throws to stop early (a component died). */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, check: () => void = () => undefined): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    for (;;) {
        check();
        try {
            const value = await probe();
            if (value !== undefined) return value;
        } catch (e) {
            last = (e as Error).message;
        }
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? `: ${last}` : ""}`);
        await new Promise(resolve => setTimeout(resolve, 250));
    }
}

/** Starts `argv` detached in a process group of its own, its output appended to `<dir>/logs/<name>.log`. */
export function startProcess(dir: string, name: string, argv: string[]): number {
    const log = fs.openSync(path.join(dir, "logs", `${name}.log`), "a");
    const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ["ignore", log, log] });
    fs.closeSync(log);
    child.unref();
    if (child.pid === undefined) throw new Error(`${name} did not start (${argv[0]})`);
    return child.pid;
}

/** Throws with the end of its log when a process of `pids` has exited. */
export function checkAlive(dir: string, pids: Record<string, number>): void {
    for (const [name, pid] of Object.entries(pids)) {
        if (!alive(pid)) {
            const logFile = path.join(dir, "logs", `${name}.log`);
            const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").trim().split("\n").slice(-8).join("\n") : "(no log)";
            throw new Error(`${name} exited; the end of ${logFile}:\n${tail}`);
        }
    }
}
