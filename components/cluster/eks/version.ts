/**
 * Which Kubernetes version an EKS cluster runs. A pin must be in standard support on the day of the run,
 * unless the stack opts into paid extended support: with `upgradePolicy: STANDARD`, EKS upgrades a
 * cluster whose version leaves standard support behind Pulumi's back, and the old pin then fails as a
 * downgrade. Without a pin, the newest version in standard support, taken when the cluster is created and
 * kept in state (the cluster ignores later changes of it); pin a version to upgrade.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../config";

/** What EKS says about one version (`aws.eks.getClusterVersions`). */
export interface OfferedVersion {
    clusterVersion: string;
    versionStatus: string;
}

const KEY = "kubeship:cluster.kubernetesVersion";

const minor = (version: string) => Number(version.split(".")[1]);

/** The version to run, from what EKS offers today; a pin EKS would not run on standard support is a ConfigError. */
export function chooseEksVersion(offered: readonly OfferedVersion[], pinned: string | undefined, extendedSupport: boolean): string {
    const standard = offered
        .filter(v => v.versionStatus === "STANDARD_SUPPORT")
        .map(v => v.clusterVersion)
        .sort((a, b) => minor(a) - minor(b));
    if (pinned === undefined) {
        const newest = standard[standard.length - 1];
        if (newest === undefined) throw new Error("EKS lists no Kubernetes version in standard support");
        return newest;
    }
    const status = offered.find(v => v.clusterVersion === pinned)?.versionStatus;
    if (status === "STANDARD_SUPPORT" || (status === "EXTENDED_SUPPORT" && extendedSupport)) return pinned;
    const where = status === undefined ? "not offered by EKS" : `in ${status.toLowerCase().replace("_", " ")}`;
    const optIn = status === "EXTENDED_SUPPORT" ? `, or set kubeship:cluster.extendedSupport to true to pay for extended support` : "";
    throw new ConfigError(KEY, pinned, `is ${where} today; pin one in standard support (${standard.join(", ")})${optIn}`);
}

/** The version for the cluster, checked against the versions EKS offers at the time of the run. */
export function eksVersion(args: { pinned?: string; extendedSupport: boolean }, opts: pulumi.InvokeOutputOptions): pulumi.Output<string> {
    return aws.eks
        .getClusterVersionsOutput({ includeAll: true }, opts)
        .clusterVersions.apply(offered => chooseEksVersion(offered, args.pinned, args.extendedSupport));
}
