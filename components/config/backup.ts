/**
 * The parsers of `kubeship:postgres.backup` (continuous archiving and base backups) and
 * `kubeship:postgres.restore` (a point-in-time restore into the environment), for sections.ts.
 */
import { BACKUP_URL_SCHEMES, type Cloud } from "./clouds";
import { DEFAULTS } from "./defaults";
import { ConfigError } from "./errors";
import type { Section } from "./sections";
import * as t from "./types";
import * as v from "./validators";

type Raw = v.Raw;

export function parseBackup(s: Section, managed: boolean): t.BackupSettings | undefined {
    const d = DEFAULTS.postgres.backup;
    const enabled = s.get("enabled", managed && d.enabledOnManagedClouds, v.boolean);
    const settings: t.BackupSettings = {
        rpoSeconds: s.get("rpoSeconds", d.rpoSeconds, (k, x) => v.integer(k, x, 60, 3600)),
        schedule: s.get("schedule", d.schedule, v.cronSchedule),
        retentionDays: s.get("retentionDays", d.retentionDays, (k, x) => v.integer(k, x, 1, 3650)),
        image: s.get("image", undefined, v.imageRef),
    };
    return enabled ? settings : undefined;
}

export function parseRestore(s: Section, cloud: Cloud | undefined): t.RestoreSettings | undefined {
    const scheme = cloud && BACKUP_URL_SCHEMES[cloud];
    const from = s.get("from", undefined, (k, x) => archiveUrl(k, x, scheme));
    const time = s.get("time", undefined, pointInTime);
    for (const [name, value] of Object.entries({ from, time }))
        if (value === undefined && s.fields[name] === undefined)
            s.problems.found.push(
                new ConfigError(`${s.key}.${name}`, undefined, "is required for a restore (see docs/runbooks.md, Restore to a point in time)"),
            );
    return from === undefined || time === undefined ? undefined : { from, time };
}

/** The archive URLs pgbackup reads, by scheme: a bucket and a prefix; an account, a container and a prefix; a path. */
const ARCHIVE_URLS: Record<string, RegExp> = {
    gs: /^gs:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[A-Za-z0-9._~-]+)*$/,
    s3: /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[A-Za-z0-9._~-]+)*$/,
    // A storage account (3-24 lowercase letters and digits) and a container (3-63, single hyphens inside).
    azblob: /^azblob:\/\/[a-z0-9]{3,24}\/(?=[a-z0-9-]{3,63}(\/|$))[a-z0-9](-?[a-z0-9])+(\/[A-Za-z0-9._~-]+)*$/,
    file: /^file:\/\/(\/[A-Za-z0-9._~-]+)+$/,
};

/**
 * An archive's URL as pgbackup reads it and restore_command carries it (plain characters only):
 * gs://bucket/prefix, s3://bucket/prefix, azblob://account/container/prefix or file:///path, of
 * `scheme` when given.
 */
function archiveUrl(key: string, value: Raw, scheme?: string): string {
    const found = typeof value === "string" ? Object.keys(ARCHIVE_URLS).find(s => ARCHIVE_URLS[s].test(value)) : undefined;
    if (!found)
        throw new ConfigError(
            key,
            value,
            'must be an archive URL such as "gs://bucket/postgres", "s3://bucket/postgres", "azblob://account/postgres" or "file:///path" (the postgresBackupUrl output of a stack)',
        );
    if (scheme !== undefined && found !== scheme)
        throw new ConfigError(key, value, `must be a ${scheme}:// URL: this cloud's backups are there, and a restore reads an archive of its own cloud`);
    return value as string;
}

/** A point in time, RFC 3339 with its zone, such as "2026-12-02T08:00:00Z". */
function pointInTime(key: string, value: Raw): string {
    const m = typeof value === "string" ? /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/.exec(value) : null;
    // Date.parse takes 30 February; a real calendar day is one that survives a round trip.
    const ok = m !== null && !Number.isNaN(Date.parse(value as string)) && new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])).getUTCDate() === +m[3];
    if (!ok) throw new ConfigError(key, value, 'must be a point in time in RFC 3339 with its zone, such as "2026-12-02T08:00:00Z" (microseconds at most)');
    return value as string;
}

/** The app's role may not take a name kubeship's own roles use (the replication role of backups). */
export function notReservedRole(key: string, user: string): string {
    if (DEFAULTS.postgres.reservedRoles.includes(user))
        throw new ConfigError(key, user, `is a role kubeship keeps for itself (${DEFAULTS.postgres.reservedRoles.join(", ")}); choose another name`);
    return user;
}
