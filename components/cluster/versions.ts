/**
 * Which Kubernetes minor a managed cluster runs, from what its cloud offers on the day of the run. A pin
 * must be in the cloud's standard support (or a support the stack opted into); without a pin, the newest
 * minor in standard support, which the layer takes when the cluster is created and keeps in state. The
 * clouds' layers map their own listings (EKS' statuses, AKS' support plans) to these words.
 */
import { ConfigError } from "../config";

export const STANDARD_SUPPORT = "standard support";

/** One minor a cloud offers, and its support in that cloud's words ("standard support", "extended support", "preview"…). */
export interface OfferedMinor {
    version: string;
    support: string;
}

export interface MinorChoice {
    /** The cloud's name in messages ("EKS"). */
    cloud: string;
    offered: readonly OfferedMinor[];
    pinned: string | undefined;
    /** Whether a pin in this support other than standard is taken. @default none is */
    allowed?: (support: string) => boolean;
    /** What to add to the refusal of a pin in this support (an opt-in). @default nothing */
    otherwise?: (support: string) => string;
}

const KEY = "kubeship:cluster.kubernetesVersion";

const minor = (version: string) => Number(version.split(".")[1]);

/** The minor to run; a pin the cloud would not run on the support it allows is a ConfigError naming the ones it would. */
export function chooseMinor({ cloud, offered, pinned, allowed = () => false, otherwise = () => "" }: MinorChoice): string {
    const standard = offered
        .filter(v => v.support === STANDARD_SUPPORT)
        .map(v => v.version)
        .sort((a, b) => minor(a) - minor(b));
    if (pinned === undefined) {
        const newest = standard[standard.length - 1];
        if (newest === undefined) throw new Error(`${cloud} lists no Kubernetes version in standard support`);
        return newest;
    }
    const support = offered.find(v => v.version === pinned)?.support;
    if (support === STANDARD_SUPPORT || (support !== undefined && allowed(support))) return pinned;
    const where = support === undefined ? `not offered by ${cloud}` : `in ${support}`;
    throw new ConfigError(KEY, pinned, `is ${where} today; pin one in standard support (${standard.join(", ")})${support ? otherwise(support) : ""}`);
}
