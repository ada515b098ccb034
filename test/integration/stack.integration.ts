/**
 * End to end without a cluster: the program runs under mocks (generated passwords full of URL-special
 * characters), then real PostgreSQL and Redis start with exactly the credentials and flags the program
 * put in its manifests, and the real app runs with the environment from the program's app Secret.
 * Loopback only, random ports, everything stopped afterwards.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { runProgram, RunResult } from "../../tools/render/harness";
import { one, spec } from "../support/query";
import { freePort, postgresClientBin, PostgresServer, POSTGRES_MAJOR, Proc, REDIS_MAJOR, runToEnd, startProcess, waitFor } from "../support/servers";
import { readStackConfig, ROOT } from "../../tools/render/stack-config";

/** Replaces the value after `flag` in an argument list, asserting the flag is there once. */
function replaceArg(args: string[], flag: string, value: string): string[] {
    const i = args.indexOf(flag);
    assert.ok(i >= 0 && args.indexOf(flag, i + 1) < 0, `${flag} once in the Redis arguments`);
    return args.map((a, j) => (j === i + 1 ? value : a));
}

/** Points a connection URL at a local port, keeping scheme, credentials and path exactly as generated. */
function retarget(url: string, port: number): string {
    const u = new URL(url);
    u.hostname = "127.0.0.1";
    u.port = String(port);
    return u.toString();
}

