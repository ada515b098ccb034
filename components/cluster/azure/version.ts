/**
 * Which Kubernetes minor an AKS cluster runs, from `az aks get-versions` on the day of the run (azure-native
 * has no invoke for it). A pin must be in AKS' standard support (the `KubernetesOfficial` plan, not a
 * preview): a minor past it is kept only under long-term support, which needs the Premium tier, or runs
 * on AKS' platform support, with no fixes but the platform's. Without a pin, the newest minor in standard
 * support, taken when the cluster is created and kept in state; pin one to upgrade.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { chooseMinor, STANDARD_SUPPORT } from "../versions";

/** One entry of `az aks get-versions --output json`'s `values` (the ARM API's KubernetesVersion). */
export interface AksOfferedVersion {
    version: string;
    isPreview?: boolean | null;
    capabilities?: { supportPlan?: string[] | null } | null;
}

const LONG_TERM_ONLY = "long-term support only";

/** The minor to run; a pin AKS would not run on standard support is a ConfigError. */
export function chooseAksVersion(offered: readonly AksOfferedVersion[], pinned: string | undefined): string {
    const support = (v: AksOfferedVersion) =>
        v.isPreview ? "preview" : v.capabilities?.supportPlan?.includes("KubernetesOfficial") ? STANDARD_SUPPORT : LONG_TERM_ONLY;
    return chooseMinor({
        cloud: "AKS",
        offered: offered.map(v => ({ version: v.version, support: support(v) })),
        pinned,
        otherwise: s => (s === LONG_TERM_ONLY ? " (AKS' long-term support needs the Premium tier, which kubeship does not set up)" : ""),
    });
}

/** The minor for the cluster, checked against what AKS offers in the stack's subscription and region at the time of the run. */
export function aksVersion(
    args: { subscriptionId: string; region: string; pinned?: string },
    commands: command.Provider,
    opts: pulumi.InvokeOutputOptions,
): pulumi.Output<string> {
    const listed = command.local.runOutput(
        // The answer is long and not secret: only errors are logged.
        { command: `az aks get-versions --subscription ${args.subscriptionId} --location ${args.region} --output json`, logging: "stderr" },
        { ...opts, provider: commands },
    );
    return listed.stdout.apply(out => chooseAksVersion((JSON.parse(out) as { values: AksOfferedVersion[] }).values, args.pinned));
}
