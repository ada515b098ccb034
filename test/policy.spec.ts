import * as assert from "node:assert/strict";
import { objectPolicies, stackPolicies } from "../policy/policies";
import { MANAGED_CLOUDS } from "../components/config";
import {
    isPinnedImage,
    Manifest,
    networkPolicies,
    noPlainSecrets,
    pinnedImages,
    podSecurity,
    probes,
    protectedData,
    resources,
    stackOf,
} from "../policy/rules";
import { policyViolations } from "../tools/render/policy-resources";
import { renderStackOnce } from "../tools/render/render-stack";
import { runProgram } from "../tools/render/harness";
import { readStackConfig, stackNames } from "../tools/render/stack-config";

const container = (extra: Manifest = {}): Manifest => ({
    name: "c",
    image: "ghcr.io/acme/app:1.0.0",
    resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "128Mi" } },
    readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
    livenessProbe: { httpGet: { path: "/health", port: 8080 } },
    securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } },
    ...extra,
});
const deployment = (c: Manifest = container(), kind = "Deployment"): Manifest => ({
    apiVersion: "apps/v1",
    kind,
    metadata: { name: "web", namespace: "prod" },
    spec: { template: { spec: { containers: [c] } } },
});

describe("policy rules", () => {
    it("accept a compliant workload", () => {
        for (const rule of [podSecurity, resources, pinnedImages, probes, noPlainSecrets]) assert.deepEqual(rule(deployment()), [], rule.name);
    });

    it("pod-security-restricted: flags unhardened pods and namespaces that do not enforce restricted", () => {
        assert.match(podSecurity(deployment(container({ securityContext: {} }))).join("\n"), /Deployment prod\/web: container c: allowPrivilegeEscalation/);
        assert.match(podSecurity({ kind: "Namespace", metadata: { name: "prod", labels: {} } }).join(), /does not enforce Pod Security "restricted"/);
        assert.deepEqual(podSecurity({ kind: "Namespace", metadata: { name: "prod", labels: { "pod-security.kubernetes.io/enforce": "restricted" } } }), []);
    });

    it("resources-set: wants CPU and memory requests and a memory limit", () => {
        assert.deepEqual(resources(deployment(container({ resources: { limits: { memory: "1Gi" } } }))), [
            "Deployment prod/web container c lacks a CPU request, a memory request",
        ]);
        assert.deepEqual(resources(deployment(container({ resources: undefined }))), [
            "Deployment prod/web container c lacks a CPU request, a memory request, a memory limit",
        ]);
    });

    it("images-pinned: refuses latest and untagged images, accepts tags and digests", () => {
        for (const ok of ["nginx:1.27", "localhost:5001/app:dev", `repo.example.com/a/b@sha256:${"0".repeat(64)}`]) assert.ok(isPinnedImage(ok), ok);
        for (const bad of ["nginx", "nginx:latest", "localhost:5001/app", "repo.example.com:5000/app"]) assert.ok(!isPinnedImage(bad), bad);
        assert.match(pinnedImages(deployment(container({ image: "redis:latest" }))).join(), /runs "redis:latest": pin a tag other than "latest", or a digest/);
    });

    it("probes-present: long-running containers need readiness and liveness probes; Jobs do not", () => {
        assert.deepEqual(probes(deployment(container({ readinessProbe: undefined }))), ["Deployment prod/web container c lacks a readiness probe"]);
        assert.deepEqual(probes(deployment(container({ livenessProbe: undefined, readinessProbe: undefined }), "StatefulSet")).length, 2);
        assert.deepEqual(probes({ kind: "Job", spec: { template: { spec: { containers: [container({ readinessProbe: undefined })] } } } }), []);
    });

    it("no-plain-secrets: secret-looking names and URLs with credentials must come from Secrets", () => {
        const env = (e: Manifest[]) => noPlainSecrets(deployment(container({ env: e })));
        assert.equal(env([{ name: "DB_PASSWORD", value: "hunter2" }]).length, 1);
        assert.equal(env([{ name: "DATABASE_URL", value: "postgresql://app:hunter2@db:5432/app" }]).length, 1);
        assert.equal(env([{ name: "API_TOKEN", value: "abc" }]).length, 1);
        assert.deepEqual(
            env([
                { name: "PORT", value: "8080" },
                { name: "POSTGRES_PASSWORD_FILE", value: "/run/secrets/pw" },
                { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "pw" } } },
            ]),
            [],
        );
        assert.deepEqual(env([{ name: "HOMEPAGE", value: "https://example.com/docs" }]), []);
    });

    it("network-policy-present: each namespace with workloads needs a default deny both ways", () => {
        const deny = { kind: "NetworkPolicy", metadata: { namespace: "prod" }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } };
        assert.deepEqual(networkPolicies([deployment(), deny]), []);
        assert.match(networkPolicies([deployment()]).join(), /namespace prod runs workloads without a default-deny/);
        const ingressOnly = { ...deny, spec: { podSelector: {}, policyTypes: ["Ingress"] } };
        assert.equal(networkPolicies([deployment(), ingressOnly]).length, 1);
        const allowAll = { ...deny, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], egress: [{}] } };
        assert.equal(networkPolicies([deployment(), allowAll]).length, 1, "a policy that allows traffic is not a default deny");
        const selective = { ...deny, spec: { ...deny.spec, podSelector: { matchLabels: { app: "x" } } } };
        assert.equal(networkPolicies([deployment(), selective]).length, 1);
        const system = (namespace: string) => ({ ...deployment(), metadata: { name: "autoscaler", namespace } });
        assert.deepEqual(networkPolicies([system("kube-system")]), [], "the cluster's own namespaces are the cluster layer's");
        assert.equal(networkPolicies([system("kubesystem")]).length, 1);
    });

    it("prod-data-protected: StatefulSets and their namespace are protected in the listed stacks only", () => {
        const urn = (stack: string) => `urn:pulumi:${stack}::kubeship::kubernetes:apps/v1:StatefulSet::db`;
        assert.equal(stackOf(urn("prod")), "prod");
        const sts = (stack: string, protect: boolean) => ({
            type: "kubernetes:apps/v1:StatefulSet",
            urn: urn(stack),
            props: { metadata: { name: "postgres", namespace: "prod" } },
            protect,
        });
        const ns = (protect: boolean) => ({ type: "kubernetes:core/v1:Namespace", urn: urn("prod"), props: { metadata: { name: "prod" } }, protect });
        assert.deepEqual(protectedData([sts("prod", true), ns(true)], ["prod"]), []);
        assert.deepEqual(protectedData([sts("prod", false), ns(false)], ["prod"]), [
            "StatefulSet prod/postgres holds data but is not protected",
            "Namespace prod holds data volumes but is not protected",
        ]);
        assert.deepEqual(protectedData([sts("dev", false)], ["prod"]), []);
    });
});

