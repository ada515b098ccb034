/**
 * kubeship's archiving tool (backup/, `pgbackup`) on a real PostgreSQL at the deployed major: WAL
 * archived as the server's archive_command, a base backup over the replication protocol, then a
 * point-in-time restore into a fresh data directory that must hold exactly the rows written before the
 * target. A store that cannot be written fails the archiver loudly. Loopback and temporary folders only.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { archiveSettings, archiveWiring, BACKUP_ROLE, PG_HBA, restoreId } from "../../components/workloads/archive";
import { archiveCheckArgs } from "../../components/workloads/backup";
import { Postgres } from "../../components/workloads/postgres";
import { passwordSyncScript } from "../../components/workloads/postgres-hook";
import { ensureTool } from "../../tools/build";
import { freePort, postgresClientBin, postgresServerBin, PostgresServer, startProcess, waitFor } from "../support/servers";

const pg = { user: "app", password: "Backup:Pw/1@#%", database: "app", initdbArgs: ["--auth-host=scram-sha-256"] };
/** The backup role's generated password, as the Secret holds it. */
const backupPassword = "Repl:Pw/2@#%&";

/** The rendered `-c name value` pairs as pg_ctl's `-o` takes them: `-c "name=value"`. */
function asServerOptions(settings: string[]): string[] {
    const out: string[] = [];
    for (let i = 0; i < settings.length; i += 2) out.push(`${settings[i]} "${settings[i + 1]}"`);
    return out;
}

