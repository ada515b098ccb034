/** The real-server helpers of the integration suite: a missing binary fails at once, in one line. */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import * as fs from "node:fs";
import { missingServers, onPath, postgresClientBin, postgresServerBin, POSTGRES_MAJOR, runToEnd, startProcess } from "./support/servers";
import { DEFAULTS } from "../components/config/defaults";
import { ROOT } from "../tools/render/stack-config";

describe("integration servers", () => {
    it("finds executables on PATH", () => {
        assert.equal(onPath("sh"), true);
        assert.equal(onPath("kubeship-no-such-command"), false);
        assert.equal(onPath("sh", { PATH: "/kubeship-nowhere" }), false);
    });

    it("says how to get each missing server", () => {
        assert.deepEqual(
            missingServers({ PATH: "/kubeship-nowhere" }).filter(m => m.install.includes("redis-server")),
            [{ binary: "redis-server", install: "apt-get install redis-server" }],
        );
    });

    it("runs PostgreSQL at the deployed image's version, from the npm registry, and the machine's client tools", () => {
        const version = spawnSync(path.join(postgresServerBin(), "postgres"), ["--version"], { encoding: "utf8" }).stdout;
        assert.equal(version.trim(), `postgres (PostgreSQL) ${/^postgres:([\d.]+)/.exec(DEFAULTS.postgres.image)![1]}`);
        assert.equal(POSTGRES_MAJOR, 17);
        assert.ok(fs.existsSync(path.join(postgresClientBin(), "pg_isready")));
    });

    it("gives up at once on a process that cannot start, instead of waiting for its output", async () => {
        const started = Date.now();
        const proc = startProcess("ghost", "kubeship-no-such-command", []);
        await assert.rejects(proc.waitForLine(/ready/, 15000), /ghost did not start: spawn kubeship-no-such-command ENOENT/);
        await assert.rejects(runToEnd("kubeship-no-such-command", []), /did not start/);
        assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms`);
    });

    it("stops the integration run before it starts, in one line, when redis-server is missing", () => {
        const r = spawnSync(process.execPath, ["--require", "ts-node/register", path.join(ROOT, "test", "integration", "preflight.ts")], {
            cwd: ROOT,
            env: { ...process.env, PATH: "/kubeship-nowhere", TS_NODE_TRANSPILE_ONLY: "true" },
            encoding: "utf8",
        });
        assert.equal(r.status, 1);
        const lines = r.stderr.trim().split("\n");
        assert.equal(lines.length, 1, r.stderr);
        assert.match(lines[0], /^The integration tests run real servers, and these are missing: .*redis-server \(apt-get install redis-server\)$/);
    });
});
