/**
 * The kind layer (`kubeship:cloud: kind`): the exact commands and kind config it registers, the image
 * reference the pods pull resolving inside the node, and the scripts themselves, run by a real shell
 * against stand-in `docker` and `kind` programs that record what they were asked to do.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { kindConfig, kindScripts } from "../components/cluster/kind";
import { parseSettings } from "../components/config";
import { runProgram, RunResult } from "../tools/render/harness";
import { dependencyClosure, one, spec } from "./support/query";
import { readStackConfig } from "../tools/render/stack-config";
import { throwsConfig } from "./support/assert";
import { redact } from "../tools/render/mocks";

const commandNamed = (r: RunResult, name: string) => one(r, "command:local:Command", name);

describe("cluster layer: kind", () => {
    let r: RunResult;
    before(async () => {
        const { config, secretKeys } = readStackConfig("dev");
        r = await runProgram({ stack: "dev", config, secretKeys });
    });

    it("registers the registry, the cluster and the registry wiring with exactly the scripts of kindScripts", () => {
        const scripts = kindScripts("kubeship-dev", "localhost:5001");
        assert.deepEqual(
            { create: spec(commandNamed(r, "cluster-registry")).create, delete: spec(commandNamed(r, "cluster-registry")).delete },
            scripts.registry,
        );
        const cluster = spec(commandNamed(r, "cluster-kind"));
        assert.deepEqual({ create: cluster.create, delete: cluster.delete }, scripts.cluster);
        assert.equal(cluster.stdin, kindConfig("kubeship-dev"));
        const wiring = commandNamed(r, "cluster-registry-wiring");
        assert.equal(spec(wiring).create, scripts.wiring.create);
        // The wiring runs again whenever kind or the registry container is made anew (their ids change).
        assert.deepEqual(spec(wiring).triggers, [`${commandNamed(r, "cluster-kind").name}-id`, `${commandNamed(r, "cluster-registry").name}-id`]);
        for (const c of ["cluster-registry", "cluster-kind", "cluster-registry-wiring"]) {
            assert.match(commandNamed(r, c).provider, /pulumi:providers:command::cluster-command::/, `${c}: explicit command provider`);
        }
    });

    it("runs kind's documented registry recipe: registry:3 on loopback, the kind network, certs.d and hosts.toml", () => {
        const s = kindScripts("kubeship-dev", "localhost:5001");
        assert.match(s.registry.create, /docker run -d --restart=always -p "127\.0\.0\.1:5001:5000" --network bridge --name kind-registry registry:3/);
        assert.match(s.cluster.create, /kind create cluster --name 'kubeship-dev' --config - --wait 120s/);
        assert.match(s.wiring.create, /docker exec -i "\$node" cp \/dev\/stdin '\/etc\/containerd\/certs\.d\/localhost:5001\/hosts\.toml'/);
        assert.match(s.wiring.create, /docker network connect kind kind-registry/);
        assert.equal(s.kubeconfig, "kind get kubeconfig --name 'kubeship-dev'");
        const config = YAML.parse(kindConfig("kubeship-dev"));
        assert.deepEqual(config, {
            kind: "Cluster",
            apiVersion: "kind.x-k8s.io/v1alpha4",
            name: "kubeship-dev",
            containerdConfigPatches: ['[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"'],
        });
    });

    it("pulls the app by a reference the node resolves: the registry host is a certs.d entry that points at the registry container on the kind network", () => {
        const image = spec(one(r, "kubernetes:apps/v1:Deployment", "app")).spec.template.spec.containers[0].image;
        assert.match(image, /^localhost:5001\/kubeship-app@sha256:[0-9a-f]{64}$/);
        const host = image.split("/")[0];
        const wiring: string = spec(commandNamed(r, "cluster-registry-wiring")).create;
        assert.ok(wiring.includes(`/etc/containerd/certs.d/${host}/hosts.toml`), "containerd has a hosts.toml for the image's registry host");
        const toml = /printf '%s' '(\[host\."http:\/\/([^:]+):(\d+)"\]\n)'/.exec(wiring)!;
        assert.deepEqual([toml[2], Number(toml[3])], ["kind-registry", 5000], "hosts.toml points at the registry container's own port");
        const target = [toml[0], toml[2]];
        assert.ok(wiring.includes(`docker network connect kind ${target[1]}`), "the container joins the nodes' network, where its name resolves");
        const registry: string = spec(commandNamed(r, "cluster-registry")).create;
        assert.ok(registry.includes(`-p "127.0.0.1:5001:5000" --network bridge --name ${target[1]} `), "docker push reaches the same container on the host");
        assert.equal(spec(one(r, "docker:index/image:Image")).imageName, `${host}/kubeship-app:kubeship-build`);
    });

    it("builds once the registry runs, without waiting for the cluster; the workloads wait for the registry wiring", () => {
        const image = one(r, "docker:index/image:Image");
        const closure = dependencyClosure(r, image.urn);
        assert.ok(closure.has(commandNamed(r, "cluster-registry").urn), "the push needs the registry container");
        assert.ok(!closure.has(commandNamed(r, "cluster-kind").urn), "the build runs while kind creates the cluster");
        const provider = one(r, "pulumi:providers:kubernetes");
        assert.ok(dependencyClosure(r, provider.urn).has(commandNamed(r, "cluster-registry-wiring").urn), "no pod starts before its node can pull");
    });

    it("reads the kubeconfig from kind on every run, unlogged, and keeps it secret", () => {
        const read = r.calls.filter(c => c.token === "command:local:run");
        assert.deepEqual(
            read.map(c => [c.inputs.command, c.inputs.logging]),
            [["kind get kubeconfig --name 'kubeship-dev'", "none"]],
        );
        assert.equal(r.outputs.kubeconfig.secret, true);
        const provider = one(r, "pulumi:providers:kubernetes");
        assert.equal(JSON.stringify(redact(provider.inputs)).includes("client-key-data"), false, "the provider's kubeconfig is secret");
        assert.equal(spec(provider).clusterIdentifier, "kind-dev");
        assert.deepEqual(provider.replaceWith, [commandNamed(r, "cluster-kind").urn], "a kind cluster made anew gets every object again");
        assert.equal(r.outputs.clusterName.value, "kubeship-dev");
    });

    it("publishes the registry to tools through the local-registry-hosting ConfigMap, patched so kind's own is adopted", () => {
        const patch = spec(one(r, "kubernetes:core/v1:ConfigMapPatch"));
        assert.deepEqual(patch.metadata, { name: "local-registry-hosting", namespace: "kube-public" });
        assert.equal(YAML.parse(patch.data["localRegistryHosting.v1"]).host, "localhost:5001");
    });

    it("takes the registry port from kubeship:cluster.registry, which must be localhost:<port>", async () => {
        const { config, secretKeys } = readStackConfig("dev");
        const other = await runProgram({ stack: "dev", config: { ...config, "kubeship:cluster": JSON.stringify({ registry: "localhost:5050" }) }, secretKeys });
        assert.match(spec(commandNamed(other, "cluster-registry")).create, /-p "127\.0\.0\.1:5050:5000" --network bridge --name kind-registry-5050 /);
        assert.match(spec(commandNamed(other, "cluster-registry-wiring")).create, /certs\.d\/localhost:5050\/hosts\.toml/);
        assert.ok(
            spec(commandNamed(other, "cluster-registry-wiring")).create.includes('[host."http://kind-registry-5050:5000"]'),
            "its own container, not kind's",
        );
        assert.match(spec(one(other, "kubernetes:apps/v1:Deployment", "app")).spec.template.spec.containers[0].image, /^localhost:5050\//);
        for (const bad of ["registry.local:5000", "localhost", "localhost:70000"]) {
            throwsConfig(
                () => parseSettings({ "kubeship:cloud": "kind", "kubeship:cluster": JSON.stringify({ registry: bad }) }, "dev"),
                "kubeship:cluster.registry",
                JSON.stringify(bad),
                /must be "localhost:<port>" for kubeship:cloud "kind"/,
            );
        }
    });
});

/** A folder of stand-in programs that log their arguments (and what they read on stdin) to `calls`. */
function standIns(state: { registry: "running" | "stopped" | "missing"; network: "null" | "connected"; clusters: string[] }): {
    bin: string;
    calls: () => string[];
} {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "kubeship-kind-"));
    const log = path.join(bin, "calls");
    fs.writeFileSync(log, "");
    const registryState = { running: "echo true", stopped: "echo false", missing: "echo 'Error: No such object' >&2; exit 1" }[state.registry];
    fs.writeFileSync(
        path.join(bin, "docker"),
        `#!/bin/sh
echo "docker $*" >> '${log}'
case "$*" in
  "inspect -f {{.State.Running}} kind-registry") ${registryState} ;;
  "inspect -f {{json .NetworkSettings.Networks.kind}} kind-registry") echo '${state.network === "null" ? "null" : '{"IPAddress":"172.18.0.3"}'}' ;;
  exec\\ -i*) echo "  stdin: $(cat | tr '\\n' '|')" >> '${log}' ;;
esac
`,
        { mode: 0o755 },
    );
    fs.writeFileSync(
        path.join(bin, "kind"),
        `#!/bin/sh
echo "kind $*" >> '${log}'
case "$*" in
  "get clusters") printf '${state.clusters.map(c => `${c}\\n`).join("")}' ;;
  get\\ nodes*) echo kubeship-dev-control-plane ;;
  create\\ cluster*) echo "  stdin: $(cat | tr '\\n' '|')" >> '${log}'; echo "Creating cluster" ;;
esac
`,
        { mode: 0o755 },
    );
    return { bin, calls: () => fs.readFileSync(log, "utf8").split("\n").filter(Boolean) };
}

