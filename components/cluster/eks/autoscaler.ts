/**
 * Cluster Autoscaler for the managed node group, as terraform-aws-eks' users run it: it finds the
 * group's Auto Scaling group by the tags EKS puts on it and moves its desired size between the node
 * group's bounds (`minNodes`, `maxNodes`) as pods wait or nodes idle. AWS permissions come through EKS
 * Pod Identity, scoped to this cluster's groups. Chosen over Karpenter: one node group of one size needs
 * no SQS interruption queue, EventBridge rules, second node role or CRDs.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy } from "./iam";

/**
 * The Cluster Autoscaler release for each Kubernetes minor: it must match the cluster's
 * (kubernetes/k8s.io#9676 promoted v1.36.0, v1.35.1, v1.34.4 and v1.33.5, 2026-07).
 */
export const AUTOSCALER_RELEASES: Record<string, string> = { "1.33": "v1.33.5", "1.34": "v1.34.4", "1.35": "v1.35.1", "1.36": "v1.36.0" };

/** The autoscaler image for a cluster version; a version without a known release stops the run. */
export function autoscalerImage(kubernetesVersion: string): string {
    const release = AUTOSCALER_RELEASES[kubernetesVersion];
    if (!release) {
        throw new Error(
            `no Cluster Autoscaler release is known for Kubernetes ${kubernetesVersion} (known: ${Object.keys(AUTOSCALER_RELEASES).join(", ")}): add it to AUTOSCALER_RELEASES`,
        );
    }
    return `registry.k8s.io/autoscaling/cluster-autoscaler:${release}`;
}

/** The AWS permissions of the autoscaler's README ("full features"), with scaling limited to this cluster's groups. */
export function autoscalerPolicy(clusterName: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Action: [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "autoscaling:DescribeTags",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                    "eks:DescribeNodegroup",
                ],
                Resource: ["*"],
            },
            {
                Effect: "Allow",
                Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                Resource: ["*"],
                // EKS tags a managed node group's Auto Scaling group with the cluster it belongs to.
                Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: "owned" } },
            },
        ],
    });
}

export interface AutoscalerArgs {
    clusterName: string;
    cluster: aws.eks.Cluster;
    region: string;
    /** The cluster's Kubernetes provider (it waits for the nodes). */
    provider: k8s.Provider;
}

const NAME = "cluster-autoscaler";
const NAMESPACE = "kube-system";
const LABELS = { "app.kubernetes.io/name": NAME, "app.kubernetes.io/part-of": "kubeship", "app.kubernetes.io/managed-by": "pulumi" };

const read = (apiGroups: string[], resources: string[]) => ({ apiGroups, resources, verbs: ["get", "list", "watch"] });
/** The upstream example's cluster role, plus reads of what newer releases consult (volume attachments, DRA). */
const CLUSTER_RULES = [
    { apiGroups: [""], resources: ["events", "endpoints"], verbs: ["create", "patch"] },
    { apiGroups: [""], resources: ["pods/eviction"], verbs: ["create"] },
    { apiGroups: [""], resources: ["pods/status"], verbs: ["update"] },
    { apiGroups: [""], resources: ["endpoints"], resourceNames: [NAME], verbs: ["get", "update"] },
    { apiGroups: [""], resources: ["nodes"], verbs: ["watch", "list", "get", "update"] },
    read([""], ["namespaces", "pods", "services", "replicationcontrollers", "persistentvolumeclaims", "persistentvolumes"]),
    read(["apps"], ["statefulsets", "replicasets", "daemonsets"]),
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: ["watch", "list"] },
    read(["storage.k8s.io"], ["storageclasses", "csinodes", "csidrivers", "csistoragecapacities", "volumeattachments"]),
    read(["resource.k8s.io"], ["resourceclaims", "resourceslices", "deviceclasses"]),
    { apiGroups: ["batch"], resources: ["jobs"], verbs: ["get", "list", "watch", "patch"] },
    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: [NAME], verbs: ["get", "update"] },
];
const NAMESPACE_RULES = [
    { apiGroups: [""], resources: ["configmaps"], verbs: ["create", "list", "watch"] },
    {
        apiGroups: [""],
        resources: ["configmaps"],
        resourceNames: ["cluster-autoscaler-status", "cluster-autoscaler-priority-expander"],
        verbs: ["delete", "get", "update", "watch"],
    },
];

