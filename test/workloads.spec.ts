/**
 * The workload components, through the real program with chosen config, and directly.
 */
import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { kubeship } from "../components/program";
import { App, connectionUrl, Postgres, Redis } from "../components/workloads";
import { secretHash } from "../components/workloads/common";
import { runProgram, RunResult } from "../tools/render/harness";
import { AFTER_DEPLOY, installMocks, isSecretWrapper, unwrap, valueOf } from "../tools/render/mocks";
import { all, one, spec } from "./support/query";

const IMAGE = "ghcr.io/acme/shop:2.3.1";

function config(app: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Record<string, string> {
    const c: Record<string, string> = { "kubeship:cloud": "local", "kubeship:app": JSON.stringify({ image: IMAGE, ...app }) };
    for (const [k, v] of Object.entries(extra)) c[k] = typeof v === "string" ? v : JSON.stringify(v);
    return c;
}

const container = (r: ReturnType<typeof one>) => spec(r).spec.template.spec.containers[0];

describe("workloads", () => {
    let run: RunResult;
    before(async () => {
        run = await runProgram({
            stack: "shop",
            config: config(
                {
                    port: 3000,
                    healthPath: "/livez",
                    readyPath: "/readyz",
                    replicas: 3,
                    serviceType: "ClusterIP",
                    servicePort: 8080,
                    autoscaling: { maxReplicas: 9, targetCPUUtilization: 60 },
                },
                {
                    "kubeship:namespace": "shop-prod",
                    "kubeship:postgres": { database: "shop", user: "shop_owner", storageSize: "20Gi", terminationGracePeriodSeconds: 90 },
                    "kubeship:redis": { memoryLimit: "512Mi", maxmemory: "400Mi", maxmemoryPolicy: "volatile-lru" },
                    "kubeship:cluster": { storageClass: "fast-ssd" },
                },
            ),
        });
    });

    describe("namespace", () => {
        it("enforces, audits and warns on Pod Security restricted", () => {
            const labels = spec(one(run, "kubernetes:core/v1:Namespace")).metadata.labels;
            assert.equal(spec(one(run, "kubernetes:core/v1:Namespace")).metadata.name, "shop-prod");
            for (const mode of ["enforce", "audit", "warn"]) assert.equal(labels[`pod-security.kubernetes.io/${mode}`], "restricted");
        });
    });

    describe("postgres", () => {
        it("is a StatefulSet on a claim template with the configured class and size", () => {
            const sts = spec(one(run, "kubernetes:apps/v1:StatefulSet", "postgres")).spec;
            assert.equal(sts.replicas, 1);
            assert.equal(sts.serviceName, "postgres");
            const claim = sts.volumeClaimTemplates[0];
            assert.equal(claim.spec.storageClassName, "fast-ssd");
            assert.equal(claim.spec.resources.requests.storage, "20Gi");
            assert.deepEqual(claim.spec.accessModes, ["ReadWriteOnce"]);
            assert.equal(sts.template.spec.terminationGracePeriodSeconds, 90);
        });

        it("keeps PGDATA in a subdirectory of the volume and reads its password from a Secret file", () => {
            const c = container(one(run, "kubernetes:apps/v1:StatefulSet", "postgres"));
            const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
            const dataMount = c.volumeMounts.find((m: any) => m.name === "data").mountPath;
            assert.ok(env.PGDATA.startsWith(`${dataMount}/`) && env.PGDATA !== dataMount, env.PGDATA);
            assert.equal(env.POSTGRES_USER, "shop_owner");
            assert.equal(env.POSTGRES_DB, "shop");
            const secretMount = c.volumeMounts.find((m: any) => m.name === "secret");
            assert.equal(env.POSTGRES_PASSWORD_FILE, `${secretMount.mountPath}/password`);
            assert.equal(secretMount.readOnly, true);
            assert.equal(env.POSTGRES_INITDB_ARGS, "--auth-host=scram-sha-256", "passwords are hashed with SCRAM, not md5");
            const secret = spec(one(run, "kubernetes:core/v1:Secret", "postgres"));
            assert.equal(secret.stringData.password, run.generatedSecrets[0]);
        });

        it("probes with pg_isready, sets requests and limits, and runs as the image's non-root user", () => {
            const c = container(one(run, "kubernetes:apps/v1:StatefulSet", "postgres"));
            for (const p of ["startupProbe", "readinessProbe", "livenessProbe"]) assert.equal(c[p].exec.command[0], "pg_isready", p);
            const host = (p: string) => c[p].exec.command[c[p].exec.command.indexOf("-h") + 1];
            // Ready only once it accepts TCP connections, as the app makes them; alive while its socket answers.
            assert.deepEqual([host("startupProbe"), host("readinessProbe"), host("livenessProbe")], ["127.0.0.1", "127.0.0.1", "/var/run/postgresql"]);
            assert.deepEqual(c.resources, { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } });
            const pod = spec(one(run, "kubernetes:apps/v1:StatefulSet", "postgres")).spec.template.spec;
            assert.equal(pod.securityContext.runAsUser, 999);
            assert.equal(pod.securityContext.fsGroup, 999);
            assert.equal(c.securityContext.readOnlyRootFilesystem, true);
        });

        it("is reached through a headless Service on 5432", () => {
            const svc = spec(one(run, "kubernetes:core/v1:Service", "postgres")).spec;
            assert.equal(svc.clusterIP, "None");
            assert.equal(svc.ports[0].port, 5432);
        });
    });

    describe("redis", () => {
        it("runs with maxmemory below its limit and the configured policy, as container arguments", () => {
            const c = container(one(run, "kubernetes:apps/v1:Deployment", "redis"));
            const arg = (flag: string) => c.args[c.args.indexOf(flag) + 1];
            assert.equal(arg("--maxmemory"), String(400 * 2 ** 20));
            assert.ok(Number(arg("--maxmemory")) < 512 * 2 ** 20);
            assert.equal(arg("--maxmemory-policy"), "volatile-lru");
            assert.equal(c.resources.limits.memory, "512Mi");
        });

        it("is a cache: no RDB snapshots and no append-only file", () => {
            const c = container(one(run, "kubernetes:apps/v1:Deployment", "redis"));
            const arg = (flag: string) => c.args[c.args.indexOf(flag) + 1];
            assert.equal(arg("--save"), "");
            assert.equal(arg("--appendonly"), "no");
        });

        it("takes its password from a Secret-mounted file, never from its arguments", () => {
            const c = container(one(run, "kubernetes:apps/v1:Deployment", "redis"));
            const include = c.args[c.args.indexOf("--include") + 1];
            const mount = c.volumeMounts.find((m: any) => include.startsWith(`${m.mountPath}/`));
            assert.ok(mount, "the include file is on a mounted volume");
            const volume = spec(one(run, "kubernetes:apps/v1:Deployment", "redis")).spec.template.spec.volumes.find((v: any) => v.name === mount.name);
            const secret = spec(one(run, "kubernetes:core/v1:Secret", "redis"));
            assert.equal(volume.secret.secretName, "redis");
            assert.equal(secret.stringData[include.split("/").pop()!], `requirepass "${run.generatedSecrets[1]}"\n`);
            assert.equal(c.env[0].valueFrom.secretKeyRef.key, "password");
            assert.ok(!c.args.some((a: string) => run.generatedSecrets.some(s => a.includes(s))));
        });

        it("probes readiness and liveness with an authenticated PING (a hung server still accepts TCP), liveness slower to give up", () => {
            const c = container(one(run, "kubernetes:apps/v1:Deployment", "redis"));
            for (const probe of [c.readinessProbe, c.livenessProbe]) {
                assert.deepEqual(probe.exec.command, ["sh", "-c", "redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG"]);
                assert.equal(probe.tcpSocket, undefined);
                assert.ok(probe.timeoutSeconds > 0, "the kubelet kills a probe that hangs");
            }
            assert.ok(c.livenessProbe.periodSeconds * c.livenessProbe.failureThreshold >= 60, "a busy minute is not a restart");
            assert.ok(c.livenessProbe.periodSeconds * c.livenessProbe.failureThreshold > c.readinessProbe.periodSeconds * c.readinessProbe.failureThreshold);
        });
    });

    describe("app", () => {
        it("rolls out with zero unavailable and spreads across zones and nodes", () => {
            const d = spec(one(run, "kubernetes:apps/v1:Deployment", "app")).spec;
            assert.equal(d.replicas, 3);
            assert.equal(d.minReadySeconds, 5, "a pod must stay ready for 5 s to count as rolled out");
            assert.deepEqual(d.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
            assert.deepEqual(
                d.template.spec.topologySpreadConstraints.map((t: any) => t.topologyKey),
                ["topology.kubernetes.io/zone", "kubernetes.io/hostname"],
            );
        });

        it("keeps serving for 5 s after it is told to stop, well within its grace period, while load balancers drop it", () => {
            const pod = spec(one(run, "kubernetes:apps/v1:Deployment", "app")).spec.template.spec;
            assert.deepEqual(pod.containers[0].lifecycle, { preStop: { sleep: { seconds: 5 } } });
            assert.equal(pod.terminationGracePeriodSeconds, 30);
        });

        it("probes the configured paths on the configured port", () => {
            const c = container(one(run, "kubernetes:apps/v1:Deployment", "app"));
            assert.deepEqual(c.ports, [{ name: "http", containerPort: 3000, protocol: "TCP" }]);
            assert.equal(c.startupProbe.httpGet.path, "/livez");
            assert.equal(c.livenessProbe.httpGet.path, "/livez");
            assert.equal(c.readinessProbe.httpGet.path, "/readyz");
            for (const p of ["startupProbe", "livenessProbe", "readinessProbe"]) assert.equal(c[p].httpGet.port, "http");
            assert.deepEqual(c.env, [{ name: "PORT", value: "3000" }]);
        });

        it("runs as its own ServiceAccount without a mounted token, as a high non-root UID", () => {
            const pod = spec(one(run, "kubernetes:apps/v1:Deployment", "app")).spec.template.spec;
            const sa = spec(one(run, "kubernetes:core/v1:ServiceAccount", "app"));
            assert.equal(pod.serviceAccountName, sa.metadata.name);
            assert.equal(sa.automountServiceAccountToken, false);
            assert.equal(pod.automountServiceAccountToken, false);
            assert.ok(pod.securityContext.runAsUser >= 10000);
        });

        it("gets DATABASE_URL and REDIS_URL from a Secret, with URL-encoded generated passwords", () => {
            const c = container(one(run, "kubernetes:apps/v1:Deployment", "app"));
            assert.deepEqual(c.envFrom, [{ secretRef: { name: "app-env" } }]);
            const secret = one(run, "kubernetes:core/v1:Secret", "app-env");
            assert.ok(
                isSecretWrapper(secret.inputs.stringData) || Object.values(secret.inputs.stringData as object).every(isSecretWrapper),
                "stringData is secret",
            );
            const env = spec(secret).stringData;
            const db = new URL(env.DATABASE_URL);
            assert.equal(db.protocol, "postgresql:");
            assert.equal(decodeURIComponent(db.username), "shop_owner");
            assert.equal(decodeURIComponent(db.password), run.generatedSecrets[0]);
            assert.equal(db.host, "postgres:5432");
            assert.equal(db.pathname, "/shop");
            const redis = new URL(env.REDIS_URL);
            assert.equal(redis.protocol, "redis:");
            assert.equal(decodeURIComponent(redis.password), run.generatedSecrets[1]);
            assert.equal(redis.host, "redis:6379");
        });

        it("has a PodDisruptionBudget and an HPA on CPU with the configured bounds", () => {
            assert.deepEqual(spec(one(run, "kubernetes:policy/v1:PodDisruptionBudget", "app")).spec.maxUnavailable, 1);
            const hpa = spec(one(run, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "app")).spec;
            assert.equal(hpa.minReplicas, 3);
            assert.equal(hpa.maxReplicas, 9);
            assert.equal(hpa.metrics[0].resource.target.averageUtilization, 60);
            assert.deepEqual(hpa.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "app" });
        });

        it("is a ClusterIP Service without routes, reached in-cluster", () => {
            const svc = spec(one(run, "kubernetes:core/v1:Service", "app")).spec;
            assert.equal(svc.type, "ClusterIP");
            assert.deepEqual(svc.ports, [{ name: "http", port: 8080, targetPort: "http", protocol: "TCP" }]);
            assert.equal(all(run, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute").length, 0);
            assert.equal(run.outputs.appUrl.value, "http://app.shop-prod.svc.cluster.local:8080");
        });
    });

    describe("network policies", () => {
        const policies = () => Object.fromEntries(all(run, "kubernetes:networking.k8s.io/v1:NetworkPolicy").map(p => [spec(p).metadata.name, spec(p).spec]));

        it("deny everything by default, then allow exactly DNS, public ingress to the app, app to Postgres and app to Redis", () => {
            const p = policies();
            assert.deepEqual(Object.keys(p).sort(), [
                "allow-app-postgres-egress",
                "allow-app-postgres-ingress",
                "allow-app-redis-egress",
                "allow-app-redis-ingress",
                "allow-dns",
                "allow-public-ingress",
                "default-deny",
            ]);
            assert.deepEqual(p["default-deny"], { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
            assert.deepEqual(p["allow-dns"].egress, [
                {
                    ports: [
                        { protocol: "UDP", port: 53 },
                        { protocol: "TCP", port: 53 },
                    ],
                },
            ]);
            assert.deepEqual(p["allow-public-ingress"].ingress, [{ ports: [{ protocol: "TCP", port: 3000 }] }]);
            assert.equal(p["allow-public-ingress"].podSelector.matchLabels["app.kubernetes.io/name"], "app");
        });

        it("select the right pods on the right ports", () => {
            const p = policies();
            const name = (sel: any) => sel.matchLabels["app.kubernetes.io/name"];
            for (const [db, port] of [
                ["postgres", 5432],
                ["redis", 6379],
            ] as const) {
                const egress = p[`allow-app-${db}-egress`];
                assert.equal(name(egress.podSelector), "app");
                assert.equal(name(egress.egress[0].to[0].podSelector), db);
                assert.equal(egress.egress[0].ports[0].port, port);
                const ingress = p[`allow-app-${db}-ingress`];
                assert.equal(name(ingress.podSelector), db);
                assert.equal(name(ingress.ingress[0].from[0].podSelector), "app");
                assert.equal(ingress.ingress[0].ports[0].port, port);
            }
            // The selectors match the pods they are meant for.
            const podLabels = (n: string, type = "kubernetes:apps/v1:Deployment") => spec(one(run, type, n)).spec.template.metadata.labels;
            assert.equal(podLabels("app")["app.kubernetes.io/name"], "app");
            assert.equal(podLabels("postgres", "kubernetes:apps/v1:StatefulSet")["app.kubernetes.io/name"], "postgres");
        });
    });

    it("mounts every Secret read-only, readable by the pod's group only (0440)", () => {
        const workloads = [...all(run, "kubernetes:apps/v1:Deployment"), ...all(run, "kubernetes:apps/v1:StatefulSet")].map(w => spec(w));
        const secretVolumes = workloads.flatMap(w => w.spec.template.spec.volumes.filter((v: any) => v.secret).map((v: any) => ({ w, v })));
        assert.deepEqual(
            secretVolumes.map(({ w }) => w.metadata.name as string).sort((a, b) => a.localeCompare(b)),
            ["postgres", "redis"],
        );
        for (const { w, v } of secretVolumes) {
            assert.equal(v.secret.defaultMode, 0o440, `${w.metadata.name} ${v.name}`);
            const mounts = w.spec.template.spec.containers.flatMap((c: any) => c.volumeMounts).filter((m: any) => m.name === v.name);
            assert.ok(mounts.length > 0 && mounts.every((m: any) => m.readOnly === true), `${w.metadata.name} mounts ${v.name} read-only`);
        }
    });

    it("generates 32-character passwords of every character class, from an alphabet that needs no quoting", () => {
        const passwords = all(run, "random:index/randomPassword:RandomPassword").map(p => spec(p));
        assert.equal(passwords.length, 2);
        for (const p of passwords) {
            assert.equal(p.length, 32);
            assert.equal(p.special, true);
            for (const min of ["minLower", "minUpper", "minNumeric", "minSpecial"]) assert.ok(p[min] >= 2, min);
            assert.doesNotMatch(p.overrideSpecial, /["'`\\$\s]/);
        }
    });

    describe("password rotation", () => {
        it("puts on each pod template that reads its Secret at start the hash of its content (not on Postgres', read while it runs), and re-applies the Secret's password on every Postgres start", async () => {
            const annotation = (type: string, name: string) => spec(one(run, type, name)).spec.template.metadata.annotations?.["kubeship.dev/secret-hash"];
            const content = (name: string) => unwrap(spec(one(run, "kubernetes:core/v1:Secret", name)).stringData) as Record<string, string>;
            for (const [type, workload, secret] of [
                ["kubernetes:apps/v1:Deployment", "redis", "redis"],
                ["kubernetes:apps/v1:Deployment", "app", "app-env"],
            ]) {
                assert.match(annotation(type, workload), /^[0-9a-f]{16}$/, workload);
                assert.equal(annotation(type, workload), await valueOf(secretHash(content(secret))), `${workload}: the hash of Secret ${secret}`);
            }
            assert.equal(annotation("kubernetes:apps/v1:StatefulSet", "postgres"), undefined, "a rotated password does not restart Postgres");
            const hook = container(one(run, "kubernetes:apps/v1:StatefulSet", "postgres")).lifecycle.postStart.exec.command;
            assert.deepEqual(hook.slice(0, 2), ["sh", "-c"]);
            assert.match(hook[2], /ALTER ROLE :\\"user\\" WITH PASSWORD :'password'/);
            // psql reads the file itself (a backquoted cat in \set): the password is in no process's arguments.
            assert.match(hook[2], /'\\set password `cat \/etc\/postgres-secret\/password`'/);
            assert.doesNotMatch(hook[2], /\$\(cat|-v password=/);
            // Every way out but success exits 1 with a message the kubelet records in an event.
            const lines = hook[2].split("\n");
            assert.match(lines[0], /^\[ -s \/etc\/postgres-secret\/password \] \|\| \{ echo "kubeship: .*" >&2; exit 1; \}$/);
            assert.match(lines.at(-1), /^echo "kubeship: Postgres did not answer .*" >&2; exit 1$/);
            assert.equal(hook[2].match(/exit 1/g)!.length, 3);
            // It waits for the server on TCP (the entrypoint's temporary init server listens on the socket
            // only, before POSTGRES_DB exists), then sets the password on the trusted socket.
            assert.match(hook[2], /^ {2}pg_isready -q -h 127\.0\.0\.1 .*; answer=\$\?$/m);
            // A server that answers but rejects connections (starting, replaying a restore) is progress.
            assert.match(hook[2], /^ {2}elif \[ \$answer -ne 1 \]; then$/m);
            assert.match(hook[2], /^psql_local\(\) \{ psql .* -h \/var\/run\/postgresql .*\}$/m);
            assert.match(hook[2], /\| psql_local -v user=/);
            // After a restore the server is read-only until it promotes: the hook waits for that.
            assert.match(hook[2], /SELECT pg_is_in_recovery\(\)/);
            assert.equal(hook[2].match(/exit 0/g)!.length, 1);
        });

        it("sets a rotated Postgres password while the server runs, from a sync container that reads the mounted Secret, and restarts only a loop that stopped", () => {
            const pod = spec(one(run, "kubernetes:apps/v1:StatefulSet", "postgres")).spec.template.spec;
            assert.deepEqual(
                pod.containers.map((c: any) => c.name),
                ["postgres", "password-sync"],
                "Postgres first: its postStart hook sets the password before the loop starts",
            );
            const [postgres, sync] = pod.containers;
            assert.equal(sync.image, postgres.image, "the same image: psql at the server's version");
            assert.deepEqual(sync.command.slice(0, 2), ["sh", "-c"]);
            const loop: string = sync.command[2];
            // It compares the files' checksum with the last one it set, and sets the passwords on the trusted
            // socket, as the hook does, out of recovery only.
            assert.match(loop, /current="\$\(cat \/etc\/postgres-secret\/password 2>\/dev\/null \| cksum\)"/);
            assert.match(loop, /^ {2}if \[ "\$current" != "\$applied" \]; then$/m);
            assert.match(loop, /^ {4}if ! \{ \[ -s \/etc\/postgres-secret\/password \]; \}; then$/m);
            assert.match(loop, /^ {4}elif state="\$\(psql_local -tA -c 'SELECT pg_is_in_recovery\(\)' 2>&1\)"; \[ "\$state" = f \]; then$/m);
            // What keeps a changed password waiting is said, once per reason.
            assert.match(loop, /\[ -z "\$waiting" \] \|\| \[ "\$waiting" = "\$told" \] \|\| echo "kubeship: a changed password waits, .*" >&2$/m);
            assert.match(
                loop,
                /'\\set password `cat \/etc\/postgres-secret\/password`' "ALTER ROLE :\\"user\\" WITH PASSWORD :'password';" \| psql_local -v user=/,
            );
            assert.doesNotMatch(loop, /\$\(cat \/etc\/postgres-secret\/password\)|-v password=/);
            assert.match(loop, /^ {8}applied="\$current"; echo "kubeship: the roles' passwords set from the Secret"$/m, "it sets them and goes on");
            assert.match(loop, /^psql_local\(\) \{ psql .* -h \/var\/run\/postgresql .*\}$/m);
            // Bounded psql, a heartbeat every turn, and SIGTERM ends it at once (PID 1 of its container).
            assert.match(loop, /^export PGCONNECT_TIMEOUT=5 PGOPTIONS='-c statement_timeout=5000'$/m);
            assert.match(loop, /^ {2}touch \/tmp\/alive\n {2}sleep 5 & wait \$!\ndone$/m);
            assert.match(loop.split("\n")[0], /^trap 'kill \$! 2>\/dev\/null; exit 0' TERM INT$/);
            assert.deepEqual(
                sync.env,
                postgres.env.filter((e: any) => e.name === "POSTGRES_USER" || e.name === "POSTGRES_DB"),
            );
            assert.deepEqual(sync.volumeMounts, [
                { name: "secret", mountPath: "/etc/postgres-secret", readOnly: true },
                { name: "run", mountPath: "/var/run/postgresql" },
                { name: "password-sync", mountPath: "/tmp" },
            ]);
            assert.ok(!("subPath" in sync.volumeMounts[0]), "a subPath mount would never see the kubelet's refresh");
            assert.deepEqual(sync.securityContext, postgres.securityContext);
            assert.deepEqual(sync.resources, { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } });
            // Liveness restarts a loop stuck for a minute; readiness, which takes Postgres out of the Service, waits ten.
            const within = (minutes: number) => ["sh", "-c", `[ -n "$(find /tmp/alive -mmin -${minutes})" ]`];
            assert.deepEqual(sync.livenessProbe, { exec: { command: within(1) }, timeoutSeconds: 5, periodSeconds: 20, failureThreshold: 3 });
            assert.deepEqual(sync.readinessProbe, { exec: { command: within(10) }, timeoutSeconds: 5, periodSeconds: 5, failureThreshold: 3 });
            assert.equal(
                spec(one(run, "kubernetes:apps/v1:StatefulSet", "postgres")).spec.template.metadata.annotations["kubectl.kubernetes.io/default-container"],
                "postgres",
                "kubectl exec and logs default to Postgres",
            );
            assert.deepEqual(
                pod.volumes.find((v: any) => v.name === "password-sync"),
                { name: "password-sync", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
            );
        });

        it("generates a new password when a version is bumped, and rolls exactly what reads it at start: the app (Postgres sets it while it runs), or Redis and the app", async () => {
            const hashes = async (versions: { postgres: number; redis: number }) => {
                const r = await runProgram({
                    stack: "rotate",
                    config: config({}, { "kubeship:postgres": { passwordVersion: versions.postgres }, "kubeship:redis": { passwordVersion: versions.redis } }),
                });
                assert.deepEqual(spec(one(r, "random:index/randomPassword:RandomPassword", "kubeship-postgres-password")).keepers, {
                    version: String(versions.postgres),
                });
                const annotation = (type: string, name: string) => spec(one(r, type, name)).spec.template.metadata.annotations?.["kubeship.dev/secret-hash"];
                return {
                    postgres: JSON.stringify(spec(one(r, "kubernetes:apps/v1:StatefulSet", "postgres")).spec.template),
                    redis: annotation("kubernetes:apps/v1:Deployment", "redis"),
                    app: annotation("kubernetes:apps/v1:Deployment", "app"),
                };
            };
            const before = await hashes({ postgres: 1, redis: 1 });
            const postgresRotated = await hashes({ postgres: 2, redis: 1 });
            assert.equal(postgresRotated.postgres, before.postgres, "Postgres' pod template does not change: no restart");
            assert.notEqual(postgresRotated.app, before.app);
            assert.equal(postgresRotated.redis, before.redis, "Redis does not restart for the database's password");
            const redisRotated = await hashes({ postgres: 1, redis: 3 });
            assert.deepEqual(
                [redisRotated.postgres === before.postgres, redisRotated.redis !== before.redis, redisRotated.app !== before.app],
                [true, true, true],
            );
            assert.deepEqual(await hashes({ postgres: 1, redis: 1 }), before, "the same passwords, the same templates: nothing rolls");
        });
    });

    describe("config variations", () => {
        it("with a host, routes HTTPS through the edge's Gateway to a ClusterIP Service, redirects HTTP, and reports https://host", async () => {
            const r = await runProgram({ stack: "web", config: config({ ingress: { host: "shop.example.com" } }) });
            assert.equal(spec(one(r, "kubernetes:core/v1:Service", "app")).spec.type, "ClusterIP", "the edge is the only way in");
            const route = (name: string) => spec(one(r, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", name)).spec;
            const gateway = { kind: "Gateway", name: "kubeship", namespace: "kubeship-edge" };
            const https = route("app-https");
            assert.deepEqual(https.parentRefs, [{ ...gateway, sectionName: "https" }]);
            assert.deepEqual(https.hostnames, ["shop.example.com"]);
            assert.deepEqual(https.rules, [{ backendRefs: [{ name: "app", port: 80 }] }]);
            const redirect = route("app-http-redirect");
            assert.deepEqual(redirect.parentRefs, [{ ...gateway, sectionName: "http" }]);
            assert.deepEqual(redirect.hostnames, ["shop.example.com"]);
            assert.deepEqual(redirect.rules, [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }]);
            for (const name of ["app-https", "app-http-redirect"]) {
                assert.equal(spec(one(r, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", name)).metadata.namespace, "web");
            }
            assert.equal(r.outputs.appUrl.value, "https://shop.example.com");
        });

        it("reports the load balancer address for a LoadBalancer Service", async () => {
            const r = await runProgram({ stack: "lb", config: config({ serviceType: "LoadBalancer" }) });
            assert.equal(spec(one(r, "kubernetes:core/v1:Service", "app")).spec.type, "LoadBalancer");
            assert.equal(r.outputs.appUrl.value, `http://${AFTER_DEPLOY.loadBalancerAddress}`);
        });

        it("keeps fixed replicas and no HPA when autoscaling is off", async () => {
            const r = await runProgram({ stack: "fixed", config: config({ replicas: 2, autoscaling: { enabled: false } }) });
            assert.equal(all(r, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler").length, 0);
            const d = one(r, "kubernetes:apps/v1:Deployment", "app");
            assert.equal(spec(d).spec.replicas, 2);
            assert.deepEqual(d.ignoreChanges, []);
        });

        it("uses the cluster's default StorageClass when none is configured", async () => {
            const r = await runProgram({ stack: "plain", config: config() });
            assert.equal(spec(one(r, "kubernetes:apps/v1:StatefulSet")).spec.volumeClaimTemplates[0].spec.storageClassName, undefined);
        });

        it("fails on bad config before any resource is registered", async () => {
            const mocks = await installMocks("broken");
            pulumi.runtime.setAllConfig(config({ replcas: 2 }));
            assert.throws(() => kubeship(), /Invalid config kubeship:app\.replcas = 2: unknown key "replcas" \(did you mean "replicas"\?\)/);
            await (pulumi.runtime as any).waitForRPCs();
            assert.deepEqual(mocks.registered, []);
        });
    });
});

describe("components on their own", () => {
    let provider: k8s.Provider;
    let mocks: Awaited<ReturnType<typeof installMocks>>;
    const registered = (type: string, name: string) => spec(mocks.registered.find(r => r.type === type && r.name === name)!);
    before(async () => {
        mocks = await installMocks("components");
        provider = new k8s.Provider("test-k8s", { kubeconfig: pulumi.secret("apiVersion: v1") });
    });
    const randomProvider = () => ({ providers: [new random.Provider(`random-${Math.random().toString(36).slice(2)}`, {})] });
    const sizes = { cpu: "100m", memory: "128Mi", cpuLimit: "1", memoryLimit: "256Mi" };

    it("Postgres exposes a computed host, its port and a secret password, and runs what it is given", async () => {
        const pg = new Postgres(
            "pg",
            {
                provider,
                namespace: "ns",
                image: "postgres:16.4",
                database: "shop",
                user: "shopper",
                storageSize: "3Gi",
                terminationGracePeriodSeconds: 90,
                protect: false,
                passwordVersion: 4,
                cpu: "300m",
                memory: "600Mi",
                cpuLimit: "2",
                memoryLimit: "2Gi",
                tuning: { sharedBuffersMB: 512, effectiveCacheSizeMB: 1536, sharedMemoryMB: 500 },
            },
            randomProvider(),
        );
        assert.equal(pg.host, "postgres");
        assert.equal(pg.port, 5432);
        assert.equal(pg.user, "shopper");
        assert.equal(pg.database, "shop");
        assert.equal(await pulumi.isSecret(pg.password), true);
        assert.match(await valueOf(pg.password), /^Pw@/);
        await valueOf(pg.statefulSet.metadata);
        const sts = registered("kubernetes:apps/v1:StatefulSet", "pg-statefulset").spec;
        assert.equal(sts.template.spec.containers[0].image, "postgres:16.4");
        assert.equal(sts.template.spec.terminationGracePeriodSeconds, 90);
        assert.equal(sts.template.metadata.annotations["kubeship.dev/secret-hash"], undefined, "no Secret hash: a rotated password does not restart Postgres");
        assert.equal(sts.volumeClaimTemplates[0].spec.resources.requests.storage, "3Gi");
        assert.deepEqual(sts.template.spec.containers[0].args, ["-c", "shared_buffers=512MB", "-c", "effective_cache_size=1536MB"]);
        assert.deepEqual(
            sts.template.spec.volumes.find((v: any) => v.name === "shm"),
            { name: "shm", emptyDir: { medium: "Memory", sizeLimit: "500Mi" } },
            "a memory-backed /dev/shm",
        );
        assert.ok(sts.template.spec.containers[0].volumeMounts.some((m: any) => m.name === "shm" && m.mountPath === "/dev/shm"));
        assert.deepEqual(sts.template.spec.containers[0].resources, { requests: { cpu: "300m", memory: "600Mi" }, limits: { cpu: "2", memory: "2Gi" } });
    });

    it("Redis exposes a computed host, its port and a secret password, and runs with its maxmemory and policy", async () => {
        const redis = new Redis(
            "cache",
            {
                provider,
                namespace: "ns",
                image: "redis:7.2.5",
                maxmemory: 858993459,
                maxmemoryPolicy: "noeviction",
                passwordVersion: 1,
                ...sizes,
                memoryLimit: "1Gi",
            },
            randomProvider(),
        );
        assert.equal(redis.host, "redis");
        assert.equal(redis.port, 6379);
        assert.equal(await pulumi.isSecret(redis.password), true);
        await valueOf(redis.deployment.metadata);
        const container = registered("kubernetes:apps/v1:Deployment", "cache-deployment").spec.template.spec.containers[0];
        assert.equal(container.image, "redis:7.2.5");
        assert.equal(container.args[container.args.indexOf("--maxmemory") + 1], "858993459");
        assert.equal(container.args[container.args.indexOf("--maxmemory-policy") + 1], "noeviction");
    });

    /** The arguments every App needs here: where it runs, what it runs and the endpoints it is given. */
    const appBase = () => ({
        provider,
        namespace: "ns",
        image: IMAGE,
        replicas: 2,
        port: 8080,
        healthPath: "/health",
        readyPath: "/ready",
        serviceType: "LoadBalancer" as const,
        servicePort: 80,
        serviceAnnotations: {},
        ...sizes,
        database: { host: "db", port: 5432, user: "u", database: "d", password: pulumi.secret("p"), passwordVersion: 1 },
        redis: { host: "r", port: 6379, password: pulumi.secret("q"), passwordVersion: 1 },
    });

    it("App serves on its port with the given probes and replicas, its env secret, and no HPA unless asked", async () => {
        const app = new App("web", { ...appBase(), port: 3000, readyPath: "/ok", replicas: 3 });
        assert.equal(app.port, 3000);
        assert.equal(await pulumi.isSecret(app.secret.stringData), true);
        await valueOf(app.deployment.metadata);
        const d = registered("kubernetes:apps/v1:Deployment", "web-deployment").spec;
        assert.equal(d.replicas, 3);
        assert.equal(d.template.spec.containers[0].readinessProbe.httpGet.path, "/ok");
        assert.deepEqual(d.template.spec.containers[0].env, [{ name: "PORT", value: "3000" }]);
        assert.equal(mocks.registered.filter(r => r.type.endsWith(":HorizontalPodAutoscaler")).length, 0, "no HPA unless asked");
    });

    it("App's URL: the load balancer's address from the Service status, with the port unless it is 80", async () => {
        assert.equal(await valueOf(new App("web2", appBase()).url), `http://${AFTER_DEPLOY.loadBalancerAddress}`);
        assert.equal(await valueOf(new App("web3", { ...appBase(), servicePort: 443 }).url), `http://${AFTER_DEPLOY.loadBalancerAddress}:443`);
    });

    it("App's URL: the in-cluster name for a ClusterIP Service, https://host behind a Gateway", async () => {
        assert.equal(await valueOf(new App("web4", { ...appBase(), serviceType: "ClusterIP", servicePort: 8000 }).url), "http://app.ns.svc.cluster.local:8000");
        const gateway = { name: "edge", namespace: "edge-ns", httpSection: "plain", httpsSection: "tls" };
        const app = new App("web5", { ...appBase(), serviceType: "ClusterIP", servicePort: 8000, route: { host: "shop.example.com", gateway } });
        assert.equal(await valueOf(app.url), "https://shop.example.com");
        // The routes are registered after the Service; wait for the mock engine to have seen them.
        for (let i = 0; i < 100 && mocks.registered.filter(r => r.name.startsWith("web5-app-")).length < 2; i++)
            await new Promise(resolve => setImmediate(resolve));
        const https = registered("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "web5-app-https").spec;
        assert.deepEqual(https.parentRefs, [{ kind: "Gateway", name: "edge", namespace: "edge-ns", sectionName: "tls" }]);
        assert.deepEqual(https.rules[0].backendRefs, [{ name: "app", port: 8000 }]);
        const redirect = registered("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "web5-app-http-redirect").spec;
        assert.equal(redirect.parentRefs[0].sectionName, "plain");
    });

    it("App puts the cloud's load balancer annotations on a LoadBalancer Service only", async () => {
        const serviceAnnotations = { "service.beta.kubernetes.io/aws-load-balancer-type": "nlb" };
        await valueOf(new App("lb", { ...appBase(), serviceAnnotations }).service.metadata);
        await valueOf(new App("internal", { ...appBase(), serviceAnnotations, serviceType: "ClusterIP" }).service.metadata);
        assert.deepEqual(registered("kubernetes:core/v1:Service", "lb-service").metadata.annotations, serviceAnnotations);
        assert.deepEqual(registered("kubernetes:core/v1:Service", "internal-service").metadata.annotations, {});
    });

    it("connectionUrl percent-encodes every credential character", () => {
        const pw = "a@b:c/d?e#f%g&h[i]=+";
        const url = connectionUrl("postgresql", "us:er", pw, "db", 5432, "my db");
        assert.equal(url, "postgresql://us%3Aer:a%40b%3Ac%2Fd%3Fe%23f%25g%26h%5Bi%5D%3D%2B@db:5432/my%20db");
        const parsed = new URL(url);
        assert.equal(decodeURIComponent(parsed.password), pw);
        assert.equal(parsed.hostname, "db");
    });
});
