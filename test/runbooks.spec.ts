/**
 * docs/runbooks.md is executable: every `pulumi config set|rm` line is applied to its stack and the
 * program runs under the policy pack. A runbook that drifts from the code fails here.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { applyConfigCommand, parseConfigCommand, shellWords } from "./support/config-commands";
import { runProgram } from "../tools/render/harness";
import { one, spec } from "./support/query";
import { policyViolations } from "../tools/render/policy-resources";
import { readStackConfig, ROOT } from "../tools/render/stack-config";

const markdown = fs.readFileSync(path.join(ROOT, "docs", "runbooks.md"), "utf8");
/** Each ```sh block's config commands, with the runbook (section) it belongs to, in document order. */
const blocks = markdown
    .split(/^## /m)
    .slice(1)
    .flatMap(section => {
        const title = section.split("\n")[0];
        return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map(m => ({
            title,
            commands: m[1]
                .split("\n")
                .map(l => l.trim())
                .map(parseConfigCommand)
                .filter(c => c !== undefined),
        }));
    });

describe("config commands", () => {
    it("parse like a shell and apply like the Pulumi CLI", () => {
        assert.deepEqual(shellWords(`pulumi config set --path 'a.b[0]' "x y" z`), ["pulumi", "config", "set", "--path", "a.b[0]", "x y", "z"]);
        const config: Record<string, string> = { "kubeship:app": JSON.stringify({ replicas: 2 }) };
        const secrets: string[] = [];
        applyConfigCommand(config, secrets, parseConfigCommand("pulumi config set -s prod --path kubeship:app.autoscaling.maxReplicas 9")!);
        applyConfigCommand(config, secrets, parseConfigCommand("pulumi config set --path 'kubeship:cluster.authorizedNetworks[0]' 10.0.0.0/8")!);
        applyConfigCommand(config, secrets, parseConfigCommand("pulumi config set --secret digitalocean:token dop")!);
        applyConfigCommand(config, secrets, parseConfigCommand("pulumi config rm --path kubeship:app.replicas")!);
        assert.deepEqual(JSON.parse(config["kubeship:app"]), { autoscaling: { maxReplicas: 9 } });
        assert.deepEqual(JSON.parse(config["kubeship:cluster"]), { authorizedNetworks: ["10.0.0.0/8"] });
        assert.equal(config["digitalocean:token"], "dop");
        assert.deepEqual(secrets, ["digitalocean:token"]);
    });
});

describe("runbooks", () => {
    it("cover first deploys, rollback, scaling, password rotation, backups, upgrades, switching clouds and safe destroys", () => {
        const titles = [...new Set(blocks.map(b => b.title))].join("\n");
        for (const topic of [
            /First deploy on Google Cloud/,
            /First deploy on AWS/,
            /First deploy on DigitalOcean/,
            /First deploy on a local cluster/,
            /Roll back/,
            /Scale/,
            /Rotate the database password/,
            /Check and tune backups/,
            /Restore to a point in time/,
            /Upgrade the cluster/,
            /Switch clouds/,
            /Destroy safely/,
        ]) {
            assert.match(titles, topic);
        }
    });

    // The runbooks are followed in order: a stack keeps what earlier runbooks did to it.
    const state = new Map<string, { config: Record<string, string>; secretKeys: string[] }>();
    for (const [n, block] of blocks.entries()) {
        for (const stack of [...new Set(block.commands.map(c => c.stack ?? "prod"))]) {
            it(`${block.title} (block ${n + 1}): the commands for ${stack} give a valid program`, async () => {
                if (!state.has(stack)) state.set(stack, readStackConfig(stack, true));
                const { config, secretKeys } = state.get(stack)!;
                const mine = block.commands.filter(c => (c.stack ?? "prod") === stack);
                for (const command of mine) applyConfigCommand(config, secretKeys, command);
                const run = await runProgram({ stack, config: { ...config }, secretKeys: [...secretKeys] });
                const violations = policyViolations(run);
                if (/Destroy safely/.test(block.title)) {
                    // Lifting prod's protection is exactly what the policy pack stops in CI.
                    assert.ok(violations.length > 0 && violations.every(v => v.startsWith("prod-data-protected")), violations.join("\n"));
                } else {
                    assert.deepEqual(violations, []);
                }
                if (mine.some(c => c.op === "set" && c.key === "kubeship:app.image")) {
                    const image = spec(one(run, "kubernetes:apps/v1:Deployment", "app")).spec.template.spec.containers[0].image;
                    assert.match(image, /^[^@]+@sha256:[0-9a-f]{64}$/, "pinned to the digest");
                    assert.equal(run.registered.filter(r => r.name === "app-image").length, 0, "no build of the app while pinned");
                }
                const restoreFrom = mine.find(c => c.op === "set" && c.key === "kubeship:postgres.restore.from");
                if (restoreFrom) {
                    const init = spec(one(run, "kubernetes:apps/v1:StatefulSet", "postgres")).spec.template.spec.initContainers;
                    const restore = init.find((c: { name: string }) => c.name === "pgbackup-restore");
                    assert.ok(restore, "the restore runs in Postgres' pod");
                    assert.ok(restore.env.some((e: { name: string; value?: string }) => e.name === "KUBESHIP_RESTORE_FROM" && e.value === restoreFrom.value));
                }
                if (mine.some(c => c.op === "rm" && c.key === "kubeship:app.image")) {
                    assert.equal(run.registered.filter(r => r.name === "app-image").length, 1, "builds the app again once unpinned");
                }
            });
        }
    }
});
