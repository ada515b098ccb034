/**
 * EKS nodes and add-ons: the add-ons nodes need to join and network (VPC CNI enforcing network policy
 * in strict mode, Pod Identity agent, kube-proxy) before a managed node group (its role with exactly the
 * three node policies, a launch template with IMDSv2 and encrypted gp3, the cluster's version and the
 * AMI release AWS recommends for it), then the add-ons that run as pods (CoreDNS, EBS CSI with its
 * permissions through Pod Identity, metrics-server). Each add-on runs the version AWS marks default for
 * the cluster's Kubernetes version.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CLOUD_FACTS } from "../../config";
import { assumeRolePolicy, type Partition } from "./iam";

/**
 * The VPC CNI's settings: NetworkPolicies enforced, in strict mode, so a new pod starts with every
 * connection denied until the policies that select it are in place (standard mode allows all until then).
 */
export const VPC_CNI_CONFIG = { enableNetworkPolicy: "true", env: { NETWORK_POLICY_ENFORCING_MODE: "strict" } };

/** The SSM parameter holding the AMI release AWS recommends for a version and AMI type: tracking it keeps nodes patched. */
export function amiReleaseParameter(kubernetesVersion: string, amiType: string): string {
    const arch = amiType === "AL2023_ARM_64_STANDARD" ? "arm64" : "x86_64";
    return `/aws/service/eks/optimized-ami/${kubernetesVersion}/amazon-linux-2023/${arch}/standard/recommended/release_version`;
}

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
    /**
     * Installs the add-ons that run as pods (CoreDNS, EBS CSI, metrics-server), after the nodes and after
     * `ready`: in strict network-policy mode their pods need the policies that let them talk first.
     */
    podAddons(ready: pulumi.Resource[]): aws.eks.Addon[];
}

/** Graviton instance types (CLOUD_FACTS.aws.nodeSize.arm) need ARM AMIs. */
export function eksAmiType(instanceType: string): string {
    return isArm(instanceType) ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD";
}

function isArm(instanceType: string): boolean {
    return CLOUD_FACTS.aws.nodeSize.arm?.test(instanceType) ?? false;
}

export function nodes(name: string, args: NodesArgs, opts: pulumi.CustomResourceOptions): Nodes {
    const { clusterName, partition } = args;
    const kubernetesVersion = args.cluster.version;
    const addon = (addonName: string, extra: Partial<aws.eks.AddonArgs> = {}, dependsOn: pulumi.Resource[] = []) =>
        new aws.eks.Addon(
            `${name}-addon-${addonName}`,
            {
                clusterName: args.cluster.name,
                addonName,
                addonVersion: aws.eks.getAddonVersionOutput({ addonName, kubernetesVersion }, opts).version,
                resolveConflictsOnCreate: "OVERWRITE",
                resolveConflictsOnUpdate: "OVERWRITE",
                ...extra,
            },
            { ...opts, dependsOn },
        );
    const beforeNodes = [addon("vpc-cni", { configurationValues: JSON.stringify(VPC_CNI_CONFIG) }), addon("eks-pod-identity-agent"), addon("kube-proxy")];

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
    const amiType = eksAmiType(args.nodeSize);
    const release = aws.ssm.getParameterOutput({ name: kubernetesVersion.apply(v => amiReleaseParameter(v, amiType)) }, opts);
    // No fixed name: a replacement group (a new nodeSize) is created before the old one is deleted.
    const nodeGroup = new aws.eks.NodeGroup(
        `${name}-nodes`,
        {
            clusterName: args.cluster.name,
            version: kubernetesVersion,
            releaseVersion: release.insecureValue,
            nodeRoleArn: role.arn,
            subnetIds: args.subnetIds,
            amiType,
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
    const podAddons = (ready: pulumi.Resource[]) => [
        addon("coredns", {}, [nodeGroup, ...ready]),
        // The Metrics API the HorizontalPodAutoscaler reads (an EKS community add-on).
        addon("metrics-server", {}, [nodeGroup, ...ready]),
        addon("aws-ebs-csi-driver", { podIdentityAssociations: [{ roleArn: ebsRole.arn, serviceAccount: "ebs-csi-controller-sa" }] }, [
            nodeGroup,
            beforeNodes[1],
            ebsPolicy,
            ...ready,
        ]),
    ];
    return { nodeGroup, podAddons };
}
