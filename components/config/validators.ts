/**
 * Pure validators for configuration values. Each takes the full config key (for the message) and the
 * raw value, and returns the typed value or throws a ConfigError naming the key, the value and what is
 * allowed. No Pulumi runtime state is touched here.
 */
import { ConfigError } from "./errors";
import { parseQuantity } from "./quantity";

export type Raw = unknown;

export function requireString(key: string, value: Raw): string {
    if (typeof value !== "string" || value.trim() === "") throw new ConfigError(key, value, "a non-empty string is required");
    return value;
}

export function optionalString(key: string, value: Raw): string | undefined {
    if (value === undefined || value === "") return undefined;
    return requireString(key, value);
}

export function oneOf<T extends string>(key: string, value: Raw, allowed: readonly T[]): T {
    if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
        throw new ConfigError(key, value, `must be one of ${allowed.map(a => JSON.stringify(a)).join(", ")}`);
    }
    return value as T;
}

/** Booleans: JSON booleans, or the strings "true"/"false" that Pulumi config stores. */
export function boolean(key: string, value: Raw): boolean {
    if (value === true || value === "true") return true;
    if (value === false || value === "false") return false;
    throw new ConfigError(key, value, "must be true or false");
}

/** Whole numbers within [min, max]; accepts JSON numbers and numeric strings. */
export function integer(key: string, value: Raw, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const n = typeof value === "number" ? value : typeof value === "string" && /^-?[0-9]+$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
        const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
        throw new ConfigError(key, value, `must be ${range}`);
    }
    return n;
}

/** A TCP port, 1 to 65535. */
export function port(key: string, value: Raw): number {
    return integer(key, value, 1, 65535);
}

