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
import { ensureTool } from "../../tools/build";
import { freePort, postgresClientBin, postgresServerBin, PostgresServer, waitFor } from "../support/servers";

const pg = { user: "app", password: "Backup:Pw/1@#%", database: "app", initdbArgs: ["--auth-host=scram-sha-256"] };

describe("pgbackup: point-in-time recovery on a real PostgreSQL", function () {
    this.timeout(120_000);
    let work: string;
    let tool: string;
    let server: PostgresServer | undefined;
    let restored: string | undefined;
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

    before(async () => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "kubeship-pitr-"));
        fs.chmodSync(work, 0o755);
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

    it("archives WAL and a base backup, and restores to a point between two writes with exactly the rows before it", async () => {
        const store = path.join(work, "store");
        fs.mkdirSync(store);
        chown(store);
        const env = { KUBESHIP_BACKUP_URL: `file://${store}` };
        server = await PostgresServer.start({
            ...pg,
            env,
            serverArgs: ["-c archive_mode=on", `-c "archive_command=${tool} wal-push %p %f"`, "-c archive_timeout=60"],
        });
        const sql = (q: string) => server!.psql(pg, pg.database, q);
        sql("CREATE TABLE visits (v text); INSERT INTO visits VALUES ('before-backup')");

        // The password reaches the tool in a private file (libpq's PGPASSFILE), never its arguments.
        const passfile = path.join(work, "pgpass");
        fs.writeFileSync(passfile, `*:*:*:*:${pg.password.replace(/[\\:]/g, c => `\\${c}`)}\n`, { mode: 0o600 });
        chown(passfile);
        let started = Date.now();
        const out = asServerUser(tool, ["backup", `host=127.0.0.1 port=${server.port} user=${pg.user} replication=true`], { ...env, PGPASSFILE: passfile });
        const backupMs = Date.now() - started;
        assert.match(out, /^base backup \d{8}T\d{6}Z: [0-9A-F]+\/[0-9A-F]+ to [0-9A-F]+\/[0-9A-F]+ on timeline 1, \d+ bytes$/m);

        sql("INSERT INTO visits VALUES ('after-backup')");
        const target = sql("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
        await new Promise(resolve => setTimeout(resolve, 1100));
        sql("INSERT INTO visits VALUES ('after-target')");
        const lastSegment = sql("SELECT pg_walfile_name(pg_current_wal_lsn())");
        sql("SELECT pg_switch_wal()");
        await waitFor("the archiver to store the segment holding the last write", async () =>
            sql("SELECT last_archived_wal >= '" + lastSegment + "' FROM pg_stat_archiver") === "t" ? true : undefined,
        );
        assert.equal(sql("SELECT failed_count FROM pg_stat_archiver"), "0");

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
                env: { ...process.env, PGPASSFILE: passfile },
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

    it("fails the archiver loudly when the store cannot be written, and archives nothing half", async () => {
        server?.stop();
        const store = path.join(work, "read-only-store");
        fs.mkdirSync(store, { mode: 0o555 });
        server = await PostgresServer.start({
            ...pg,
            env: { KUBESHIP_BACKUP_URL: `file://${store}` },
            serverArgs: ["-c archive_mode=on", `-c "archive_command=${tool} wal-push %p %f"`],
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
    });
});
