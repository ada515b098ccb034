/**
 * How each tool is built from its pinned Go module. Every recipe builds from a scratch copy of its
 * folder under tools/ (`b.work`) into `b.bin`. The module proxy here serves an allow-list: where the
 * upstream module of a release is refused, the recipe says what it builds instead.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Builder } from "./builder";

export interface Recipe {
    name: string;
    /** Folder under tools/ with the pinned go.mod, go.sum and sources; its content is part of the key. */
    source: string;
    /** What it puts into bin/: binaries, and any data file they need. */
    binaries: string[];
    /** A cold build's wall time on 2 cores, printed so that a long wait is expected. */
    coldMinutes: number;
    /** Versions the recipe stamps or fetches besides its go.mod's pins; part of the cache key. */
    pins: Record<string, string>;
    build(b: Builder): Promise<void>;
}

const STRIP = "-s -w";

export const RECIPES: Recipe[] = [
    {
        // The CLI, and next to it the Node.js language host: the engine looks for the nodejs host beside
        // its own binary ("bundled with Pulumi"). The upstream host (sdk/nodejs/cmd/pulumi-language-nodejs)
        // is its own module, which the proxy refuses; tools/pulumi/language-nodejs is kubeship's own host
        // for the same protocol.
        name: "pulumi",
        source: "pulumi",
        binaries: ["pulumi", "pulumi-language-nodejs"],
        coldMinutes: 5,
        pins: { version: "3.276.0" },
        async build(b) {
            const ldflags = `${STRIP} -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${this.pins.version}`;
            await b.go(["build", "-tags", "osusergo,grpcnotrace", "-ldflags", ldflags, "-o", b.out("pulumi"), "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"]);
            await b.go(["build", "-ldflags", `${STRIP} -X main.Version=${this.pins.version}`, "-o", b.out("pulumi-language-nodejs"), "."], {
                cwd: path.join(b.work, "language-nodejs"),
            });
        },
    },
    {
        // The provider embeds a schema that its own generator writes (git-ignored upstream, so not in the
        // module download). tools/provider-kubernetes holds the module's go.mod with its `../sdk` replace
        // pointed at a published sdk/v4, and the matching go.sum.
        name: "provider-kubernetes",
        source: "provider-kubernetes",
        binaries: ["pulumi-resource-kubernetes"],
        coldMinutes: 10,
        // The newest commit of the provider module the proxy serves (2026-01-15, between 4.23.0 and 4.24.1).
        pins: { module: "github.com/pulumi/pulumi-kubernetes/provider/v4", version: "v4.0.0-20260115033456-f47bc2d6f199", stamp: "4.24.0-dev.20260115" },
        async build(b) {
            const { module, version, stamp } = this.pins;
            const src = path.join(b.work, "module");
            await b.copyModule(module, version, src);
            for (const file of ["go.mod", "go.sum"]) fs.copyFileSync(path.join(b.work, file), path.join(src, file));
            await b.go(["run", "generate.go"], { cwd: path.join(src, "cmd", "pulumi-resource-kubernetes"), env: { VERSION: stamp } });
            const ldflags = `${STRIP} -X ${module}/pkg/version.Version=${stamp}`;
            await b.go(["build", "-ldflags", ldflags, "-o", b.out("pulumi-resource-kubernetes"), "./cmd/pulumi-resource-kubernetes"], { cwd: src });
        },
    },
    {
        // pulumi-random's module is refused; this bridges the upstream Terraform random provider with
        // pulumi-terraform-bridge under the same tokens (random:index/randomX:RandomX), checked against
        // the @pulumi/random SDK's schema. The bridge's fork of terraform-plugin-sdk lacks one method of
        // the newer terraform-plugin-go: a stub is added to a copy (the SDKv2 server path is unused).
        name: "provider-random",
        source: "provider-random",
        binaries: ["pulumi-resource-random"],
        coldMinutes: 4,
        // The @pulumi/random release whose schema it matches, and the Pulumi fork of terraform-plugin-sdk
        // that pulumi-terraform-bridge v3.120.0 replaces the SDK with.
        pins: { version: "4.21.2", forkModule: "github.com/pulumi/terraform-plugin-sdk/v2", forkVersion: "v2.0.0-20250923233607-7f1981c8674a" },
        async build(b) {
            const fork = path.join(b.work, "tfsdk-fork");
            await b.copyModule(this.pins.forkModule, this.pins.forkVersion, fork);
            fs.renameSync(
                path.join(b.work, "kubeship_generate_resource_config.go"),
                path.join(fork, "helper", "schema", "kubeship_generate_resource_config.go"),
            );
            // The provider embeds the schema that tfgen writes from the provider itself: placeholders first.
            for (const file of ["schema.json", "bridge-metadata.json"]) fs.writeFileSync(path.join(b.work, "rprov", file), "{}");
            const tfgen = path.join(b.work, "pulumi-tfgen-random");
            await b.go(["build", "-o", tfgen, "./cmd/pulumi-tfgen-random"]);
            await b.run(tfgen, ["schema", "--out", "rprov"]);
            const ldflags = `${STRIP} -X kubeship.local/pulumi-resource-random/rprov.Version=${this.pins.version}`;
            await b.go(["build", "-ldflags", ldflags, "-o", b.out("pulumi-resource-random"), "./cmd/pulumi-resource-random"]);
        },
    },
    {
        // The renderers of the platform add-ons' vendored manifests (npm run addons): Helm for charts,
        // kustomize for kustomize bases. Both are `tool` lines of one module.
        name: "helm",
        source: "helm",
        binaries: ["helm", "kustomize"],
        coldMinutes: 5,
        pins: { helm: "4.3.1", kustomize: "5.8.2" },
        async build(b) {
            await b.go([
                "build",
                "-ldflags",
                `${STRIP} -X helm.sh/helm/v4/internal/version.version=v${this.pins.helm}`,
                "-o",
                b.out("helm"),
                "helm.sh/helm/v4/cmd/helm",
            ]);
            await b.go(["build", "-ldflags", STRIP, "-o", b.out("kustomize"), "sigs.k8s.io/kustomize/kustomize/v5"]);
        },
    },
    {
        // etcd's own main lives in a root module the proxy serves only up to 3.6.8: a one-line main
        // around etcdmain.Main of the server module.
        name: "etcd",
        source: "etcd",
        binaries: ["etcd"],
        coldMinutes: 2,
        pins: { version: "3.7.3" },
        async build(b) {
            await b.go(["build", "-ldflags", `${STRIP} -X go.etcd.io/etcd/api/v3/version.GitSHA=v${this.pins.version}`, "-o", b.out("etcd"), "."]);
        },
    },
    {
        // k8s.io/kubernetes requires its staging modules at v0.0.0 with ./staging replaces; the wrapper
        // module replaces each with its published v0.<minor>.<patch>. The control plane, and the real
        // node's kubelet and kube-proxy at the same version.
        name: "kubernetes",
        source: "kubernetes",
        binaries: ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy"],
        coldMinutes: 23,
        pins: { version: "1.37.2" },
        async build(b) {
            const v = this.pins.version;
            const [major, minor] = v.split(".");
            const stamp = ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"].flatMap(p => [
                `-X ${p}.gitVersion=v${v}`,
                `-X ${p}.gitMajor=${major}`,
                `-X ${p}.gitMinor=${minor}`,
                `-X ${p}.gitTreeState=clean`,
            ]);
            for (const binary of this.binaries) {
                await b.go(["build", "-ldflags", [STRIP, ...stamp].join(" "), "-o", b.out(binary), `k8s.io/kubernetes/cmd/${binary}`]);
            }
        },
    },
    {
        // kwok's fake nodes: its controller has no stages built in (kwokctl adds them), so the stages the
        // module ships for node and pod lifecycles and for volumes are collected into kwok-stages.yaml,
        // next to the StorageClass whose claims those volume stages provision.
        name: "kwok",
        source: "kwok",
        binaries: ["kwok", "kwok-stages.yaml", "kwok-storageclass.yaml"],
        coldMinutes: 3,
        pins: {
            module: "sigs.k8s.io/kwok",
            stages: "node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml volume/fast/pvc-provision.yaml volume/fast/pvc-delete.yaml volume/fast/pv-bind.yaml volume/fast/pv-delete.yaml",
        },
        async build(b) {
            await b.go(["build", "-ldflags", STRIP, "-o", b.out("kwok"), `${this.pins.module}/cmd/kwok`]);
            const dir = await b.moduleDir(this.pins.module);
            const stages = this.pins.stages.split(" ").map(f => fs.readFileSync(path.join(dir, "kustomize", "stage", f), "utf8").trim());
            fs.writeFileSync(b.out("kwok-stages.yaml"), `${stages.map(s => `---\n${s}\n`).join("")}`);
            // The default StorageClass those volume stages provision for.
            fs.copyFileSync(path.join(dir, "kustomize", "stage", "volume", "fast", "storage-class.yaml"), b.out("kwok-storageclass.yaml"));
        },
    },
    {
        // The real node's cluster DNS: CoreDNS with the few plugins it uses (tools/coredns/main.go), run
        // on the host against the API server with a kubeconfig.
        name: "coredns",
        source: "coredns",
        binaries: ["coredns"],
        coldMinutes: 1,
        pins: { version: "1.15.0" },
        async build(b) {
            await b.go(["build", "-ldflags", STRIP, "-o", b.out("coredns"), "."]);
        },
    },
    {
        // The real node's NetworkPolicy enforcement: kube-router's firewall controller alone (iptables and
        // ipset), run on the host. kube-network-policies, which kind uses, needs the kernel's nft queue
        // (CONFIG_NFT_QUEUE), which these machines' kernel lacks. v2.1.0 is the only release the proxy
        // serves; the advisories against it concern its service proxy, which stays off.
        name: "kube-router",
        source: "kube-router",
        binaries: ["kube-router"],
        coldMinutes: 2,
        pins: { version: "2.1.0" },
        async build(b) {
            const ldflags = `${STRIP} -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=v${this.pins.version}`;
            await b.go(["build", "-ldflags", ldflags, "-o", b.out("kube-router"), "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router"]);
        },
    },
    {
        // The pod sandbox's process on the real node (tools/pause/main.go): registry.k8s.io/pause cannot be
        // pulled here, so the sandbox image is made from this binary.
        name: "pause",
        source: "pause",
        binaries: ["pause"],
        coldMinutes: 1,
        pins: {},
        async build(b) {
            await b.go(["build", "-ldflags", STRIP, "-o", b.out("pause"), "."]);
        },
    },
    {
        // kubeship's own archiving tool (backup/: product code, for the Postgres pod), built for the
        // suites. Its Go tests and vet run first: no binary from a failing tree.
        name: "pgbackup",
        source: "../backup",
        binaries: ["pgbackup"],
        coldMinutes: 1,
        pins: {},
        async build(b) {
            await b.go(["vet", "."]);
            await b.go(["test", "-count=1", "."]);
            await b.go(["build", "-ldflags", STRIP, "-o", b.out("pgbackup"), "."]);
        },
    },
];
