/**
 * Point-in-time recovery through the real program under mocks: the Postgres pod's archiving, the
 * base-backup CronJob, their identity and network, and each cloud's store (its bucket, encryption,
 * lifecycle, access binding and protection). The archive and restore themselves run on a real server in
 * test/integration/backup.integration.ts.
 */
import * as assert from "node:assert/strict";
import { spacesRegion } from "../components/cluster/doks/backup";
import { BACKUP_URL_SCHEMES, MANAGED_CLOUDS } from "../components/config/clouds";
import { DEFAULTS } from "../components/config/defaults";
import { BACKUP_ROLE, restoreId } from "../components/workloads/archive";
import { archiveCheckArgs } from "../components/workloads/backup";
import { runProgram, RunResult } from "../tools/render/harness";
import { isSecretWrapper } from "../tools/render/mocks";
import { overrideCloud } from "../tools/render/cloud-override";
import { renderStackOnce } from "../tools/render/render-stack";
import { readStackConfig } from "../tools/render/stack-config";
import { all, dependencyClosure, one, spec } from "./support/query";

const APP = "ghcr.io/acme/shop:2.3.1";
const PGBACKUP = `ghcr.io/acme/pgbackup@sha256:${"b".repeat(64)}`;

function local(postgres: Record<string, unknown>): Promise<RunResult> {
    return runProgram({
        stack: "shop",
        config: { "kubeship:cloud": "local", "kubeship:app": JSON.stringify({ image: APP }), "kubeship:postgres": JSON.stringify(postgres) },
    });
}

/** The prod stack on `cloud` (rendered once for every spec), or a variant of it with `protectData` off. */
async function prodOn(cloud: string, protectData = true): Promise<RunResult> {
    if (protectData) return (await renderStackOnce("prod", cloud)).run;
    const { config, secretKeys } = overrideCloud(readStackConfig("prod"), cloud);
    return runProgram({ stack: "prod", config: { ...config, "kubeship:protectData": "false" }, secretKeys });
}

const statefulSet = (r: RunResult) => spec(one(r, "kubernetes:apps/v1:StatefulSet", "postgres")).spec.template.spec;
const postgresContainer = (r: RunResult) => statefulSet(r).containers[0];
const cronJob = (r: RunResult) => spec(one(r, "kubernetes:batch/v1:CronJob", "postgres-base-backup")).spec;
const envOf = (c: { env: { name: string; value?: unknown; valueFrom?: unknown }[] }): Record<string, any> =>
    Object.fromEntries(c.env.map(e => [e.name, e.value ?? e.valueFrom]));
const policy = (r: RunResult, name: string) => spec(one(r, "kubernetes:networking.k8s.io/v1:NetworkPolicy", name)).spec;

