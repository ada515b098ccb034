/**
 * The real thing: `pulumi preview`, `up` and `destroy` of the dev stack by the real Pulumi engine, with
 * the real Kubernetes and random providers, against a real Kubernetes API server (admission, defaults,
 * server-side apply) with a controller-manager, a scheduler and kwok's fake nodes. Built from the tool
 * cache (`npm run tools`); the cluster is started for the suite and removed after it.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureTools } from "../../tools/build";
import { KubeApi } from "../../tools/cluster/api";
import { CONTEXT, down, up, type ClusterState } from "../../tools/cluster/cluster";
import { Run, stepsOf, typeAndName, Workspace } from "../support/e2e";
import { runProgram } from "../../tools/render/harness";
import { manifests } from "../../tools/render/manifests";
import { readStackConfig } from "../../tools/render/stack-config";

const STACK = "dev";
const DIGEST_1 = `registry.kubeship.invalid/kubeship-app@sha256:${"1".repeat(64)}`;
const DIGEST_2 = `registry.kubeship.invalid/kubeship-app@sha256:${"2".repeat(64)}`;
/** What the suite sets on top of the dev stack file: the local cluster, and a prebuilt image (kwok pulls nothing). */
const OVERRIDES: [string, string, boolean][] = [
    ["kubeship:cloud", "local", false],
    ["kubeship:kubeContext", CONTEXT, false],
    ["kubeship:app.image", DIGEST_1, true],
];

/** API path of an object, from its apiVersion and kind. */
function objectPath(o: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }): string {
    const base = o.apiVersion.includes("/") ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
    const lower = o.kind.toLowerCase();
    const plural = lower.endsWith("y") ? `${lower.slice(0, -1)}ies` : lower.endsWith("s") ? `${lower}es` : `${lower}s`;
    const ns = o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : "";
    return `${base}${ns}/${plural}/${o.metadata.name}`;
}

const timings: [string, number][] = [];
function timed(step: string, run: Run): Run {
    timings.push([step, run.ms]);
    return run;
}

