/**
 * EKS nodes and add-ons: the add-ons nodes need to join and network (VPC CNI with network policy, Pod
 * Identity agent, kube-proxy) before a managed node group (its role with exactly the three node
 * policies, a launch template with IMDSv2 and encrypted gp3), then the add-ons that run as pods
 * (CoreDNS, EBS CSI with its permissions through Pod Identity).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy, type Partition } from "./iam";

export interface NodesArgs {
    clusterName: string;
    cluster: aws.eks.Cluster;
    subnetIds: pulumi.Input<string>[];
    nodeSize: string;
    minNodes: number;
    maxNodes: number;
    partition: Partition;
}

export interface Nodes {
    nodeGroup: aws.eks.NodeGroup;
    /** The add-ons that need running nodes: the cluster is usable once they are. */
    afterNodes: aws.eks.Addon[];
}

/** Graviton instance families (a "g" after the generation digit: m7g, c7gn, t4g, r8g) need ARM AMIs. */
export function eksAmiType(instanceType: string): string {
    return /^[a-z]+[0-9]+g[a-z-]*\./.test(instanceType) ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD";
}

export function nodes(name: string, args: NodesArgs, opts: pulumi.CustomResourceOptions): Nodes {
    const { clusterName, partition } = args;
    const addon = (addonName: string, extra: Partial<aws.eks.AddonArgs> = {}, dependsOn: pulumi.Resource[] = []) =>
        new aws.eks.Addon(
            `${name}-addon-${addonName}`,
            { clusterName: args.cluster.name, addonName, resolveConflictsOnCreate: "OVERWRITE", resolveConflictsOnUpdate: "OVERWRITE", ...extra },
            { ...opts, dependsOn },
        );
    const beforeNodes = [
        addon("vpc-cni", { configurationValues: JSON.stringify({ enableNetworkPolicy: "true" }) }),
        addon("eks-pod-identity-agent"),
        addon("kube-proxy"),
    ];

    const role = new aws.iam.Role(`${name}-node-role`, { assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com") }, opts);
    const policies = ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy"].map(
        policy => new aws.iam.RolePolicyAttachment(`${name}-node-${policy}`, { role: role.name, policyArn: partition.managedPolicy(policy) }, opts),
    );
    const template = new aws.ec2.LaunchTemplate(
        `${name}-nodes`,
        {
            name: `${clusterName}-nodes`,
            updateDefaultVersion: true,
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
            blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: 50, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } }],
            tagSpecifications: [{ resourceType: "instance", tags: { Name: `${clusterName}-node` } }],
        },
        opts,
    );
    const nodeGroup = new aws.eks.NodeGroup(
        `${name}-nodes`,
        {
            clusterName: args.cluster.name,
            nodeGroupName: "kubeship",
            nodeRoleArn: role.arn,
            subnetIds: args.subnetIds,
            amiType: eksAmiType(args.nodeSize),
            capacityType: "ON_DEMAND",
            instanceTypes: [args.nodeSize],
            scalingConfig: { minSize: args.minNodes, maxSize: args.maxNodes, desiredSize: args.minNodes },
            updateConfig: { maxUnavailablePercentage: 33 },
            launchTemplate: { id: template.id, version: template.latestVersion.apply(v => String(v)) },
        },
        { ...opts, dependsOn: [...policies, ...beforeNodes], ignoreChanges: ["scalingConfig.desiredSize"] },
    );

    const ebsRole = new aws.iam.Role(`${name}-ebs-csi-role`, { assumeRolePolicy: assumeRolePolicy("pods.eks.amazonaws.com") }, opts);
    const ebsPolicy = new aws.iam.RolePolicyAttachment(
        `${name}-ebs-csi-policy`,
        { role: ebsRole.name, policyArn: partition.managedPolicy("service-role/AmazonEBSCSIDriverPolicy") },
        opts,
    );
    const afterNodes = [
        addon("coredns", {}, [nodeGroup]),
        addon("aws-ebs-csi-driver", { podIdentityAssociations: [{ roleArn: ebsRole.arn, serviceAccount: "ebs-csi-controller-sa" }] }, [
            nodeGroup,
            beforeNodes[1],
            ebsPolicy,
        ]),
    ];
    return { nodeGroup, afterNodes };
}
