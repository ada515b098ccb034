import { Pool, QueryResult, QueryResultRow } from "pg";
import type { Counter } from "./app";
import type { Logger } from "./log";

/** Postgres' SQLSTATE for a rejected password (invalid_password). */
const INVALID_PASSWORD = "28P01";

/** Visit counts in Postgres. The table is created on first use, so the app starts before the database. */
export class PostgresCounter implements Counter {
    private readonly pool: Pool;
    private schema?: Promise<void>;
    /** Whether Postgres has refused this pod's password for a new session (said once in the log). */
    private refused = false;

    constructor(
        connectionString: string,
        private readonly log?: Logger,
    ) {
        this.pool = new Pool({ connectionString, max: 5, connectionTimeoutMillis: 2000, idleTimeoutMillis: 30000, query_timeout: 5000 });
        // An idle client losing its connection (database restart) must not crash the process.
        this.pool.on("error", () => undefined);
    }

    private ensureSchema(): Promise<void> {
        this.schema ??= this.query("CREATE TABLE IF NOT EXISTS kubeship_visits (name text PRIMARY KEY, count bigint NOT NULL DEFAULT 0)").then(
            () => undefined,
            e => {
                this.schema = undefined;
                throw e;
            },
        );
        return this.schema;
    }

    async increment(name: string): Promise<number> {
        await this.ensureSchema();
        const r = await this.query<{ count: string }>(
            "INSERT INTO kubeship_visits (name, count) VALUES ($1, 1) ON CONFLICT (name) DO UPDATE SET count = kubeship_visits.count + 1 RETURNING count",
            [name],
        );
        return Number(r.rows[0].count);
    }

    async get(name: string): Promise<number> {
        await this.ensureSchema();
        const r = await this.query<{ count: string }>("SELECT count FROM kubeship_visits WHERE name = $1", [name]);
        return r.rows.length ? Number(r.rows[0].count) : 0;
    }

    async ping(): Promise<void> {
        await this.query("SELECT 1");
    }

    /**
     * A query, which survives a password rotation. Once the role's password is rotated, a new session with
     * this pod's password is refused, but its open sessions still work (Postgres checks a password only
     * when a session starts), and the app's new pods, which have the new password, are replacing it. So a
     * refused new session makes the pool stop opening sessions and queue on its open ones (for at most
     * connectionTimeoutMillis), rather than fail a request because a burst needed one more session.
     */
    private async query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>> {
        try {
            return await this.pool.query<R>(text, values);
        } catch (e) {
            const open = this.pool.totalCount;
            if ((e as { code?: string }).code !== INVALID_PASSWORD || open === 0) throw e;
            // Sessions still connecting count too: each that is refused lowers the bound again.
            this.pool.options.max = Math.min(this.pool.options.max, open);
            if (!this.refused) this.log?.warn("postgres refused this pod's password for a new session: serving on its open sessions", { sessions: open });
            this.refused = true;
            return this.pool.query<R>(text, values);
        }
    }

    close(): Promise<void> {
        return this.pool.end();
    }
}