describe("policy pack", () => {
    it("enforces every rule as mandatory", () => {
        assert.deepEqual([...objectPolicies, ...stackPolicies].map(p => p.name).sort(), [
            "images-pinned",
            "network-policy-present",
            "no-plain-secrets",
            "pod-security-restricted",
            "probes-present",
            "prod-data-protected",
            "resources-set",
        ]);
        for (const p of [...objectPolicies, ...stackPolicies]) assert.equal(p.enforcementLevel, "mandatory", p.name);
    });

    it("reports a resource's violations through the engine's callback, and ignores non-Kubernetes resources", async () => {
        const reported: string[] = [];
        const images = objectPolicies.find(p => p.name === "images-pinned")!;
        const validate = images.validateResource as (args: any, report: (m: string) => void) => Promise<void> | void;
        await validate({ type: "kubernetes:apps/v1:Deployment", props: deployment(container({ image: "nginx" })) }, m => reported.push(m));
        await validate({ type: "aws:ecr/repository:Repository", props: { image: "nginx" } }, m => reported.push(m));
        assert.deepEqual(reported, ['Deployment prod/web container c runs "nginx": pin a tag other than "latest", or a digest']);
    });

    it("reads the protected stacks from its config", async () => {
        const reported: string[] = [];
        const policy = stackPolicies.find(p => p.name === "prod-data-protected")!;
        const args = (stacks: string[]) => ({
            resources: [
                {
                    type: "kubernetes:apps/v1:StatefulSet",
                    urn: "urn:pulumi:live::kubeship::kubernetes:apps/v1:StatefulSet::db",
                    props: { metadata: { name: "postgres", namespace: "live" } },
                    opts: { protect: false },
                },
            ],
            getConfig: () => ({ stacks }),
        });
        const validate = policy.validateStack as (args: any, report: (m: string) => void) => Promise<void> | void;
        await validate(args(["prod"]), m => reported.push(m));
        assert.equal(reported.length, 0, "live is not a protected stack");
        await validate(args(["prod", "live"]), m => reported.push(m));
        assert.equal(reported.length, 1);
    });

    it("passes every stack file, and prod on every cloud", async () => {
        const renders = [
            ...stackNames().map(stack => [stack, undefined] as const),
            ...[...MANAGED_CLOUDS, "local" as const].map(cloud => ["prod", cloud] as const),
        ];
        for (const [stack, cloud] of renders) {
            const r = await renderStackOnce(stack, cloud);
            assert.deepEqual(policyViolations(r.run), [], `${stack} ${cloud ?? ""}`);
        }
    });

    it("fails prod when its data is not protected", async () => {
        const { config, secretKeys } = readStackConfig("prod");
        const r = await runProgram({ stack: "prod", config: { ...config, "kubeship:cloud": "local", "kubeship:protectData": "false" }, secretKeys });
        assert.deepEqual(policyViolations(r).sort(), [
            "prod-data-protected: Namespace prod holds data volumes but is not protected",
            "prod-data-protected: StatefulSet prod/postgres holds data but is not protected",
        ]);
    });
});
