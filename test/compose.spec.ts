/**
 * compose.yaml runs the stack the way the dev stack runs it in the cluster: each service against the
 * container the program renders for it (images, users, read-only roots and their writable paths,
 * commands, settings, Secret files at the same paths, probes as health checks, grace periods).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { runProgram, RunResult } from "../tools/render/harness";
import { readStackConfig, ROOT } from "../tools/render/stack-config";
import { one, spec } from "./support/query";

interface Service {
    image?: string;
    user: string;
    read_only: boolean;
    tmpfs?: string[];
    shm_size?: string;
    cap_drop: string[];
    security_opt: string[];
    command?: string[];
    environment?: Record<string, string>;
    env_file?: string[];
    secrets?: { source: string; target: string }[];
    healthcheck: { test: string[]; interval: string; retries: number; start_period?: string };
    stop_grace_period: string;
}

const compose = YAML.parse(fs.readFileSync(path.join(ROOT, "compose.yaml"), "utf8")) as {
    services: Record<string, Service>;
    secrets: Record<string, { file: string }>;
};
const envFile = (file: string) =>
    Object.fromEntries(
        fs
            .readFileSync(path.join(ROOT, file), "utf8")
            .split("\n")
            .filter(Boolean)
            .map(line => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );

describe("compose.yaml, against the dev stack's containers", () => {
    let run: RunResult;
    before(async () => {
        const { config, secretKeys } = readStackConfig("dev");
        run = await runProgram({ stack: "dev", config, secretKeys });
    });
    const workload = (type: string, name: string) => spec(one(run, `kubernetes:apps/v1:${type}`, name)).spec.template.spec;
    const pods = () => ({ postgres: workload("StatefulSet", "postgres"), redis: workload("Deployment", "redis"), app: workload("Deployment", "app") });
    const seconds = (s: number) => `${s}s`;

    it("runs the same images, as the same users, with read-only roots, no capabilities and no privilege escalation", () => {
        for (const [name, pod] of Object.entries(pods())) {
            const c = pod.containers[0];
            const service = compose.services[name];
            if (name !== "app") assert.equal(service.image, c.image, `${name}: the image, tag and digest`);
            assert.equal(service.user, `${c.securityContext.runAsUser}:${c.securityContext.runAsGroup}`, name);
            assert.equal(service.read_only, c.securityContext.readOnlyRootFilesystem, name);
            assert.deepEqual(service.cap_drop, c.securityContext.capabilities.drop, name);
            assert.deepEqual(service.security_opt, ["no-new-privileges:true"], name);
        }
        assert.match(compose.services.postgres.image!, /@sha256:[0-9a-f]{64}$/);
    });

    it("gives the same paths memory or scratch space: every emptyDir mount is a tmpfs, /dev/shm its size", () => {
        for (const [name, pod] of Object.entries(pods())) {
            const c = pod.containers[0];
            const empty = new Set(pod.volumes.filter((v: any) => v.emptyDir && v.emptyDir.medium !== "Memory").map((v: any) => v.name));
            const scratch = c.volumeMounts.filter((m: any) => empty.has(m.name)).map((m: any) => m.mountPath);
            assert.deepEqual((compose.services[name].tmpfs ?? []).map(t => t.split(":")[0]).sort(), scratch.sort(), name);
            for (const t of compose.services[name].tmpfs ?? []) {
                if (name !== "app")
                    assert.match(
                        t,
                        new RegExp(`:uid=${c.securityContext.runAsUser},gid=${c.securityContext.runAsGroup}$`),
                        `${name}: ${t} writable by its user`,
                    );
            }
        }
        const shm = pods().postgres.volumes.find((v: any) => v.name === "shm").emptyDir;
        assert.equal(compose.services.postgres.shm_size, shm.sizeLimit.replace("Mi", "m"));
    });

    it("runs the same commands: Postgres' settings and Redis' flags, with no password on any command line", () => {
        const { postgres, redis } = pods();
        assert.deepEqual(compose.services.postgres.command, postgres.containers[0].args);
        const redisArgs = redis.containers[0].args.map((a: unknown) => (a === false ? "no" : String(a)));
        assert.deepEqual(compose.services.redis.command, [...redis.containers[0].command, ...redisArgs]);
        for (const service of Object.values(compose.services)) {
            assert.ok(!(service.command ?? []).join(" ").includes("local-dev-password"), "no password in a command");
            assert.ok(
                !Object.values(service.environment ?? {})
                    .join(" ")
                    .includes("local-dev-password"),
                "no password in compose.yaml's environment",
            );
        }
    });

    it("reads the passwords from files mounted where the cluster mounts its Secrets", () => {
        const { postgres, redis } = pods();
        const env = Object.fromEntries(postgres.containers[0].env.filter((e: any) => "value" in e).map((e: any) => [e.name, e.value]));
        assert.deepEqual(compose.services.postgres.environment, env);
        assert.deepEqual(
            compose.services.postgres.secrets!.map(s => s.target),
            [env.POSTGRES_PASSWORD_FILE],
        );
        const include = redis.containers[0].args[redis.containers[0].args.indexOf("--include") + 1];
        assert.deepEqual(
            compose.services.redis.secrets!.map(s => s.target),
            [include],
        );
        const password = fs.readFileSync(path.join(ROOT, compose.secrets["postgres-password"].file), "utf8");
        assert.equal(
            fs.readFileSync(path.join(ROOT, compose.secrets["redis-auth"].file), "utf8"),
            `requirepass "${password}"\n`,
            "Redis' auth file, as the Secret renders it",
        );
        assert.deepEqual(envFile(compose.services.redis.env_file![0]), { REDISCLI_AUTH: password });
        const app = envFile(compose.services.app.env_file![0]);
        assert.deepEqual(
            Object.keys(app).sort(),
            Object.keys(spec(one(run, "kubernetes:core/v1:Secret", "app-env")).stringData).sort(),
            "the app-env Secret's keys",
        );
        assert.equal(app.DATABASE_URL, `postgresql://app:${password}@postgres:5432/app`);
        assert.equal(app.REDIS_URL, `redis://:${password}@redis:6379/0`);
    });

    it("checks health with the readiness probes, as often, and stops with the same grace periods", () => {
        const { postgres, redis, app } = pods();
        const probe = (c: any) => c.readinessProbe;
        assert.deepEqual(compose.services.postgres.healthcheck.test, ["CMD", ...probe(postgres.containers[0]).exec.command]);
        assert.deepEqual(compose.services.redis.healthcheck.test, ["CMD", ...probe(redis.containers[0]).exec.command]);
        const ready = probe(app.containers[0]).httpGet;
        const port = app.containers[0].ports.find((p: any) => p.name === ready.port).containerPort;
        assert.ok(compose.services.app.healthcheck.test.join(" ").includes(`http://127.0.0.1:${port}${ready.path}`));
        for (const [name, pod] of Object.entries(pods())) {
            const c = pod.containers[0];
            const health = compose.services[name].healthcheck;
            assert.equal(health.interval, seconds(c.readinessProbe.periodSeconds), `${name} interval`);
            assert.equal(health.retries, c.readinessProbe.failureThreshold, `${name} retries`);
            const startup = c.startupProbe ? seconds(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold) : undefined;
            assert.equal(health.start_period, startup, `${name} start period: the startup probe's patience`);
            assert.equal(compose.services[name].stop_grace_period, seconds(pod.terminationGracePeriodSeconds ?? 30), `${name} grace period`);
        }
    });
});
