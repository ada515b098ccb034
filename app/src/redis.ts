import { createClient } from "redis";
import type { Cache } from "./app";
import type { RedisTarget } from "./config";
import { describe, Logger } from "./log";

/**
 * The Redis cache. Commands fail at once while disconnected (no offline queue), so readiness turns 503
 * as soon as Redis goes away; the client reconnects on its own when it comes back.
 */
export class RedisCache implements Cache {
    private readonly client;
    private lastError = "";

    constructor(target: RedisTarget, log: Logger) {
        this.client = createClient({
            socket: { host: target.host, port: target.port, connectTimeout: 2000, reconnectStrategy: retries => Math.min(100 * 2 ** retries, 2000) },
            username: target.username,
            password: target.password,
            database: target.database,
            disableOfflineQueue: true,
        });
        this.client.on("error", (e: unknown) => {
            const message = describe(e);
            if (message !== this.lastError) log.warn("redis connection error", { error: message });
            this.lastError = message;
        });
        this.client.on("ready", () => {
            if (this.lastError) log.info("redis connection restored");
            this.lastError = "";
        });
    }

    /** Starts connecting in the background; the client keeps retrying until Redis answers. */
    start(): void {
        this.client.connect().catch(() => undefined);
    }

    async get(key: string): Promise<string | null> {
        return this.client.get(key);
    }

    async set(key: string, value: string, ttlSeconds: number): Promise<void> {
        await this.client.set(key, value, { EX: ttlSeconds });
    }

    async ping(): Promise<void> {
        await this.client.ping();
    }

    async close(): Promise<void> {
        if (this.client.isOpen) await this.client.close();
    }
}
