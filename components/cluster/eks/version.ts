/**
 * Which Kubernetes version an EKS cluster runs. A pin must be in standard support on the day of the run,
 * unless the stack opts into paid extended support: with `upgradePolicy: STANDARD`, EKS upgrades a
 * cluster whose version leaves standard support behind Pulumi's back, and the old pin then fails as a
 * downgrade. Without a pin, the newest version in standard support, taken when the cluster is created and
 * kept in state (the cluster ignores later changes of it); pin a version to upgrade.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { chooseMinor } from "../versions";

/** What EKS says about one version (`aws.eks.getClusterVersions`). */
export interface OfferedVersion {
    clusterVersion: string;
    versionStatus: string;
}

/** The version to run, from what EKS offers today; a pin EKS would not run on standard support is a ConfigError. */
export function chooseEksVersion(offered: readonly OfferedVersion[], pinned: string | undefined, extendedSupport: boolean): string {
    return chooseMinor({
        cloud: "EKS",
        // STANDARD_SUPPORT, EXTENDED_SUPPORT, UNSUPPORTED: "standard support", "extended support", "unsupported".
        offered: offered.map(v => ({ version: v.clusterVersion, support: v.versionStatus.toLowerCase().replace("_", " ") })),
        pinned,
        allowed: support => support === "extended support" && extendedSupport,
        otherwise: support => (support === "extended support" ? ", or set kubeship:cluster.extendedSupport to true to pay for extended support" : ""),
    });
}

/** The version for the cluster, checked against the versions EKS offers at the time of the run. */
export function eksVersion(args: { pinned?: string; extendedSupport: boolean }, opts: pulumi.InvokeOutputOptions): pulumi.Output<string> {
    return aws.eks
        .getClusterVersionsOutput({ includeAll: true }, opts)
        .clusterVersions.apply(offered => chooseEksVersion(offered, args.pinned, args.extendedSupport));
}
