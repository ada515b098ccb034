/**
 * Entry point: wires the real clients, serves HTTP on $PORT, and shuts down gracefully on SIGTERM:
 * readiness turns 503, answers close their connections, in-flight requests finish, then the pools close.
 */
import * as http from "node:http";
import { createApp } from "./app";
import { loadConfig } from "./config";
import { describe, jsonLogger } from "./log";
import { PostgresCounter } from "./postgres";
import { RedisCache } from "./redis";
import { gracefulShutdown } from "./shutdown";

function main(): void {
    const log = jsonLogger();
    const config = loadConfig();
    const counter = new PostgresCounter(config.databaseUrl, log);
    const cache = new RedisCache(config.redis, log);
    cache.start();
    const app = createApp({ counter, cache, log });
    const server = http.createServer((req, res) => app.handle(req, res));
    server.listen(config.port, () => log.info("listening", { port: config.port }));

    const shutdown = gracefulShutdown({ server, app, pools: [counter, cache], timeoutMs: config.shutdownTimeoutMs, log, exit: code => process.exit(code) });
    process.on("SIGTERM", () => shutdown("SIGTERM"));
    process.on("SIGINT", () => shutdown("SIGINT"));
    process.on("unhandledRejection", e => log.error("unhandled rejection", { error: describe(e) }));
}

try {
    main();
} catch (e) {
    jsonLogger().error("failed to start", { error: describe(e) });
    process.exit(1);
}
