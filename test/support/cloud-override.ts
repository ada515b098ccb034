/**
 * `--cloud` for the render: shows a stack on another cloud than its file names. Keys only that cloud
 * needs (region, project, token) get clearly marked stand-ins when the stack has none that fit;
 * every substitution is reported.
 */
import { CLOUDS, isManaged, ManagedCloud, REGION_FORMATS } from "../../components/config/settings";
import { ConfigError } from "../../components/config/errors";
import type { StackConfig } from "./stack-config";

export const STAND_INS = {
    region: { gcp: "europe-west1", aws: "eu-west-1", digitalocean: "ams3" } as Record<ManagedCloud, string>,
    gcpProject: "render-stand-in-project",
    digitaloceanToken: "render-stand-in-token",
    authorizedNetworks: ["203.0.113.0/24"],
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

    if (!REGION_FORMATS[c].pattern.test(config["kubeship:region"] ?? "")) standIn("kubeship:region", STAND_INS.region[c]);
    if (c === "gcp" && !config["gcp:project"]) standIn("gcp:project", STAND_INS.gcpProject);
    if (c === "digitalocean" && !config["digitalocean:token"]) {
        standIn("digitalocean:token", STAND_INS.digitaloceanToken);
        secretKeys.push("digitalocean:token");
    }
    const cluster = JSON.parse(config["kubeship:cluster"] ?? "{}");
    if (!cluster.authorizedNetworks?.length) {
        cluster.authorizedNetworks = STAND_INS.authorizedNetworks;
        substituted.push(`kubeship:cluster.authorizedNetworks = ${JSON.stringify(STAND_INS.authorizedNetworks)}`);
    }
    if (cluster.nodeSize !== undefined) {
        delete cluster.nodeSize; // sizes are named per cloud: use the target cloud's default
        substituted.push(`kubeship:cluster.nodeSize = (the ${c} default)`);
    }
    config["kubeship:cluster"] = JSON.stringify(cluster);
    return { config, secretKeys, substituted };
}