describe("the deployed stack against real PostgreSQL and Redis", function () {
    this.timeout(60000);
    let run: RunResult;
    let postgres: PostgresServer | undefined;
    let redis: Proc | undefined;
    let app: Proc | undefined;
    let redisArgs: string[];
    let redisPassword: string;
    let pg: { user: string; password: string; database: string };
    let base: string;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kubeship-it-"));

    const startRedis = async () => {
        redis = startProcess("redis-server", "redis-server", redisArgs);
        await redis.waitForLine(/Ready to accept connections/);
    };
    const get = async (p: string, method = "GET") => {
        const r = await fetch(`${base}${p}`, { method, signal: AbortSignal.timeout(5000) });
        return { status: r.status, body: (await r.json()) as any };
    };
    const redisCli = (...args: string[]) =>
        runToEnd("redis-cli", ["-p", redisArgs[redisArgs.indexOf("--port") + 1], ...args], { ...process.env, REDISCLI_AUTH: redisPassword });

    before(async () => {
        const { config, secretKeys } = readStackConfig("dev");
        run = await runProgram({ stack: "dev", config, secretKeys });
        const appEnv = spec(one(run, "kubernetes:core/v1:Secret", "app-env")).stringData;
        const pgEnv = Object.fromEntries(
            spec(one(run, "kubernetes:apps/v1:StatefulSet", "postgres")).spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]),
        );
        const redisContainer = spec(one(run, "kubernetes:apps/v1:Deployment", "redis")).spec.template.spec.containers[0];
        const redisSecret = spec(one(run, "kubernetes:core/v1:Secret", "redis")).stringData;
        redisPassword = redisSecret.password;
        assert.match(redisPassword, /[@:/?#%&]/, "the generated password needs URL encoding");

        // PostgreSQL as the postgres image would initialise it from the StatefulSet.
        pg = { user: pgEnv.POSTGRES_USER, database: pgEnv.POSTGRES_DB, password: spec(one(run, "kubernetes:core/v1:Secret", "postgres")).stringData.password };
        const pgContainer = spec(one(run, "kubernetes:apps/v1:StatefulSet", "postgres")).spec.template.spec.containers[0];
        postgres = await PostgresServer.start({ ...pg, initdbArgs: pgEnv.POSTGRES_INITDB_ARGS.split(" "), serverArgs: pgContainer.args });

        // Redis with the container's own arguments: only the port and the mounted auth file's path change.
        const include = redisContainer.args[redisContainer.args.indexOf("--include") + 1];
        const authFile = path.join(tmp, path.basename(include));
        fs.writeFileSync(authFile, redisSecret[path.basename(include)], { mode: 0o600 });
        const redisPort = await freePort();
        redisArgs = replaceArg(replaceArg(redisContainer.args, "--port", String(redisPort)), "--include", authFile);
        assert.equal(redisContainer.command[0], "redis-server");
        await startRedis();

        // The app with the Secret's environment, pointed at the local servers.
        const appPort = await freePort();
        base = `http://127.0.0.1:${appPort}`;
        app = startProcess("app", process.execPath, [path.join(ROOT, "app", "dist", "server.js")], {
            PATH: process.env.PATH,
            PORT: String(appPort),
            DATABASE_URL: retarget(appEnv.DATABASE_URL, postgres.port),
            REDIS_URL: retarget(appEnv.REDIS_URL, redisPort),
            SHUTDOWN_TIMEOUT_MS: "5000",
        });
        await app.waitForLine(/"msg":"listening"/);
    });

    after(async () => {
        await app?.stop("SIGKILL");
        await redis?.stop("SIGKILL");
        postgres?.stop();
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("is ready once PostgreSQL and Redis accept the generated credentials", async () => {
        const ready = await waitFor("/ready to be 200", async () => {
            const r = await get("/ready");
            return r.status === 200 ? r : undefined;
        });
        assert.deepEqual(ready.body, { status: "ready", postgres: "ok" });
        assert.deepEqual(await get("/dependencies"), { status: 200, body: { postgres: "ok", redis: "ok" } });
    });

    it("runs the PostgreSQL and Redis majors of the deployed images", async () => {
        assert.equal(Number(postgres!.psql(pg, pg.database, "SHOW server_version_num").slice(0, 2)), POSTGRES_MAJOR);
        const info = (await redisCli("INFO", "server")).find(l => l.startsWith("redis_version:"));
        assert.equal(Number(info?.split(":")[1].split(".")[0]), REDIS_MAJOR, info);
    });

    it("runs PostgreSQL with the memory settings its container gets from the memory limit", async () => {
        const limit = spec(one(run, "kubernetes:apps/v1:StatefulSet", "postgres")).spec.template.spec.containers[0].resources.limits.memory;
        assert.equal(limit, "512Mi", "the dev stack's limit");
        // A quarter and three quarters of 512 MiB.
        assert.equal(postgres!.psql(pg, pg.database, "SHOW shared_buffers"), "128MB");
        assert.equal(postgres!.psql(pg, pg.database, "SHOW effective_cache_size"), "384MB");
    });

    it("counts visits in PostgreSQL and caches them in Redis", async () => {
        assert.deepEqual(await get("/visits", "POST"), { status: 201, body: { visits: 1 } });
        assert.deepEqual(await get("/visits", "POST"), { status: 201, body: { visits: 2 } });
        assert.deepEqual(await get("/visits"), { status: 200, body: { visits: 2, source: "cache" } });
        assert.equal(postgres!.psql(pg, pg.database, "SELECT count FROM kubeship_visits WHERE name = 'home'"), "2");
        assert.deepEqual(await redisCli("GET", "visits:home"), ["2"]);
    });

    it("runs Redis with the maxmemory and eviction policy from its container spec", async () => {
        const lines = await redisCli("CONFIG", "GET", "maxmemory*");
        const values = Object.fromEntries(lines.flatMap((line, i) => (i % 2 ? [] : [[line, lines[i + 1]]])));
        assert.equal(values.maxmemory, redisArgs[redisArgs.indexOf("--maxmemory") + 1]);
        assert.equal(values["maxmemory-policy"], "allkeys-lru");
    });

    it("probes Redis liveness with a command that a hung server fails, though it still accepts TCP connections", async () => {
        const probe = spec(one(run, "kubernetes:apps/v1:Deployment", "redis")).spec.template.spec.containers[0].livenessProbe;
        const port = redisArgs[redisArgs.indexOf("--port") + 1];
        const [shell, flag, script] = probe.exec.command as string[];
        const runProbe = async () => {
            // As the kubelet runs it: in the container's environment (REDISCLI_AUTH), killed at timeoutSeconds.
            const proc = startProcess("liveness", shell, [flag, script.replace(/-p \d+/, `-p ${port}`)], { ...process.env, REDISCLI_AUTH: redisPassword });
            const timer = setTimeout(() => proc.child.kill("SIGKILL"), probe.timeoutSeconds * 1000);
            const code = await proc.exited;
            clearTimeout(timer);
            return code;
        };
        const tcpConnects = () =>
            new Promise<boolean>(resolve => {
                const socket = net.connect(Number(port), "127.0.0.1", () => (socket.destroy(), resolve(true)));
                socket.once("error", () => resolve(false));
            });
        assert.equal(await runProbe(), 0, "a serving Redis passes");
        redis!.child.kill("SIGSTOP");
        try {
            assert.equal(await tcpConnects(), true, "a TCP probe would pass: the kernel still accepts");
            assert.notEqual(await runProbe(), 0, "the command probe fails");
        } finally {
            redis!.child.kill("SIGCONT");
        }
        assert.equal(await runProbe(), 0, "and passes again once Redis answers");
    });

    it("stays ready when Redis stops (the cache is optional), keeps counting from PostgreSQL, and reports Redis down until it returns", async () => {
        assert.equal(await redis!.stop("SIGTERM"), 0);
        const down = await waitFor("/dependencies to be 503", async () => {
            const r = await get("/dependencies");
            return r.status === 503 ? r : undefined;
        });
        assert.equal(down.body.postgres, "ok");
        assert.match(down.body.redis, /^down: /);
        assert.deepEqual(await get("/ready"), { status: 200, body: { status: "ready", postgres: "ok" } }, "every pod stays in the Service");
        assert.deepEqual(await get("/visits", "POST"), { status: 201, body: { visits: 3 } });
        assert.deepEqual(await get("/visits"), { status: 200, body: { visits: 3, source: "database" } });

        await startRedis();
        const back = await waitFor("/dependencies to be 200 again", async () => {
            const r = await get("/dependencies");
            return r.status === 200 ? r : undefined;
        });
        assert.deepEqual(back.body, { postgres: "ok", redis: "ok" });
    });

    /** The role's password once the postStart hook test has set it (the password sync tests start from it). */
    const ROTATED = "Rotated@Pw:/?#%&[2]=+";

    /** The Postgres container's postStart hook, pointed at the local server; psql's arguments are logged by a shim first on PATH. */
    const postStartHook = (passwordFile: string, edit: (script: string) => string = s => s) => {
        const hook: string[] = spec(one(run, "kubernetes:apps/v1:StatefulSet", "postgres")).spec.template.spec.containers[0].lifecycle.postStart.exec.command;
        const shims = fs.mkdtempSync(path.join(tmp, "shims-"));
        const argLog = path.join(shims, "psql-args");
        fs.writeFileSync(path.join(shims, "psql"), `#!/bin/sh\nprintf '%s\\n' "$@" >> ${argLog}\nexec ${postgresClientBin()}/psql "$@"\n`, { mode: 0o755 });
        // Only the socket directory, the mounted file's path and the port (PGPORT) differ from the container's.
        const script = edit(hook[2].replaceAll("/var/run/postgresql", postgres!.socketDir).replaceAll("/etc/postgres-secret/password", passwordFile));
        const proc = startProcess("postStart", hook[0], [hook[1], script], {
            ...process.env,
            PATH: `${shims}:${postgresClientBin()}:${process.env.PATH}`,
            POSTGRES_USER: pg.user,
            POSTGRES_DB: pg.database,
            PGPORT: String(postgres!.port),
        });
        return { proc, psqlArgs: () => (fs.existsSync(argLog) ? fs.readFileSync(argLog, "utf8") : "") };
    };

    it("rotates the Postgres password with the container's postStart hook, the password in no process's arguments", async () => {
        const rotated = ROTATED;
        const passwordFile = path.join(tmp, "rotated-password");
        fs.writeFileSync(passwordFile, rotated, { mode: 0o644 });
        const { proc, psqlArgs } = postStartHook(passwordFile);
        assert.equal(await proc.exited, 0, proc.output.join("\n"));
        assert.ok(psqlArgs().includes(pg.user), "the shim saw psql run");
        assert.ok(!psqlArgs().includes(rotated), `the password is in psql's arguments: ${psqlArgs()}`);
        assert.equal(postgres!.psql({ user: pg.user, password: rotated }, pg.database, "SELECT current_user"), pg.user);
        assert.throws(() => postgres!.psql(pg, pg.database, "SELECT 1"), /password authentication failed/, "the old password no longer works");
    });

    it("fails the hook visibly (exit 1 and a message, which the kubelet puts in an event) when the password cannot be set", async () => {
        const missing = postStartHook(path.join(tmp, "no-such-file"));
        assert.equal(await missing.proc.exited, 1);
        assert.match(missing.proc.output.join("\n"), /kubeship: the password file .*no-such-file is missing or empty/);
        assert.equal(missing.psqlArgs(), "", "an empty password is never set");

        const passwordFile = path.join(tmp, "unused-password");
        fs.writeFileSync(passwordFile, "Unused-Pw-123", { mode: 0o644 });
        const noServer = postStartHook(passwordFile, s =>
            s.replace("pg_isready -q -h 127.0.0.1", "pg_isready -q -h 127.0.0.1 -p 1").replace("-lt 120", "-lt 2"),
        );
        assert.equal(await noServer.proc.exited, 1);
        assert.match(noServer.proc.output.join("\n"), /kubeship: Postgres did not answer within 120 s/);
        assert.equal(noServer.psqlArgs(), "", "nothing is set before the server listens on TCP");

        const wrongRole = postStartHook(passwordFile, s => s.replace('-v user="$POSTGRES_USER"', "-v user=no_such_role"));
        assert.equal(await wrongRole.proc.exited, 1);
        assert.match(wrongRole.proc.output.join("\n"), /role "no_such_role" does not exist[\s\S]*kubeship: psql could not set the role's password/);
    });

    /** The Postgres pod's password sync container, pointed at the local server and a Secret folder of the test's. */
    const passwordSync = (secretDir: string, edit: (script: string) => string = s => s) => {
        const sync = spec(one(run, "kubernetes:apps/v1:StatefulSet", "postgres")).spec.template.spec.containers.find((c: any) => c.name === "password-sync");
        const shims = fs.mkdtempSync(path.join(tmp, "shims-"));
        const argLog = path.join(shims, "psql-args");
        fs.writeFileSync(path.join(shims, "psql"), `#!/bin/sh\nprintf '%s\\n' "$@" >> ${argLog}\nexec ${postgresClientBin()}/psql "$@"\n`, { mode: 0o755 });
        const heartbeat = path.join(shims, "alive");
        const script = edit(
            sync.command[2]
                .replaceAll("/var/run/postgresql", postgres!.socketDir)
                .replaceAll("/etc/postgres-secret", secretDir)
                .replaceAll("/tmp/alive", heartbeat),
        );
        const proc = startProcess("password-sync", sync.command[0], [sync.command[1], script], {
            ...process.env,
            PATH: `${shims}:${postgresClientBin()}:${process.env.PATH}`,
            ...Object.fromEntries(sync.env.map((e: any) => [e.name, e.value])),
            PGPORT: String(postgres!.port),
        });
        return { proc, heartbeat, container: sync, psqlArgs: () => (fs.existsSync(argLog) ? fs.readFileSync(argLog, "utf8") : "") };
    };
    /** Writes the Secret's file as the kubelet refreshes a mounted Secret: a new file renamed over the old. */
    const writeSecretFile = (dir: string, value: string) => {
        fs.writeFileSync(path.join(dir, "password.new"), value, { mode: 0o644 });
        fs.renameSync(path.join(dir, "password.new"), path.join(dir, "password"));
    };
    const canConnect = (password: string) => {
        try {
            return postgres!.psql({ user: pg.user, password }, pg.database, "SELECT current_user") === pg.user;
        } catch {
            return false;
        }
    };

    it("rotates the Postgres password with no restart: the password sync container sets a changed Secret file, and open sessions keep working", async () => {
        const { Client } = await import("pg");
        const current = ROTATED;
        assert.ok(canConnect(current), "the postStart hook test set this password");
        const secretDir = fs.mkdtempSync(path.join(tmp, "secret-"));
        writeSecretFile(secretDir, current);
        const session = new Client({ host: "127.0.0.1", port: postgres!.port, user: pg.user, password: current, database: pg.database });
        await session.connect();
        const sync = passwordSync(secretDir);
        try {
            await sync.proc.waitForLine(/kubeship: the roles' passwords set from the Secret/);
            assert.ok(fs.existsSync(sync.heartbeat), "the heartbeat its probes read");
            const next = "Next#Pw/&?:[3]=+%";
            writeSecretFile(secretDir, next);
            await waitFor("the new password to work", async () => canConnect(next) || undefined, 20_000);
            assert.equal(canConnect(current), false, "the old password no longer opens a session");
            assert.equal((await session.query("SELECT 1 AS one")).rows[0].one, 1, "a session opened with the old password still works");
            assert.ok(sync.psqlArgs().includes(pg.user), "the shim saw psql run");
            assert.ok(!sync.psqlArgs().includes(next) && !sync.psqlArgs().includes(current), `a password is in psql's arguments: ${sync.psqlArgs()}`);
            assert.ok(!sync.proc.output.join("\n").includes(next), "the password is not logged");
            // Its probes, run against its heartbeat: fresh now; a minute old fails liveness, not yet readiness.
            const probe = async (which: "livenessProbe" | "readinessProbe") => {
                const [command, ...args] = sync.container[which].exec.command.map((a: string) => a.replaceAll("/tmp/alive", sync.heartbeat));
                return (await startProcess(which, command, args).exited) === 0;
            };
            assert.deepEqual([await probe("livenessProbe"), await probe("readinessProbe")], [true, true], "a running loop passes both");
            const twoMinutesAgo = new Date(Date.now() - 120_000);
            sync.proc.child.kill("SIGSTOP"); // no turn of the loop while the heartbeat is two minutes old
            fs.utimesSync(sync.heartbeat, twoMinutesAgo, twoMinutesAgo);
            assert.deepEqual(
                [await probe("livenessProbe"), await probe("readinessProbe")],
                [false, true],
                "a loop stuck for two minutes: restarted, Postgres still in the Service",
            );
            sync.proc.child.kill("SIGCONT");
            // SIGINT is the official image's stop signal, which the runtime sends every container of the image.
            const stopping = Date.now();
            assert.equal(await sync.proc.stop("SIGINT"), 0);
            assert.ok(Date.now() - stopping < 3_000, "the stop signal ends the loop at once, not at the pod's grace period");
        } finally {
            await session.end();
            if (sync.proc.child.exitCode === null) await sync.proc.stop("SIGKILL");
        }
    });

    it("keeps the password sync loop alive and its failure visible when psql cannot set the password, and retries", async () => {
        const secretDir = fs.mkdtempSync(path.join(tmp, "secret-"));
        writeSecretFile(secretDir, "Never-Set-Pw-456");
        const sync = passwordSync(secretDir, s => s.replace('-v user="$POSTGRES_USER"', "-v user=no_such_role").replaceAll("sleep 5 ", "sleep 1 "));
        try {
            await sync.proc.waitForLine(/kubeship: psql could not set the role's password from the Secret \(its error is above\); trying again/);
            await waitFor("a second attempt", async () => sync.proc.output.filter(l => /trying again/.test(l)).length >= 2 || undefined, 10_000);
            assert.match(sync.proc.output.join("\n"), /role "no_such_role" does not exist/);
            assert.ok(Date.now() - fs.statSync(sync.heartbeat).mtimeMs < 10_000, "the heartbeat stays fresh: the probes do not restart a loop that runs");
            assert.equal(canConnect("Never-Set-Pw-456"), false);
        } finally {
            await sync.proc.stop("SIGTERM");
        }
    });

    it("says once why a changed password waits (a missing Secret file, a server that does not answer), and sets it when that is over", async () => {
        const secretDir = fs.mkdtempSync(path.join(tmp, "secret-"));
        const sync = passwordSync(secretDir, s => s.replaceAll("sleep 5 ", "sleep 1 "));
        try {
            await sync.proc.waitForLine(
                /kubeship: a changed password waits, trying every 5 s: a password file of the Secret \(.*\/password\) is missing or empty/,
            );
            await new Promise(resolve => setTimeout(resolve, 2500));
            assert.equal(sync.proc.output.filter(l => /waits/.test(l)).length, 1, "said once, not at every turn");
            writeSecretFile(secretDir, ROTATED);
            await sync.proc.waitForLine(/kubeship: the roles' passwords set from the Secret/);
            assert.ok(canConnect(ROTATED));
        } finally {
            await sync.proc.stop("SIGTERM");
        }
        const noServer = passwordSync(secretDir, s => s.replace("export PGCONNECT_TIMEOUT=5", "export PGPORT=1 PGCONNECT_TIMEOUT=5"));
        try {
            await noServer.proc.waitForLine(/kubeship: a changed password waits, trying every 5 s: Postgres does not answer on .*: psql: error: /);
        } finally {
            await noServer.proc.stop("SIGTERM");
        }
    });

    it("keeps the app serving on its open sessions when its password is rotated away, instead of failing requests that need a new session", async () => {
        const { PostgresCounter } = await import("../../app/src/postgres");
        const url = (password: string) =>
            `postgresql://${encodeURIComponent(pg.user)}:${encodeURIComponent(password)}@127.0.0.1:${postgres!.port}/${encodeURIComponent(pg.database)}`;
        const warnings: string[] = [];
        const log = {
            info: () => undefined,
            error: () => undefined,
            warn: (msg: string, fields?: object) => warnings.push(`${msg} ${JSON.stringify(fields)}`),
        };
        const oldPod = new PostgresCounter(url(ROTATED), log);
        const stranger = new PostgresCounter(url(ROTATED));
        const next = "Next-Rotation/Pw#4";
        try {
            // Two open sessions, as a pod under load has.
            const before = await oldPod.get("rotation");
            await Promise.all([oldPod.increment("rotation"), oldPod.increment("rotation")]);
            postgres!.psql({ user: pg.user, password: ROTATED }, pg.database, `ALTER ROLE "${pg.user}" PASSWORD '${next}'`);
            // A burst of 12 needs more sessions than are open: each waits for one of them.
            const counts = await Promise.all(Array.from({ length: 12 }, () => oldPod.increment("rotation")));
            assert.equal(Math.max(...counts), before + 14, "every request of the burst counted");
            assert.equal(warnings.length, 1, `said once: ${warnings.join("; ")}`);
            assert.match(warnings[0], /^postgres refused this pod's password for a new session: serving on its open sessions \{"sessions":[1-5]\}$/);
            // A pod with no open session cannot wait for one: it fails at once, as before.
            await assert.rejects(stranger.get("rotation"), (e: { code?: string }) => e.code === "28P01");
        } finally {
            postgres!.psql({ user: pg.user, password: next }, pg.database, `ALTER ROLE "${pg.user}" PASSWORD '${ROTATED}'`);
            await Promise.all([oldPod.close(), stranger.close()]);
        }
        assert.ok(canConnect(ROTATED));
    });

    it("shuts down gracefully on SIGTERM: a request in flight on a keep-alive connection finishes, answered with Connection: close", async () => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const request = (p: string) =>
            new Promise<{ status: number; connection?: string; socket: net.Socket; body: string }>((resolve, reject) => {
                const req = http.get(`${base}${p}`, { agent }, res => {
                    let body = "";
                    res.on("data", (d: Buffer) => (body += d.toString()));
                    res.on("end", () => resolve({ status: res.statusCode!, connection: res.headers.connection, socket: req.socket!, body }));
                });
                req.on("error", reject);
            });
        const first = await request("/health");
        assert.equal(first.connection, "keep-alive");
        const closed = new Promise<void>(resolve => first.socket.once("close", () => resolve()));

        // A request held in flight: the cache read waits on a Redis that does not answer.
        redis!.child.kill("SIGSTOP");
        const inFlight = request("/visits");
        await new Promise(resolve => setTimeout(resolve, 200));
        app!.child.kill("SIGTERM");
        await app!.waitForLine(/"msg":"shutting down"/);
        redis!.child.kill("SIGCONT");

        const answer = await inFlight;
        assert.equal(answer.status, 200, answer.body);
        assert.equal(answer.socket, first.socket, "the same keep-alive connection");
        assert.equal(answer.connection, "close", "draining: the client must not reuse the connection");
        await closed;
        assert.equal(await app!.exited, 0);
        assert.ok(
            app!.output.some(l => /"msg":"stopped"/.test(l)),
            app!.output.join("\n"),
        );
        agent.destroy();
    });
});
