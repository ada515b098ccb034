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
        // The message is read through the accessors below: drop the own property Error's constructor set.
        this.text = String(Object.getOwnPropertyDescriptor(this, "message")?.value);
        delete (this as { message?: string }).message;
    }

    private readonly text: string;

    /**
     * The message, as written. A config error found at run time (a check on what a cloud offers) reaches
     * the user through a resource input, and the runtime prefixes such an error's message with every
     * property it passed through ("error serializing property …"): this one keeps its own words.
     */
    override get message(): string {
        return this.text;
    }

    override set message(_prefixed: string) {
        // Ignored: see the getter.
    }
}

/** "an" before a vowel ("an azure region"), else "a". */
export function article(word: string): string {
    return /^[aeiou]/i.test(word) ? "an" : "a";
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

/** Several configuration errors at once: every problem of a stack's config, reported together. */
export class ConfigErrors extends pulumi.RunError {
    constructor(public readonly problems: ConfigError[]) {
        super(`${problems.length} config problems:\n${problems.map(p => `  - ${p.message}`).join("\n")}`);
        this.name = "ConfigErrors";
    }
}

/**
 * Collects configuration errors so that a stack's every problem is reported in one go: a check that
 * fails records its error and yields a fallback, and the parse goes on.
 */
export class Problems {
    readonly found: ConfigError[] = [];

    /** Runs `check`; a ConfigError it throws is recorded and `fallback` returned instead. */
    check<T>(check: () => T, fallback: T): T {
        try {
            return check();
        } catch (e) {
            if (!(e instanceof ConfigError)) throw e;
            this.found.push(e);
            return fallback;
        }
    }

    /** True when a problem was recorded for `key` or a key below it (`key.x`, `key[0]`). */
    about(...keys: string[]): boolean {
        return this.found.some(p => keys.some(k => p.key === k || p.key.startsWith(`${k}.`) || p.key.startsWith(`${k}[`)));
    }

    /** Throws what was found: the error itself when there is one, all of them together when there are more. */
    throwIfAny(): void {
        if (this.found.length === 1) throw this.found[0];
        if (this.found.length > 1) throw new ConfigErrors(this.found);
    }
}
