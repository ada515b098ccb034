/**
 * `--cloud` for the render: shows a stack on another cloud than its file names. Keys only that cloud
 * needs (region, project, token) get clearly marked stand-ins when the stack has none that fit;
 * every substitution is reported.
 */
import { CLOUD_FACTS, CLOUDS, isManaged } from "../../components/config";
import { ConfigError } from "../../components/config/errors";
import type { StackConfig } from "./stack-config";

/** The stand-ins for what a cloud needs and the stack file lacks: its example region, and a marked credential. */
export const STAND_INS = {
    /** A documentation range (RFC 5737). */
    authorizedNetworks: ["203.0.113.0/24"],
    /** A marked value for a credential of no fixed format; one with a format gets its example (Azure's all-zero subscription id). */
    credential: (key: string) => `render-stand-in-${key.split(":")[1]}`,
};

export function overrideCloud(stack: StackConfig, cloud: string): { config: Record<string, string>; secretKeys: string[]; substituted: string[] } {
    if (!(CLOUDS as readonly string[]).includes(cloud)) {
        throw new ConfigError("kubeship:cloud", cloud, `must be one of ${CLOUDS.map(c => JSON.stringify(c)).join(", ")}`);
    }
    const config: Record<string, string> = { ...stack.config, "kubeship:cloud": cloud };
    const secretKeys = [...stack.secretKeys];
    const substituted: string[] = [];
    const standIn = (key: string, value: string) => {
        config[key] = value;
        substituted.push(`${key} = ${value}`);
    };
    const c = cloud as (typeof CLOUDS)[number];
    if (cloud === stack.config["kubeship:cloud"] || !isManaged(c)) return { config, secretKeys, substituted };

    const facts = CLOUD_FACTS[c];
    if (!facts.region.pattern.test(config["kubeship:region"] ?? "")) standIn("kubeship:region", facts.region.example);
    if (facts.credential && !config[facts.credential.key]) {
        standIn(facts.credential.key, facts.credential.format?.example ?? STAND_INS.credential(facts.credential.key));
        if (facts.credential.secret) secretKeys.push(facts.credential.key);
    }
    const cluster = JSON.parse(config["kubeship:cluster"] ?? "{}");
    if (!cluster.authorizedNetworks?.length) {
        cluster.authorizedNetworks = STAND_INS.authorizedNetworks;
        substituted.push(`kubeship:cluster.authorizedNetworks = ${JSON.stringify(STAND_INS.authorizedNetworks)}`);
    }
    for (const refused of Object.keys(facts.refusedClusterKeys ?? {}).filter(k => cluster[k] !== undefined)) {
        delete cluster[refused];
        substituted.push(`kubeship:cluster.${refused} = (not used on ${c})`);
    }
    if (cluster.nodeSize !== undefined) {
        delete cluster.nodeSize; // sizes are named per cloud: use the target cloud's default
        substituted.push(`kubeship:cluster.nodeSize = (the ${c} default)`);
    }
    config["kubeship:cluster"] = JSON.stringify(cluster);
    return { config, secretKeys, substituted };
}
