/** Structured logs: one JSON object per line on stdout, as log collectors on every cloud expect. */
export type Fields = Record<string, unknown>;

export interface Logger {
    info(msg: string, fields?: Fields): void;
    warn(msg: string, fields?: Fields): void;
    error(msg: string, fields?: Fields): void;
}

export function jsonLogger(write: (line: string) => void = line => process.stdout.write(`${line}\n`), now: () => Date = () => new Date()): Logger {
    const emit =
        (level: string) =>
        (msg: string, fields: Fields = {}) =>
            write(JSON.stringify({ time: now().toISOString(), level, msg, ...fields }));
    return { info: emit("info"), warn: emit("warn"), error: emit("error") };
}

/** A short, single-line description of an error, for logs and readiness reports. */
export function describe(error: unknown): string {
    return error instanceof Error ? error.message.split("\n")[0] : String(error);
}
