import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { defaultKubeconfigPath, minifyKubeconfig, readKubeconfigFile } from "../components/cluster/kubeconfig";
import { throwsConfig } from "./support/assert";

const TWO_CONTEXTS = YAML.stringify({
    apiVersion: "v1",
    kind: "Config",
    "current-context": "kind-kubeship",
    clusters: [
        { name: "kind-kubeship", cluster: { server: "https://127.0.0.1:6443" } },
        { name: "prod-cluster", cluster: { server: "https://prod.example.com" } },
    ],
    users: [
        { name: "kind-kubeship", user: { token: "local-token" } },
        { name: "prod-admin", user: { token: "PROD-SECRET" } },
    ],
    contexts: [
        { name: "kind-kubeship", context: { cluster: "kind-kubeship", user: "kind-kubeship" } },
        { name: "prod", context: { cluster: "prod-cluster", user: "prod-admin" } },
    ],
});

describe("local kubeconfig", () => {
    it("keeps only the chosen context, its cluster and its user", () => {
        const { kubeconfig, context, cluster } = minifyKubeconfig(TWO_CONTEXTS, "kind-kubeship");
        assert.equal(context, "kind-kubeship");
        assert.equal(cluster, "kind-kubeship");
        assert.doesNotMatch(kubeconfig, /PROD-SECRET|prod\.example\.com/, "other clusters' credentials never reach state");
        const doc = YAML.parse(kubeconfig);
        assert.equal(doc["current-context"], "kind-kubeship");
        assert.deepEqual(doc.users, [{ name: "kind-kubeship", user: { token: "local-token" } }]);
        assert.deepEqual(
            doc.contexts.map((c: { name: string }) => c.name),
            ["kind-kubeship"],
        );
        assert.deepEqual(
            doc.clusters.map((c: { name: string }) => c.name),
            ["kind-kubeship"],
        );
    });

    it("uses the current context when none is configured", () => {
        assert.equal(minifyKubeconfig(TWO_CONTEXTS, undefined).context, "kind-kubeship");
        assert.equal(minifyKubeconfig(TWO_CONTEXTS, "prod").cluster, "prod-cluster");
    });

    it("names the contexts that exist when the configured one does not", () => {
        throwsConfig(
            () => minifyKubeconfig(TWO_CONTEXTS, "minikube", "~/.kube/config"),
            "kubeship:kubeContext",
            '"minikube"',
            /must name a context of ~\/\.kube\/config; it has: kind-kubeship, prod/,
        );
    });

    it("refuses a context whose cluster or user entry is missing", () => {
        const broken = TWO_CONTEXTS.replace("name: prod-admin", "name: someone-else");
        throwsConfig(() => minifyKubeconfig(broken, "prod"), "kubeship:kubeContext", '"prod"', /missing cluster or user/);
    });

    it("finds the file like kubectl: first $KUBECONFIG entry, else ~/.kube/config", () => {
        assert.equal(defaultKubeconfigPath({ KUBECONFIG: `/a/config${path.delimiter}/b/config` }), "/a/config");
        assert.equal(defaultKubeconfigPath({ HOME: "/home/me" }), "/home/me/.kube/config");
    });

    it("explains how to get a cluster when the file is missing", () => {
        const missing = path.join(os.tmpdir(), "kubeship-no-such-dir", "config");
        throwsConfig(() => readKubeconfigFile(missing), "kubeship:cloud", '"local"', /kubeship:cloud kind/);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeship-kc-"));
        try {
            const file = path.join(dir, "config");
            fs.writeFileSync(file, TWO_CONTEXTS);
            assert.equal(readKubeconfigFile(file), TWO_CONTEXTS);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
