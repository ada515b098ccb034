import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as ts from "typescript";
import { ConfigError, ConfigErrors, parseSettings, RawConfig } from "../components/config";
import { ROOT } from "../tools/render/stack-config";
import { throwsConfig } from "./support/assert";

const IMAGE = "ghcr.io/acme/app:1.0.0";
/** A cluster section that satisfies the managed clouds' required authorized networks. */
const NETWORKS = { "kubeship:cluster": { authorizedNetworks: ["198.51.100.7/32"] } };

const base = (extra: Record<string, unknown> = {}, app: Record<string, unknown> = {}): RawConfig => {
    const raw: Record<string, string> = { "kubeship:cloud": "local", "kubeship:app": JSON.stringify({ image: IMAGE, ...app }) };
    for (const [k, v] of Object.entries(extra)) raw[k] = typeof v === "string" ? v : JSON.stringify(v);
    return raw;
};

describe("parseSettings", () => {
    it("fills every default and freezes the result", () => {
        const s = parseSettings(base(), "dev");
        assert.equal(s.cloud, "local");
        assert.equal(s.namespace, "dev", "namespace defaults to the stack name");
        assert.equal(s.protectData, false);
        assert.equal(s.kubeContext, undefined);
        assert.equal(s.app.replicas, 2);
        assert.equal(s.app.port, 8080);
        assert.equal(s.app.serviceType, "LoadBalancer");
        assert.deepEqual(s.app.autoscaling, { maxReplicas: 6, targetCPUUtilization: 70 });
        assert.equal(s.postgres.storageSize, "10Gi");
        assert.equal(s.redis.maxmemoryPolicy, "allkeys-lru");
        assert.equal(s.redis.maxmemory, Math.floor(256 * 2 ** 20 * 0.8), "maxmemory defaults to 80% of the memory limit");
        assert.equal(s.cluster.registry, "localhost:5001");
        assert.ok(Object.isFrozen(s) && Object.isFrozen(s.app) && Object.isFrozen(s.app.autoscaling));
    });

    it("archives Postgres on the managed clouds unless turned off, and on kind and local only when turned on", () => {
        const managed = (backup?: object) =>
            parseSettings(
                {
                    ...base(NETWORKS),
                    "kubeship:cloud": "gcp",
                    "kubeship:region": "europe-west1",
                    "gcp:project": "p",
                    "kubeship:postgres": JSON.stringify({ backup }),
                },
                "prod",
            ).postgres.backup;
        assert.deepEqual({ ...managed() }, { rpoSeconds: 300, schedule: "30 1 * * *", retentionDays: 14, image: undefined });
        assert.equal(managed({ enabled: false }), undefined);
        assert.equal(managed({ enabled: "false" }), undefined, "the string Pulumi stores");
        for (const cloud of ["kind", "local"]) {
            const local = (backup?: object) =>
                parseSettings({ "kubeship:cloud": cloud, "kubeship:postgres": JSON.stringify({ backup }) }, "dev").postgres.backup;
            assert.equal(local(), undefined, cloud);
            assert.deepEqual(
                { ...local({ enabled: true, rpoSeconds: 60, schedule: "0 */6 * * 1-5", retentionDays: 30 }) },
                {
                    rpoSeconds: 60,
                    schedule: "0 */6 * * 1-5",
                    retentionDays: 30,
                    image: undefined,
                },
            );
        }
    });

    it("reports every bad backup setting at once, even when backups are off", () => {
        const raw = base({ "kubeship:postgres": { backup: { enabled: "no", rpoSeconds: 5, schedule: "0 0 0 * *" } } });
        assert.throws(
            () => parseSettings(raw, "dev"),
            (e: unknown) => {
                assert.ok(e instanceof ConfigErrors);
                assert.deepEqual(
                    e.problems.map(x => x.key),
                    ["kubeship:postgres.backup.enabled", "kubeship:postgres.backup.rpoSeconds", "kubeship:postgres.backup.schedule"],
                );
                return true;
            },
        );
    });

    it("takes a point-in-time restore: an archive of the stack's own cloud and an RFC 3339 time, with backups on", () => {
        const on = (restore: object, cloud = "local", backup: object = { enabled: true }) =>
            parseSettings(
                {
                    ...base(NETWORKS),
                    "kubeship:cloud": cloud,
                    "kubeship:region": { gcp: "europe-west1", azure: "westeurope" }[cloud] ?? "eu-west-1",
                    "gcp:project": "p",
                    "azure-native:subscriptionId": "5f0c3a9e-1b2d-4c6e-8f7a-9b0c1d2e3f4a",
                    "kubeship:postgres": JSON.stringify({ backup, restore }),
                },
                "staging",
            ).postgres.restore;
        assert.deepEqual(
            { ...on({ from: "file:///var/lib/kubeship-backup", time: "2026-12-02T08:00:00Z" }) },
            {
                from: "file:///var/lib/kubeship-backup",
                time: "2026-12-02T08:00:00Z",
            },
        );
        assert.deepEqual(
            { ...on({ from: "gs://acme-prod-backup-1a2b/postgres", time: "2026-12-02T09:10:11.123456+01:00" }, "gcp") },
            {
                from: "gs://acme-prod-backup-1a2b/postgres",
                time: "2026-12-02T09:10:11.123456+01:00",
            },
        );
        assert.equal(
            on({ from: "s3://prod-backups/postgres/restore-20261202T080000Z-0a1b2c3d", time: "2026-12-02T08:00:00Z" }, "aws")?.from,
            "s3://prod-backups/postgres/restore-20261202T080000Z-0a1b2c3d",
        );
        assert.equal(
            on({ from: "azblob://acmeprod0a1b2c/postgres/restore-20261202T080000Z-0a1b2c3d", time: "2026-12-02T08:00:00Z" }, "azure")?.from,
            "azblob://acmeprod0a1b2c/postgres/restore-20261202T080000Z-0a1b2c3d",
        );
        for (const bad of [
            `azblob://acmeprod/${"a".repeat(64)}`,
            "azblob://acmeprod/po",
            "azblob://Acme/postgres",
            "azblob://acmeprod/post--gres",
            "azblob://acmeprod",
        ])
            assert.throws(() => on({ from: bad, time: "2026-12-02T08:00:00Z" }, "azure"), /must be an archive URL/, bad);
        assert.equal(on({ from: `azblob://acmeprod/${"a".repeat(63)}`, time: "2026-12-02T08:00:00Z" }, "azure")?.from, `azblob://acmeprod/${"a".repeat(63)}`);
        assert.equal(parseSettings(base(), "dev").postgres.restore, undefined);

        const problems = (restore: object, cloud = "local", backup: object = { enabled: true }) => {
            try {
                on(restore, cloud, backup);
            } catch (e) {
                return (e instanceof ConfigErrors ? e.problems : [e as ConfigError]).map(p => [p.key, p.allowed]);
            }
            assert.fail("accepted");
        };
        // Every problem at once: a URL restore_command could not carry, a day that does not exist.
        assert.deepEqual(
            problems({ from: "file:///backups/it's", time: "2026-02-30T08:00:00Z" }).map(p => p[0]),
            ["kubeship:postgres.restore.from", "kubeship:postgres.restore.time"],
        );
        assert.match(String(problems({ from: "gs://acme/postgres", time: "2026-12-02T08:00:00Z" }, "aws")[0][1]), /must be a s3:\/\/ URL/);
        assert.match(String(problems({ from: "file:///x", time: "2026-12-02 08:00:00" })[0][1]), /RFC 3339 with its zone/);
        assert.match(String(problems({ from: "file:///x", time: "2026-12-02T08:00:00" })[0][1]), /RFC 3339 with its zone/);
        assert.deepEqual(problems({ time: "2026-12-02T08:00:00Z" }), [
            ["kubeship:postgres.restore.from", "is required for a restore (see docs/runbooks.md, Restore to a point in time)"],
        ]);
        assert.match(
            String(problems({ from: "file:///x", time: "2026-12-02T08:00:00Z" }, "local", { enabled: false })[0][1]),
            /needs kubeship:postgres.backup.enabled/,
        );
        assert.deepEqual(
            problems({ from: "file:///x", at: "2026-12-02T08:00:00Z" }).map(p => p[0]),
            ["kubeship:postgres.restore.at", "kubeship:postgres.restore.time"],
        );
    });

    it("builds app/Dockerfile from the project root for linux/amd64 unless a prebuilt image is given", () => {
        const s = parseSettings({ "kubeship:cloud": "local" }, "dev");
        assert.equal(s.app.image, undefined);
        assert.deepEqual({ ...s.app.build }, { context: ".", dockerfile: "app/Dockerfile", platform: "linux/amd64", tag: "kubeship-build" });
        assert.equal(parseSettings(base(), "dev").app.image, IMAGE);
    });

    it("takes the Dockerfile at the top of a build context of your own unless one is named", () => {
        const build = (b: object) => parseSettings({ "kubeship:cloud": "local", "kubeship:app": JSON.stringify({ build: b }) }, "dev").app.build;
        assert.equal(build({ context: "services/web" }).dockerfile, "Dockerfile");
        assert.equal(build({ context: "services/web", dockerfile: "docker/web.Dockerfile" }).dockerfile, "docker/web.Dockerfile");
        assert.equal(build({ dockerfile: "app/Dockerfile.debug" }).dockerfile, "app/Dockerfile.debug");
    });

    it("treats empty strings (Pulumi.yaml defaults) as unset", () => {
        const s = parseSettings(base({ "kubeship:namespace": "", "kubeship:region": "", "kubeship:kubeContext": "" }), "staging");
        assert.equal(s.namespace, "staging");
        assert.equal(s.cloud, "local");
        assert.equal("region" in s, false, "no region outside the managed clouds");
        assert.equal(s.cloud === "local" && s.kubeContext, undefined);
    });

    it("derives Postgres' memory settings from its memory limit: shared_buffers a quarter, effective_cache_size three quarters, /dev/shm a quarter", () => {
        const tuning = (memoryLimit: string) => parseSettings(base({ "kubeship:postgres": { memory: "256Mi", memoryLimit } }), "prod").postgres.tuning;
        assert.deepEqual(tuning("4Gi"), { sharedBuffersMB: 1024, effectiveCacheSizeMB: 3072, sharedMemoryMB: 1024 });
        assert.deepEqual(tuning("512Mi"), { sharedBuffersMB: 128, effectiveCacheSizeMB: 384, sharedMemoryMB: 128 });
        assert.deepEqual(tuning("1G"), { sharedBuffersMB: 238, effectiveCacheSizeMB: 715, sharedMemoryMB: 238 }, "decimal units, rounded down to whole MiB");
        assert.deepEqual(
            parseSettings(base(), "prod").postgres.tuning,
            { sharedBuffersMB: 256, effectiveCacheSizeMB: 768, sharedMemoryMB: 256 },
            "the default 1Gi",
        );
    });

    it("reads structured values and computes maxmemory from quantities", () => {
        const s = parseSettings(
            base(
                { "kubeship:redis": { memoryLimit: "1Gi", maxmemory: "900Mi" }, "kubeship:protectData": "true" },
                { replicas: "3", ingress: { host: "app.example.com" }, autoscaling: { enabled: false } },
            ),
            "prod",
        );
        assert.equal(s.redis.maxmemory, 900 * 2 ** 20);
        assert.equal(s.app.replicas, 3);
        assert.equal(s.app.autoscaling, undefined);
        assert.deepEqual({ ...s.app.ingress }, { host: "app.example.com" });
        assert.equal(s.app.serviceType, "ClusterIP", "behind the edge, the app's Service is internal");
        assert.equal(parseSettings(base(), "prod").app.serviceType, "LoadBalancer", "without an edge, a load balancer");
        assert.equal(parseSettings(base({}, { ingress: { host: "a.example.com" }, serviceType: "LoadBalancer" }), "prod").app.serviceType, "LoadBalancer");
        assert.equal(s.protectData, true);
    });

    it("keeps the DigitalOcean token a Pulumi secret", async () => {
        const s = parseSettings(
            base({
                "kubeship:cloud": "digitalocean",
                "kubeship:region": "ams3",
                "digitalocean:token": "dop_v1_x",
                "kubeship:cluster": { authorizedNetworks: ["198.51.100.7/32"] },
            }),
            "s",
        );
        assert.equal(s.cloud, "digitalocean");
        if (s.cloud !== "digitalocean") return;
        assert.equal(await pulumi.isSecret(s.credential), true);
    });

    it("reports every problem of a config at once, each naming its key, value and what is allowed", () => {
        const raw = base({ "kubeship:cloud": "aws", "kubeship:postgres": { storageSize: "lots", user: "App" } }, { replicas: 0, port: 70000 });
        assert.throws(
            () => parseSettings(raw, "prod"),
            (e: unknown) => {
                assert.ok(e instanceof ConfigErrors, String(e));
                assert.deepEqual(e.problems.map(p => p.key).sort(), [
                    "kubeship:app.port",
                    "kubeship:app.replicas",
                    "kubeship:cluster.authorizedNetworks",
                    "kubeship:postgres.storageSize",
                    "kubeship:postgres.user",
                    "kubeship:region",
                ]);
                assert.match(e.message, /^6 config problems:\n {2}- Invalid config /);
                for (const p of e.problems) assert.ok(e.message.includes(p.message), p.message);
                return true;
            },
        );
    });

    it("reports a cloud's region and its provider setting together", () => {
        const raw = base({
            "kubeship:cloud": "azure",
            "kubeship:region": "West Europe",
            "azure-native:subscriptionId": "my-sub",
            "azure-native:tenantId": "contoso.onmicrosoft.com",
            ...NETWORKS,
        });
        assert.throws(
            () => parseSettings(raw, "prod"),
            (e: unknown) => {
                assert.ok(e instanceof ConfigErrors, String(e));
                assert.deepEqual(
                    e.problems.map(p => p.key),
                    ["kubeship:region", "azure-native:subscriptionId", "azure-native:tenantId"],
                );
                assert.match(e.message, /azure-native:tenantId = "contoso.onmicrosoft.com": is not a tenant id; expected a value such as "0{8}-/);
                return true;
            },
        );
    });

    it("skips a check that compares two values when one of them is already wrong", () => {
        // memoryLimit is unparseable: "memory must not exceed memoryLimit" would compare with a fallback.
        assert.throws(
            () => parseSettings(base({}, { memory: "1Gi", memoryLimit: "lots" }), "dev"),
            (e: unknown) => {
                assert.ok(e instanceof ConfigError && !(e instanceof ConfigErrors));
                assert.equal(e.key, "kubeship:app.memoryLimit");
                return true;
            },
        );
    });

    describe("cluster settings", () => {
        const cloud = (c: string, region: string, cluster: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
            base({
                "kubeship:cloud": c,
                "kubeship:region": region,
                "gcp:project": "p",
                "digitalocean:token": "t",
                "azure-native:subscriptionId": "5f0c3a9e-1b2d-4c6e-8f7a-9b0c1d2e3f4a",
                "kubeship:cluster": { authorizedNetworks: ["198.51.100.0/24"], ...cluster },
                ...extra,
            });

        it("defaults node sizes per cloud and deletion protection to protectData", () => {
            assert.equal(parseSettings(cloud("gcp", "europe-west1"), "s").cluster.nodeSize, "e2-standard-2");
            assert.equal(parseSettings(cloud("aws", "eu-west-1"), "s").cluster.nodeSize, "t3.large");
            assert.equal(parseSettings(cloud("digitalocean", "ams3"), "s").cluster.nodeSize, "s-2vcpu-4gb");
            const s = parseSettings(cloud("aws", "eu-west-1"), "s");
            assert.deepEqual(
                [s.cluster.minNodes, s.cluster.maxNodes, s.cluster.kubernetesVersion, s.cluster.natGateways, s.cluster.deletionProtection],
                [3, 6, undefined, "perAz", false],
            );
            assert.equal(parseSettings(cloud("aws", "eu-west-1", {}, { "kubeship:protectData": "true" }), "s").cluster.deletionProtection, true);
            assert.equal(
                parseSettings(cloud("aws", "eu-west-1", { deletionProtection: false }, { "kubeship:protectData": "true" }), "s").cluster.deletionProtection,
                false,
            );
            assert.equal(parseSettings(cloud("digitalocean", "ams3"), "qa").cluster.registryName, "kubeship-qa");
        });

        it("raises the default maxNodes to a larger minNodes, so minNodes alone is enough", () => {
            const s = parseSettings(cloud("aws", "eu-west-1", { minNodes: 8 }), "s");
            assert.deepEqual([s.cluster.minNodes, s.cluster.maxNodes], [8, 8]);
            const small = parseSettings(cloud("aws", "eu-west-1", { minNodes: 2 }), "s");
            assert.deepEqual([small.cluster.minNodes, small.cluster.maxNodes], [2, 6]);
        });

        it("opens the API to the internet only when asked to, and only on the managed clouds that have one to open", () => {
            const open = { authorizedNetworks: ["0.0.0.0/0"], allowApiFromInternet: true };
            assert.deepEqual(parseSettings(cloud("aws", "eu-west-1", open), "s").cluster.authorizedNetworks, ["0.0.0.0/0"]);
            assert.equal(parseSettings(cloud("aws", "eu-west-1"), "s").cluster.allowApiFromInternet, false);
        });

        it("builds the app image for the nodes' platform unless told otherwise where the nodes are unknown", () => {
            const platform = (raw: RawConfig, hostArch?: string) => parseSettings(raw, "s", hostArch).app.build.platform;
            assert.equal(platform(cloud("aws", "eu-west-1", { nodeSize: "c7gn.xlarge" })), "linux/arm64");
            assert.equal(platform(cloud("aws", "eu-west-1", { nodeSize: "m7i.large" })), "linux/amd64");
            assert.equal(platform(cloud("azure", "westeurope", { nodeSize: "Standard_D2pds_v5" })), "linux/arm64", "Ampere");
            assert.equal(platform(cloud("azure", "westeurope", { nodeSize: "Standard_D4ds_v5" })), "linux/amd64");
            assert.equal(platform(cloud("azure", "westeurope")), "linux/amd64", "the default size");
            assert.equal(platform(cloud("gcp", "europe-west1"), "arm64"), "linux/amd64", "cloud nodes, whatever the laptop");
            assert.equal(platform(base({ "kubeship:cloud": "kind" }), "arm64"), "linux/arm64", "kind runs on this ARM machine");
            assert.equal(platform(base({ "kubeship:cloud": "kind" }), "x64"), "linux/amd64");
            const own = base({ "kubeship:cloud": "local", "kubeship:app": { build: { platform: "linux/amd64" } } });
            assert.equal(platform(own, "arm64"), "linux/amd64", "a local cluster may run elsewhere: an explicit platform stands");
        });

        it("accepts each cloud's own size and region names", () => {
            for (const [c, region, size] of [
                ["gcp", "us-central1", "n2d-highmem-8"],
                ["gcp", "northamerica-northeast1", "e2-medium"],
                ["aws", "us-gov-west-1", "c7gn.16xlarge"],
                ["aws", "ap-southeast-2", "t4g.medium"],
                ["digitalocean", "sfo3", "c-4"],
                ["digitalocean", "fra1", "g-2vcpu-8gb"],
                ["azure", "westeurope", "Standard_D4ds_v5"],
                ["azure", "eastus2", "Standard_E64-16ds_v5"],
                ["azure", "swedencentral", "Standard_NC24ads_A100_v4"],
                ["azure", "uksouth", "Standard_B2ms"],
            ]) {
                assert.equal(parseSettings(cloud(c, region, { nodeSize: size }), "s").cluster.nodeSize, size);
            }
        });

        const cases: [string, RawConfig, string, string, RegExp][] = [
            [
                "min nodes above max",
                cloud("aws", "eu-west-1", { minNodes: 5, maxNodes: 3 }),
                "kubeship:cluster.maxNodes",
                "3",
                /at least kubeship:cluster.minNodes \(5\)/,
            ],
            ["zero nodes", cloud("gcp", "europe-west1", { minNodes: 0 }), "kubeship:cluster.minNodes", "0", /from 1 to 1000/],
            [
                "an AWS size on GCP",
                cloud("gcp", "europe-west1", { nodeSize: "m7i.large" }),
                "kubeship:cluster.nodeSize",
                '"m7i.large"',
                /not a gcp node size; expected a name such as "e2-standard-4"/,
            ],
            [
                "an AWS size on Azure",
                cloud("azure", "westeurope", { nodeSize: "m7i.large" }),
                "kubeship:cluster.nodeSize",
                '"m7i.large"',
                /not an azure node size; expected a name such as "Standard_D4ds_v5"/,
            ],
            [
                "an Azure size without premium storage (Postgres' disks are Premium_ZRS)",
                cloud("azure", "westeurope", { nodeSize: "Standard_D2_v3" }),
                "kubeship:cluster.nodeSize",
                '"Standard_D2_v3"',
                /not an azure node size/,
            ],
            [
                "a DigitalOcean region on Azure",
                cloud("azure", "ams3"),
                "kubeship:region",
                '"ams3"',
                /not an azure region; expected a name such as "westeurope"/,
            ],
            ["an AWS region on Azure", cloud("azure", "eu-west-1"), "kubeship:region", '"eu-west-1"', /not an azure region/],
            [
                "a subscription name for the subscription id",
                cloud("azure", "westeurope", {}, { "azure-native:subscriptionId": "Pay-As-You-Go" }),
                "azure-native:subscriptionId",
                '"Pay-As-You-Go"',
                /is not a subscription id; expected a value such as "00000000-0000-0000-0000-000000000000"/,
            ],
            [
                "a GCP size on AWS",
                cloud("aws", "eu-west-1", { nodeSize: "e2-standard-2" }),
                "kubeship:cluster.nodeSize",
                '"e2-standard-2"',
                /not an aws node size; expected a name such as "m7i.large"/,
            ],
            [
                "a malformed droplet size",
                cloud("digitalocean", "ams3", { nodeSize: "2 vCPU" }),
                "kubeship:cluster.nodeSize",
                '"2 vCPU"',
                /not a digitalocean node size/,
            ],
            ["an AWS region on GCP", cloud("gcp", "eu-west-1"), "kubeship:region", '"eu-west-1"', /not a gcp region; expected a name such as "europe-west1"/],
            ["a GCP region on DigitalOcean", cloud("digitalocean", "europe-west1"), "kubeship:region", '"europe-west1"', /not a digitalocean region/],
            [
                "no authorized networks for a cloud",
                cloud("aws", "eu-west-1", { authorizedNetworks: [] }),
                "kubeship:cluster.authorizedNetworks",
                "[]",
                /required for kubeship:cloud "aws".*0\.0\.0\.0\/0/,
            ],
            [
                "a malformed CIDR",
                cloud("gcp", "europe-west1", { authorizedNetworks: ["10.0.0.300/8"] }),
                "kubeship:cluster.authorizedNetworks[0]",
                '"10.0.0.300/8"',
                /IPv4 CIDR/,
            ],
            [
                "authorized networks not a list",
                cloud("gcp", "europe-west1", { authorizedNetworks: "10.0.0.0/8" }),
                "kubeship:cluster.authorizedNetworks",
                '"10.0.0.0/8"',
                /must be a list/,
            ],
            [
                "a version that is not a minor",
                cloud("aws", "eu-west-1", { kubernetesVersion: "1.33.2" }),
                "kubeship:cluster.kubernetesVersion",
                '"1.33.2"',
                /minor version such as "1.33"/,
            ],
            [
                "an unknown release channel",
                cloud("gcp", "europe-west1", { releaseChannel: "LTS" }),
                "kubeship:cluster.releaseChannel",
                '"LTS"',
                /"RAPID", "REGULAR", "STABLE"/,
            ],
            ["an unknown NAT mode", cloud("aws", "eu-west-1", { natGateways: "none" }), "kubeship:cluster.natGateways", '"none"', /"perAz", "single"/],
            ["an AKS tier it does not set up", cloud("azure", "westeurope", { tier: "premium" }), "kubeship:cluster.tier", '"premium"', /"standard", "free"/],
            [
                "a log retention CloudWatch refuses",
                cloud("aws", "eu-west-1", { logRetentionDays: 10 }),
                "kubeship:cluster.logRetentionDays",
                "10",
                /CloudWatch's retention periods/,
            ],
            [
                "a maintenance time out of range",
                cloud("gcp", "europe-west1", { maintenanceStartTime: "25:00" }),
                "kubeship:cluster.maintenanceStartTime",
                '"25:00"',
                /"HH:MM"/,
            ],
            ["an unknown weekday", cloud("digitalocean", "ams3", { maintenanceDay: "sun" }), "kubeship:cluster.maintenanceDay", '"sun"', /"monday"/],
            [
                "a role that is not an IAM role ARN",
                cloud("aws", "eu-west-1", { assumeRoleArn: "deployer" }),
                "kubeship:cluster.assumeRoleArn",
                '"deployer"',
                /IAM role ARN/,
            ],
            ["an unknown cluster key", cloud("aws", "eu-west-1", { minNode: 2 }), "kubeship:cluster.minNode", "2", /did you mean "minNodes"/],
            [
                "a version pin on GKE, which follows its release channel",
                cloud("gcp", "europe-west1", { kubernetesVersion: "1.35" }),
                "kubeship:cluster.kubernetesVersion",
                '"1.35"',
                /is not used on gcp: GKE follows kubeship:cluster.releaseChannel/,
            ],
            [
                "an API open to the whole internet without the opt-in",
                cloud("digitalocean", "ams3", { authorizedNetworks: ["198.51.100.0/24", "0.0.0.0/0"] }),
                "kubeship:cluster.authorizedNetworks",
                '["198.51.100.0/24","0.0.0.0/0"]',
                /opens the Kubernetes API to the whole internet \(0\.0\.0\.0\/0\); .* set kubeship:cluster\.allowApiFromInternet to true/,
            ],
            [
                "an amd64 build for Graviton nodes",
                cloud("aws", "eu-west-1", { nodeSize: "m7g.large" }, { "kubeship:app": { build: { platform: "linux/amd64" } } }),
                "kubeship:app.build.platform",
                '"linux/amd64"',
                /must be "linux\/arm64", the platform of the nodes \(kubeship:cluster.nodeSize\)/,
            ],
        ];
        for (const [what, raw, key, shown, allowed] of cases) it(`refuses ${what}`, () => throwsConfig(() => parseSettings(raw, "s"), key, shown, allowed));
    });

    describe("refuses bad config with one message naming key, value and what is allowed", () => {
        const cases: [string, RawConfig, string, string, RegExp][] = [
            [
                "unknown cloud",
                base({ "kubeship:cloud": "openstack" }),
                "kubeship:cloud",
                '"openstack"',
                /must be one of "gcp", "aws", "azure", "digitalocean", "kind", "local"/,
            ],
            ["missing cloud", { "kubeship:app": JSON.stringify({ image: IMAGE }) }, "kubeship:cloud", "(not set)", /must be one of/],
            [
                "missing region for a cloud",
                base({ "kubeship:cloud": "aws", ...NETWORKS }),
                "kubeship:region",
                "(not set)",
                /required when kubeship:cloud is "aws"/,
            ],
            [
                "missing gcp:project",
                base({ "kubeship:cloud": "gcp", "kubeship:region": "europe-west1", ...NETWORKS }),
                "gcp:project",
                "(not set)",
                /required when kubeship:cloud is "gcp"/,
            ],
            [
                "missing azure-native:subscriptionId",
                base({ "kubeship:cloud": "azure", "kubeship:region": "westeurope", ...NETWORKS }),
                "azure-native:subscriptionId",
                "(not set)",
                /required when kubeship:cloud is "azure" \(pulumi config set azure-native:subscriptionId <subscription-id>\)/,
            ],
            [
                "missing digitalocean:token",
                base({ "kubeship:cloud": "digitalocean", "kubeship:region": "ams3", ...NETWORKS }),
                "digitalocean:token",
                "(not set)",
                /required when kubeship:cloud is "digitalocean"/,
            ],
            ["wrong type for a boolean", base({ "kubeship:protectData": "yes" }), "kubeship:protectData", '"yes"', /true or false/],
            ["wrong type for replicas", base({}, { replicas: "three" }), "kubeship:app.replicas", '"three"', /an integer >= 1/],
            ["zero replicas", base({}, { replicas: 0 }), "kubeship:app.replicas", "0", /an integer >= 1/],
            ["negative maxReplicas", base({}, { autoscaling: { maxReplicas: -1 } }), "kubeship:app.autoscaling.maxReplicas", "-1", /an integer >= 1/],
            [
                "HPA min > max",
                base({}, { replicas: 5, autoscaling: { maxReplicas: 3 } }),
                "kubeship:app.autoscaling.maxReplicas",
                "3",
                /at least kubeship:app.replicas \(5\)/,
            ],
            [
                "CPU target out of range",
                base({}, { autoscaling: { targetCPUUtilization: 150 } }),
                "kubeship:app.autoscaling.targetCPUUtilization",
                "150",
                /from 1 to 100/,
            ],
            [
                "malformed quantity '1 GB'",
                base({ "kubeship:postgres": { storageSize: "1 GB" } }),
                "kubeship:postgres.storageSize",
                '"1 GB"',
                /Kubernetes quantity/,
            ],
            ["malformed quantity 'ten'", base({}, { cpu: "ten" }), "kubeship:app.cpu", '"ten"', /Kubernetes quantity/],
            [
                "request above limit",
                base({}, { memory: "1Gi", memoryLimit: "512Mi" }),
                "kubeship:app.memory",
                '"1Gi"',
                /must not exceed kubeship:app.memoryLimit \(512Mi\)/,
            ],
            ["port out of range", base({}, { port: 70000 }), "kubeship:app.port", "70000", /from 1 to 65535/],
            ["service port zero", base({}, { servicePort: 0 }), "kubeship:app.servicePort", "0", /from 1 to 65535/],
            ["namespace not DNS-1123", base({ "kubeship:namespace": "My_Env" }), "kubeship:namespace", '"My_Env"', /DNS-1123 label/],
            [
                "stack name not DNS-1123 used as namespace",
                base(),
                "kubeship:namespace",
                "(not set)",
                /defaults to the stack name "Dev_1", which is not a valid namespace \(must be a DNS-1123 label.*\); set one with: pulumi config set kubeship:namespace <name>$/,
            ],
            ["ingress host not DNS-1123", base({}, { ingress: { host: "App_Host" } }), "kubeship:app.ingress.host", '"App_Host"', /DNS-1123 subdomain/],
            [
                "ingress host a wildcard (HTTP-01 cannot prove one)",
                base({}, { ingress: { host: "*.example.com" } }),
                "kubeship:app.ingress.host",
                '"*.example.com"',
                /DNS-1123 subdomain/,
            ],
            [
                "ingress with an Ingress-era key",
                base({}, { ingress: { host: "app.example.com", tlsSecretName: "app-tls" } }),
                "kubeship:app.ingress.tlsSecretName",
                '"app-tls"',
                /unknown key "tlsSecretName"/,
            ],
            ["unknown key in app (typo)", base({}, { replcas: 3 }), "kubeship:app.replcas", "3", /unknown key "replcas" \(did you mean "replicas"\?\)/],
            [
                "unknown key in postgres",
                base({ "kubeship:postgres": { storagesize: "1Gi" } }),
                "kubeship:postgres.storagesize",
                '"1Gi"',
                /did you mean "storageSize"/,
            ],
            ["unknown key in a nested object", base({}, { autoscaling: { max: 3 } }), "kubeship:app.autoscaling.max", "3", /unknown key "max"/],
            ["unknown top-level setting", base({ "kubeship:replicas": "3" }), "kubeship:replicas", "(value not shown)", /unknown setting; kubeship settings:/],
            [
                "a typo of a setting, value hidden",
                base({ "kubeship:protectDta": "s3cr3t" }),
                "kubeship:protectDta",
                "(value not shown)",
                /did you mean "kubeship:protectData"/,
            ],
            ["object that is not an object", base({ "kubeship:redis": "[]" }), "kubeship:redis", '"[]"', /must be an object/],
            [
                "a prebuilt image and a build at once",
                base({}, { build: { platform: "linux/arm64" } }),
                "kubeship:app.build",
                '{"platform":"linux/arm64"}',
                /cannot be set together with kubeship:app.image/,
            ],
            [
                "an unknown build key",
                { "kubeship:cloud": "local", "kubeship:app": JSON.stringify({ build: { contxt: "." } }) },
                "kubeship:app.build.contxt",
                '"."',
                /did you mean "context"/,
            ],
            [
                "a malformed platform",
                { "kubeship:cloud": "local", "kubeship:app": JSON.stringify({ build: { platform: "amd64" } }) },
                "kubeship:app.build.platform",
                '"amd64"',
                /OCI platform such as "linux\/amd64"/,
            ],
            [
                "a build tag of latest",
                { "kubeship:cloud": "local", "kubeship:app": JSON.stringify({ build: { tag: "latest" } }) },
                "kubeship:app.build.tag",
                '"latest"',
                /other than "latest"/,
            ],
            ["image on latest", base({}, { image: "acme/app:latest" }), "kubeship:app.image", '"acme/app:latest"', /other than "latest"/],
            ["untagged postgres image", base({ "kubeship:postgres": { image: "postgres" } }), "kubeship:postgres.image", '"postgres"', /pinned/],
            [
                "postgres user not an identifier",
                base({ "kubeship:postgres": { user: "app-user" } }),
                "kubeship:postgres.user",
                '"app-user"',
                /Postgres identifier/,
            ],
            [
                "redis maxmemory at the limit",
                base({ "kubeship:redis": { memoryLimit: "256Mi", maxmemory: "256Mi" } }),
                "kubeship:redis.maxmemory",
                '"256Mi"',
                /below kubeship:redis.memoryLimit \(256Mi\)/,
            ],
            [
                "unknown eviction policy",
                base({ "kubeship:redis": { maxmemoryPolicy: "lru" } }),
                "kubeship:redis.maxmemoryPolicy",
                '"lru"',
                /must be one of "noeviction", "allkeys-lru"/,
            ],
            [
                "grace period too short",
                base({ "kubeship:postgres": { terminationGracePeriodSeconds: 5 } }),
                "kubeship:postgres.terminationGracePeriodSeconds",
                "5",
                /from 30 to 3600/,
            ],
            [
                "the backup role's name for the app's role",
                base({ "kubeship:postgres": { user: "backup" } }),
                "kubeship:postgres.user",
                '"backup"',
                /a role kubeship keeps for itself/,
            ],
            ["password version zero", base({ "kubeship:postgres": { passwordVersion: 0 } }), "kubeship:postgres.passwordVersion", "0", /an integer >= 1/],
            [
                "an RPO under a minute",
                base({ "kubeship:postgres": { backup: { rpoSeconds: 10 } } }),
                "kubeship:postgres.backup.rpoSeconds",
                "10",
                /from 60 to 3600/,
            ],
            [
                "a schedule that is not cron",
                base({ "kubeship:postgres": { backup: { schedule: "@daily" } } }),
                "kubeship:postgres.backup.schedule",
                '"@daily"',
                /five-field cron expression such as "30 1 \* \* \*".*1 fields/,
            ],
            [
                "a schedule with seconds",
                base({ "kubeship:postgres": { backup: { schedule: "0 30 1 * * *" } } }),
                "kubeship:postgres.backup.schedule",
                '"0 30 1 * * *"',
                /6 fields/,
            ],
            [
                "a schedule hour out of range",
                base({ "kubeship:postgres": { backup: { schedule: "0 24 * * *" } } }),
                "kubeship:postgres.backup.schedule",
                '"0 24 * * *"',
                /the hour field "24" is outside 0-23/,
            ],
            [
                "a backwards range in a schedule",
                base({ "kubeship:postgres": { backup: { schedule: "0 1 * * 5-1" } } }),
                "kubeship:postgres.backup.schedule",
                '"0 1 * * 5-1"',
                /the day of week range "5-1" runs backwards/,
            ],
            [
                "a zero step in a schedule",
                base({ "kubeship:postgres": { backup: { schedule: "*/0 * * * *" } } }),
                "kubeship:postgres.backup.schedule",
                '"*/0 * * * *"',
                /the minute step "\*\/0" is zero/,
            ],
            ["no retention", base({ "kubeship:postgres": { backup: { retentionDays: 0 } } }), "kubeship:postgres.backup.retentionDays", "0", /from 1 to 3650/],
            ["a backup key misspelt", base({ "kubeship:postgres": { backup: { retention: 7 } } }), "kubeship:postgres.backup.retention", "7", /retentionDays/],
            [
                "an unpinned pgbackup image",
                base({ "kubeship:postgres": { backup: { image: "acme/pgbackup:latest" } } }),
                "kubeship:postgres.backup.image",
                '"acme/pgbackup:latest"',
                /other than "latest"/,
            ],
        ];
        for (const [what, raw, key, shown, allowed] of cases) {
            it(what, () => throwsConfig(() => parseSettings(raw, what.startsWith("stack name") ? "Dev_1" : "dev"), key, shown, allowed));
        }
    });
});

describe("enum-like and bounded settings", () => {
    const NET = ["198.51.100.7/32"];
    const managed = (extra: Record<string, unknown>) => ({
        "kubeship:cloud": "aws",
        "kubeship:region": "eu-west-1",
        "kubeship:cluster": JSON.stringify({ authorizedNetworks: NET, ...extra }),
    });
    const app = (extra: Record<string, unknown>) => ({ "kubeship:cloud": "local", "kubeship:app": JSON.stringify(extra) });

    /** Each enum-like key, a config putting a value into it, and one accepted value. */
    const ENUMS: [string, (value: string) => Record<string, string>, string][] = [
        ["kubeship:cloud", v => ({ ...managed({}), "kubeship:cloud": v }), "aws"],
        ["kubeship:app.serviceType", v => app({ serviceType: v }), "ClusterIP"],
        ["kubeship:redis.maxmemoryPolicy", v => ({ "kubeship:cloud": "local", "kubeship:redis": JSON.stringify({ maxmemoryPolicy: v }) }), "allkeys-lru"],
        ["kubeship:cluster.releaseChannel", v => managed({ releaseChannel: v }), "REGULAR"],
        ["kubeship:cluster.natGateways", v => managed({ natGateways: v }), "perAz"],
        ["kubeship:cluster.tier", v => managed({ tier: v }), "standard"],
        ["kubeship:cluster.maintenanceDay", v => managed({ maintenanceDay: v }), "sunday"],
    ];
    for (const [key, config, good] of ENUMS) {
        it(`${key} takes its exact spelling only: odd casing and whitespace are refused, not half-accepted`, () => {
            assert.doesNotThrow(() => parseSettings(config(good), "prod"));
            const upper = good.toUpperCase() === good ? good.toLowerCase() : good.toUpperCase();
            for (const odd of [
                upper,
                ` ${good}`,
                `${good} `,
                `${good[0].toUpperCase() === good[0] ? good[0].toLowerCase() : good[0].toUpperCase()}${good.slice(1)}`,
            ]) {
                throwsConfig(() => parseSettings(config(odd), "prod"), key, JSON.stringify(odd), /^Invalid config .*: must be one of "/);
            }
        });
    }

    /** Bounded keys at their edges: the last accepted value on each side, and the first refused one. */
    const BOUNDS: [string, (n: number) => Record<string, string>, number, number][] = [
        ["kubeship:app.port", n => app({ port: n }), 1, 65535],
        ["kubeship:app.servicePort", n => app({ servicePort: n }), 1, 65535],
        ["kubeship:app.autoscaling.targetCPUUtilization", n => app({ autoscaling: { targetCPUUtilization: n } }), 1, 100],
        [
            "kubeship:postgres.terminationGracePeriodSeconds",
            n => ({ "kubeship:cloud": "local", "kubeship:postgres": JSON.stringify({ terminationGracePeriodSeconds: n }) }),
            30,
            3600,
        ],
        ["kubeship:cluster.minNodes", n => managed({ minNodes: n, maxNodes: 1000 }), 1, 1000],
        ["kubeship:cluster.maxNodes", n => managed({ minNodes: 1, maxNodes: n }), 1, 1000],
    ];
    for (const [key, config, low, high] of BOUNDS) {
        it(`${key} accepts ${low} to ${high}, and refuses ${low - 1} and ${high + 1}`, () => {
            assert.doesNotThrow(() => parseSettings(config(low), "prod"));
            assert.doesNotThrow(() => parseSettings(config(high), "prod"));
            throwsConfig(() => parseSettings(config(low - 1), "prod"), key, String(low - 1), new RegExp(`from ${low} to ${high}`));
            throwsConfig(() => parseSettings(config(high + 1), "prod"), key, String(high + 1), new RegExp(`from ${low} to ${high}`));
        });
    }

    it("refuses the first value below each lower bound: replicas, maxReplicas and the password versions", () => {
        throwsConfig(() => parseSettings(app({ replicas: 0 }), "dev"), "kubeship:app.replicas", "0", /an integer >= 1/);
        assert.equal(parseSettings(app({ replicas: 1 }), "dev").app.replicas, 1);
        throwsConfig(() => parseSettings(app({ autoscaling: { maxReplicas: 0 } }), "dev"), "kubeship:app.autoscaling.maxReplicas", "0", /an integer >= 1/);
        for (const section of ["postgres", "redis"]) {
            const raw = (n: number) => ({ "kubeship:cloud": "local", [`kubeship:${section}`]: JSON.stringify({ passwordVersion: n }) });
            throwsConfig(() => parseSettings(raw(0), "dev"), `kubeship:${section}.passwordVersion`, "0", /an integer >= 1/);
            assert.equal(parseSettings(raw(1), "dev")[section as "postgres" | "redis"].passwordVersion, 1);
        }
    });
});

describe("the settings types' @default docs", () => {
    /** Each documented settings interface and where its fields sit in parsed settings (undefined: shared or optional). */
    const PATHS: Record<string, string[] | undefined> = {
        CommonSettings: [],
        AppSettings: ["app"],
        BuildSettings: ["app", "build"],
        AutoscalingSettings: ["app", "autoscaling"],
        IngressSettings: undefined,
        PostgresSettings: ["postgres"],
        BackupSettings: ["postgres", "backup"],
        RedisSettings: ["redis"],
        ClusterSettings: ["cluster"],
        ContainerResources: undefined,
    };
    const file = path.join(ROOT, "components", "config", "types.ts");
    const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const documented = source.statements
        .filter(ts.isInterfaceDeclaration)
        .filter(i => i.name.text in PATHS)
        .flatMap(i =>
            i.members.filter(ts.isPropertySignature).map(m => ({
                where: `${i.name.text}.${m.name.getText(source)}`,
                path: PATHS[i.name.text] && [...PATHS[i.name.text]!, m.name.getText(source)],
                default: ts
                    .getJSDocTags(m)
                    .find(t => t.tagName.text === "default")
                    ?.comment?.toString()
                    .trim(),
            })),
        );

    it("document a default on every field but the stack's identity and the sections (whose fields have theirs)", () => {
        assert.deepEqual(
            Object.keys(PATHS).filter(name => !documented.some(d => d.where.startsWith(`${name}.`))),
            [],
            "every interface is in types.ts",
        );
        const missing = documented.filter(
            d => d.default === undefined && !["project", "stack", "app", "postgres", "redis", "cluster"].map(k => `CommonSettings.${k}`).includes(d.where),
        );
        assert.deepEqual(
            missing.map(d => d.where),
            [],
        );
    });

    it("say what the parser applies, wherever the default is a value", () => {
        // Backups are off on local clusters unless enabled: enabled, so that their defaults are there to compare.
        const parsed = parseSettings(
            { "kubeship:cloud": "local", "kubeship:postgres": JSON.stringify({ backup: { enabled: true } }) },
            "dev",
        ) as unknown as Record<string, unknown>;
        let checked = 0;
        for (const d of documented) {
            let literal: unknown;
            try {
                literal = JSON.parse(d.default ?? "");
            } catch {
                continue; // prose: "the stack name", "80 % of memoryLimit"
            }
            assert.ok(d.path, `${d.where}: a value on a shared or optional interface`);
            const actual = d.path.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], parsed);
            assert.deepEqual(actual, literal, d.where);
            checked++;
        }
        assert.ok(checked >= 30, `only ${checked} defaults checked`);
    });
});
