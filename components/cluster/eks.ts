import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS } from "../config";
import { databaseStorageClass, kubernetesProvider, ManagedClusterArgs, nodePoolDefaults } from "./common";
import { ClusterContract, firstIngressAddress, RegistryInfo } from "./contract";
import { execKubeconfig } from "./kubeconfig";

/** EKS arguments; `nodeSize` defaults to "t3.large", and Graviton types (m7g, c7g, …) get ARM nodes. */
export interface EksClusterArgs extends ManagedClusterArgs {
    /** Kubernetes version, pinned. @default "1.33" */
    kubernetesVersion?: string;
    /** NAT gateways: one per AZ, or a single shared one. @default "perAz" */
    natGateways?: "perAz" | "single";
    /** Refuse to delete the cluster. @default false */
    deletionProtection?: boolean;
    /** Retention of the control-plane log group, days. @default 90 */
    logRetentionDays?: number;
    /** AWS CLI profile, for the provider and baked into the kubeconfig. @default the ambient credentials */
    awsProfile?: string;
    /**
     * Role the kubeconfig assumes; it gets the cluster-admin access entry.
     * @default the deploying identity (the IAM role behind an assumed-role session)
     */
    assumeRoleArn?: string;
    /** Keep database volumes when their claims are deleted. @default false */
    retainVolumes?: boolean;
    /**
     * The one tag ECR lets pushes overwrite: the image build's rolling cache tag. Every other tag is
     * immutable. @default "kubeship-build"
     */
    rollingTag?: string;
}

const VPC_CIDR = "10.0.0.0/16";
const AZ_COUNT = 3;
const publicCidr = (i: number) => `10.0.${i}.0/24`;
const privateCidr = (i: number) => `10.0.${16 * (i + 1)}.0/20`;

/** Graviton instance families (a "g" after the generation digit: m7g, c7gn, t4g, r8g) need ARM AMIs. */
export function eksAmiType(instanceType: string): string {
    return /^[a-z]+[0-9]+g[a-z-]*\./.test(instanceType) ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD";
}

function assumeRolePolicy(service: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
    });
}

/**
 * EKS with terraform-aws-eks' production defaults: own VPC across 3 AZs (private node subnets, public
 * subnets for load balancers, NAT), API authentication with an access entry for the deployer, KMS
 * envelope encryption of Secrets, control-plane logs with retention, managed add-ons (VPC CNI with
 * network policy, CoreDNS, kube-proxy, Pod Identity agent, EBS CSI with a Pod Identity role), an
 * encrypted gp3 StorageClass, a managed node group with IMDSv2 and encrypted gp3 root volumes, and ECR.
 */
export class EksCluster extends pulumi.ComponentResource implements ClusterContract {
    readonly cloud = "aws" as const;
    readonly name: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    readonly kubeconfig: pulumi.Output<string>;
    readonly registry: RegistryInfo;
    readonly storageClassName: pulumi.Output<string>;
    readonly serviceAnnotations: Record<string, string> = { "service.beta.kubernetes.io/aws-load-balancer-type": "nlb" };
    readonly cluster: aws.eks.Cluster;
    readonly nodeGroup: aws.eks.NodeGroup;
    readonly loadBalancerAddress: (service: k8s.core.v1.Service) => pulumi.Output<string> = firstIngressAddress;

    constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:cluster:Eks", name, {}, opts);
        const { nodeSize, minNodes, maxNodes, version } = nodePoolDefaults(args, "aws");
        const natGateways = args.natGateways ?? DEFAULTS.cluster.natGateways;
        const deletionProtection = args.deletionProtection ?? false;
        const logRetentionDays = args.logRetentionDays ?? DEFAULTS.cluster.logRetentionDays;
        const clusterName = args.clusterName;
        const rollingTag = args.rollingTag ?? "kubeship-build";

