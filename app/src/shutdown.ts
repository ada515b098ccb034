/**
 * Graceful shutdown on a signal: readiness turns 503 (so load balancers stop sending), the server stops
 * accepting, requests in flight finish and their keep-alive connections close as they fall idle (all
 * connections are closed after `timeoutMs`), then the pools close and the process exits 0. A second
 * signal changes nothing.
 */
import type * as http from "node:http";
import type { App } from "./app";
import type { Logger } from "./log";

export interface ShutdownDeps {
    server: http.Server;
    app: Pick<App, "startDraining">;
    /** Closed once the server has stopped: the database and cache clients. */
    pools: { close(): Promise<void> }[];
    timeoutMs: number;
    log: Logger;
    exit: (code: number) => void;
}

/** Returns the signal handler. */
export function gracefulShutdown(deps: ShutdownDeps): (signal: string) => void {
    let stopping = false;
    return signal => {
        if (stopping) return;
        stopping = true;
        deps.log.info("shutting down", { signal });
        deps.app.startDraining();
        const force = setTimeout(() => {
            deps.log.warn("in-flight requests did not finish in time; closing their connections");
            deps.server.closeAllConnections();
        }, deps.timeoutMs);
        // A keep-alive connection whose request finishes after the signal would otherwise stay open until
        // its keep-alive timeout, and hold the shutdown: close connections as soon as they fall idle.
        const sweep = setInterval(() => deps.server.closeIdleConnections(), 100);
        const finish = async () => {
            clearTimeout(force);
            clearInterval(sweep);
            await Promise.allSettled(deps.pools.map(p => p.close()));
            deps.log.info("stopped");
            deps.exit(0);
        };
        deps.server.close(() => void finish());
        deps.server.closeIdleConnections();
    };
}
