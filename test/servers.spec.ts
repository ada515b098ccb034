/** The real-server helpers of the integration suite: a missing binary fails at once, in one line. */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { missingServers, onPath, runToEnd, startProcess } from "./support/servers";
import { ROOT } from "../tools/render/stack-config";

describe("integration servers", () => {
    it("finds executables on PATH", () => {
        assert.equal(onPath("sh"), true);
        assert.equal(onPath("kubeship-no-such-command"), false);
        assert.equal(onPath("sh", { PATH: "/kubeship-nowhere" }), false);
    });

    it("names the Debian package of each missing server", () => {
        assert.deepEqual(
            missingServers({ PATH: "/kubeship-nowhere" }).filter(m => m.debianPackage === "redis-server"),
            [{ binary: "redis-server", debianPackage: "redis-server" }],
        );
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
        assert.match(lines[0], /redis-server (is|are) not installed: apt-get install (postgresql )?redis-server$/);
    });
});
