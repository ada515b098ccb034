/**
 * Graceful shutdown on a signal: readiness turns 503 (so load balancers stop sending), answers carry
 * `Connection: close`, requests in flight finish, and the server closes once no connection is left
 * (all are cut after `timeoutMs`); then the pools close and the process exits 0. A second signal
 * changes nothing.
 *
 * Idle keep-alive connections are not closed at the signal: a client may be sending a request on one at
 * that moment, and closing it under the client resets that request (found by the real-node rollout
 * test: one ECONNRESET in 356 requests). They stay usable, each answered with `Connection: close`, or
 * close when Node's keep-alive timeout runs out, which is later than clients reuse them (they honour
 * the `Keep-Alive: timeout` hint with a margin). The server keeps listening meanwhile: a connection
 * that still arrives is answered the same way rather than refused.
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
        let closing = false;
        const close = () => {
            if (closing) return;
            closing = true;
            clearInterval(watch);
            deps.server.close(() => void finish());
        };
        const force = setTimeout(() => {
            deps.log.warn("in-flight requests did not finish in time; closing their connections");
            deps.server.closeAllConnections();
            close();
        }, deps.timeoutMs);
        const watch = setInterval(() => deps.server.getConnections((err, open) => !err && open === 0 && close()), 100);
        const finish = async () => {
            clearTimeout(force);
            await Promise.allSettled(deps.pools.map(p => p.close()));
            deps.log.info("stopped");
            deps.exit(0);
        };
    };
}