/** A positive Kubernetes quantity such as "250m", "1", "512Mi" or "10Gi". */
export function quantity(key: string, value: Raw): string {
    const parsed = typeof value === "string" ? parseQuantity(value) : undefined;
    if (parsed === undefined || !(parsed > 0)) {
        throw new ConfigError(key, value, 'must be a positive Kubernetes quantity such as "250m", "1", "512Mi" or "10Gi"');
    }
    return value as string;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 label (namespaces, Service names): lower-case alphanumerics and '-', at most 63 characters. */
export function dns1123Label(key: string, value: Raw): string {
    if (typeof value !== "string" || value.length > 63 || !DNS1123_LABEL.test(value)) {
        throw new ConfigError(
            key,
            value,
            "must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
        );
    }
    return value;
}

/** A DNS-1123 subdomain (hosts, object names): dot-separated labels, at most 253 characters. */
export function dns1123Subdomain(key: string, value: Raw): string {
    const text = typeof value === "string" ? value : "";
    if (typeof value !== "string" || text.length > 253 || text === "" || !text.split(".").every(l => l.length <= 63 && DNS1123_LABEL.test(l))) {
        throw new ConfigError(key, value, 'must be a DNS-1123 subdomain such as "app.example.com"');
    }
    return text;
}

/** An HTTP path for probes: starts with "/", no spaces. */
export function httpPath(key: string, value: Raw): string {
    if (typeof value !== "string" || !/^\/[^\s]*$/.test(value)) throw new ConfigError(key, value, 'must be an HTTP path starting with "/", such as "/health"');
    return value;
}

// A registry prefix is recognised as docker does: it has a dot or a port, or is "localhost".
const IMAGE =
    /^(?:(?:localhost|[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+)(?::[0-9]+)?\/|[a-zA-Z0-9-]+:[0-9]+\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::([\w][\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;

/**
 * A container image reference pinned by tag or digest: `repo:tag`, `repo@sha256:…` or both.
 * Untagged references and `:latest` are refused: they make deployments unreproducible.
 */
export function imageRef(key: string, value: Raw): string {
    const m = typeof value === "string" ? IMAGE.exec(value) : null;
    const tag = m?.[1];
    const digest = m?.[2];
    if (!m || (!tag && !digest) || (tag === "latest" && !digest)) {
        throw new ConfigError(
            key,
            value,
            'must be an image reference pinned by a tag other than "latest" or by digest, such as "ghcr.io/acme/app:1.4.2" or "ghcr.io/acme/app@sha256:<64 hex>"',
        );
    }
    return value as string;
}

/** Parses a JSON object value (Pulumi stores structured config as JSON text). */
export function object(key: string, value: Raw): Record<string, Raw> {
    let parsed = value;
    if (typeof value === "string") {
        try {
            parsed = JSON.parse(value);
        } catch {
            throw new ConfigError(key, value, "must be an object (set it in the stack file as a YAML map, or with `pulumi config set --path`)");
        }
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new ConfigError(key, value, "must be an object (set it in the stack file as a YAML map, or with `pulumi config set --path`)");
    }
    return parsed as Record<string, Raw>;
}

/** Refuses keys of a config object that are not in `allowed`, suggesting the closest allowed key for typos. */
export function noUnknownKeys(key: string, value: Record<string, Raw>, allowed: readonly string[]): void {
    for (const k of Object.keys(value)) {
        if (allowed.includes(k)) continue;
        const hint = closest(k, allowed);
        throw new ConfigError(
            `${key}.${k}`,
            value[k],
            `unknown key "${k}"${hint ? ` (did you mean "${hint}"?)` : ""}; allowed keys of ${key}: ${allowed.join(", ")}`,
        );
    }
}

/** Throws when a lower bound exceeds its upper bound. */
export function ordered(lowKey: string, low: number, highKey: string, high: number): void {
    if (low > high) throw new ConfigError(highKey, high, `must be at least ${lowKey} (${low})`);
}

/** Throws when a quantity exceeds another (for example a request above its limit). */
export function quantityAtMost(key: string, value: string, limitKey: string, limit: string): void {
    if (parseQuantity(value)! > parseQuantity(limit)!) throw new ConfigError(key, value, `must not exceed ${limitKey} (${limit})`);
}

/** The allowed word nearest to `word` by edit distance, when it is close enough to be a typo. */
export function closest(word: string, allowed: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const candidate of allowed) {
        const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
        if (d < bestDistance) [best, bestDistance] = [candidate, d];
    }
    return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
    let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        const cur = [i];
        for (let j = 1; j <= b.length; j++) {
            cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        prev = cur;
    }
    return prev[b.length];
}

/** An IPv4 CIDR block such as "203.0.113.0/24". */
export function cidr(key: string, value: Raw): string {
    const m = typeof value === "string" ? /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value) : null;
    if (!m || m.slice(1, 5).some(o => Number(o) > 255) || Number(m[5]) > 32) {
        throw new ConfigError(key, value, 'must be an IPv4 CIDR block such as "203.0.113.0/24"');
    }
    return value as string;
}

/** A list of values, each checked by `item` (its key gets the index: `key[0]`). */
export function list<T>(key: string, value: Raw, item: (key: string, value: Raw) => T): T[] {
    if (!Array.isArray(value)) throw new ConfigError(key, value, "must be a list");
    return value.map((v, i) => item(`${key}[${i}]`, v));
}

/** A time of day "HH:MM" (24-hour, UTC). */
export function timeOfDay(key: string, value: Raw): string {
    if (typeof value !== "string" || !/^([01][0-9]|2[0-3]):[0-5][0-9]$/.test(value))
        throw new ConfigError(key, value, 'must be a 24-hour UTC time "HH:MM", such as "03:00"');
    return value;
}

/** A Kubernetes minor version such as "1.33"; `pulumi config set --path … 1.34` may store a number, read back as "1.34". */
export function kubernetesMinor(key: string, value: Raw): string {
    const text = typeof value === "number" ? value.toFixed(2) : value;
    if (typeof text !== "string" || !/^1\.[0-9]{2}$/.test(text)) throw new ConfigError(key, value, 'must be a Kubernetes minor version such as "1.33"');
    return text;
}

/** An OCI platform such as "linux/amd64". */
export function ociPlatform(key: string, value: Raw): string {
    if (typeof value !== "string" || !/^[a-z0-9]+\/[a-z0-9_]+(\/v[0-9]+)?$/.test(value))
        throw new ConfigError(key, value, 'must be an OCI platform such as "linux/amd64" or "linux/arm64"');
    return value;
}

/** A Docker tag other than "latest" (a rolling tag that is pushed; deployments use the digest). */
export function dockerTag(key: string, value: Raw): string {
    if (typeof value !== "string" || !/^[\w][\w.-]{0,127}$/.test(value) || value === "latest")
        throw new ConfigError(key, value, 'must be a Docker tag other than "latest" (letters, digits, "_", "." and "-")');
    return value;
}

/** A lower-case Postgres identifier (a role or database name that needs no quoting). */
export function postgresIdentifier(key: string, value: Raw): string {
    if (typeof value !== "string" || !/^[a-z_][a-z0-9_]{0,62}$/.test(value)) {
        throw new ConfigError(
            key,
            value,
            "must be a lower-case Postgres identifier: a letter or '_' followed by letters, digits or '_', at most 63 characters",
        );
    }
    return value;
}

/** One of a fixed set of whole numbers, such as the retention periods a service accepts. */
export function oneOfNumbers(key: string, value: Raw, allowed: readonly number[], what: string): number {
    const n = integer(key, value, 1);
    if (!allowed.includes(n)) throw new ConfigError(key, value, `must be one of ${what}: ${allowed.join(", ")}`);
    return n;
}

/** An IAM role ARN. */
export function iamRoleArn(key: string, value: Raw): string {
    if (typeof value !== "string" || !/^arn:aws[a-z-]*:iam::[0-9]{12}:role\/[\w+=,.@/-]+$/.test(value))
        throw new ConfigError(key, value, 'must be an IAM role ARN such as "arn:aws:iam::123456789012:role/deployer"');
    return value;
}

/** `localhost:<port>`: a registry published on a loopback port (kind's local registry). */
export function localhostRegistry(key: string, value: Raw, why: string): string {
    const port = typeof value === "string" ? /^localhost:([0-9]{1,5})$/.exec(value)?.[1] : undefined;
    if (!(Number(port) >= 1 && Number(port) <= 65535)) throw new ConfigError(key, value, `must be "localhost:<port>" ${why}`);
    return value as string;
}

export { cronSchedule } from "./cron";
