/**
 * Every stack file in stacks/, run through the real program offline: manifests valid against the
 * Kubernetes schema and Pod Security "restricted", explicit providers everywhere, no secret in plain
 * text, ordered deletes, data protection where configured, and a fast dependency graph.
 */
import * as assert from "node:assert/strict";
import { FAKE_CLIENT_KEY, kubernetesObjects } from "../tools/render/harness";
import { type Cloud, isManaged } from "../components/config";
import { redact } from "../tools/render/mocks";
import { renderStack, renderStackOnce, Rendered } from "../tools/render/render-stack";
import { all, dependencyClosure, isUnder, one, spec } from "./support/query";
import { readStackConfig, stackNames } from "../tools/render/stack-config";

for (const stack of stackNames()) {
    const { config } = readStackConfig(stack);
    const cloud = config["kubeship:cloud"];

    describe(`stack ${stack} (cloud ${cloud})`, () => {
        let r: Rendered;
        before(async () => {
            r = await renderStackOnce(stack);
        });

        it("renders manifests that pass the Kubernetes schema and Pod Security restricted, with no unmocked invoke", () => {
            assert.deepEqual(r.problems, []);
            assert.deepEqual(r.run.unmockedCalls, []);
            assert.ok(r.objects >= 18, `${r.objects} objects`);
        });

        it("renders the same files every time", async () => {
            const again = await renderStack(stack);
            assert.deepEqual(again.files, r.files);
        });

        it("puts every Kubernetes resource on the cluster's explicit provider, and every resource on an explicit provider", () => {
            const provider = one(r.run, "pulumi:providers:kubernetes");
            // A changed Secret is updated, not deleted and re-created with the workloads that read it.
            assert.equal(String(spec(provider).enableSecretMutable), "true");
            const ref = `${provider.urn}::${provider.name}-id`;
            for (const res of kubernetesObjects(r.run.registered)) assert.equal(res.provider, ref, res.name);
            for (const res of r.run.registered.filter(x => x.custom && !x.type.startsWith("pulumi:providers:"))) {
                assert.ok(res.provider.startsWith("urn:pulumi:"), `${res.type} ${res.name} would use a default provider`);
            }
        });

        it("keeps every secret out of plain text: resource inputs, manifests and outputs", () => {
            const secrets = r.run.generatedSecrets.flatMap(s => [s, encodeURIComponent(s)]).concat(FAKE_CLIENT_KEY);
            assert.ok(r.run.generatedSecrets.length >= 2, "postgres and redis passwords generated");
            const visible = [
                ...r.run.registered.map(x => JSON.stringify(redact(x.inputs))),
                ...Object.values(r.run.outputs)
                    .filter(o => !o.secret)
                    .map(o => JSON.stringify(o.value)),
                ...Object.values(r.files),
            ].join("\n");
            for (const s of secrets) assert.ok(!visible.includes(s), `secret ${s} visible in plain text`);
            assert.equal(r.run.outputs.kubeconfig.secret, true);
            const provider = one(r.run, "pulumi:providers:kubernetes");
            assert.equal(JSON.stringify(redact(provider.inputs)).includes(FAKE_CLIENT_KEY), false, "provider kubeconfig is secret");
        });

        it("places every namespaced object in the namespace through the Namespace's output (ordered deletes)", () => {
            // The environment's own objects: the cluster layer's (StorageClass, kind's registry ConfigMap) and the
            // platform add-ons' live elsewhere.
            const objects = kubernetesObjects(r.run.registered).filter(x => isUnder(r.run, x, "kubeship:workloads:Environment"));
            const ns = one({ ...r.run, registered: objects }, "kubernetes:core/v1:Namespace");
            assert.ok(objects.length >= 18, `${objects.length} objects in the environment`);
            for (const res of objects.filter(x => spec(x).kind !== "Namespace")) {
                assert.equal(spec(res).metadata.namespace, r.run.outputs.namespace.value, res.name);
                assert.ok(res.dependencies.includes(ns.urn), `${res.name} does not depend on the Namespace`);
            }
        });

        it("hardens every pod and every container of every workload, field by field", () => {
            // The environment's workloads; the cluster layer's (EKS' autoscaler) pass Pod Security restricted in the render.
            const workloads = kubernetesObjects(r.run.registered).filter(
                x => /:(Deployment|StatefulSet|CronJob)$/.test(x.type) && isUnder(r.run, x, "kubeship:workloads:Environment"),
            );
            // Backups: as the stack file says, else on for the managed clouds only.
            const backups = JSON.parse(config["kubeship:postgres"] ?? "{}").backup?.enabled ?? isManaged(cloud as Cloud);
            assert.equal(workloads.length, backups ? 5 : 3, "app, Postgres, Redis and, with backups, the base-backup and archive-check CronJobs");
            for (const w of workloads) {
                const pod = (spec(w).spec.template ?? spec(w).spec.jobTemplate.spec.template).spec;
                const at = spec(w).metadata.name;
                assert.equal(pod.automountServiceAccountToken, false, `${at}: no API token`);
                assert.equal(pod.securityContext.runAsNonRoot, true, at);
                assert.deepEqual(pod.securityContext.seccompProfile, { type: "RuntimeDefault" }, at);
                for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
                    const where = `${at}/${c.name}`;
                    assert.equal(c.securityContext.runAsNonRoot, true, where);
                    assert.ok(c.securityContext.runAsUser >= 999, where);
                    assert.equal(c.securityContext.allowPrivilegeEscalation, false, where);
                    assert.equal(c.securityContext.privileged, false, where);
                    assert.equal(c.securityContext.readOnlyRootFilesystem, true, where);
                    assert.deepEqual(c.securityContext.capabilities, { drop: ["ALL"] }, where);
                    assert.deepEqual(c.securityContext.seccompProfile, { type: "RuntimeDefault" }, where);
                    for (const kind of ["requests", "limits"])
                        for (const res of ["cpu", "memory"]) assert.ok(c.resources[kind][res], `${where}: ${kind}.${res}`);
                }
                // Servers are probed; init containers and Jobs' containers run to completion instead.
                if (!w.type.endsWith(":CronJob")) for (const c of pod.containers) assert.ok(c.readinessProbe && c.livenessProbe, `${at}/${c.name}: probes`);
            }
        });

        it("does not make the app wait for Postgres or Redis to be ready", () => {
            const app = one(r.run, "kubernetes:apps/v1:Deployment", "app");
            const waitsOn = [...dependencyClosure(r.run, app.urn)].map(urn => r.run.registered.find(x => x.urn === urn)!);
            const blocked = waitsOn.filter(x => /^kubernetes:.*:(StatefulSet|Deployment|Service)$/.test(x.type));
            assert.deepEqual(
                blocked.map(x => x.name),
                [],
            );
            assert.ok(
                waitsOn.some(x => x.name === "kubeship-app-env"),
                "the app waits for its Secret",
            );
        });

        it("exports cloud, clusterName, kubeconfig, namespace, appUrl, imageRef and, with backups, postgresBackupUrl", () => {
            assert.deepEqual(Object.keys(r.run.outputs).sort(), ["appUrl", "cloud", "clusterName", "imageRef", "kubeconfig", "namespace", "postgresBackupUrl"]);
            const backups = JSON.parse(config["kubeship:postgres"] ?? "{}").backup?.enabled ?? isManaged(cloud as Cloud);
            if (backups) assert.match(String(r.run.outputs.postgresBackupUrl.value), /^(gs|s3|file):\/\/\S+$/);
            else assert.equal(r.run.outputs.postgresBackupUrl.value, undefined, "no backups, no archive");
            const prebuilt = JSON.parse(config["kubeship:app"]).image;
            if (prebuilt) assert.equal(r.run.outputs.imageRef.value, prebuilt);
            else assert.match(String(r.run.outputs.imageRef.value), /^[a-z0-9.:-]+\/[a-z0-9./_-]+@sha256:[0-9a-f]{64}$/, "built, pushed and pinned by digest");
            const appImage = spec(one(r.run, "kubernetes:apps/v1:Deployment", "app")).spec.template.spec.containers[0].image;
            assert.equal(appImage, r.run.outputs.imageRef.value);
        });

        it(config["kubeship:protectData"] === "true" ? "protects Postgres data and the namespace" : "protects nothing (protectData off)", () => {
            const protectedNames = r.run.registered
                .filter(x => x.protect || x.retainOnDelete)
                .map(x => x.name)
                .sort();
            if (config["kubeship:protectData"] === "true") {
                assert.deepEqual(protectedNames, [
                    "cluster-backups",
                    // What configures the bucket stays with it.
                    "cluster-backups-encryption",
                    "cluster-backups-lock",
                    "cluster-backups-ownership",
                    "cluster-backups-policy",
                    "cluster-backups-private",
                    "cluster-backups-retention",
                    "cluster-backups-versioning",
                    "kubeship-namespace-namespace",
                    "kubeship-postgres-secret",
                    "kubeship-postgres-service",
                    "kubeship-postgres-statefulset",
                ]);
                for (const x of r.run.registered.filter(y => y.protect)) assert.ok(x.retainOnDelete, x.name);
            } else {
                assert.deepEqual(protectedNames, []);
            }
            const sts = spec(one(r.run, "kubernetes:apps/v1:StatefulSet", "postgres"));
            assert.deepEqual(sts.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Retain", whenScaled: "Retain" });
        });

        it("sizes the app as the stack file says", () => {
            const app = JSON.parse(config["kubeship:app"]);
            const deployment = one(r.run, "kubernetes:apps/v1:Deployment", "app");
            assert.equal(spec(deployment).spec.replicas, app.replicas);
            const hpas = all(r.run, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler");
            if (app.autoscaling?.enabled === false) {
                assert.equal(hpas.length, 0);
                assert.deepEqual(deployment.ignoreChanges, []);
            } else {
                assert.equal(hpas.length, 1);
                assert.equal(spec(hpas[0]).spec.maxReplicas, app.autoscaling.maxReplicas);
                assert.deepEqual(deployment.ignoreChanges, ["spec.replicas"], "the HPA owns replicas after creation");
            }
        });
    });
}

describe("stack differences", () => {
    it("prod is bigger and safer than staging, staging than dev", async () => {
        const size = async (stack: string) => {
            const { config } = readStackConfig(stack);
            return { app: JSON.parse(config["kubeship:app"]), pg: JSON.parse(config["kubeship:postgres"]), protect: config["kubeship:protectData"] };
        };
        const [dev, staging, prod] = await Promise.all(["dev", "staging", "prod"].map(size));
        assert.ok(dev.app.replicas < staging.app.replicas && staging.app.replicas < prod.app.replicas);
        assert.equal(prod.protect, "true");
        assert.equal(dev.protect, "false");
        assert.equal(staging.protect, "false");
    });
});