describe("backups in the workloads", () => {
    let on: RunResult;
    let off: RunResult;
    before(async () => {
        on = await local({ storageSize: "20Gi", backup: { enabled: true, image: PGBACKUP, rpoSeconds: 120, schedule: "15 2 * * *" } });
        off = await local({});
    });

    it("archives every WAL segment with pgbackup, copied into the Postgres pod by an init container, within the RPO", () => {
        const pod = statefulSet(on);
        assert.deepEqual(
            pod.initContainers.map((c: { name: string; image: string; args: string[] }) => [c.name, c.image, c.args]),
            [["pgbackup-install", PGBACKUP, ["install", "/kubeship/bin/pgbackup"]]],
        );
        const args: string[] = postgresContainer(on).args;
        for (const setting of [
            "archive_mode=on",
            "archive_timeout=120",
            "archive_command=/kubeship/bin/pgbackup wal-push %p %f",
            "hba_file=/etc/postgres-hba/pg_hba.conf",
        ])
            assert.equal(args[args.indexOf(setting) - 1], "-c", setting);
        assert.ok(args.includes("shared_buffers=256MB"), "the memory settings stay");
        assert.equal(envOf(postgresContainer(on)).KUBESHIP_BACKUP_URL, "file:///var/lib/kubeship-backup");
        const mounts = postgresContainer(on).volumeMounts.map((m: { name: string; mountPath: string; readOnly?: boolean }) => [
            m.name,
            m.mountPath,
            !!m.readOnly,
        ]);
        assert.deepEqual(mounts.slice(-3), [
            ["pgbackup-bin", "/kubeship/bin", true],
            ["hba", "/etc/postgres-hba", true],
            ["backup-store", "/var/lib/kubeship-backup", false],
        ]);
        assert.equal(pod.serviceAccountName, "postgres-backup");
    });

    it("keeps the replication role's name from the app's role (config refuses it)", () => {
        assert.ok(DEFAULTS.postgres.reservedRoles.includes(BACKUP_ROLE));
    });

    it("keeps a replication role for base backups: its own generated password, replication over the network for it alone", () => {
        const secret = spec(one(on, "kubernetes:core/v1:Secret", "postgres")).stringData;
        const data = one(on, "kubernetes:core/v1:Secret", "postgres").inputs.stringData as Record<string, unknown>;
        assert.ok(isSecretWrapper(data) || isSecretWrapper(data["backup-password"]), "a secret");
        assert.notEqual(secret["backup-password"], secret.password);
        const hook = postgresContainer(on).lifecycle.postStart.exec.command[2];
        assert.match(hook, /CREATE ROLE backup/);
        assert.match(hook, /ALTER ROLE backup WITH LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'backup_password'/);
        assert.match(hook, /cat \/etc\/postgres-secret\/backup-password/);
        const hba: string = spec(one(on, "kubernetes:core/v1:ConfigMap", "postgres-hba")).data["pg_hba.conf"];
        const rules = hba
            .split("\n")
            .filter(l => l && !l.startsWith("#"))
            .map(l => l.split(/\s+/).join(" "));
        assert.deepEqual(rules, [
            "local all all trust",
            "local replication all trust",
            "host all all all scram-sha-256",
            "host replication backup all scram-sha-256",
        ]);
    });

    it("takes base backups on the schedule from a CronJob, one at a time, failing at a deadline when the archive is stuck", () => {
        const cron = cronJob(on);
        assert.equal(cron.schedule, "15 2 * * *");
        assert.equal(cron.timeZone, "Etc/UTC");
        assert.equal(cron.concurrencyPolicy, "Forbid");
        assert.equal(cron.jobTemplate.spec.activeDeadlineSeconds, 6 * 3600);
        const pod = cron.jobTemplate.spec.template.spec;
        assert.equal(pod.serviceAccountName, "postgres-backup");
        assert.equal(pod.automountServiceAccountToken, false);
        assert.equal(pod.restartPolicy, "Never");
        assert.deepEqual(
            pod.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution,
            [
                {
                    labelSelector: { matchLabels: { "app.kubernetes.io/name": "postgres", "app.kubernetes.io/instance": "kubeship" } },
                    topologyKey: "kubernetes.io/hostname",
                },
            ],
            "a volume store is ReadWriteOnce: the Job runs on Postgres' node",
        );
        const c = pod.containers[0];
        assert.equal(c.image, PGBACKUP);
        assert.deepEqual(c.args, ["backup", "host=postgres port=5432 user=backup"], "no password in the arguments");
        assert.deepEqual(envOf(c).PGPASSWORD, { secretKeyRef: { name: "postgres", key: "backup-password" } });
        assert.equal(envOf(c).KUBESHIP_BACKUP_URL, "file:///var/lib/kubeship-backup");
        assert.deepEqual(pod.volumes, [
            { name: "backup-store", persistentVolumeClaim: { claimName: "postgres-backup" } },
            { name: "tmp", emptyDir: {} },
        ]);
        assert.deepEqual(
            c.volumeMounts,
            [
                { name: "backup-store", mountPath: "/var/lib/kubeship-backup" },
                { name: "tmp", mountPath: "/tmp" },
            ],
            "where the store's URL points, and a writable /tmp beside the read-only root for the S3 store's spool",
        );
        assert.equal(spec(one(on, "kubernetes:core/v1:ServiceAccount", "postgres-backup")).automountServiceAccountToken, false);
    });

    it("stores backups on a volume of the Postgres volume's size on kind and local clusters", () => {
        const claim = spec(one(on, "kubernetes:core/v1:PersistentVolumeClaim", "postgres-backup")).spec;
        assert.deepEqual(claim.resources.requests, { storage: "20Gi" });
        assert.deepEqual(claim.accessModes, ["ReadWriteOnce"]);
    });

    it("lets the base-backup Job reach Postgres, and nothing outside the cluster for a volume store", () => {
        assert.deepEqual(policy(on, "allow-base-backup-postgres-egress").egress, [
            {
                to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "postgres", "app.kubernetes.io/instance": "kubeship" } } }],
                ports: [{ protocol: "TCP", port: 5432 }],
            },
        ]);
        assert.deepEqual(policy(on, "allow-base-backup-postgres-ingress").podSelector.matchLabels["app.kubernetes.io/name"], "postgres");
        const names = all(on, "kubernetes:networking.k8s.io/v1:NetworkPolicy").map(p => spec(p).metadata.name);
        assert.deepEqual(
            names.filter((n: string) => /store|archive/.test(n)),
            ["allow-archive-check-postgres-egress", "allow-archive-check-postgres-ingress"],
            "the archive check reaches Postgres only",
        );
    });

    it("checks the archiver every five minutes, failing a Job while its latest attempt failed, with no store and no identity", () => {
        const cron = spec(one(on, "kubernetes:batch/v1:CronJob", "postgres-archive-check")).spec;
        assert.deepEqual([cron.schedule, cron.timeZone, cron.concurrencyPolicy], ["*/5 * * * *", "Etc/UTC", "Forbid"]);
        assert.deepEqual([cron.jobTemplate.spec.backoffLimit, cron.jobTemplate.spec.activeDeadlineSeconds], [0, 120], "a failure is the Job's at once");
        const pod = cron.jobTemplate.spec.template.spec;
        assert.deepEqual([pod.serviceAccountName, pod.automountServiceAccountToken, pod.affinity, pod.volumes], ["default", false, undefined, undefined]);
        const c = pod.containers[0];
        assert.equal(c.image, PGBACKUP);
        assert.deepEqual(c.args, archiveCheckArgs("postgres", 5432));
        assert.deepEqual(c.args, ["check", "host=postgres port=5432 user=backup dbname=postgres"], "no password in the arguments");
        assert.deepEqual(Object.keys(envOf(c)), ["PGPASSWORD"], "no store: the server's own view of its archiver");
        assert.deepEqual(envOf(c).PGPASSWORD, { secretKeyRef: { name: "postgres", key: "backup-password" } });
        assert.deepEqual(pod.securityContext.seccompProfile, { type: "RuntimeDefault" });
        assert.equal(c.securityContext.readOnlyRootFilesystem, true);
        assert.deepEqual(cron.jobTemplate.spec.template.metadata.labels["app.kubernetes.io/name"], "postgres-archive-check");
        assert.deepEqual(policy(on, "allow-archive-check-postgres-egress").podSelector.matchLabels["app.kubernetes.io/name"], "postgres-archive-check");
    });

    it("builds pgbackup from backup/ for the nodes' platform when no image is given, and deploys it by digest", async () => {
        const built = await local({ backup: { enabled: true } });
        const image = spec(one(built, "docker:index/image:Image", "pgbackup-image"));
        assert.match(image.build.context, /\/backup$/);
        assert.match(image.build.dockerfile, /\/backup\/Dockerfile$/);
        assert.equal(image.build.platform, "linux/amd64");
        assert.equal(image.imageName, "localhost:5001/kubeship-app:pgbackup-build");
        assert.match(statefulSet(built).initContainers[0].image, /^localhost:5001\/kubeship-app@sha256:[0-9a-f]{64}$/);
        assert.equal(cronJob(built).jobTemplate.spec.template.spec.containers[0].image, statefulSet(built).initContainers[0].image);
    });

    it("adds nothing when backups are off (kind and local by default)", () => {
        assert.equal(all(off, "kubernetes:batch/v1:CronJob").length, 0);
        assert.equal(all(off, "kubernetes:core/v1:PersistentVolumeClaim").length, 0);
        assert.equal(all(off, "kubernetes:core/v1:ServiceAccount").filter(a => spec(a).metadata.name === "postgres-backup").length, 0);
        assert.equal(all(off, "docker:index/image:Image").length, 0);
        assert.equal(statefulSet(off).initContainers, undefined);
        assert.equal(statefulSet(off).serviceAccountName, undefined);
        assert.ok(!postgresContainer(off).args.some((a: string) => a.startsWith("archive")));
        assert.deepEqual(Object.keys(spec(one(off, "kubernetes:core/v1:Secret", "postgres")).stringData).sort(), ["password", "username"]);
        assert.doesNotMatch(postgresContainer(off).lifecycle.postStart.exec.command[2], /backup/);
    });
});

