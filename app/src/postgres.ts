import { Pool } from "pg";
import type { Counter } from "./app";

/** Visit counts in Postgres. The table is created on first use, so the app starts before the database. */
export class PostgresCounter implements Counter {
    private readonly pool: Pool;
    private schema?: Promise<void>;

    constructor(connectionString: string) {
        this.pool = new Pool({ connectionString, max: 5, connectionTimeoutMillis: 2000, idleTimeoutMillis: 30000, query_timeout: 5000 });
        // An idle client losing its connection (database restart) must not crash the process.
        this.pool.on("error", () => undefined);
    }

    private ensureSchema(): Promise<void> {
        this.schema ??= this.pool.query("CREATE TABLE IF NOT EXISTS kubeship_visits (name text PRIMARY KEY, count bigint NOT NULL DEFAULT 0)").then(
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
        const r = await this.pool.query<{ count: string }>(
            "INSERT INTO kubeship_visits (name, count) VALUES ($1, 1) ON CONFLICT (name) DO UPDATE SET count = kubeship_visits.count + 1 RETURNING count",
            [name],
        );
        return Number(r.rows[0].count);
    }

    async get(name: string): Promise<number> {
        await this.ensureSchema();
        const r = await this.pool.query<{ count: string }>("SELECT count FROM kubeship_visits WHERE name = $1", [name]);
        return r.rows.length ? Number(r.rows[0].count) : 0;
    }

    async ping(): Promise<void> {
        await this.pool.query("SELECT 1");
    }

    close(): Promise<void> {
        return this.pool.end();
    }
}
