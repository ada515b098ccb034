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
    const from = s.get("from", undefined, (k, x) => v.archiveUrl(k, x, scheme));
    const time = s.get("time", undefined, v.pointInTime);
    for (const [name, value] of Object.entries({ from, time }))
        if (value === undefined && s.fields[name] === undefined)
            s.problems.found.push(
                new ConfigError(`${s.key}.${name}`, undefined, "is required for a restore (see docs/runbooks.md, Restore to a point in time)"),
            );
    return from === undefined || time === undefined ? undefined : { from, time };
}