describe("restoring to a point in time", () => {
    const TIME = "2026-12-02T08:00:00Z";
    const FROM = "file:///var/lib/kubeship-backup";
    let restored: RunResult;
    before(async () => {
        restored = await local({ backup: { enabled: true, image: PGBACKUP }, restore: { from: FROM, time: TIME } });
    });

    it("names each restore by its time and a digest of its point, so a new point is a new restore", () => {
        assert.match(restoreId({ from: FROM, time: TIME }), /^restore-20261202T080000Z-[0-9a-f]{8}$/);
        assert.equal(restoreId({ from: FROM, time: TIME }), restoreId({ from: FROM, time: TIME }));
        const others = [
            { from: FROM, time: "2026-12-02T08:00:01Z" },
            { from: `${FROM}/restore-x`, time: TIME },
            { from: FROM, time: "2026-12-02T09:00:00+01:00" },
        ].map(restoreId);
        assert.equal(new Set([restoreId({ from: FROM, time: TIME }), ...others]).size, 4);
        assert.match(others[2], /^restore-20261202T080000Z-/, "the name's time is UTC");
    });

    it("restores in an init container after pgbackup is installed, with the installed copy, once per volume, reading the archive it is given", () => {
        const [install, restore, ...rest] = statefulSet(restored).initContainers;
        assert.equal(install.name, "pgbackup-install");
        assert.deepEqual(rest, []);
        assert.equal(restore.name, "pgbackup-restore");
        assert.equal(restore.image, PGBACKUP);
        // restore_command names the path pgbackup runs from: the copy the postgres container has too.
        assert.deepEqual(restore.command, ["/kubeship/bin/pgbackup"]);
        assert.deepEqual(restore.args, ["restore", "/var/lib/postgresql/data/pgdata", TIME, restoreId({ from: FROM, time: TIME })]);
        assert.equal(envOf(postgresContainer(restored)).PGDATA, restore.args[1], "the directory Postgres starts on");
        assert.equal(envOf(restore).KUBESHIP_RESTORE_FROM, FROM);
        assert.deepEqual(restore.securityContext, install.securityContext);
        assert.equal(restore.securityContext.runAsNonRoot, true);
        assert.deepEqual(
            restore.volumeMounts.map((m: { name: string; mountPath: string; readOnly?: boolean }) => [m.name, m.mountPath, !!m.readOnly]),
            [
                ["pgbackup-bin", "/kubeship/bin", true],
                ["data", "/var/lib/postgresql/data", false],
                ["backup-store", "/var/lib/kubeship-backup", false],
            ],
        );
        assert.ok(restore.resources.limits.memory, "bounded");
    });

    it("archives the restored server, and its base backups, to a location of its own in the store, which the stack outputs", () => {
        const location = `${FROM}/${restoreId({ from: FROM, time: TIME })}`;
        assert.equal(envOf(postgresContainer(restored)).KUBESHIP_BACKUP_URL, location);
        assert.equal(envOf(cronJob(restored).jobTemplate.spec.template.spec.containers[0]).KUBESHIP_BACKUP_URL, location);
        assert.equal(envOf(statefulSet(restored).initContainers[1]).KUBESHIP_BACKUP_URL, location);
        assert.equal(restored.outputs.postgresBackupUrl.value, location);
    });

    it("gives every managed cloud's store a URL of the scheme its restores are checked against, and restores from another stack's bucket", async () => {
        for (const cloud of MANAGED_CLOUDS) {
            const url = (await prodOn(cloud)).outputs.postgresBackupUrl.value as string;
            assert.match(url, new RegExp(`^${BACKUP_URL_SCHEMES[cloud]}://[a-z0-9.-]+/postgres$`), cloud);
        }
        assert.equal(
            (await local({ backup: { enabled: true, image: PGBACKUP } })).outputs.postgresBackupUrl.value,
            `${BACKUP_URL_SCHEMES.local}:///var/lib/kubeship-backup`,
        );
        const from = "gs://acme-prod-backup-0a1b/postgres";
        const fromProd = await restoredFrom("gcp", from);
        assert.match(fromProd.outputs.postgresBackupUrl.value as string, new RegExp(`^gs://[a-z0-9.-]+/postgres/${restoreId({ from, time: TIME })}$`));
        assert.equal(envOf(statefulSet(fromProd).initContainers[1]).KUBESHIP_RESTORE_FROM, from);
    });

    /** The prod stack's settings on `cloud`, as another stack restoring `from`. */
    async function restoredFrom(cloud: string, from: string): Promise<RunResult> {
        const { config, secretKeys } = overrideCloud(readStackConfig("prod"), cloud);
        const postgres = { ...JSON.parse(config["kubeship:postgres"]), restore: { from, time: TIME } };
        return runProgram({ stack: "staging", config: { ...config, "kubeship:postgres": JSON.stringify(postgres) }, secretKeys });
    }
    /** Postgres starts after `grant`: the restore in its init container reads with it. */
    const startsAfter = (r: RunResult, grant: { urn: string }) =>
        assert.ok(dependencyClosure(r, one(r, "kubernetes:apps/v1:StatefulSet", "postgres").urn).has(grant.urn), "Postgres starts after the grant");

    it("lets the archiving identity read the source archive on GKE: a conditional binding of its own, which removing the restore cannot confuse with the bucket's own", async () => {
        const r = await restoredFrom("gcp", "gs://acme-prod-backups-0a1b/postgres");
        const grant = one(r, "gcp:storage/bucketIAMMember:BucketIAMMember", "cluster-backups-restore-source");
        const own = spec(one(r, "gcp:storage/bucketIAMMember:BucketIAMMember", "cluster-backups-objectViewer"));
        assert.deepEqual(
            { ...spec(grant), condition: { ...spec(grant).condition } },
            {
                bucket: "acme-prod-backups-0a1b",
                role: "roles/storage.objectViewer",
                member: own.member,
                condition: {
                    title: "kubeship-restore-source",
                    description: "Read the archive a kubeship:postgres.restore reads",
                    expression:
                        'resource.name == "projects/_/buckets/acme-prod-backups-0a1b" || resource.name.startsWith("projects/_/buckets/acme-prod-backups-0a1b/objects/postgres/")',
                },
            },
        );
        startsAfter(r, grant);
        assert.equal(all(await prodOn("gcp"), "gcp:storage/bucketIAMMember:BucketIAMMember").filter(g => g.name.endsWith("restore-source")).length, 0);
    });

    it("lets the archiving role read the source archive on EKS: get under its prefix, list the bucket", async () => {
        const r = await restoredFrom("aws", "s3://kubeship-backups-0a1b/postgres");
        const grant = one(r, "aws:iam/rolePolicy:RolePolicy", "cluster-backups-restore-source");
        assert.equal(spec(grant).role, spec(one(r, "aws:iam/rolePolicy:RolePolicy", "cluster-backups-access")).role);
        assert.deepEqual(JSON.parse(spec(grant).policy).Statement, [
            { Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::kubeship-backups-0a1b/postgres/*" },
            { Effect: "Allow", Action: ["s3:ListBucket"], Resource: "arn:aws:s3:::kubeship-backups-0a1b" },
        ]);
        startsAfter(r, grant);
        assert.equal(all(await prodOn("aws"), "aws:iam/rolePolicy:RolePolicy").filter(g => g.name.endsWith("restore-source")).length, 0);
    });

    it("lets the archiver's Spaces key read another bucket it restores from, and adds nothing for its own", async () => {
        const grants = (r: RunResult) => spec(one(r, "digitalocean:index/spacesKey:SpacesKey", "cluster-backups-key")).grants;
        const r = await restoredFrom("digitalocean", "s3://acme-prod-backups-0a1b/postgres");
        const own = spec(one(r, "digitalocean:index/spacesBucket:SpacesBucket")).name;
        assert.deepEqual(grants(r), [
            { bucket: own, permission: "readwrite" },
            { bucket: "acme-prod-backups-0a1b", permission: "read" },
        ]);
        assert.deepEqual(grants(await restoredFrom("digitalocean", `s3://${own}/postgres`)), [{ bucket: own, permission: "readwrite" }]);
    });
});

/** The environment's egress to the store: the same rules for Postgres (archive) and the base-backup Job. */
function storeEgress(r: RunResult): unknown[] {
    const archive = policy(r, "allow-postgres-archive-egress");
    const job = policy(r, "allow-base-backup-store-egress");
    assert.deepEqual(archive.egress, job.egress);
    assert.equal(archive.podSelector.matchLabels["app.kubernetes.io/name"], "postgres");
    assert.equal(job.podSelector.matchLabels["app.kubernetes.io/name"], "postgres-backup");
    return archive.egress.map((e: { to: { ipBlock: unknown }[]; ports: { port: number }[] }) => [e.to[0].ipBlock, e.ports[0].port]);
}

const HTTPS = [{ cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] }, 443];
const protectedNames = (r: RunResult) => r.registered.filter(x => x.protect && x.retainOnDelete).map(x => x.name);

describe("backups on GKE: a Cloud Storage bucket through Workload Identity", () => {
    let prod: RunResult;
    let unprotected: RunResult;
    before(async () => {
        prod = await prodOn("gcp");
        unprotected = await prodOn("gcp", false);
    });

    it("is private, regional, expires objects after the retention and, for protected data, locks them that long and outlives destroy", () => {
        const bucket = one(prod, "gcp:storage/bucket:Bucket");
        const b = spec(bucket);
        assert.equal(b.location, "europe-west1");
        assert.equal(b.uniformBucketLevelAccess, true);
        assert.equal(b.publicAccessPrevention, "enforced");
        assert.deepEqual(b.lifecycleRules, [{ action: { type: "Delete" }, condition: { age: 30 } }]);
        assert.deepEqual(b.retentionPolicy, { retentionPeriod: String(30 * 86400) });
        assert.equal(b.forceDestroy, false);
        assert.ok(protectedNames(prod).includes(bucket.name));
        const u = spec(one(unprotected, "gcp:storage/bucket:Bucket"));
        assert.equal(u.retentionPolicy, undefined, "unprotected data: no lock, so destroy can empty it");
        assert.equal(u.forceDestroy, true);
        assert.ok(!protectedNames(unprotected).includes("cluster-backups"));
    });

    it("lets the environment's archiving ServiceAccount create and read objects, and nothing else", () => {
        const bindings = all(prod, "gcp:storage/bucketIAMMember:BucketIAMMember").map(spec);
        assert.deepEqual(
            bindings.map(b => b.role as string).sort((a, b) => a.localeCompare(b)),
            ["roles/storage.objectCreator", "roles/storage.objectViewer"],
        );
        for (const b of bindings)
            assert.match(
                b.member,
                /^principal:\/\/iam\.googleapis\.com\/projects\/[^/]+\/locations\/global\/workloadIdentityPools\/[a-z0-9-]+\.svc\.id\.goog\/subject\/ns\/prod\/sa\/postgres-backup$/,
            );
        const cluster = one(prod, "gcp:container/cluster:Cluster").urn;
        const postgres = dependencyClosure(prod, one(prod, "kubernetes:apps/v1:StatefulSet", "postgres").urn);
        for (const grant of all(prod, "gcp:storage/bucketIAMMember:BucketIAMMember")) {
            assert.ok(dependencyClosure(prod, grant.urn).has(cluster), `${grant.name} after the cluster: its Workload Identity pool exists only then`);
            assert.ok(postgres.has(grant.urn), `Postgres starts after ${grant.name}`);
        }
        const bucketName = spec(one(prod, "gcp:storage/bucket:Bucket")).name;
        assert.equal(envOf(postgresContainer(prod)).KUBESHIP_BACKUP_URL, `gs://${bucketName}/postgres`);
    });

    it("lets the archiving pods reach Cloud Storage and the node's metadata server, for their token", () => {
        assert.deepEqual(storeEgress(prod), [HTTPS, [{ cidr: "169.254.169.254/32" }, 80], [{ cidr: "169.254.169.252/32" }, 988]]);
    });
});

describe("backups on EKS: an S3 bucket through Pod Identity", () => {
    let prod: RunResult;
    let unprotected: RunResult;
    before(async () => {
        prod = await prodOn("aws");
        unprotected = await prodOn("aws", false);
    });

    it("is private, encrypted, versioned, TLS only, expires objects after the retention and, for protected data, locks them and outlives destroy", () => {
        const bucket = one(prod, "aws:s3/bucket:Bucket");
        assert.equal(spec(bucket).objectLockEnabled, true);
        assert.equal(spec(bucket).forceDestroy, false);
        assert.ok(protectedNames(prod).includes(bucket.name));
        const block = spec(one(prod, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"));
        for (const k of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) assert.equal(block[k], true, k);
        assert.deepEqual(spec(one(prod, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")).rules, [
            { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
        ]);
        assert.equal(spec(one(prod, "aws:s3/bucketVersioning:BucketVersioning")).versioningConfiguration.status, "Enabled");
        assert.deepEqual(spec(one(prod, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")).rule, {
            defaultRetention: { mode: "GOVERNANCE", days: 30 },
        });
        const [rule] = spec(one(prod, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")).rules;
        assert.deepEqual([rule.status, rule.expiration, rule.noncurrentVersionExpiration], ["Enabled", { days: 30 }, { noncurrentDays: 1 }]);
        assert.equal(all(unprotected, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").length, 0);
        assert.equal(spec(one(unprotected, "aws:s3/bucket:Bucket")).forceDestroy, true);
        // A kept bucket keeps what configures it: destroy must not suspend its versioning, drop its
        // lock, lifecycle, encryption or policy, or open it.
        const onBucket = prod.registered.filter(r => r.type.startsWith("aws:s3/bucket"));
        assert.equal(onBucket.length, 8);
        assert.deepEqual(
            onBucket.filter(r => !(r.protect && r.retainOnDelete)).map(r => r.type),
            [],
        );
        assert.ok(!all(unprotected, "aws:s3/bucketVersioning:BucketVersioning").some(r => r.protect || r.retainOnDelete));
    });

    it("gives the archiving ServiceAccount a role that can put, get and list but not delete, and only conditional writes", () => {
        const identity = one(prod, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "cluster-backups-identity");
        const postgres = dependencyClosure(prod, one(prod, "kubernetes:apps/v1:StatefulSet", "postgres").urn);
        assert.ok(postgres.has(identity.urn), "Postgres' pod is created after the association, which changes only new pods");
        const association = spec(identity);
        assert.deepEqual([association.namespace, association.serviceAccount], ["prod", "postgres-backup"]);
        const role = one(prod, "aws:iam/role:Role", "cluster-backups-role");
        assert.equal(JSON.parse(spec(role).assumeRolePolicy).Statement[0].Principal.Service, "pods.eks.amazonaws.com");
        const actions = JSON.parse(spec(one(prod, "aws:iam/rolePolicy:RolePolicy", "cluster-backups-access")).policy).Statement.flatMap(
            (s: { Action: string[] }) => s.Action,
        );
        assert.deepEqual(actions.sort(), ["s3:GetObject", "s3:ListBucket", "s3:PutObject"]);
        const statements = JSON.parse(spec(one(prod, "aws:s3/bucketPolicy:BucketPolicy")).policy).Statement;
        const conditional = statements.find((s: { Sid: string }) => s.Sid === "ArchiverWritesOnlyNewKeys");
        assert.deepEqual(
            [conditional.Effect, conditional.Action, conditional.Condition],
            ["Deny", "s3:PutObject", { Null: { "s3:if-none-match": "true" }, Bool: { "s3:ObjectCreationOperation": "true" } }],
            "objects are created only if new; a multipart upload's parts are exempt, its completion is not",
        );
        assert.equal(conditional.Principal.AWS, association.roleArn);
        assert.ok(
            statements.some((s: { Condition?: unknown }) => JSON.stringify(s.Condition) === JSON.stringify({ Bool: { "aws:SecureTransport": "false" } })),
        );
    });

    it("reaches S3 through a gateway endpoint on every private route table, and the Pod Identity agent for credentials", () => {
        const endpoint = spec(one(prod, "aws:ec2/vpcEndpoint:VpcEndpoint"));
        assert.deepEqual([endpoint.vpcEndpointType, endpoint.serviceName, endpoint.routeTableIds.length], ["Gateway", "com.amazonaws.eu-west-1.s3", 3]);
        assert.equal(envOf(postgresContainer(prod)).AWS_REGION, "eu-west-1");
        assert.match(envOf(postgresContainer(prod)).KUBESHIP_BACKUP_URL, /^s3:\/\/.+\/postgres$/);
        assert.deepEqual(storeEgress(prod), [HTTPS, [{ cidr: "169.254.170.23/32" }, 80]]);
    });
});

describe("backups on DOKS: a Spaces bucket with a key of its own", () => {
    let prod: RunResult;
    before(async () => {
        prod = await prodOn("digitalocean");
    });

    it("is private, versioned, expires objects and their old versions after the retention, and outlives destroy when protected", () => {
        const bucket = one(prod, "digitalocean:index/spacesBucket:SpacesBucket");
        const b = spec(bucket);
        assert.deepEqual([b.acl, b.region, b.versioning], ["private", "ams3", { enabled: true }]);
        assert.deepEqual(b.lifecycleRules[0].expiration, { days: 30 });
        assert.deepEqual(b.lifecycleRules[0].noncurrentVersionExpiration, { days: 30 }, "a deleted object stays recoverable for the retention");
        assert.ok(protectedNames(prod).includes(bucket.name));
    });

    it("gives the archiver a key for this bucket alone, as a Kubernetes Secret it reads through secretKeyRef", () => {
        const key = spec(one(prod, "digitalocean:index/spacesKey:SpacesKey", "cluster-backups-key"));
        assert.deepEqual(key.grants, [{ bucket: spec(one(prod, "digitalocean:index/spacesBucket:SpacesBucket")).name, permission: "readwrite" }]);
        const secret = one(prod, "kubernetes:core/v1:Secret", "postgres-backup-store");
        assert.deepEqual(Object.keys(spec(secret).stringData).sort(), ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]);
        const data = secret.inputs.stringData as Record<string, unknown>;
        for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) assert.ok(isSecretWrapper(data) || isSecretWrapper(data[k]), `${k} is a secret`);
        const env = envOf(postgresContainer(prod));
        assert.deepEqual(env.AWS_SECRET_ACCESS_KEY, { secretKeyRef: { name: "postgres-backup-store", key: "AWS_SECRET_ACCESS_KEY" } });
        assert.equal(env.AWS_ENDPOINT_URL_S3, "https://ams3.digitaloceanspaces.com");
        assert.deepEqual([env.AWS_REQUEST_CHECKSUM_CALCULATION, env.AWS_RESPONSE_CHECKSUM_VALIDATION], ["when_required", "when_required"]);
        assert.deepEqual(storeEgress(prod), [HTTPS]);
    });

    it("puts the bucket in the cluster's region, or the nearest with Spaces", () => {
        assert.equal(spacesRegion("fra1"), "fra1");
        assert.equal(spacesRegion("nyc1"), "nyc3");
        assert.equal(spacesRegion("lon1"), "ams3");
    });
});
