import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks } from "../tools/render/mocks";
import { ROOT } from "../tools/render/stack-config";

describe("guards that keep the suite honest", () => {
    it("an unhandled rejection fails the mocha run", function () {
        this.timeout(30000);
        const mocha = path.join(ROOT, "node_modules", "mocha", "bin", "mocha.js");
        const result = spawnSync(
            process.execPath,
            [mocha, "--no-config", "--require", "ts-node/register/transpile-only", "--require", "test/hooks.ts", "test/fixtures/unhandled-rejection.ts"],
            { cwd: ROOT, encoding: "utf8" },
        );
        assert.notEqual(result.status, 0, result.stdout);
        assert.match(result.stdout + result.stderr, /unhandled rejection\(s\):[\s\S]*mock threw inside the runtime/);
    });

    it("an invoke the mocks do not know is recorded, not answered silently", async () => {
        const run = await installMocks("guards");
        await pulumi.runtime.invoke("kubernetes:helm:template", {});
        assert.deepEqual(run.unmockedCalls, ["kubernetes:helm:template"]);
    });
});
