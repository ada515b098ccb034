/**
 * The platform add-ons: vendored manifests registered object by object, installed only where the
 * cluster lacks what they provide.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import { builtinClass, Manifest, objectName, readManifests, registerManifests, VENDOR } from "../components/platform/manifests";
import { metricsServerObjects } from "../components/platform/metrics-server";
import { SOURCES } from "../tools/addons/sources";
import { overrideCloud } from "../tools/render/cloud-override";
import { runProgram, RunResult } from "../tools/render/harness";
import { installMocks, valueOf } from "../tools/render/mocks";
import { readStackConfig } from "../tools/render/stack-config";
import { all, isUnder, one, spec } from "./support/query";

describe("vendored manifests", () => {
    it("are each one add-on source's render, pinned to a module version and checksum in its header", () => {
        assert.deepEqual(fs.readdirSync(VENDOR).sort(), SOURCES.map(s => s.file).sort());
        for (const source of SOURCES) {
            const header = fs.readFileSync(path.join(VENDOR, source.file), "utf8").split("\n")[0];
            assert.equal(header, `# Vendored by \`npm run addons\` from ${source.module}@${source.version} (${source.sum}):`, source.file);
            assert.match(source.sum, /^h1:[A-Za-z0-9+/]{43}=$/);
        }
    });

    it("register with the SDK's class for built-in kinds and as custom resources otherwise", () => {
        assert.equal(builtinClass("apps/v1", "Deployment"), k8s.apps.v1.Deployment);
        assert.equal(builtinClass("v1", "ServiceAccount"), k8s.core.v1.ServiceAccount);
        assert.equal(builtinClass("rbac.authorization.k8s.io/v1", "ClusterRole"), k8s.rbac.v1.ClusterRole);
        assert.equal(builtinClass("apiregistration.k8s.io/v1", "APIService"), k8s.apiregistration.v1.APIService);
        assert.equal(builtinClass("gateway.networking.k8s.io/v1", "Gateway"), undefined);
        assert.throws(() => builtinClass("apps/v1", "Deploymnt"), /the Kubernetes SDK has no apps\/v1 Deploymnt/);
    });

    it("get names unique per kind, namespace and object, and custom resources wait for every definition", async () => {
        const objects: Manifest[] = [
            { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "x", namespace: "a" } },
            { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "x", namespace: "b" } },
            { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", namespace: "a" } },
            { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "widgets.example.com" }, spec: {} },
        ];
        assert.deepEqual(
            objects.map(o => objectName("addon", o)),
            ["addon-serviceaccount-a-x", "addon-serviceaccount-b-x", "addon-widget-a-w", "addon-customresourcedefinition-widgets.example.com"],
        );
        const mocks = await installMocks("manifests");
        const provider = new k8s.Provider("manifests-k8s", { kubeconfig: "apiVersion: v1" });
        const registered = registerManifests("addon", objects, { parent: provider, provider });
        await valueOf(registered[2].urn);
        const widget = mocks.registered.find(r => r.name === "addon-widget-a-w")!;
        const crd = mocks.registered.find(r => r.name === "addon-customresourcedefinition-widgets.example.com")!;
        assert.equal(widget.type, "kubernetes:example.com/v1:Widget");
        assert.ok(widget.dependencies.includes(crd.urn), "the widget waits for its definition");
        assert.equal(mocks.registered.find(r => r.name === "addon-serviceaccount-a-x")!.type, "kubernetes:core/v1:ServiceAccount");
    });
});

describe("metrics-server", () => {
    const onCloud = (stack: string, cloud: string) => {
        const { config, secretKeys } = overrideCloud(readStackConfig(stack), cloud);
        return runProgram({ stack, config, secretKeys });
    };
    const platformObjects = (r: RunResult) => r.registered.filter(x => x.type.startsWith("kubernetes:") && isUnder(r, x, "kubeship:platform:Platform"));
    let doks: RunResult;
    before(async () => {
        doks = await onCloud("prod", "digitalocean");
    });

    it("is installed where the cluster lacks the Metrics API and the app autoscales: nine objects in kube-system", () => {
        const objects = all(doks, "kubernetes:apps/v1:Deployment").filter(x => spec(x).metadata.name === "metrics-server");
        assert.equal(objects.length, 1);
        assert.equal(platformObjects(doks).length, readManifests("metrics-server.yaml").length);
        assert.equal(readManifests("metrics-server.yaml").length, 9);
        const api = spec(one(doks, "kubernetes:apiregistration.k8s.io/v1:APIService"));
        assert.equal(api.metadata.name, "v1beta1.metrics.k8s.io");
        for (const o of platformObjects(doks)) assert.ok([undefined, "kube-system"].includes(spec(o).metadata.namespace), o.name);
        const provider = one(doks, "pulumi:providers:kubernetes");
        for (const o of platformObjects(doks)) assert.equal(o.provider, `${provider.urn}::${provider.name}-id`, o.name);
    });

    it("is not installed where the cluster has the Metrics API (GKE, EKS), nor where nothing autoscales (dev)", async () => {
        for (const cloud of ["gcp", "aws"]) assert.equal(platformObjects(await onCloud("prod", cloud)).length, 0, cloud);
        assert.equal(platformObjects(await onCloud("dev", "digitalocean")).length, 0, "dev: autoscaling off");
    });

    it("verifies the kubelets' certificates unless they are self-signed, and gets a memory limit", () => {
        const server = (verify: boolean) => {
            const d = metricsServerObjects(verify).find(m => m.kind === "Deployment") as any;
            return d.spec.template.spec.containers[0];
        };
        assert.ok(!server(true).args.includes("--kubelet-insecure-tls"));
        assert.ok(server(false).args.includes("--kubelet-insecure-tls"));
        assert.equal(server(true).resources.limits.memory, "500Mi");
        assert.equal(server(true).image, "registry.k8s.io/metrics-server/metrics-server:v0.8.0");
        const deployed = spec(one(doks, "kubernetes:apps/v1:Deployment", "metrics-server")).spec.template.spec.containers[0];
        assert.ok(!deployed.args.includes("--kubelet-insecure-tls"), "DOKS kubelets serve certificates signed by the cluster CA");
    });

    it("on kind, where kubelets sign their own certificates, does not verify them", async () => {
        const stack = readStackConfig("dev");
        const app = JSON.parse(stack.config["kubeship:app"]);
        const config = { ...stack.config, "kubeship:app": JSON.stringify({ ...app, autoscaling: { enabled: true } }) };
        const kind = await runProgram({ stack: "dev", config, secretKeys: stack.secretKeys });
        const deployed = spec(one(kind, "kubernetes:apps/v1:Deployment", "metrics-server")).spec.template.spec.containers[0];
        assert.ok(deployed.args.includes("--kubelet-insecure-tls"));
    });
});
