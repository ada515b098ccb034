import * as assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { App, Cache, Counter, createApp, withTimeout } from "../../app/src/app";
import { loadConfig, parseRedisUrl } from "../../app/src/config";
import { jsonLogger } from "../../app/src/log";
import { gracefulShutdown } from "../../app/src/shutdown";

/** In-memory stand-ins whose availability the tests switch. */
class FakeCounter implements Counter {
    up = true;
    hang = false;
    counts = new Map<string, number>();
    private guard() {
        if (this.hang) return new Promise<never>(() => undefined);
        if (!this.up) return Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:5432"));
        return Promise.resolve();
    }
    async increment(name: string) {
        await this.guard();
        this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
        return this.counts.get(name)!;
    }
    async get(name: string) {
        await this.guard();
        return this.counts.get(name) ?? 0;
    }
    async ping() {
        await this.guard();
    }
}

class FakeCache implements Cache {
    up = true;
    entries = new Map<string, string>();
    private guard() {
        if (!this.up) throw new Error("The client is closed");
    }
    async get(key: string) {
        this.guard();
        return this.entries.get(key) ?? null;
    }
    async set(key: string, value: string) {
        this.guard();
        this.entries.set(key, value);
    }
    async ping() {
        this.guard();
    }
}

describe("sample app handlers", () => {
    let counter: FakeCounter;
    let cache: FakeCache;
    let logs: any[];
    let app: App;
    let server: http.Server;
    let base: string;

    beforeEach(async () => {
        counter = new FakeCounter();
        cache = new FakeCache();
        logs = [];
        app = createApp({ counter, cache, log: jsonLogger(line => logs.push(JSON.parse(line))), checkTimeoutMs: 50 });
        server = http.createServer((req, res) => app.handle(req, res));
        await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
        base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterEach(async () => {
        await new Promise(resolve => server.close(resolve));
    });

    const call = async (method: string, path: string) => {
        const r = await fetch(`${base}${path}`, { method });
        return { status: r.status, body: (await r.json()) as any, type: r.headers.get("content-type") };
    };

    it("GET /health answers while the process lives, even with both dependencies down", async () => {
        counter.up = false;
        cache.up = false;
        assert.deepEqual(await call("GET", "/health"), { status: 200, body: { status: "ok" }, type: "application/json" });
    });

    it("GET /ready is 200 when Postgres answers, whatever Redis does: a cache outage takes no pod out of the Service", async () => {
        assert.deepEqual(await call("GET", "/ready"), { status: 200, body: { status: "ready", postgres: "ok" }, type: "application/json" });
        cache.up = false;
        assert.deepEqual(await call("GET", "/ready"), { status: 200, body: { status: "ready", postgres: "ok" }, type: "application/json" });
    });

    it("GET /ready is 503 when this pod cannot reach Postgres, and says why", async () => {
        counter.up = false;
        const r = await call("GET", "/ready");
        assert.equal(r.status, 503);
        assert.equal(r.body.status, "unavailable");
        assert.match(r.body.postgres, /^down: connect ECONNREFUSED/);
    });

    it("GET /ready does not hang on a database that does not answer", async () => {
        counter.hang = true;
        const r = await call("GET", "/ready");
        assert.equal(r.status, 503);
        assert.equal(r.body.postgres, "down: postgres timed out after 50 ms");
    });

    it("GET /dependencies reports each dependency, 503 when one is down", async () => {
        assert.deepEqual(await call("GET", "/dependencies"), { status: 200, body: { postgres: "ok", redis: "ok" }, type: "application/json" });
        cache.up = false;
        assert.deepEqual(await call("GET", "/dependencies"), {
            status: 503,
            body: { postgres: "ok", redis: "down: The client is closed" },
            type: "application/json",
        });
        counter.hang = true;
        assert.equal((await call("GET", "/dependencies")).body.postgres, "down: postgres timed out after 50 ms");
    });

    it("GET /ready is 503 once draining, so load balancers stop sending traffic", async () => {
        app.startDraining();
        assert.deepEqual((await call("GET", "/ready")).body, { status: "draining" });
    });

    it("counts visits in Postgres and serves the count from the Redis cache", async () => {
        assert.deepEqual((await call("GET", "/visits")).body, { visits: 0, source: "database" });
        assert.deepEqual(await call("POST", "/visits"), { status: 201, body: { visits: 1 }, type: "application/json" });
        assert.deepEqual((await call("POST", "/visits")).body, { visits: 2 });
        assert.deepEqual((await call("GET", "/visits")).body, { visits: 2, source: "cache" });
        assert.equal(cache.entries.get("visits:home"), "2");
        cache.entries.clear();
        assert.deepEqual((await call("GET", "/visits")).body, { visits: 2, source: "database" });
        assert.equal(cache.entries.get("visits:home"), "2", "a miss fills the cache");
    });

    it("keeps counting when the cache is down, and fails cleanly when the database is", async () => {
        await call("POST", "/visits");
        cache.up = false;
        assert.deepEqual((await call("POST", "/visits")).body, { visits: 2 });
        assert.deepEqual((await call("GET", "/visits")).body, { visits: 2, source: "database" });
        assert.ok(logs.some(l => l.level === "warn" && l.msg === "cache write failed"));
        counter.up = false;
        assert.deepEqual(await call("POST", "/visits"), { status: 503, body: { error: "a dependency is unavailable" }, type: "application/json" });
        assert.ok(logs.some(l => l.level === "error" && l.msg === "request failed" && /ECONNREFUSED/.test(l.error)));
    });

    it("answers 404 for unknown paths and 405 for wrong methods", async () => {
        assert.equal((await call("GET", "/nope")).status, 404);
        assert.equal((await call("DELETE", "/visits")).status, 405);
    });

    it("logs one JSON line per request, without the probes and dependency checks", async () => {
        await call("GET", "/health");
        await call("GET", "/ready");
        await call("GET", "/dependencies");
        await call("POST", "/visits");
        const requests = logs.filter(l => l.msg === "request");
        assert.equal(requests.length, 1);
        assert.equal(requests[0].method, "POST");
        assert.equal(requests[0].status, 201);
        assert.equal(requests[0].level, "info");
        assert.ok(typeof requests[0].durationMs === "number" && !Number.isNaN(Date.parse(requests[0].time)));
    });

    it("withTimeout rejects slow work and passes fast work through", async () => {
        assert.equal(await withTimeout(Promise.resolve(1), 50, "x"), 1);
        await assert.rejects(withTimeout(new Promise(() => undefined), 10, "x"), /x timed out after 10 ms/);
    });
});

describe("sample app config", () => {
    it("decodes percent-encoded Redis credentials", () => {
        const pw = "Pw@x:/?#%&[y]=+";
        assert.deepEqual(parseRedisUrl(`redis://:${encodeURIComponent(pw)}@redis:6380/2`), {
            host: "redis",
            port: 6380,
            username: undefined,
            password: pw,
            database: 2,
        });
        assert.deepEqual(parseRedisUrl("redis://cache"), { host: "cache", port: 6379, username: undefined, password: undefined, database: 0 });
        assert.throws(() => parseRedisUrl("http://x"), /must start with redis:\/\//);
    });

    it("requires DATABASE_URL and REDIS_URL and a valid PORT", () => {
        const env = { DATABASE_URL: "postgresql://u:p@db:5432/d", REDIS_URL: "redis://:p@r:6379/0" };
        assert.equal(loadConfig(env).port, 8080);
        assert.equal(loadConfig({ ...env, PORT: "3000" }).port, 3000);
        assert.throws(() => loadConfig({ REDIS_URL: env.REDIS_URL }), /DATABASE_URL is required/);
        assert.throws(() => loadConfig({ DATABASE_URL: env.DATABASE_URL }), /REDIS_URL is required/);
        assert.throws(() => loadConfig({ ...env, PORT: "http" }), /PORT must be a TCP port/);
        assert.throws(() => loadConfig({ ...env, DATABASE_URL: "mysql://x" }), /must start with postgresql/);
    });
});

describe("sample app shutdown", () => {
    /**
     * A server whose handler waits for `release` before answering (a request in flight), and answers
     * with `Connection: close` once draining, as the app does.
     */
    async function slowServer(keepAliveTimeout = 5000) {
        let release = () => undefined as void;
        let draining = false;
        const held = new Promise<void>(resolve => (release = resolve));
        const server = http.createServer((_req, res) => void held.then(() => res.writeHead(200, draining ? { connection: "close" } : {}).end("done")));
        server.keepAliveTimeout = keepAliveTimeout;
        await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
        return { server, release, port: (server.address() as AddressInfo).port, startDraining: () => void (draining = true) };
    }
    const quiet = jsonLogger(() => undefined);
    /** Waits up to `ms` for `events` to hold `n` entries (the shutdown finishes asynchronously). */
    const settled = async (events: string[], n: number, ms = 2000) => {
        for (let i = 0; i < ms / 50 && events.length < n; i++) await new Promise(resolve => setTimeout(resolve, 50));
    };
    /** A GET on `agent`: its status, Connection header and socket. */
    const get = (port: number, agent: http.Agent) =>
        new Promise<{ status: number; connection?: string; socket: unknown }>((resolve, reject) => {
            const req = http.get(`http://127.0.0.1:${port}/`, { agent }, res => {
                res.resume();
                res.on("end", () => resolve({ status: res.statusCode!, connection: res.headers.connection, socket: req.socket }));
            });
            req.on("error", reject);
        });

    it("on SIGTERM drains readiness, lets the request in flight finish on a closing connection, then closes the pools and exits 0", async () => {
        const { server, release, port, startDraining } = await slowServer();
        const events: string[] = [];
        const shutdown = gracefulShutdown({
            server,
            app: { startDraining: () => (startDraining(), events.push("draining")) },
            pools: [{ close: async () => void events.push("postgres closed") }, { close: async () => void events.push("redis closed") }],
            timeoutMs: 5000,
            log: quiet,
            exit: code => events.push(`exit ${code}`),
        });
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const inFlight = get(port, agent);
        await new Promise(resolve => setTimeout(resolve, 50));
        shutdown("SIGTERM");
        shutdown("SIGTERM");
        assert.deepEqual(events, ["draining"], "readiness drains first, once");
        await new Promise(resolve => setTimeout(resolve, 300));
        assert.deepEqual(events, ["draining"], "nothing closes while a request is in flight");
        release();
        assert.equal((await inFlight).connection, "close");
        // Its connection closes with the answer: the shutdown does not wait out the keep-alive timeout (5 s).
        await settled(events, 4);
        assert.deepEqual(events, ["draining", "postgres closed", "redis closed", "exit 0"]);
        agent.destroy();
    });

    it("leaves an idle keep-alive connection to its client, which may be sending on it: answered with Connection: close, never reset", async () => {
        // Node's agent stops reusing an idle connection a second before the server's Keep-Alive hint.
        const { server, release, port, startDraining } = await slowServer(2500);
        release();
        const events: string[] = [];
        const shutdown = gracefulShutdown({
            server,
            app: { startDraining },
            pools: [],
            timeoutMs: 5000,
            log: quiet,
            exit: code => events.push(`exit ${code}`),
        });
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const first = await get(port, agent);
        assert.equal(first.connection, "keep-alive");
        shutdown("SIGTERM");
        await new Promise(resolve => setTimeout(resolve, 200));
        const reused = await get(port, agent);
        assert.deepEqual([reused.status, reused.connection, reused.socket === first.socket], [200, "close", true], "the same connection still serves");
        await settled(events, 1);
        assert.deepEqual(events, ["exit 0"], "the connection closed with its answer: the server stops");

        // An idle connection nobody reuses closes as keep-alive connections do (the server closes it 2.5 s
        // after its last answer, plus Node's one-second buffer), not at the signal.
        const other = await slowServer(2500);
        other.release();
        const later: string[] = [];
        const stop = gracefulShutdown({ server: other.server, app: other, pools: [], timeoutMs: 5000, log: quiet, exit: code => later.push(`exit ${code}`) });
        await get(other.port, agent);
        const signalled = Date.now();
        stop("SIGTERM");
        await settled(later, 1, 5000);
        assert.deepEqual(later, ["exit 0"], "stopped once the idle connection closed");
        const after = Date.now() - signalled;
        assert.ok(after >= 1200 && after < 4500, `stopped ${after} ms after the signal: the idle connection was cut, or held past its keep-alive timeout`);
        agent.destroy();
    });

    it("closes connections that outlive the timeout, and still exits 0", async () => {
        const { server, port } = await slowServer();
        const events: string[] = [];
        const shutdown = gracefulShutdown({
            server,
            app: { startDraining: () => undefined },
            pools: [],
            timeoutMs: 100,
            log: quiet,
            exit: code => events.push(`exit ${code}`),
        });
        const stuck = fetch(`http://127.0.0.1:${port}/`).then(
            () => "answered",
            () => "cut",
        );
        await new Promise(resolve => setTimeout(resolve, 50));
        shutdown("SIGINT");
        assert.equal(await stuck, "cut");
        await settled(events, 1);
        assert.deepEqual(events, ["exit 0"]);
    });
});