        const awsProvider = new aws.Provider(
            `${name}-aws`,
            {
                region: args.region as aws.Region,
                profile: args.awsProfile,
                defaultTags: { tags: { "kubeship:cluster": clusterName, "managed-by": "pulumi" } },
            },
            { parent: this },
        );
        const child = { parent: this, provider: awsProvider };
        const partition = aws.getPartitionOutput({}, child).partition;
        const managedPolicy = (path: string) => pulumi.interpolate`arn:${partition}:iam::aws:policy/${path}`;

        // Network: 3 AZs, public subnets for load balancers, private subnets for nodes, NAT per AZ or one.
        const azs = aws.getAvailabilityZonesOutput({ state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] }, child);
        const vpc = new aws.ec2.Vpc(
            `${name}-vpc`,
            { cidrBlock: VPC_CIDR, enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: clusterName } },
            child,
        );
        const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { Name: clusterName } }, child);
        const publicRoutes = new aws.ec2.RouteTable(
            `${name}-public`,
            {
                vpcId: vpc.id,
                routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
                tags: { Name: `${clusterName}-public` },
            },
            child,
        );
        const zones = Array.from({ length: AZ_COUNT }, (_, i) => i);
        const publicSubnets = zones.map(i => {
            const subnet = new aws.ec2.Subnet(
                `${name}-public-${i}`,
                {
                    vpcId: vpc.id,
                    cidrBlock: publicCidr(i),
                    availabilityZone: azs.names[i],
                    mapPublicIpOnLaunch: false,
                    tags: { Name: `${clusterName}-public-${i}`, "kubernetes.io/role/elb": "1" },
                },
                child,
            );
            new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: subnet.id, routeTableId: publicRoutes.id }, child);
            return subnet;
        });
        const nats = zones.slice(0, natGateways === "perAz" ? AZ_COUNT : 1).map(i => {
            const eip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: "vpc", tags: { Name: `${clusterName}-nat-${i}` } }, child);
            return new aws.ec2.NatGateway(
                `${name}-nat-${i}`,
                { allocationId: eip.id, subnetId: publicSubnets[i].id, tags: { Name: `${clusterName}-nat-${i}` } },
                { ...child, dependsOn: [igw] },
            );
        });
        const privateSubnets = zones.map(i => {
            const subnet = new aws.ec2.Subnet(
                `${name}-private-${i}`,
                {
                    vpcId: vpc.id,
                    cidrBlock: privateCidr(i),
                    availabilityZone: azs.names[i],
                    tags: { Name: `${clusterName}-private-${i}`, "kubernetes.io/role/internal-elb": "1" },
                },
                child,
            );
            const routes = new aws.ec2.RouteTable(
                `${name}-private-${i}`,
                {
                    vpcId: vpc.id,
                    routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nats[Math.min(i, nats.length - 1)].id }],
                    tags: { Name: `${clusterName}-private-${i}` },
                },
                child,
            );
            new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: subnet.id, routeTableId: routes.id }, child);
            return subnet;
        });

        // Control plane: its role (exactly AmazonEKSClusterPolicy), a rotating KMS key for Secrets, logs.
        const clusterRole = new aws.iam.Role(`${name}-cluster-role`, { assumeRolePolicy: assumeRolePolicy("eks.amazonaws.com") }, child);
        const clusterPolicy = new aws.iam.RolePolicyAttachment(
            `${name}-cluster-policy`,
            { role: clusterRole.name, policyArn: managedPolicy("AmazonEKSClusterPolicy") },
            child,
        );
        const key = new aws.kms.Key(
            `${name}-secrets-key`,
            {
                description: `Kubernetes Secrets of ${clusterName}`,
                enableKeyRotation: true,
                deletionWindowInDays: 30,
            },
            child,
        );
        const keyUse = new aws.iam.RolePolicy(
            `${name}-cluster-kms`,
            {
                role: clusterRole.id,
                policy: key.arn.apply(arn =>
                    JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [
                            { Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey", "kms:CreateGrant"], Resource: arn },
                        ],
                    }),
                ),
            },
            child,
        );
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { name: `/aws/eks/${clusterName}/cluster`, retentionInDays: logRetentionDays }, child);

        this.cluster = new aws.eks.Cluster(
            `${name}-cluster`,
            {
                name: clusterName,
                version,
                roleArn: clusterRole.arn,
                vpcConfig: {
                    subnetIds: privateSubnets.map(s => s.id),
                    endpointPrivateAccess: true,
                    endpointPublicAccess: true,
                    publicAccessCidrs: args.authorizedNetworks,
                },
                accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
                encryptionConfig: { provider: { keyArn: key.arn }, resources: ["secrets"] },
                enabledClusterLogTypes: ["api", "audit", "authenticator"],
                upgradePolicy: { supportType: "STANDARD" },
                bootstrapSelfManagedAddons: false,
                deletionProtection,
            },
            { ...child, dependsOn: [clusterPolicy, keyUse, logGroup] },
        );

        // The deploying identity (or the configured role) administers the cluster through an access entry.
        const caller = aws.getCallerIdentityOutput({}, child);
        const admin = args.assumeRoleArn ? pulumi.output(args.assumeRoleArn) : aws.iam.getSessionContextOutput({ arn: caller.arn }, child).issuerArn;
        const adminEntry = new aws.eks.AccessEntry(`${name}-admin`, { clusterName: this.cluster.name, principalArn: admin, type: "STANDARD" }, child);
        const adminPolicy = new aws.eks.AccessPolicyAssociation(
            `${name}-admin`,
            {
                clusterName: this.cluster.name,
                principalArn: adminEntry.principalArn,
                policyArn: pulumi.interpolate`arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`,
                accessScope: { type: "cluster" },
            },
            child,
        );

        // Add-ons the nodes need to join and network: before the node group.
        const addon = (addonName: string, extra: Partial<aws.eks.AddonArgs> = {}, dependsOn: pulumi.Resource[] = []) =>
            new aws.eks.Addon(
                `${name}-addon-${addonName}`,
                {
                    clusterName: this.cluster.name,
                    addonName,
                    resolveConflictsOnCreate: "OVERWRITE",
                    resolveConflictsOnUpdate: "OVERWRITE",
                    ...extra,
                },
                { ...child, dependsOn },
            );
        const beforeNodes = [
            addon("vpc-cni", { configurationValues: JSON.stringify({ enableNetworkPolicy: "true" }) }),
            addon("eks-pod-identity-agent"),
            addon("kube-proxy"),
        ];

        // Nodes: their role (exactly the three node policies), a launch template with IMDSv2 and encrypted gp3.
        const nodeRole = new aws.iam.Role(`${name}-node-role`, { assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com") }, child);
        const nodePolicies = ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy"].map(
            policy => new aws.iam.RolePolicyAttachment(`${name}-node-${policy}`, { role: nodeRole.name, policyArn: managedPolicy(policy) }, child),
        );
        const launchTemplate = new aws.ec2.LaunchTemplate(
            `${name}-nodes`,
            {
                name: `${clusterName}-nodes`,
                updateDefaultVersion: true,
                metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
                blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: 50, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } }],
                tagSpecifications: [{ resourceType: "instance", tags: { Name: `${clusterName}-node` } }],
            },
            child,
        );
        this.nodeGroup = new aws.eks.NodeGroup(
            `${name}-nodes`,
            {
                clusterName: this.cluster.name,
                nodeGroupName: "kubeship",
                nodeRoleArn: nodeRole.arn,
                subnetIds: privateSubnets.map(s => s.id),
                amiType: eksAmiType(nodeSize),
                capacityType: "ON_DEMAND",
                instanceTypes: [nodeSize],
                scalingConfig: { minSize: minNodes, maxSize: maxNodes, desiredSize: minNodes },
                updateConfig: { maxUnavailablePercentage: 33 },
                launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply(v => String(v)) },
            },
            { ...child, dependsOn: [...nodePolicies, ...beforeNodes], ignoreChanges: ["scalingConfig.desiredSize"] },
        );

        // Add-ons that run as pods: after the nodes. EBS CSI gets its AWS permissions through Pod Identity.
        const ebsRole = new aws.iam.Role(`${name}-ebs-csi-role`, { assumeRolePolicy: assumeRolePolicy("pods.eks.amazonaws.com") }, child);
        const ebsPolicy = new aws.iam.RolePolicyAttachment(
            `${name}-ebs-csi-policy`,
            { role: ebsRole.name, policyArn: managedPolicy("service-role/AmazonEBSCSIDriverPolicy") },
            child,
        );
        const afterNodes = [
            addon("coredns", {}, [this.nodeGroup]),
            addon("aws-ebs-csi-driver", { podIdentityAssociations: [{ roleArn: ebsRole.arn, serviceAccount: "ebs-csi-controller-sa" }] }, [
                this.nodeGroup,
                beforeNodes[1],
                ebsPolicy,
            ]),
        ];

        // Registry: ECR, scanned on push, immutable tags (except the build's rolling tag), old images expired.
        const repository = new aws.ecr.Repository(
            `${name}-registry`,
            {
                name: `${clusterName}/app`,
                imageScanningConfiguration: { scanOnPush: true },
                imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
                imageTagMutabilityExclusionFilters: [{ filter: rollingTag, filterType: "WILDCARD" }],
                encryptionConfigurations: [{ encryptionType: "AES256" }],
            },
            child,
        );
        new aws.ecr.LifecyclePolicy(
            `${name}-registry-lifecycle`,
            {
                repository: repository.name,
                policy: JSON.stringify({
                    rules: [
                        {
                            rulePriority: 1,
                            description: "expire untagged images after 7 days",
                            selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 },
                            action: { type: "expire" },
                        },
                        {
                            rulePriority: 2,
                            description: "keep the 30 newest images",
                            selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 30 },
                            action: { type: "expire" },
                        },
                    ],
                }),
            },
            child,
        );
        const token = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, child);
        this.registry = {
            server: repository.repositoryUrl.apply(url => url.split("/")[0]),
            repository: repository.repositoryUrl,
            username: token.userName,
            password: pulumi.secret(token.password),
        };

        this.name = this.cluster.name;
        const execArgs = [
            "--region",
            args.region,
            "eks",
            "get-token",
            "--cluster-name",
            clusterName,
            "--output",
            "json",
            ...(args.assumeRoleArn ? ["--role-arn", args.assumeRoleArn] : []),
        ];
        this.kubeconfig = pulumi.secret(
            pulumi.all([this.cluster.arn, this.cluster.endpoint, this.cluster.certificateAuthority]).apply(([arn, endpoint, ca]) =>
                execKubeconfig(arn, endpoint, ca.data ?? "", {
                    command: "aws",
                    args: execArgs,
                    env: args.awsProfile ? { AWS_PROFILE: args.awsProfile } : undefined,
                    installHint: "Install the AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html",
                }),
            ),
        );

        this.provider = kubernetesProvider(
            name,
            { kubeconfig: this.kubeconfig, clusterIdentifier: args.clusterIdentifier },
            { parent: this, dependsOn: [this.nodeGroup, adminPolicy, ...afterNodes] },
        );

        const storageClass = databaseStorageClass(
            name,
            {
                provider: this.provider,
                provisioner: "ebs.csi.aws.com",
                parameters: { type: "gp3", encrypted: "true", "csi.storage.k8s.io/fstype": "ext4" },
                isDefault: true, // new EKS clusters have no default StorageClass
                retain: args.retainVolumes ?? false,
            },
            this,
        );
        this.storageClassName = storageClass.metadata.name;

        this.registerOutputs({ name: this.name, kubeconfig: this.kubeconfig, storageClassName: this.storageClassName });
    }
}