/** Installs the autoscaler; returns its Deployment. */
export function clusterAutoscaler(name: string, args: AutoscalerArgs, awsOpts: pulumi.CustomResourceOptions, parent: pulumi.Resource): k8s.apps.v1.Deployment {
    const role = new aws.iam.Role(`${name}-autoscaler-role`, { assumeRolePolicy: assumeRolePolicy("pods.eks.amazonaws.com") }, awsOpts);
    new aws.iam.RolePolicy(`${name}-autoscaler-policy`, { role: role.id, policy: autoscalerPolicy(args.clusterName) }, awsOpts);
    const identity = new aws.eks.PodIdentityAssociation(
        `${name}-autoscaler-identity`,
        { clusterName: args.cluster.name, namespace: NAMESPACE, serviceAccount: NAME, roleArn: role.arn },
        awsOpts,
    );

    const opts = { parent, provider: args.provider };
    const meta = { name: NAME, namespace: NAMESPACE, labels: LABELS };
    const account = new k8s.core.v1.ServiceAccount(`${name}-autoscaler`, { metadata: meta }, opts);
    const subjects = [{ kind: "ServiceAccount", name: NAME, namespace: NAMESPACE }];
    const clusterRole = new k8s.rbac.v1.ClusterRole(`${name}-autoscaler`, { metadata: { name: NAME, labels: LABELS }, rules: CLUSTER_RULES }, opts);
    const clusterBinding = new k8s.rbac.v1.ClusterRoleBinding(
        `${name}-autoscaler`,
        {
            metadata: { name: NAME, labels: LABELS },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole.metadata.name },
            subjects,
        },
        opts,
    );
    const nsRole = new k8s.rbac.v1.Role(`${name}-autoscaler`, { metadata: meta, rules: NAMESPACE_RULES }, opts);
    const nsBinding = new k8s.rbac.v1.RoleBinding(
        `${name}-autoscaler`,
        { metadata: meta, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: nsRole.metadata.name }, subjects },
        opts,
    );

    const selector = { "app.kubernetes.io/name": NAME };
    return new k8s.apps.v1.Deployment(
        `${name}-autoscaler`,
        {
            metadata: meta,
            spec: {
                replicas: 1,
                selector: { matchLabels: selector },
                template: {
                    metadata: { labels: LABELS },
                    spec: {
                        serviceAccountName: account.metadata.name,
                        priorityClassName: "system-cluster-critical",
                        securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
                        containers: [
                            {
                                name: NAME,
                                image: args.cluster.version.apply(autoscalerImage),
                                command: [
                                    "./cluster-autoscaler",
                                    "--cloud-provider=aws",
                                    `--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/${args.clusterName}`,
                                    "--balance-similar-node-groups",
                                    "--expander=least-waste",
                                    // The app's emptyDir /tmp must not pin its node.
                                    "--skip-nodes-with-local-storage=false",
                                ],
                                // Pods cannot reach the instance metadata (hop limit 1): the region is given.
                                env: [{ name: "AWS_REGION", value: args.region }],
                                resources: { requests: { cpu: "100m", memory: "600Mi" }, limits: { cpu: "1", memory: "600Mi" } },
                                securityContext: {
                                    allowPrivilegeEscalation: false,
                                    readOnlyRootFilesystem: true,
                                    capabilities: { drop: ["ALL"] },
                                    runAsNonRoot: true,
                                },
                                ports: [{ name: "http", containerPort: 8085, protocol: "TCP" }],
                                // Its health endpoint turns unhealthy when its loop stalls.
                                livenessProbe: { httpGet: { path: "/health-check", port: "http" }, periodSeconds: 30, failureThreshold: 3 },
                                readinessProbe: { httpGet: { path: "/health-check", port: "http" }, periodSeconds: 10 },
                                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                            },
                        ],
                        volumes: [{ name: "tmp", emptyDir: {} }],
                    },
                },
            },
        },
        // Its permissions and AWS identity exist before it starts.
        { ...opts, dependsOn: [identity, clusterBinding, nsBinding] },
    );
}
