import * as pulumi from "@pulumi/pulumi";

/**
 * A configuration error: names the key, the value that was given and what is allowed.
 * It extends `pulumi.RunError` so `pulumi up` prints the message alone, without a stack trace.
 */
export class ConfigError extends pulumi.RunError {
    constructor(
        /** Full config key, for example `kubeship:app.replicas`. */
        public readonly key: string,
        /** The offending value as the user wrote it. */
        public readonly value: unknown,
        /** What is allowed instead. */
        public readonly allowed: string,
        /** Leave the value out of the message (it may be a secret). */
        hideValue = false,
    ) {
        super(`Invalid config ${key} = ${hideValue ? "(value not shown)" : show(value)}: ${allowed}`);
        this.name = "ConfigError";
    }
}

/** Renders a config value for an error message: strings quoted, missing values named as such. */
export function show(value: unknown): string {
    if (value === undefined) return "(not set)";
    if (typeof value === "string") return JSON.stringify(value);
    try {
        return JSON.stringify(value);
    } catch {
        return "(a value that cannot be printed)";
    }
}