describe("end to end: the real engine against a real API server", function () {
    this.timeout(900_000);
    let cluster: ClusterState;
    let api: KubeApi;
    let ws: Workspace;
    const clusterDir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeship-cluster-"));
    const log = (line: string) => console.error(`      [e2e] ${line}`);

    const get = async <T = any>(p: string) => (await api.get<T>(p)).body;
    const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = 120_000) => {
        const deadline = Date.now() + timeoutMs;
        while (!(await check())) {
            if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
            await new Promise(resolve => setTimeout(resolve, 500));
        }
    };

    before(async () => {
        const tools = await ensureTools(line => log(line));
        const started = Date.now();
        cluster = await up(clusterDir, tools.bin, log);
        timings.push(["cluster up", Date.now() - started]);
        api = new KubeApi(cluster.server, path.join(clusterDir, "pki"));
        ws = new Workspace(tools, STACK, cluster.kubeconfig);
        await ws.ok(["stack", "init"]);
        for (const [key, value, isPath] of OVERRIDES) await ws.configSet(key, value, { path: isPath });
    });

    after(async () => {
        api?.close();
        await down(clusterDir, log);
        ws?.remove();
        console.error(`\n      wall time per step:\n${timings.map(([s, ms]) => `        ${s.padEnd(48)} ${(ms / 1000).toFixed(1)} s`).join("\n")}\n`);
    });

    it("1. previews, then deploys: every workload available, pods admitted under Pod Security restricted, objects as rendered", async () => {
        const preview = timed("preview (new stack)", await ws.ok(["preview"]));
        assert.match(preview.stdout, /\+ +\d+ to create/);
        timed("up (new stack)", await ws.ok(["up", "--yes", "--skip-preview"]));

        const ns = await get("/api/v1/namespaces/dev");
        assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
        for (const d of ["app", "redis"]) {
            const dep = await get(`/apis/apps/v1/namespaces/dev/deployments/${d}`);
            assert.equal(dep.status.availableReplicas, dep.spec.replicas, `${d} available`);
        }
        const sts = await get("/apis/apps/v1/namespaces/dev/statefulsets/postgres");
        assert.equal(sts.status.readyReplicas, sts.spec.replicas, "postgres ready");
        const pods = (await get("/api/v1/namespaces/dev/pods")).items;
        assert.equal(pods.length, 3, pods.map((p: any) => p.metadata.name).join(", "));
        const events = (await get("/api/v1/namespaces/dev/events")).items;
        assert.deepEqual(
            events.filter((e: any) => e.reason === "FailedCreate").map((e: any) => e.message),
            [],
            "the controllers' pods passed admission (Pod Security restricted is enforced on Pods)",
        );

        // Every object the program renders under mocks, for the same config, is in the cluster.
        const { config, secretKeys } = readStackConfig(STACK);
        const app = JSON.parse(config["kubeship:app"] ?? "{}");
        const rendered = await runProgram({
            stack: STACK,
            config: { ...config, "kubeship:cloud": "local", "kubeship:kubeContext": CONTEXT, "kubeship:app": JSON.stringify({ ...app, image: DIGEST_1 }) },
            secretKeys,
        });
        const expected = manifests(rendered).map(m => m.object as any);
        assert.ok(expected.some(o => o.kind === "NetworkPolicy") && expected.some(o => o.kind === "PodDisruptionBudget"));
        for (const o of expected) assert.equal((await api.get(objectPath(o))).status, 200, `${o.kind} ${o.metadata.name}`);
    });

    it("2. a second preview shows no changes", async () => {
        timed("preview --expect-no-changes", await ws.ok(["preview", "--expect-no-changes"]));
    });

    it("3. replicas, a new image digest and a rotated password update in place: no StatefulSet, Namespace or unrelated Secret is replaced", async () => {
        const template = async (kind: string, name: string) => JSON.stringify((await get(`/apis/apps/v1/namespaces/dev/${kind}/${name}`)).spec.template);
        const before = { postgres: await template("statefulsets", "postgres"), redis: await template("deployments", "redis") };
        await ws.configSet("kubeship:app.replicas", "2", { path: true });
        await ws.configSet("kubeship:app.image", DIGEST_2, { path: true });
        await ws.configSet("kubeship:postgres.passwordVersion", "2", { path: true });
        const plan = stepsOf(timed("preview --json (3 changes)", await ws.ok(["preview", "--json"])));
        const changed = plan.filter(s => s.op !== "same").map(s => ({ op: s.op, ...typeAndName(s.urn) }));
        const replaced = changed.filter(s => s.op.includes("replace")).map(s => `${s.type} ${s.name}`);
        for (const kept of ["kubernetes:apps/v1:StatefulSet", "kubernetes:core/v1:Namespace"]) {
            assert.ok(!replaced.some(r => r.startsWith(`${kept} `)), `${kept} replaced: ${replaced.join("; ")}`);
        }
        assert.ok(!replaced.some(r => r.includes("redis")), `nothing of Redis is replaced: ${replaced.join("; ")}`);
        assert.ok(
            replaced.includes("random:index/randomPassword:RandomPassword kubeship-postgres-password"),
            `the password is regenerated: ${replaced.join("; ")}`,
        );
        assert.ok(
            changed.some(s => s.op === "update" && s.name === "kubeship-app-deployment"),
            `the app Deployment updates in place: ${JSON.stringify(changed)}`,
        );
        assert.ok(
            changed.some(s => s.op === "update" && s.name === "kubeship-postgres-secret"),
            `Postgres' Secret updates in place: ${JSON.stringify(changed)}`,
        );
        assert.ok(!changed.some(s => s.name === "kubeship-postgres-statefulset"), `Postgres' StatefulSet does not change: ${JSON.stringify(changed)}`);

        timed("up (3 changes)", await ws.ok(["up", "--yes", "--skip-preview"]));
        const dep = await get("/apis/apps/v1/namespaces/dev/deployments/app");
        assert.equal(dep.spec.replicas, 2);
        assert.equal(dep.spec.template.spec.containers[0].image, DIGEST_2);
        assert.equal(await template("statefulsets", "postgres"), before.postgres, "Postgres does not restart: its sync container sets the new password");
        assert.equal(await template("deployments", "redis"), before.redis, "Redis, whose password did not change, does not roll");
        await waitFor("2 app pods available", async () => (await get("/apis/apps/v1/namespaces/dev/deployments/app")).status.availableReplicas === 2);
    });

    it("4. the policy pack runs in the real preview, and a configuration that breaks a rule is stopped with the rule's message", async () => {
        const policy = path.join(ws.dir, "policy-config.json");
        fs.writeFileSync(policy, JSON.stringify({ "prod-data-protected": { stacks: [STACK] } }));
        const pack = path.join(path.resolve(__dirname, "..", ".."), "policy");
        timed("preview --policy-pack", await ws.ok(["preview", "--policy-pack", pack]));
        const stopped = timed("preview --policy-pack (a rule broken)", await ws.pulumi(["preview", "--policy-pack", pack, "--policy-pack-config", policy]));
        assert.notEqual(stopped.code, 0, "a mandatory policy stops the preview");
        assert.match(stopped.stdout + stopped.stderr, /prod-data-protected/);
    });

    /** The errors of a failed run's Diagnostics section. */
    const diagnosticErrors = (run: Run) => {
        const out = run.stdout + run.stderr;
        const diagnostics = out.slice(out.indexOf("Diagnostics:"));
        return diagnostics
            .split("\n")
            .filter(l => /^\s+error: /.test(l))
            .map(l => l.trim());
    };

    it("5. config errors reach the user through the engine as one clear message", async () => {
        await ws.configSet("kubeship:app.replicas", "0", { path: true });
        try {
            const invalid = timed("preview (program config error)", await ws.pulumi(["preview"]));
            assert.notEqual(invalid.code, 0);
            assert.deepEqual(diagnosticErrors(invalid), ["error: Invalid config kubeship:app.replicas = 0: must be an integer >= 1"]);
            assert.doesNotMatch(invalid.stdout + invalid.stderr, /\n\s+at .+:\d+:\d+\)?\n/, "no stack trace");
        } finally {
            await ws.configSet("kubeship:app.replicas", "2", { path: true });
        }

        const setBadly = await ws.pulumi(["config", "set", "kubeship:protectData", "sometimes"]);
        try {
            const typed = timed("preview (project schema error)", await ws.pulumi(["preview"]));
            assert.notEqual(typed.code, 0);
            const out = typed.stdout + typed.stderr;
            assert.match(out, /protectData.*boolean/, out);
            assert.doesNotMatch(out, /\n\s+at .+:\d+:\d+\)?\n/, "no stack trace");
        } finally {
            if (setBadly.code === 0) await ws.configSet("kubeship:protectData", "false");
        }
    });

    it("6. protectData makes destroy refuse to delete Postgres; without it, destroy removes everything", async () => {
        await ws.configSet("kubeship:protectData", "true");
        timed("up (protectData on)", await ws.ok(["up", "--yes", "--skip-preview"]));
        const refused = timed("destroy (refused)", await ws.pulumi(["destroy", "--yes", "--skip-preview"]));
        assert.notEqual(refused.code, 0);
        assert.match(refused.stdout + refused.stderr, /protected/);
        assert.equal((await api.get("/apis/apps/v1/namespaces/dev/statefulsets/postgres")).status, 200, "Postgres is still there");

        await ws.configSet("kubeship:protectData", "false");
        timed("up (protectData off)", await ws.ok(["up", "--yes", "--skip-preview"]));
        timed("destroy", await ws.ok(["destroy", "--yes", "--skip-preview"]));
        await waitFor("the namespace to be gone", async () => (await api.get("/api/v1/namespaces/dev")).status === 404);
    });
});
