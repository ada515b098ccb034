/**
 * The HTTP handlers, independent of the real clients so they can be tested with fakes.
 *   GET  /health        the process is alive (liveness)
 *   GET  /ready         this pod can serve: Postgres, where every count lives, answers (503 otherwise,
 *                       and while shutting down). Redis is a cache the app serves without, so its
 *                       outage never takes pods out of the Service (readiness)
 *   GET  /dependencies  each dependency's state, for dashboards and alerts: 503 when one is down
 *                       (never a probe: a shared dependency would fail every pod at once)
 *   GET  /visits  the visit count: from the Redis cache, else from Postgres (then cached)
 *   POST /visits  counts a visit in Postgres and refreshes the cache
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, Logger } from "./log";

/** Durable visit counts (Postgres). */
export interface Counter {
    increment(name: string): Promise<number>;
    get(name: string): Promise<number>;
    ping(): Promise<void>;
}

/** A cache in front of the counter (Redis). */
export interface Cache {
    get(key: string): Promise<string | null>;
    set(key: string, value: string, ttlSeconds: number): Promise<void>;
    ping(): Promise<void>;
}

export interface AppDeps {
    counter: Counter;
    cache: Cache;
    log: Logger;
    /** Each readiness check gives up after this long. @default 1000 */
    checkTimeoutMs?: number;
    /** How long a cached count lives. @default 60 */
    cacheTtlSeconds?: number;
}

export interface App {
    handle(req: IncomingMessage, res: ServerResponse): void;
    /** Readiness reports 503 from now on, so load balancers stop sending traffic. */
    startDraining(): void;
}

const COUNTER = "home";
const CACHE_KEY = `visits:${COUNTER}`;

export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function createApp(deps: AppDeps): App {
    const checkTimeoutMs = deps.checkTimeoutMs ?? 1000;
    const ttl = deps.cacheTtlSeconds ?? 60;
    let draining = false;

    const check = async (what: string, ping: () => Promise<void>): Promise<string> => {
        try {
            await withTimeout(ping(), checkTimeoutMs, what);
            return "ok";
        } catch (e) {
            return `down: ${describe(e)}`;
        }
    };

    const routes: Record<string, () => Promise<[number, unknown]>> = {
        "GET /health": async () => [200, { status: "ok" }],
        "GET /ready": async () => {
            if (draining) return [503, { status: "draining" }];
            const postgres = await check("postgres", () => deps.counter.ping());
            const ready = postgres === "ok";
            return [ready ? 200 : 503, { status: ready ? "ready" : "unavailable", postgres }];
        },
        "GET /dependencies": async () => {
            const [postgres, redis] = await Promise.all([check("postgres", () => deps.counter.ping()), check("redis", () => deps.cache.ping())]);
            const up = postgres === "ok" && redis === "ok";
            return [up ? 200 : 503, { postgres, redis }];
        },
        "GET /visits": async () => {
            const cached = await deps.cache.get(CACHE_KEY).catch(e => {
                deps.log.warn("cache read failed", { error: describe(e) });
                return null;
            });
            if (cached !== null) return [200, { visits: Number(cached), source: "cache" }];
            const visits = await deps.counter.get(COUNTER);
            await deps.cache.set(CACHE_KEY, String(visits), ttl).catch(e => deps.log.warn("cache write failed", { error: describe(e) }));
            return [200, { visits, source: "database" }];
        },
        "POST /visits": async () => {
            const visits = await deps.counter.increment(COUNTER);
            await deps.cache.set(CACHE_KEY, String(visits), ttl).catch(e => deps.log.warn("cache write failed", { error: describe(e) }));
            return [201, { visits }];
        },
    };
    const paths = new Set(Object.keys(routes).map(r => r.split(" ")[1]));

    const send = (res: ServerResponse, status: number, body: unknown) => {
        // Once draining, clients learn not to reuse the connection: it closes after this answer.
        res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...(draining ? { connection: "close" } : {}) });
        res.end(JSON.stringify(body));
    };

    return {
        startDraining() {
            draining = true;
        },
        handle(req, res) {
            const started = process.hrtime.bigint();
            const path = new URL(req.url ?? "/", "http://localhost").pathname;
            const route = routes[`${req.method} ${path}`];
            const done = (status: number, body: unknown) => {
                send(res, status, body);
                const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
                if (path !== "/health" && path !== "/ready" && path !== "/dependencies")
                    deps.log.info("request", { method: req.method, path, status, durationMs: Math.round(durationMs * 10) / 10 });
            };
            if (!route) {
                done(paths.has(path) ? 405 : 404, { error: paths.has(path) ? "method not allowed" : "not found" });
                return;
            }
            route().then(
                ([status, body]) => done(status, body),
                e => {
                    deps.log.error("request failed", { method: req.method, path, error: describe(e) });
                    done(503, { error: "a dependency is unavailable" });
                },
            );
        },
    };
}
