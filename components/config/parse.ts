/**
 * `parseSettings`: raw config in, resolved and frozen settings out, or every problem at once. Pure: the
 * runtime reader is `load.ts`.
 */
import * as pulumi from "@pulumi/pulumi";
import { CLOUD_FACTS, CLOUDS, isManaged, nodePlatform, type CloudFacts } from "./clouds";
import { article, ConfigError, Problems } from "./errors";
import { PLAIN_SETTINGS, PROJECT, SECTION_KEYS } from "./schema";
import { parseApp, parseCluster, parsePostgres, parseRedis } from "./sections";
import type { CloudSettings, RawConfig, Settings } from "./types";
import * as v from "./validators";

const key = (k: string) => `${PROJECT}:${k}`;

/**
 * Builds validated, frozen settings from raw config. Throws a ConfigError, or ConfigErrors listing every problem.
 * @param hostArch the architecture of the machine that runs `pulumi up` (Node's `process.arch`): kind and
 *   local nodes run on it, so the app image is built for it there.
 */
export function parseSettings(raw: RawConfig, stack: string, hostArch = "x64"): Settings {
    const problems = new Problems();
    const knownTop = [...Object.keys(PLAIN_SETTINGS), ...Object.keys(SECTION_KEYS)];
    for (const full of Object.keys(raw).filter(k => k.startsWith(`${PROJECT}:`))) {
        const k = full.slice(PROJECT.length + 1);
        if (knownTop.includes(k)) continue;
        const hint = v.closest(k, knownTop);
        // The value is not shown: a mistyped key may hold a secret.
        problems.found.push(
            new ConfigError(
                full,
                raw[full],
                `unknown setting${hint ? ` (did you mean "${key(hint)}"?)` : ""}; kubeship settings: ${knownTop.join(", ")}`,
                true,
            ),
        );
    }

    const cloud = problems.check(() => v.oneOf(key("cloud"), raw[key("cloud")], CLOUDS), undefined);
    const protectData = raw[key("protectData")] === undefined ? false : problems.check(() => v.boolean(key("protectData"), raw[key("protectData")]), false);
    const cluster = parseCluster(key("cluster"), raw[key("cluster")], cloud, stack, protectData, problems);
    const common = {
        project: PROJECT,
        stack,
        namespace: problems.check(() => namespace(key("namespace"), v.optionalString(key("namespace"), raw[key("namespace")]), stack), stack),
        protectData,
        cluster,
        app: parseApp(key("app"), raw[key("app")], problems, nodePlatform(cloud, cluster.nodeSize, hostArch)),
        postgres: parsePostgres(key("postgres"), raw[key("postgres")], problems, cloud),
        redis: parseRedis(key("redis"), raw[key("redis")], problems),
    };
    const own = cloud === undefined ? undefined : cloudSettings(cloud, raw, problems);
    problems.throwIfAny();
    return deepFreeze({ ...common, ...own! });
}

/** The settings only `cloud` has: its region and credential, or the kubeconfig context of `local`. */
function cloudSettings(cloud: (typeof CLOUDS)[number], raw: RawConfig, problems: Problems): CloudSettings {
    if (!isManaged(cloud)) return cloud === "local" ? { cloud, kubeContext: v.optionalString(key("kubeContext"), raw[key("kubeContext")]) } : { cloud };
    const facts = CLOUD_FACTS[cloud];
    const region = problems.check(() => {
        const value = v.optionalString(key("region"), raw[key("region")]);
        if (!value) throw new ConfigError(key("region"), value, `is required when kubeship:cloud is "${cloud}"`);
        if (!facts.region.pattern.test(value))
            throw new ConfigError(key("region"), value, `is not ${article(cloud)} ${cloud} region; expected a name such as "${facts.region.example}"`);
        return value;
    }, "");
    const credential = facts.credential && problems.check(() => credentialOf(cloud, facts.credential!, raw), undefined);
    const tenant = facts.tenant && problems.check(() => tenantOf(facts.tenant!, raw), undefined);
    if (!facts.credential) return { cloud, region } as CloudSettings;
    return { cloud, region, ...(tenant && { tenant }), credential: facts.credential.secret ? pulumi.secret(credential!) : credential } as CloudSettings;
}

/** The cloud's provider setting, required and in its format. A secret is named, never shown. */
function credentialOf(cloud: string, facts: NonNullable<CloudFacts["credential"]>, raw: RawConfig): string {
    const { key: name, secret, howToSet, format } = facts;
    const value = v.optionalString(name, raw[name]);
    if (!value) throw new ConfigError(name, secret ? undefined : value, `is required when kubeship:cloud is "${cloud}" (${howToSet})`);
    if (format && !format.pattern.test(value))
        throw new ConfigError(name, secret ? undefined : value, `is not ${format.what}; expected a value such as "${format.example}"`);
    return value;
}

/** The cloud's optional tenant setting, in its format. */
function tenantOf({ key: name, format }: NonNullable<CloudFacts["tenant"]>, raw: RawConfig): string | undefined {
    const value = v.optionalString(name, raw[name]);
    if (value !== undefined && !format.pattern.test(value))
        throw new ConfigError(name, value, `is not ${format.what}; expected a value such as "${format.example}"`);
    return value;
}

/** The namespace: the setting, else the stack name, which need not be a valid one (`Dev_EU` is a fine stack name). */
function namespace(k: string, value: string | undefined, stack: string): string {
    if (value !== undefined) return v.dns1123Label(k, value);
    try {
        return v.dns1123Label(k, stack);
    } catch (e) {
        throw new ConfigError(
            k,
            undefined,
            `is not set, so it defaults to the stack name "${stack}", which is not a valid namespace (${(e as ConfigError).allowed}); set one with: pulumi config set ${k} <name>`,
        );
    }
}

function deepFreeze<T>(value: T): T {
    if (value && typeof value === "object" && !pulumi.Output.isInstance(value)) {
        for (const child of Object.values(value)) deepFreeze(child);
        Object.freeze(value);
    }
    return value;
}
