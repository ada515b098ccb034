import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AppImage, projectRoot } from "../components/image";
import { runProgram, RunResult } from "../tools/render/harness";
import { FAKE_CREDENTIALS, installMocks, redact, valueOf } from "../tools/render/mocks";
import { all, dependencyClosure, one, spec } from "./support/query";
import { readStackConfig, ROOT } from "../tools/render/stack-config";

const DIGEST = /@sha256:[0-9a-f]{64}$/;

describe("AppImage", () => {
    it("builds the given Dockerfile from a context below the project root, with inline cache, pins the digest, and keeps the push password secret even when handed over plain", async () => {
        const mocks = await installMocks("image");
        const image = new AppImage("app", {
            registry: {
                server: "registry.example.com",
                repository: "registry.example.com/acme/app",
                username: "u",
                password: FAKE_CREDENTIALS.ecrPassword,
            },
            context: ".",
            dockerfile: "app/Dockerfile",
            platform: "linux/amd64",
            tag: "kubeship-build",
        });
        const ref = await valueOf(image.ref);
        assert.match(ref, /^registry\.example\.com\/acme\/app@sha256:[0-9a-f]{64}$/);
        const registered = mocks.registered.find(r => r.type === "docker:index/image:Image")!;
        const inputs = spec(registered);
        assert.equal(inputs.imageName, "registry.example.com/acme/app:kubeship-build");
        assert.equal(inputs.build.context, ROOT);
        assert.equal(inputs.build.dockerfile, path.join(ROOT, "app", "Dockerfile"));
        assert.equal(inputs.build.platform, "linux/amd64");
        assert.equal(inputs.build.builderVersion, "BuilderBuildKit");
        assert.deepEqual(inputs.build.args, { BUILDKIT_INLINE_CACHE: "1" });
        assert.deepEqual(inputs.build.cacheFrom, { images: ["registry.example.com/acme/app:kubeship-build"] }, "the previous push is the cache");
        assert.equal(inputs.registry.username, "u");
        assert.ok(!JSON.stringify(redact(registered.inputs)).includes(FAKE_CREDENTIALS.ecrPassword), "the push password is secret");
        assert.match(registered.provider, /pulumi:providers:docker::app-docker::/, "explicit docker provider");
    });

    it("pushes to a registry without credentials (kind's local registry) with the ambient Docker login", async () => {
        const mocks = await installMocks("image-local");
        await valueOf(
            new AppImage("app", {
                registry: { server: "localhost:5001", repository: "localhost:5001/kubeship-app" },
                platform: "linux/arm64",
                context: "app",
                dockerfile: "Dockerfile",
                tag: "dev",
            }).ref,
        );
        const inputs = spec(mocks.registered.find(r => r.type === "docker:index/image:Image")!);
        assert.equal(inputs.registry, undefined);
        assert.equal(inputs.build.context, path.join(ROOT, "app"));
        assert.equal(inputs.build.dockerfile, path.join(ROOT, "app", "Dockerfile"), "relative to the context");
        assert.equal(inputs.imageName, "localhost:5001/kubeship-app:dev");
        assert.equal(inputs.build.platform, "linux/arm64");
    });

    it("finds the project root from any folder below it", () => {
        assert.equal(projectRoot(path.join(ROOT, "components", "image")), ROOT);
        const outside = fs.mkdtempSync(path.join(os.tmpdir(), "kubeship-root-"));
        assert.equal(projectRoot(outside), outside);
        fs.rmSync(outside, { recursive: true });
    });
});

describe("the image in the program", () => {
    /** A stack file with `kubeship:app` settings merged in (prod is on EKS; dev, on a local cluster, is cheaper to run). */
    const stackWith = async (stack: string, app: Record<string, unknown>): Promise<RunResult> => {
        const { config, secretKeys } = readStackConfig(stack);
        return runProgram({
            stack,
            config: { ...config, "kubeship:app": JSON.stringify({ ...JSON.parse(config["kubeship:app"]), ...app }) },
            secretKeys,
        });
    };

    it("builds into the cluster's registry with its credentials, without waiting for the cluster", async () => {
        const r = await stackWith("prod", {});
        const image = one(r, "docker:index/image:Image", "app-image");
        assert.equal(spec(image).imageName, "123456789012.dkr.ecr.after-deploy.amazonaws.com/kubeship-prod/app:kubeship-build");
        assert.equal(spec(image).registry.username, "AWS");
        const cluster = one(r, "aws:eks/cluster:Cluster");
        assert.ok(!dependencyClosure(r, image.urn).has(cluster.urn), "the build must run while the cluster is created");
        const deployment = spec(one(r, "kubernetes:apps/v1:Deployment", "app"));
        assert.match(deployment.spec.template.spec.containers[0].image, DIGEST);
        assert.equal(deployment.spec.template.spec.containers[0].image, r.outputs.imageRef.value);
    });

    it("rolls out a new digest when the build changes, and the same digest when it does not", async () => {
        const ref = async (build: Record<string, unknown>) => String((await stackWith("dev", { build })).outputs.imageRef.value);
        assert.equal(await ref({}), await ref({}));
        assert.notEqual(await ref({}), await ref({ platform: "linux/arm64" }));
    });

    it("skips the build for a configured prebuilt image", async () => {
        const r = await stackWith("dev", { image: "ghcr.io/acme/app:2.0.0" });
        assert.equal(all(r, "docker:index/image:Image").length, 0);
        assert.equal(all(r, "pulumi:providers:docker").length, 0);
        assert.equal(spec(one(r, "kubernetes:apps/v1:Deployment", "app")).spec.template.spec.containers[0].image, "ghcr.io/acme/app:2.0.0");
    });
});