function sh(script: string, bin: string, env: Record<string, string> = {}, stdin = ""): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync("/bin/sh", ["-c", script], { env: { PATH: `${bin}:/usr/bin:/bin`, ...env }, input: stdin, encoding: "utf8" });
    return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

describe("the kind layer's scripts, run by /bin/sh", () => {
    const s = kindScripts("kubeship-dev", "localhost:5001");
    const made: string[] = [];
    const tools = (state: Parameters<typeof standIns>[0]) => {
        const t = standIns(state);
        made.push(t.bin);
        return t;
    };
    after(() => made.forEach(d => fs.rmSync(d, { recursive: true, force: true })));

    it("starts the registry container when missing and says it created it; finds or restarts an existing one", () => {
        const missing = tools({ registry: "missing", network: "null", clusters: [] });
        assert.deepEqual(sh(s.registry.create, missing.bin), { status: 0, stdout: "created", stderr: "" });
        assert.ok(missing.calls().includes("docker run -d --restart=always -p 127.0.0.1:5001:5000 --network bridge --name kind-registry registry:3"));

        const running = tools({ registry: "running", network: "null", clusters: [] });
        assert.equal(sh(s.registry.create, running.bin).stdout, "existing");
        assert.deepEqual(running.calls(), ["docker inspect -f {{.State.Running}} kind-registry"]);

        const stopped = tools({ registry: "stopped", network: "null", clusters: [] });
        assert.equal(sh(s.registry.create, stopped.bin).stdout, "existing");
        assert.ok(stopped.calls().includes("docker start kind-registry"));
    });

    it("creates the cluster from the kind config on stdin only when kind does not list it", () => {
        const fresh = tools({ registry: "running", network: "null", clusters: ["other"] });
        const created = sh(s.cluster.create, fresh.bin, {}, kindConfig("kubeship-dev"));
        assert.equal(created.stdout, "created", created.stderr);
        assert.ok(fresh.calls().includes("kind create cluster --name kubeship-dev --config - --wait 120s"));
        assert.ok(
            fresh.calls().some(c => c.includes("config_path") && c.includes("name: kubeship-dev")),
            "the config reached kind on stdin",
        );

        const existing = tools({ registry: "running", network: "null", clusters: ["kubeship-dev"] });
        assert.equal(sh(s.cluster.create, existing.bin, {}, kindConfig("kubeship-dev")).stdout, "existing");
        assert.deepEqual(existing.calls(), ["kind get clusters"]);
    });

    it("deletes on destroy only what its create made", () => {
        for (const [part, deleting] of [
            ["registry", "docker rm -f kind-registry"],
            ["cluster", "kind delete cluster --name kubeship-dev"],
        ] as const) {
            const t = tools({ registry: "running", network: "null", clusters: ["kubeship-dev"] });
            assert.equal(sh(s[part].delete, t.bin, { PULUMI_COMMAND_STDOUT: "existing" }).status, 0);
            assert.deepEqual(t.calls(), [], `${part}: the user's own is kept`);
            assert.equal(sh(s[part].delete, t.bin, { PULUMI_COMMAND_STDOUT: "created" }).status, 0);
            assert.deepEqual(t.calls(), [deleting]);
        }
    });

    it("writes hosts.toml on every node and connects the registry to the kind network once", () => {
        const t = tools({ registry: "running", network: "null", clusters: ["kubeship-dev"] });
        assert.equal(sh(s.wiring.create, t.bin).status, 0);
        assert.deepEqual(t.calls(), [
            "kind get nodes --name kubeship-dev",
            "docker exec kubeship-dev-control-plane mkdir -p /etc/containerd/certs.d/localhost:5001",
            "docker exec -i kubeship-dev-control-plane cp /dev/stdin /etc/containerd/certs.d/localhost:5001/hosts.toml",
            '  stdin: [host."http://kind-registry:5000"]|',
            "docker inspect -f {{json .NetworkSettings.Networks.kind}} kind-registry",
            "docker network connect kind kind-registry",
        ]);
        const connected = tools({ registry: "running", network: "connected", clusters: ["kubeship-dev"] });
        assert.equal(sh(s.wiring.create, connected.bin).status, 0);
        assert.ok(!connected.calls().some(c => c.startsWith("docker network connect")));
    });

    it("stops with an install hint when docker or kind is missing", () => {
        const empty = fs.mkdtempSync(path.join(os.tmpdir(), "kubeship-kind-"));
        made.push(empty);
        const noKind = tools({ registry: "running", network: "null", clusters: [] });
        fs.rmSync(path.join(noKind.bin, "kind"));
        const r = spawnSync("/bin/sh", ["-c", s.cluster.create], { env: { PATH: noKind.bin }, encoding: "utf8" });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /kind is not installed: https:\/\/kind\.sigs\.k8s\.io/);
        const r2 = spawnSync("/bin/sh", ["-c", s.registry.create], { env: { PATH: empty }, encoding: "utf8" });
        assert.equal(r2.status, 1);
        assert.match(r2.stderr, /docker is not installed/);
    });
});
