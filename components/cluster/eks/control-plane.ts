/**
 * The EKS control plane: its role (exactly AmazonEKSClusterPolicy), a rotating KMS key for Secrets,
 * control-plane logs with retention, the cluster (private and allow-listed public endpoint, API
 * authentication), and an access entry that makes the deploying identity (or a configured role) admin.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy, type Partition } from "./iam";
import { eksVersion } from "./version";

export interface ControlPlaneArgs {
    clusterName: string;
    /** Pinned minor version; undefined = the newest in standard support, kept in state. */
    kubernetesVersion?: string;
    /** Allow a pin in extended support (and let EKS move the cluster there) instead of refusing it. */
    extendedSupport: boolean;
    subnetIds: pulumi.Input<string>[];
    authorizedNetworks: string[];
    deletionProtection: boolean;
    logRetentionDays: number;
    /** Role that gets the cluster-admin access entry; undefined = the deploying identity's role. */
    assumeRoleArn?: string;
    partition: Partition;
}

export interface ControlPlane {
    cluster: aws.eks.Cluster;
    /** The admin's access policy: nothing can use the cluster before it exists. */
    adminPolicy: aws.eks.AccessPolicyAssociation;
}

/** A role policy that lets the control plane use the Secrets key. */
function keyUsePolicy(keyArn: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey", "kms:CreateGrant"], Resource: keyArn }],
    });
}

export function controlPlane(name: string, args: ControlPlaneArgs, opts: pulumi.CustomResourceOptions): ControlPlane {
    const { clusterName, partition } = args;
    const role = new aws.iam.Role(`${name}-cluster-role`, { assumeRolePolicy: assumeRolePolicy("eks.amazonaws.com") }, opts);
    const policy = new aws.iam.RolePolicyAttachment(
        `${name}-cluster-policy`,
        { role: role.name, policyArn: partition.managedPolicy("AmazonEKSClusterPolicy") },
        opts,
    );
    const key = new aws.kms.Key(
        `${name}-secrets-key`,
        { description: `Kubernetes Secrets of ${clusterName}`, enableKeyRotation: true, deletionWindowInDays: 30 },
        opts,
    );
    const keyUse = new aws.iam.RolePolicy(`${name}-cluster-kms`, { role: role.id, policy: key.arn.apply(keyUsePolicy) }, opts);
    const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { name: `/aws/eks/${clusterName}/cluster`, retentionInDays: args.logRetentionDays }, opts);

    const cluster = new aws.eks.Cluster(
        `${name}-cluster`,
        {
            name: clusterName,
            version: eksVersion({ pinned: args.kubernetesVersion, extendedSupport: args.extendedSupport }, opts),
            roleArn: role.arn,
            vpcConfig: { subnetIds: args.subnetIds, endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: args.authorizedNetworks },
            accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
            encryptionConfig: { provider: { keyArn: key.arn }, resources: ["secrets"] },
            enabledClusterLogTypes: ["api", "audit", "authenticator"],
            upgradePolicy: { supportType: args.extendedSupport ? "EXTENDED" : "STANDARD" },
            bootstrapSelfManagedAddons: false,
            deletionProtection: args.deletionProtection,
        },
        // Unpinned, the version chosen at creation stays: upgrades are a pin away, never a surprise.
        { ...opts, dependsOn: [policy, keyUse, logGroup], ignoreChanges: args.kubernetesVersion === undefined ? ["version"] : [] },
    );

    // The deploying identity (or the configured role) administers the cluster through an access entry.
    const caller = aws.getCallerIdentityOutput({}, opts);
    const admin = args.assumeRoleArn ? pulumi.output(args.assumeRoleArn) : aws.iam.getSessionContextOutput({ arn: caller.arn }, opts).issuerArn;
    const entry = new aws.eks.AccessEntry(`${name}-admin`, { clusterName: cluster.name, principalArn: admin, type: "STANDARD" }, opts);
    const adminPolicy = new aws.eks.AccessPolicyAssociation(
        `${name}-admin`,
        {
            clusterName: cluster.name,
            principalArn: entry.principalArn,
            policyArn: pulumi.interpolate`arn:${partition.name}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`,
            accessScope: { type: "cluster" },
        },
        opts,
    );
    return { cluster, adminPolicy };
}
