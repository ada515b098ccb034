/** The service's environment, validated at start-up. */
export interface ServiceConfig {
    port: number;
    databaseUrl: string;
    redis: RedisTarget;
    /** How long in-flight requests get after SIGTERM before connections are cut. */
    shutdownTimeoutMs: number;
}

export interface RedisTarget {
    host: string;
    port: number;
    username?: string;
    password?: string;
    database: number;
}

/** Parses `redis://[user][:password]@host[:port][/db]`; credentials are percent-decoded. */
export function parseRedisUrl(text: string): RedisTarget {
    const url = new URL(text);
    if (url.protocol !== "redis:" && url.protocol !== "rediss:") throw new Error(`REDIS_URL must start with redis://, got ${url.protocol}`);
    const database = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
    if (!Number.isInteger(database) || database < 0) throw new Error(`REDIS_URL database must be a number, got ${url.pathname.slice(1)}`);
    return {
        host: url.hostname,
        port: url.port ? Number(url.port) : 6379,
        username: url.username ? decodeURIComponent(url.username) : undefined,
        password: url.password ? decodeURIComponent(url.password) : undefined,
        database,
    };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
    const required = (name: string) => {
        const value = env[name];
        if (!value) throw new Error(`${name} is required`);
        return value;
    };
    const port = Number(env.PORT ?? "8080");
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`PORT must be a TCP port, got ${env.PORT}`);
    const databaseUrl = required("DATABASE_URL");
    if (!/^postgres(ql)?:\/\//.test(databaseUrl)) throw new Error("DATABASE_URL must start with postgresql://");
    return {
        port,
        databaseUrl,
        redis: parseRedisUrl(required("REDIS_URL")),
        shutdownTimeoutMs: Number(env.SHUTDOWN_TIMEOUT_MS ?? "20000"),
    };
}
