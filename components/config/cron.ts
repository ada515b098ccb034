/** CronJob schedules, validated the way the Kubernetes API reads them (five fields, UTC). */
import { ConfigError } from "./errors";

type Raw = unknown;

/** The range of each field of a five-field cron expression: minute, hour, day of month, month, day of week (0 or 7 is Sunday). */
const CRON_FIELDS = [
    ["minute", 0, 59],
    ["hour", 0, 23],
    ["day of month", 1, 31],
    ["month", 1, 12],
    ["day of week", 0, 7],
] as const;

/**
 * A CronJob schedule: five fields of numbers, ranges, lists and steps (`30 1 * * *`, `0 0-23/6 * * 1-5`), in UTC. Names (`MON`) and macros (`@daily`) are refused to keep one spelling;
 * `CRON_TZ=` is refused by Kubernetes itself.
 */
export function cronSchedule(key: string, value: Raw): string {
    const fail = (why: string) =>
        new ConfigError(key, value, `must be a five-field cron expression such as "30 1 * * *" (minute hour day-of-month month day-of-week, UTC): ${why}`);
    if (typeof value !== "string") throw fail("not a string");
    const fields = value.trim().split(/\s+/);
    if (fields.length !== 5) throw fail(`${fields.length} fields`);
    fields.forEach((field, i) => {
        const [name, min, max] = CRON_FIELDS[i];
        for (const part of field.split(",")) {
            const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
            if (!m) throw fail(`the ${name} field "${field}" is not numbers, ranges, lists and steps`);
            const numbers = [m[2], m[3]].filter(n => n !== undefined).map(Number);
            if (numbers.some(n => n < min || n > max)) throw fail(`the ${name} field "${field}" is outside ${min}-${max}`);
            if (numbers.length === 2 && numbers[0] > numbers[1]) throw fail(`the ${name} range "${part}" runs backwards`);
            if (m[4] !== undefined && Number(m[4]) < 1) throw fail(`the ${name} step "${part}" is zero`);
        }
    });
    return fields.join(" ");
}