describe("pgbackup: point-in-time recovery on a real PostgreSQL", function () {
    this.timeout(120_000);
    let work: string;
    let tool: string;
    let server: PostgresServer | undefined;
    let restored: string | undefined;
    /** The first test's archive, and its restore target: the point between the second and third writes. */
    let store: string;
    let target: string;
    const asRoot = process.getuid?.() === 0;
    /** Runs a command as the server's user (PostgreSQL refuses root), with `env`. */
    const asServerUser = (command: string, args: string[], env: Record<string, string>) =>
        execFileSync(asRoot ? "runuser" : command, asRoot ? ["-u", "postgres", "--", command, ...args] : args, {
            encoding: "utf8",
            env: { ...process.env, ...env },
            cwd: work,
            stdio: ["ignore", "pipe", "pipe"],
        });
    const chown = (p: string) => {
        if (asRoot) execFileSync("chown", ["-R", "postgres:postgres", p]);
    };

    /** The Postgres pod's postStart hook as rendered, with the Secret's files: it keeps the app's and the backup role's passwords. */
    const runPostStartHook = (s: PostgresServer) => {
        const secrets = path.join(work, "secret");
        const hook = passwordSyncScript(s.socketDir, path.join(secrets, "password"), path.join(secrets, "backup-password"));
        asServerUser("sh", ["-c", hook], {
            POSTGRES_USER: pg.user,
            POSTGRES_DB: pg.database,
            PGPORT: String(s.port),
            PATH: `${postgresClientBin()}:${process.env.PATH}`,
        });
    };
    /** The archive check's Job as rendered (the backup role over TCP, its password from the Secret): its output, or what it failed with. */
    const archiveCheck = (s: PostgresServer): string => {
        try {
            return execFileSync(tool, archiveCheckArgs("127.0.0.1", s.port), {
                encoding: "utf8",
                env: { ...process.env, PGPASSWORD: backupPassword },
                stdio: "pipe",
            });
        } catch (e) {
            const failed = e as { status: number; stderr: string };
            return `exit ${failed.status}: ${failed.stderr}`;
        }
    };

    before(async () => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "kubeship-pitr-"));
        fs.chmodSync(work, 0o755);
        const secrets = path.join(work, "secret");
        fs.mkdirSync(secrets);
        fs.writeFileSync(path.join(secrets, "password"), pg.password);
        fs.writeFileSync(path.join(secrets, "backup-password"), backupPassword);
        // The server's user runs the tool: a copy it can read, outside root's home.
        tool = path.join(work, "pgbackup");
        fs.copyFileSync(path.join(await ensureTool("pgbackup", line => console.error(`      [tools] ${line}`)), "pgbackup"), tool);
        fs.chmodSync(tool, 0o755);
        chown(work);
    });

    after(() => {
        server?.stop();
        if (restored) {
            try {
                asServerUser(path.join(postgresServerBin(), "pg_ctl"), ["-D", restored, "-m", "immediate", "-w", "stop"], {});
            } catch {
                // not running
            }
        }
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("archives WAL and a base backup as the program configures them, and restores to a point between two writes with exactly the rows before it", async () => {
        store = path.join(work, "store");
        fs.mkdirSync(store);
        chown(store);
        // The rendered pieces: the archiving settings and the client authentication file of the Postgres
        // pod (archive_command with this tool's path), the postStart hook that keeps the backup role.
        const hba = path.join(work, "pg_hba.conf");
        fs.writeFileSync(hba, PG_HBA);
        chown(work);
        const env = { KUBESHIP_BACKUP_URL: `file://${store}` };
        server = await PostgresServer.start({
            ...pg,
            env,
            serverArgs: asServerOptions([...archiveSettings(60, tool), "-c", `hba_file=${hba}`]),
        });
        const sql = (q: string) => server!.psql(pg, pg.database, q);
        runPostStartHook(server);
        runPostStartHook(server);
        assert.equal(
            sql(
                `SELECT rolreplication AND rolcanlogin AND NOT rolsuper AND NOT rolcreatedb AND NOT rolcreaterole FROM pg_roles WHERE rolname = '${BACKUP_ROLE}'`,
            ),
            "t",
            "the hook (run twice, as at each start) keeps a replication role and nothing more",
        );
        sql("CREATE TABLE visits (v text); INSERT INTO visits VALUES ('before-backup')");
        assert.throws(() => server!.psql({ user: BACKUP_ROLE, password: backupPassword }, pg.database, "SELECT * FROM visits"), /permission denied/);

        // As the CronJob runs it: the backup role over TCP (the rendered pg_hba's one replication line),
        // its password from libpq's environment, never the arguments.
        let started = Date.now();
        const out = asServerUser(tool, ["backup", `host=127.0.0.1 port=${server.port} user=${BACKUP_ROLE}`], { ...env, PGPASSWORD: backupPassword });
        const backupMs = Date.now() - started;
        assert.match(out, /^base backup \d{8}T\d{6}Z: [0-9A-F]+\/[0-9A-F]+ to [0-9A-F]+\/[0-9A-F]+ on timeline 1, \d+ bytes$/m);

        sql("INSERT INTO visits VALUES ('after-backup')");
        target = sql("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
        await new Promise(resolve => setTimeout(resolve, 1100));
        sql("INSERT INTO visits VALUES ('after-target')");
        const lastSegment = sql("SELECT pg_walfile_name(pg_current_wal_lsn())");
        sql("SELECT pg_switch_wal()");
        await waitFor("the archiver to store the segment holding the last write", async () =>
            sql("SELECT last_archived_wal >= '" + lastSegment + "' FROM pg_stat_archiver") === "t" ? true : undefined,
        );
        assert.equal(sql("SELECT failed_count FROM pg_stat_archiver"), "0");
        assert.match(archiveCheck(server), new RegExp(`^archiving works: the last archived is ${lastSegment} at `), "the archive check passes");

        restored = path.join(work, "restored");
        fs.mkdirSync(restored, { mode: 0o700 });
        chown(restored);
        started = Date.now();
        assert.match(asServerUser(tool, ["restore", restored, target], env), /holds base backup \d{8}T\d{6}Z/);
        const port = await freePort();
        asServerUser(
            path.join(postgresServerBin(), "pg_ctl"),
            ["-D", restored, "-l", path.join(work, "restored.log"), "-w", "-o", `-p ${port} -k ${work} -c listen_addresses=127.0.0.1`, "start"],
            env,
        );
        const restoredPsql = (q: string) =>
            execFileSync(path.join(postgresClientBin(), "psql"), ["-h", "127.0.0.1", "-p", String(port), "-U", pg.user, "-d", pg.database, "-tAc", q], {
                encoding: "utf8",
                env: { ...process.env, PGPASSWORD: pg.password },
            }).trim();
        await waitFor(
            "the restored server to finish recovery",
            async () => (restoredPsql("SELECT NOT pg_is_in_recovery()") === "t" ? true : undefined),
            60_000,
        );
        const restoreMs = Date.now() - started;
        assert.equal(restoredPsql("SELECT string_agg(v, ',' ORDER BY v) FROM visits"), "after-backup,before-backup");
        assert.equal(sql("SELECT count(*) FROM visits"), "3", "the original server still has every row");
        console.error(`      [pitr] base backup ${backupMs} ms; restore to a point in time (extract, replay, promote) ${restoreMs} ms`);
    });

    it("restores the environment's own server in place as its init container does: the old data kept aside, a read-only recovery the password hook waits out, a new timeline archived apart, once per volume", async () => {
        // The StatefulSet's rollout stops the pod; the init container then runs on its volume.
        server!.halt();
        const pgdata = server!.dataDir;
        const point = { from: `file://${store}`, time: target };
        const id = restoreId(point);
        const location = `${point.from}/${id}`;
        const init = archiveWiring({ kind: "volume", size: "1Gi" }, "pgbackup", { location, rpoSeconds: 60, restore: point, data: Postgres.data })
            .initContainers[1];
        const args = (init.args as string[]).map(a => (a === Postgres.data.pgdata ? pgdata : a));
        assert.deepEqual(args, ["restore", pgdata, target, id], "the rendered arguments, PGDATA aside");
        const restoreEnv = { KUBESHIP_BACKUP_URL: location, KUBESHIP_RESTORE_FROM: point.from };
        let started = Date.now();
        assert.match(asServerUser(tool, args, restoreEnv), new RegExp(`holds base backup \\d{8}T\\d{6}Z \\(ended [^)]+\\) from ${point.from}`));
        assert.ok(fs.existsSync(path.join(`${pgdata}.before-${id}`, "PG_VERSION")), "the replaced data is kept beside PGDATA");
        // Pause at the target instead of promoting, to watch the password hook wait for the end of recovery.
        fs.appendFileSync(path.join(pgdata, "postgresql.auto.conf"), "recovery_target_action = 'pause'\n");

        const port = await freePort();
        const socket = path.join(work, "in-place");
        fs.mkdirSync(socket);
        chown(socket);
        const hba = path.join(work, "pg_hba.conf");
        const options = [`-p ${port} -k ${socket} -c listen_addresses=127.0.0.1`, ...asServerOptions([...archiveSettings(60, tool), "-c", `hba_file=${hba}`])];
        asServerUser(path.join(postgresServerBin(), "pg_ctl"), ["-D", pgdata, "-l", path.join(work, "in-place.log"), "-w", "-o", options.join(" "), "start"], {
            KUBESHIP_BACKUP_URL: location,
        });
        const sql = (q: string) =>
            execFileSync(
                path.join(postgresClientBin(), "psql"),
                ["-h", "127.0.0.1", "-p", String(port), "-U", pg.user, "-d", pg.database, "-v", "ON_ERROR_STOP=1", "-tAc", q],
                {
                    encoding: "utf8",
                    env: { ...process.env, PGPASSWORD: pg.password },
                },
            ).trim();
        await waitFor("recovery to pause at the target", async () => (sql("SELECT pg_get_wal_replay_pause_state()") === "paused" ? true : undefined), 60_000);

        const secrets = path.join(work, "secret");
        const hookScript = passwordSyncScript(socket, path.join(secrets, "password"), path.join(secrets, "backup-password"));
        const hook = startProcess("postStart", asRoot ? "runuser" : "sh", [...(asRoot ? ["-u", "postgres", "--", "sh"] : []), "-c", hookScript], {
            ...process.env,
            POSTGRES_USER: pg.user,
            POSTGRES_DB: pg.database,
            PGPORT: String(port),
            PATH: `${postgresClientBin()}:${process.env.PATH}`,
        });
        await new Promise(resolve => setTimeout(resolve, 3000));
        assert.equal(hook.child.exitCode, null, `the hook must wait while the server recovers: ${hook.output.join("\n")}`);
        sql("SELECT pg_wal_replay_resume()");
        assert.equal(await hook.exited, 0, hook.output.join("\n"));
        const restoreMs = Date.now() - started;
        assert.equal(sql("SELECT pg_is_in_recovery()"), "f");
        assert.equal(sql("SELECT string_agg(v, ',' ORDER BY v) FROM visits"), "after-backup,before-backup");

        // The restored server writes on a new timeline, archived to its own location; the store's root
        // (the archive it came from) gets nothing of it.
        sql("INSERT INTO visits VALUES ('after-restore')");
        const segment = sql("SELECT pg_walfile_name(pg_current_wal_lsn())");
        assert.match(segment, /^00000002/, "a new timeline");
        sql("SELECT pg_switch_wal()");
        await waitFor("the restored server to archive its segment", async () =>
            sql(`SELECT last_archived_wal >= '${segment}' FROM pg_stat_archiver`) === "t" ? true : undefined,
        );
        assert.equal(sql("SELECT failed_count FROM pg_stat_archiver"), "0");
        const archived = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);
        assert.ok(archived(path.join(store, id, "wal")).includes("00000002.history.zst"));
        assert.ok(archived(path.join(store, id, "wal")).includes(`${segment}.zst`));
        assert.deepEqual(
            archived(path.join(store, "wal")).filter(f => f.startsWith("00000002")),
            [],
        );

        // The pod restarts later: the same init container leaves the volume alone.
        asServerUser(path.join(postgresServerBin(), "pg_ctl"), ["-D", pgdata, "-m", "fast", "-w", "stop"], {});
        assert.match(asServerUser(tool, args, restoreEnv), new RegExp(`holds restore ${id} already: nothing to do`));
        assert.equal(fs.readdirSync(`${pgdata}.before-${id}`).length > 0, true);
        assert.ok(fs.existsSync(path.join(pgdata, "PG_VERSION")) && !fs.existsSync(path.join(pgdata, "recovery.signal")), "the restored, promoted data stays");
        console.error(`      [pitr] in-place restore (init container, replay, promote, password hook) ${restoreMs} ms, including a 3 s pause at the target`);
    });

    it("fails the archiver loudly when the store cannot be written, and archives nothing half", async () => {
        server?.stop();
        const store = path.join(work, "read-only-store");
        fs.mkdirSync(store, { mode: 0o555 });
        server = await PostgresServer.start({
            ...pg,
            env: { KUBESHIP_BACKUP_URL: `file://${store}` },
            serverArgs: asServerOptions(archiveSettings(60, tool)),
        });
        const sql = (q: string) => server!.psql(pg, pg.database, q);
        sql("CREATE TABLE t (v int); INSERT INTO t VALUES (1); SELECT pg_switch_wal()");
        await waitFor(
            "the archiver to report a failure",
            async () => (Number(sql("SELECT failed_count FROM pg_stat_archiver")) > 0 ? true : undefined),
            30_000,
        );
        assert.equal(sql("SELECT archived_count FROM pg_stat_archiver"), "0");
        assert.deepEqual(fs.readdirSync(store), []);
        // The archive check's Job fails, naming the segment.
        runPostStartHook(server);
        assert.match(
            archiveCheck(server),
            /^exit 1: pgbackup: archiving is failing: 0000000100000000000000\w\w failed at .*the last archived: none since the server started/,
        );
    });
});
