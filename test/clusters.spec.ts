/**
 * The managed cluster layers under mocks: one cloud's resources at a time, production defaults,
 * kubeconfig shape, and workloads that do not change with the cloud.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as YAML from "yaml";
import { createCluster } from "../components/cluster";
import { CLOUDS as ALL_CLOUDS, MANAGED_CLOUDS, parseSettings, type ManagedCloud } from "../components/config";
import { eksAmiType } from "../components/cluster/eks";
import { chooseEksVersion } from "../components/cluster/eks/version";
import { autoscalerImage } from "../components/cluster/eks/autoscaler";
import { throwsConfig } from "./support/assert";
import { credentialWindow, parseDockerCredentials, registryRegion } from "../components/cluster/doks";
import { weeklyWindow } from "../components/cluster/common";
import { execKubeconfig } from "../components/cluster/kubeconfig";
import { runProgram, RunResult } from "../tools/render/harness";
import { manifests } from "../tools/render/manifests";
import { AFTER_DEPLOY, EKS_VERSIONS, fakeKubeconfig, FAKE_CREDENTIALS, installMocks, redact, unwrap, type Registered } from "../tools/render/mocks";
import { renderStackOnce, Rendered } from "../tools/render/render-stack";
import { all, dependencyClosure, isUnder, one, spec } from "./support/query";
import { overrideCloud } from "../tools/render/cloud-override";
import { readStackConfig } from "../tools/render/stack-config";

const CLOUDS = MANAGED_CLOUDS;

/** What each managed cloud's layer is made of: a row per cloud of config/clouds.ts (the compiler asks for a new cloud's row). */
const LAYERS: Record<
    ManagedCloud,
    {
        pkg: string;
        component: string;
        cluster: string;
        /** The workloads' node pool, which the Kubernetes provider waits for. */
        nodePool: string;
        registry: string;
        /** The layer's explicit providers of the cloud's package, by name. */
        providers: string[];
        kubeconfigCommand: string;
        storageClass: string;
    }
> = {
    gcp: {
        pkg: "gcp",
        component: "kubeship:cluster:Gke",
        cluster: "gcp:container/cluster:Cluster",
        nodePool: "gcp:container/nodePool:NodePool",
        registry: "gcp:artifactregistry/repository:Repository",
        providers: ["cluster-gcp"],
        kubeconfigCommand: "gke-gcloud-auth-plugin",
        storageClass: "kubeship",
    },
    aws: {
        pkg: "aws",
        component: "kubeship:cluster:Eks",
        cluster: "aws:eks/cluster:Cluster",
        nodePool: "aws:eks/nodeGroup:NodeGroup",
        registry: "aws:ecr/repository:Repository",
        providers: ["cluster-aws"],
        kubeconfigCommand: "aws",
        storageClass: "kubeship",
    },
    azure: {
        pkg: "azure-native",
        component: "kubeship:cluster:Aks",
        cluster: "azure-native:containerservice:ManagedCluster",
        nodePool: "azure-native:containerservice:AgentPool",
        registry: "azure-native:containerregistry:Registry",
        providers: ["cluster-azure"],
        kubeconfigCommand: "kubelogin",
        storageClass: "kubeship",
    },
    digitalocean: {
        pkg: "digitalocean",
        component: "kubeship:cluster:Doks",
        cluster: "digitalocean:index/kubernetesCluster:KubernetesCluster",
        nodePool: "digitalocean:index/kubernetesNodePool:KubernetesNodePool",
        registry: "digitalocean:index/containerRegistry:ContainerRegistry",
        // Spaces need a second provider, with the layer's own Spaces key.
        providers: ["cluster-do", "cluster-spaces"],
        kubeconfigCommand: "doctl",
        storageClass: "do-block-storage-retain",
    },
};

/** Runs the prod stack file on `cloud` (with the render's stand-ins for what that cloud needs), cluster settings merged in. */
async function prodOn(cloud: string, cluster: Record<string, unknown> = {}): Promise<RunResult> {
    const { config, secretKeys } = overrideCloud(readStackConfig("prod"), cloud);
    const merged = { ...JSON.parse(config["kubeship:cluster"]), ...cluster };
    return runProgram({ stack: "prod", config: { ...config, "kubeship:cluster": JSON.stringify(merged) }, secretKeys });
}

function kubeconfigOf(r: RunResult): any {
    assert.equal(r.outputs.kubeconfig.secret, true, "kubeconfig output is secret");
    return YAML.parse(r.outputs.kubeconfig.value as string);
}

for (const cloud of CLOUDS) {
    describe(`cluster layer: ${cloud}`, () => {
        let r: Rendered;
        before(async () => {
            r = await renderStackOnce("prod", cloud);
        });

        it("creates exactly one cluster of this cloud and nothing of the others", () => {
            assert.equal(all(r.run, LAYERS[cloud].cluster).length, 1);
            for (const other of CLOUDS.filter(c => c !== cloud)) {
                const pkg = LAYERS[other].pkg;
                const leaked = r.run.registered.filter(x => x.type.startsWith(`${pkg}:`) || x.type === `pulumi:providers:${pkg}`);
                assert.deepEqual(
                    leaked.map(x => x.type),
                    [],
                    `${other} resources on a ${cloud} stack`,
                );
            }
            const providers = LAYERS[cloud].providers;
            assert.deepEqual(
                all(r.run, `pulumi:providers:${LAYERS[cloud].pkg}`)
                    .map(x => x.name)
                    .sort(),
                providers,
                "the cloud's explicit providers",
            );
        });

        it("renders valid, restricted manifests with no unmocked invoke", () => {
            assert.deepEqual(r.problems, []);
        });

        it("puts every workload on this cluster's Kubernetes provider, which waits for nodes", () => {
            const provider = one(r.run, "pulumi:providers:kubernetes");
            assert.equal(provider.parent, one(r.run, LAYERS[cloud].component).urn);
            for (const res of r.run.registered.filter(x => x.type.startsWith("kubernetes:")))
                assert.equal(res.provider, `${provider.urn}::${provider.name}-id`, res.name);
            assert.equal(spec(provider).clusterIdentifier, `${cloud}-prod`);
            const nodes = one(r.run, LAYERS[cloud].nodePool);
            assert.ok(dependencyClosure(r.run, provider.urn).has(nodes.urn), "the provider depends on the node pool");
            // A cluster created anew is empty: the provider, and every object on it, is replaced with it.
            assert.deepEqual(provider.replaceWith, [one(r.run, LAYERS[cloud].cluster).urn]);
        });

        it("hands out a well-formed exec kubeconfig, as a secret", () => {
            const kc = kubeconfigOf(r.run);
            const user = kc.users[0].user;
            assert.equal(user.exec.apiVersion, "client.authentication.k8s.io/v1beta1");
            assert.equal(user.token, undefined, "no static token");
            assert.equal(kc.clusters[0].cluster["certificate-authority-data"], AFTER_DEPLOY.caData);
            assert.equal(kc.clusters[0].cluster.server, `https://${AFTER_DEPLOY.endpoint}`);
            assert.equal(kc["current-context"], kc.contexts[0].name);
            assert.equal(user.exec.command, LAYERS[cloud].kubeconfigCommand);
            const provider = one(r.run, "pulumi:providers:kubernetes");
            assert.ok(!JSON.stringify(redact(provider.inputs)).includes(AFTER_DEPLOY.caData), "the provider's kubeconfig input is secret");
        });

        it("builds the registry without waiting for the cluster, and keeps push credentials secret", () => {
            const registry = one(r.run, LAYERS[cloud].registry);
            const cluster = one(r.run, LAYERS[cloud].cluster);
            assert.ok(!dependencyClosure(r.run, registry.urn).has(cluster.urn), "the registry must not wait for the cluster");
            const visible = r.run.registered.map(x => JSON.stringify(redact(x.inputs))).join("\n") + Object.values(r.files).join("\n");
            for (const secret of Object.values(FAKE_CREDENTIALS)) assert.ok(!visible.includes(secret), `${secret} visible`);
        });

        it("gives Postgres the cluster layer's storage class", () => {
            const sts = spec(one(r.run, "kubernetes:apps/v1:StatefulSet", "postgres"));
            assert.equal(sts.spec.volumeClaimTemplates[0].spec.storageClassName, LAYERS[cloud].storageClass);
        });
    });
}

describe("GKE production defaults", () => {
    let r: RunResult;
    before(async () => {
        r = await prodOn("gcp", { minNodes: 3, maxNodes: 9, releaseChannel: "STABLE", authorizedNetworks: ["198.51.100.0/24"] });
    });

    it("is a regional, VPC-native, private-node cluster on a release channel, reachable only from authorized networks", () => {
        const c = spec(one(r, "gcp:container/cluster:Cluster"));
        assert.equal(c.location, "europe-west1");
        assert.equal(c.networkingMode, "VPC_NATIVE");
        assert.deepEqual(c.ipAllocationPolicy, { clusterSecondaryRangeName: "pods", servicesSecondaryRangeName: "services" });
        assert.equal(c.privateClusterConfig.enablePrivateNodes, true);
        assert.equal(c.privateClusterConfig.enablePrivateEndpoint, false);
        assert.deepEqual(
            c.masterAuthorizedNetworksConfig.cidrBlocks.map((b: any) => b.cidrBlock),
            ["198.51.100.0/24"],
        );
        assert.deepEqual(c.releaseChannel, { channel: "STABLE" });
        assert.equal(c.minMasterVersion, undefined, "no version pin on a channel");
        assert.equal(c.masterAuth.clientCertificateConfig.issueClientCertificate, false);
    });

    it("has its own network: subnet with secondary ranges and Private Google Access, Cloud Router and NAT", () => {
        const subnet = spec(one(r, "gcp:compute/subnetwork:Subnetwork"));
        assert.deepEqual(
            subnet.secondaryIpRanges.map((x: any) => x.rangeName),
            ["pods", "services"],
        );
        assert.equal(subnet.privateIpGoogleAccess, true);
        assert.equal(spec(one(r, "gcp:compute/network:Network")).autoCreateSubnetworks, false);
        assert.equal(spec(one(r, "gcp:compute/routerNat:RouterNat")).sourceSubnetworkIpRangesToNat, "ALL_SUBNETWORKS_ALL_IP_RANGES");
        assert.equal(all(r, "gcp:compute/router:Router").length, 1);
    });

    it("enables Workload Identity, Shielded Nodes, Dataplane V2 and KMS encryption of Secrets in the same region; Binary Authorization off", () => {
        const c = spec(one(r, "gcp:container/cluster:Cluster"));
        assert.deepEqual(c.workloadIdentityConfig, { workloadPool: "render-stand-in-project.svc.id.goog" });
        assert.equal(c.enableShieldedNodes, true);
        assert.equal(c.datapathProvider, "ADVANCED_DATAPATH");
        assert.deepEqual(c.binaryAuthorization, { evaluationMode: "DISABLED" }, "off, not on with the project's allow-all default policy");
        assert.equal(all(r, "gcp:binaryauthorization/policy:Policy").length, 0);
        assert.equal(c.databaseEncryption.state, "ENCRYPTED");
        const key = one(r, "gcp:kms/cryptoKey:CryptoKey");
        assert.equal(c.databaseEncryption.keyName, `${key.name}-id`);
        assert.equal(spec(one(r, "gcp:kms/keyRing:KeyRing")).location, "europe-west1");
        assert.equal(spec(key).rotationPeriod, "7776000s");
        const binding = spec(one(r, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"));
        assert.equal(binding.role, "roles/cloudkms.cryptoKeyEncrypterDecrypter");
        assert.equal(binding.member, "serviceAccount:service-123456789012@container-engine-robot.iam.gserviceaccount.com");
        assert.ok(
            one(r, "gcp:container/cluster:Cluster").dependencies.includes(one(r, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember").urn),
            "the key is usable before the cluster",
        );
    });

    it("deploys into a fresh project on the first up: APIs first, the GKE service agent before its key binding, node permissions before nodes", () => {
        const apis = all(r, "gcp:projects/service:Service").map(x => spec(x).service as string);
        assert.deepEqual(apis.sort(), [
            "artifactregistry.googleapis.com",
            "cloudkms.googleapis.com",
            "cloudresourcemanager.googleapis.com",
            "compute.googleapis.com",
            "container.googleapis.com",
            "iam.googleapis.com",
            "storage.googleapis.com",
        ]);
        const api = (service: string) => all(r, "gcp:projects/service:Service").find(x => spec(x).service === service)!.urn;
        const agent = one(r, "gcp:projects/serviceIdentity:ServiceIdentity");
        assert.equal(spec(agent).service, "container.googleapis.com");
        assert.ok(dependencyClosure(r, agent.urn).has(api("container.googleapis.com")), "the agent after the API");
        const keyAccess = one(r, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember");
        assert.ok(keyAccess.dependencies.includes(agent.urn), "the binding names the agent once it exists");
        for (const [type, service] of [
            ["gcp:serviceaccount/account:Account", "iam.googleapis.com"],
            ["gcp:projects/iAMMember:IAMMember", "cloudresourcemanager.googleapis.com"],
            ["gcp:storage/bucket:Bucket", "storage.googleapis.com"],
        ])
            assert.ok(dependencyClosure(r, one(r, type).urn).has(api(service)), `${type} after ${service}`);
        const pool = one(r, "gcp:container/nodePool:NodePool");
        for (const grant of [one(r, "gcp:projects/iAMMember:IAMMember"), one(r, "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember")])
            assert.ok(pool.dependencies.includes(grant.urn), `${grant.name} before the nodes`);
    });

    it("removes the default pool for an autoscaling pool with its own least-privilege service account", () => {
        assert.equal(spec(one(r, "gcp:container/cluster:Cluster")).removeDefaultNodePool, true);
        const pool = spec(one(r, "gcp:container/nodePool:NodePool"));
        assert.deepEqual(pool.autoscaling, { totalMinNodeCount: 3, totalMaxNodeCount: 9, locationPolicy: "BALANCED" });
        assert.deepEqual(pool.management, { autoRepair: true, autoUpgrade: true });
        assert.deepEqual(pool.upgradeSettings, { strategy: "SURGE", maxSurge: 1, maxUnavailable: 0 });
        assert.deepEqual(pool.nodeConfig.shieldedInstanceConfig, { enableSecureBoot: true, enableIntegrityMonitoring: true });
        assert.equal(pool.nodeConfig.workloadMetadataConfig.mode, "GKE_METADATA");
        assert.equal(pool.nodeConfig.machineType, "e2-standard-2");
        const sa = spec(one(r, "gcp:serviceaccount/account:Account"));
        assert.equal(pool.nodeConfig.serviceAccount, `${sa.accountId}@after-deploy.iam.gserviceaccount.com`);
        assert.deepEqual(
            all(r, "gcp:projects/iAMMember:IAMMember").map(m => spec(m).role),
            ["roles/container.defaultNodeServiceAccount"],
        );
        assert.equal(spec(one(r, "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember")).role, "roles/artifactregistry.reader");
    });

    it("has a maintenance window, deletion protection from config, and a registry with a cleanup policy", () => {
        const c = spec(one(r, "gcp:container/cluster:Cluster"));
        assert.equal(c.maintenancePolicy.recurringWindow.recurrence, "FREQ=WEEKLY;BYDAY=SU");
        assert.equal(c.deletionProtection, true, "prod: protectData on");
        const repo = spec(one(r, "gcp:artifactregistry/repository:Repository"));
        assert.equal(repo.format, "DOCKER");
        assert.equal(repo.location, "europe-west1");
        assert.deepEqual(repo.cleanupPolicies, [
            { id: "delete-untagged", action: "DELETE", condition: { tagState: "UNTAGGED", olderThan: "604800s" } },
            { id: "keep-recent", action: "KEEP", mostRecentVersions: { keepCount: 20 } },
        ]);
    });

    it("creates an expandable pd-balanced StorageClass bound at first consumer, not the default (GKE ships one)", () => {
        const sc = spec(one(r, "kubernetes:storage.k8s.io/v1:StorageClass"));
        assert.equal(sc.provisioner, "pd.csi.storage.gke.io");
        assert.deepEqual(sc.parameters, { type: "pd-balanced" });
        assert.equal(sc.volumeBindingMode, "WaitForFirstConsumer");
        assert.equal(sc.allowVolumeExpansion, true);
        assert.equal(sc.reclaimPolicy, "Retain", "prod keeps database volumes");
        assert.deepEqual(sc.metadata.annotations, {});
    });

    it("pushes to Artifact Registry with an access token, and builds the kubeconfig for gke-gcloud-auth-plugin", async () => {
        const user = kubeconfigOf(r).users[0].user.exec;
        assert.equal(user.provideClusterInfo, true);
        const off = await prodOn("gcp", { deletionProtection: false });
        assert.equal(spec(one(off, "gcp:container/cluster:Cluster")).deletionProtection, false);
    });
});

describe("EKS production defaults", () => {
    let r: RunResult;
    before(async () => {
        r = await prodOn("aws", { nodeSize: "m7g.large", minNodes: 3, maxNodes: 9, kubernetesVersion: "1.34" });
    });

    it("spreads its own VPC over 3 AZs: tagged public subnets for load balancers, private subnets for nodes, a NAT per AZ", () => {
        const subnets = all(r, "aws:ec2/subnet:Subnet").map(spec);
        const pub = subnets.filter(s => s.tags["kubernetes.io/role/elb"] === "1");
        const priv = subnets.filter(s => s.tags["kubernetes.io/role/internal-elb"] === "1");
        assert.equal(pub.length, 3);
        assert.equal(priv.length, 3);
        assert.equal(new Set(priv.map(s => s.availabilityZone)).size, 3);
        assert.equal(all(r, "aws:ec2/natGateway:NatGateway").length, 3);
        const nodeSubnets = spec(one(r, "aws:eks/nodeGroup:NodeGroup")).subnetIds;
        const privateIds = all(r, "aws:ec2/subnet:Subnet")
            .filter(s => spec(s).tags["kubernetes.io/role/internal-elb"])
            .map(s => `${s.name}-id`);
        assert.deepEqual(nodeSubnets, privateIds, "nodes only in private subnets");
    });

    it("routes each private subnet out through the NAT gateway of its own zone; public subnets hand out no public IPs", () => {
        const subnets = all(r, "aws:ec2/subnet:Subnet");
        const zoneOf = new Map(subnets.map(x => [`${x.name}-id`, spec(x).availabilityZone as string]));
        const natZone = new Map(all(r, "aws:ec2/natGateway:NatGateway").map(n => [`${n.name}-id`, zoneOf.get(spec(n).subnetId)]));
        const tables = new Map(all(r, "aws:ec2/routeTable:RouteTable").map(t => [`${t.name}-id`, spec(t)]));
        const natRoutes = all(r, "aws:ec2/routeTableAssociation:RouteTableAssociation")
            .map(a => ({ zone: zoneOf.get(spec(a).subnetId), nat: tables.get(spec(a).routeTableId).routes[0].natGatewayId as string | undefined }))
            .filter(x => x.nat !== undefined);
        assert.equal(natRoutes.length, 3, "three private subnets route through NAT");
        for (const { zone, nat } of natRoutes) assert.equal(natZone.get(nat!), zone, `the private subnet in ${zone} uses its own zone's NAT`);
        for (const x of subnets) assert.equal(spec(x).mapPublicIpOnLaunch ?? false, false, x.name);
    });

    it("gives Postgres a configured storageClass rather than its own", async () => {
        const own = await prodOn("aws", { storageClass: "io2-fast" });
        assert.equal(spec(one(own, "kubernetes:apps/v1:StatefulSet", "postgres")).spec.volumeClaimTemplates[0].spec.storageClassName, "io2-fast");
    });

    it("can share one NAT gateway to save money", async () => {
        const single = await prodOn("aws", { natGateways: "single" });
        assert.equal(all(single, "aws:ec2/natGateway:NatGateway").length, 1);
    });

    it("gives the cluster and the nodes exactly the standard managed policies", () => {
        const policies = all(r, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
            .map(p => spec(p).policyArn as string)
            .sort();
        assert.deepEqual(policies, [
            "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
            "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
            "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
            "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
            "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
        ]);
    });

    it("authenticates through the EKS API with an access entry for the deploying role", () => {
        const c = spec(one(r, "aws:eks/cluster:Cluster"));
        assert.deepEqual(c.accessConfig, { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false });
        const entry = spec(one(r, "aws:eks/accessEntry:AccessEntry"));
        assert.equal(entry.principalArn, "arn:aws:iam::123456789012:role/deployer", "the role behind the assumed-role session");
        const assoc = spec(one(r, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"));
        assert.equal(assoc.policyArn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy");
        assert.deepEqual(assoc.accessScope, { type: "cluster" });
    });

    it("encrypts Secrets with a rotating KMS key, logs the control plane with retention, pins the version, limits the endpoint", () => {
        const c = one(r, "aws:eks/cluster:Cluster");
        const cs = spec(c);
        assert.equal(cs.version, "1.34");
        assert.deepEqual(cs.upgradePolicy, { supportType: "STANDARD" }, "no silent move to paid extended support");
        assert.deepEqual(c.ignoreChanges, [], "a pin is applied: changing it upgrades the cluster");
        assert.deepEqual(cs.encryptionConfig.resources, ["secrets"]);
        assert.equal(spec(one(r, "aws:kms/key:Key")).enableKeyRotation, true);
        assert.deepEqual(cs.enabledClusterLogTypes, ["api", "audit", "authenticator"]);
        const logs = one(r, "aws:cloudwatch/logGroup:LogGroup");
        assert.equal(spec(logs).name, "/aws/eks/kubeship-prod/cluster");
        assert.equal(spec(logs).retentionInDays, 90);
        assert.ok(c.dependencies.includes(logs.urn), "log group before cluster");
        assert.deepEqual(cs.vpcConfig.publicAccessCidrs, ["203.0.113.0/24"]);
        assert.equal(cs.vpcConfig.endpointPrivateAccess, true);
        assert.equal(cs.deletionProtection, true);
        assert.equal(cs.bootstrapSelfManagedAddons, false);
    });

    it("installs the managed add-ons in order, with network policy on and EBS CSI on Pod Identity", () => {
        const addons: Record<string, Registered> = Object.fromEntries(all(r, "aws:eks/addon:Addon").map(a => [spec(a).addonName, a]));
        assert.deepEqual(Object.keys(addons).sort(), ["aws-ebs-csi-driver", "coredns", "eks-pod-identity-agent", "kube-proxy", "metrics-server", "vpc-cni"]);
        assert.deepEqual(JSON.parse(spec(addons["vpc-cni"]).configurationValues), {
            enableNetworkPolicy: "true",
            env: { NETWORK_POLICY_ENFORCING_MODE: "strict" },
        });
        for (const [addonName, addon] of Object.entries(addons)) {
            assert.equal(spec(addon).addonVersion, `${addonName}-default-for-1.34`, `${addonName}: the version AWS marks default for the cluster's`);
        }
        const ebs = spec(addons["aws-ebs-csi-driver"]);
        assert.equal(ebs.podIdentityAssociations[0].serviceAccount, "ebs-csi-controller-sa");
        const nodeGroup = one(r, "aws:eks/nodeGroup:NodeGroup");
        for (const before of ["vpc-cni", "eks-pod-identity-agent"]) assert.ok(nodeGroup.dependencies.includes(addons[before].urn), `${before} before nodes`);
        for (const after of ["coredns", "metrics-server", "aws-ebs-csi-driver"])
            assert.ok(addons[after].dependencies.includes(nodeGroup.urn), `${after} after nodes`);
        const ebsRole = all(r, "aws:iam/role:Role").find(x => x.name.includes("ebs-csi"))!;
        const trust = JSON.parse(spec(ebsRole).assumeRolePolicy).Statement[0];
        assert.equal(trust.Principal.Service, "pods.eks.amazonaws.com");
        assert.deepEqual(trust.Action, ["sts:AssumeRole", "sts:TagSession"], "Pod Identity tags the sessions it assumes");
    });

    it("lets kube-system's pods talk as in standard mode before its pod add-ons start (strict mode would deny CoreDNS)", () => {
        const policy = one(r, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "kubeship-allow-system-traffic");
        assert.equal(spec(policy).metadata.namespace, "kube-system");
        assert.deepEqual(spec(policy).spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{}], egress: [{}] });
        const addons = all(r, "aws:eks/addon:Addon").filter(a => ["coredns", "metrics-server", "aws-ebs-csi-driver"].includes(spec(a).addonName));
        assert.equal(addons.length, 3);
        for (const a of addons) assert.ok(a.dependencies.includes(policy.urn), `${spec(a).addonName} waits for the policy`);
    });

    it("scales the node group within its bounds with Cluster Autoscaler, on AWS permissions scoped to this cluster through Pod Identity", () => {
        const d = spec(one(r, "kubernetes:apps/v1:Deployment", "cluster-autoscaler"));
        assert.equal(d.metadata.namespace, "kube-system");
        const c = d.spec.template.spec.containers[0];
        assert.equal(c.image, "registry.k8s.io/autoscaling/cluster-autoscaler:v1.34.4", "the release for the cluster's minor");
        assert.ok(c.command.includes("--cloud-provider=aws"));
        assert.ok(c.command.includes("--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/kubeship-prod"));
        assert.ok(c.command.includes("--skip-nodes-with-local-storage=false"), "emptyDir volumes do not pin nodes");
        assert.deepEqual(c.env, [{ name: "AWS_REGION", value: "eu-west-1" }], "pods cannot ask the instance metadata for it");
        assert.equal(d.spec.template.spec.serviceAccountName, "cluster-autoscaler");
        const identity = one(r, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "cluster-autoscaler-identity");
        assert.deepEqual([spec(identity).namespace, spec(identity).serviceAccount], ["kube-system", "cluster-autoscaler"]);
        const role = all(r, "aws:iam/role:Role").find(x => x.name.includes("autoscaler"))!;
        assert.equal(spec(identity).roleArn, `arn:aws:iam::${AFTER_DEPLOY.account}:role/${role.name}`);
        assert.equal(JSON.parse(spec(role).assumeRolePolicy).Statement[0].Principal.Service, "pods.eks.amazonaws.com");
        const policy = JSON.parse(spec(all(r, "aws:iam/rolePolicy:RolePolicy").find(x => x.name.includes("autoscaler"))!).policy);
        const scaling = policy.Statement.find((st: any) => st.Action.includes("autoscaling:SetDesiredCapacity"));
        assert.deepEqual(scaling.Condition, { StringEquals: { "aws:ResourceTag/k8s.io/cluster-autoscaler/kubeship-prod": "owned" } });
        assert.ok(one(r, "kubernetes:apps/v1:Deployment", "cluster-autoscaler").dependencies.includes(identity.urn), "its AWS identity exists first");
    });

    it("runs a managed node group through a launch template with IMDSv2 and encrypted gp3, within bounds", () => {
        const lt = spec(one(r, "aws:ec2/launchTemplate:LaunchTemplate"));
        assert.deepEqual(lt.metadataOptions, { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
        assert.deepEqual(lt.blockDeviceMappings[0].ebs, { volumeSize: 50, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" });
        const ng = one(r, "aws:eks/nodeGroup:NodeGroup");
        assert.deepEqual(spec(ng).scalingConfig, { minSize: 3, maxSize: 9, desiredSize: 3 });
        assert.deepEqual(ng.ignoreChanges, ["scalingConfig.desiredSize"]);
        assert.equal(spec(ng).amiType, "AL2023_ARM_64_STANDARD", "Graviton instance, ARM AMI");
        assert.deepEqual(spec(ng).instanceTypes, ["m7g.large"]);
        assert.equal(spec(ng).nodeGroupName, undefined, "no fixed name: a replacement group is created before the old one is deleted");
        assert.equal(spec(ng).version, "1.34", "nodes follow the control plane");
        assert.equal(spec(ng).releaseVersion, "1.34.0-20261120", "the AMI release AWS recommends, tracked");
        assert.deepEqual(
            r.calls.filter(c => c.token === "aws:ssm/getParameter:getParameter").map(c => c.inputs.name),
            ["/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/arm64/standard/recommended/release_version"],
        );
    });

    it("runs the newest version in standard support when none is pinned, and keeps it in state", async () => {
        const unpinned = await prodOn("aws", { kubernetesVersion: undefined });
        const c = one(unpinned, "aws:eks/cluster:Cluster");
        assert.equal(spec(c).version, "1.36");
        assert.deepEqual(c.ignoreChanges, ["version"]);
    });

    it("runs a pin in extended support only when the stack opts in, and then lets EKS keep it there", async () => {
        const extended = await prodOn("aws", { kubernetesVersion: "1.33", extendedSupport: true });
        assert.equal(spec(one(extended, "aws:eks/cluster:Cluster")).version, "1.33");
        assert.deepEqual(spec(one(extended, "aws:eks/cluster:Cluster")).upgradePolicy, { supportType: "EXTENDED" });
    });

    it("lets destroy delete the registry with its images where data is not protected", async () => {
        const { config, secretKeys } = overrideCloud(readStackConfig("dev"), "aws");
        const dev = await runProgram({ stack: "dev", config, secretKeys });
        assert.equal(spec(one(dev, "aws:ecr/repository:Repository")).forceDelete, true);
    });

    it("builds the app image for the nodes' platform: arm64 on Graviton", () => {
        assert.equal(spec(one(r, "docker:index/image:Image", "app-image")).build.platform, "linux/arm64");
        assert.equal(spec(one(r, "docker:index/image:Image", "pgbackup-image")).build.platform, "linux/arm64", "and pgbackup's");
    });

    it("creates an encrypted gp3 default StorageClass bound at first consumer", () => {
        const sc = spec(one(r, "kubernetes:storage.k8s.io/v1:StorageClass"));
        assert.equal(sc.provisioner, "ebs.csi.aws.com");
        assert.deepEqual(sc.parameters, { type: "gp3", encrypted: "true", "csi.storage.k8s.io/fstype": "ext4" });
        assert.equal(sc.volumeBindingMode, "WaitForFirstConsumer");
        assert.equal(sc.reclaimPolicy, "Retain", "prod keeps database volumes");
        assert.equal(sc.allowVolumeExpansion, true);
        assert.equal(sc.metadata.annotations["storageclass.kubernetes.io/is-default-class"], "true", "EKS ships no default class");
    });

    it("has an ECR repository scanned on push with a lifecycle policy", () => {
        const repo = spec(one(r, "aws:ecr/repository:Repository"));
        assert.deepEqual(repo.imageScanningConfiguration, { scanOnPush: true });
        assert.equal(repo.imageTagMutability, "IMMUTABLE_WITH_EXCLUSION");
        assert.deepEqual(
            repo.imageTagMutabilityExclusionFilters,
            [
                { filter: "kubeship-build", filterType: "WILDCARD" },
                { filter: "pgbackup-build", filterType: "WILDCARD" },
            ],
            "only the builds' rolling tags (the app's, pgbackup's) can be overwritten",
        );
        assert.equal(repo.forceDelete, false, "prod keeps its images: destroy stops while the repository holds any");
        const rules = JSON.parse(spec(one(r, "aws:ecr/lifecyclePolicy:LifecyclePolicy")).policy).rules;
        assert.deepEqual(
            rules.map((x: any) => x.selection.tagStatus),
            ["untagged", "any"],
        );
    });

    it("bakes region, role and profile into the aws eks get-token kubeconfig", async () => {
        const exec = kubeconfigOf(r).users[0].user.exec;
        assert.deepEqual(exec.args, ["--region", "eu-west-1", "eks", "get-token", "--cluster-name", "kubeship-prod", "--output", "json"]);
        const withRole = await prodOn("aws", { assumeRoleArn: "arn:aws:iam::123456789012:role/platform-admin", awsProfile: "acme-prod" });
        const exec2 = kubeconfigOf(withRole).users[0].user.exec;
        assert.deepEqual(exec2.args.slice(-2), ["--role-arn", "arn:aws:iam::123456789012:role/platform-admin"]);
        assert.deepEqual(exec2.env, [{ name: "AWS_PROFILE", value: "acme-prod" }]);
        assert.equal(spec(one(withRole, "aws:eks/accessEntry:AccessEntry")).principalArn, "arn:aws:iam::123456789012:role/platform-admin");
        assert.equal(spec(one(withRole, "pulumi:providers:aws")).profile, "acme-prod");
    });

    it("asks for a network load balancer for the edge's Service; the app's, behind the edge, is internal", () => {
        const edge = spec(one(r, "kubernetes:core/v1:Service", "traefik"));
        assert.equal(edge.spec.type, "LoadBalancer");
        assert.equal(edge.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-type"], "nlb");
        const app = spec(one(r, "kubernetes:core/v1:Service", "app"));
        assert.equal(app.spec.type, "ClusterIP");
        assert.deepEqual(app.metadata.annotations, {});
    });
});

describe("DOKS production defaults", () => {
    let r: RunResult;
    before(async () => {
        r = await prodOn("digitalocean", { minNodes: 2, maxNodes: 5, kubernetesVersion: "1.34", maintenanceDay: "saturday", maintenanceStartTime: "02:30" });
    });

    it("runs an HA, auto-upgrading cluster in its own VPC, on the newest patch of the configured version", () => {
        const c = one(r, "digitalocean:index/kubernetesCluster:KubernetesCluster");
        const cs = spec(c);
        assert.equal(cs.version, "1.34.4-do.0");
        assert.deepEqual(c.ignoreChanges, [], "a pinned minor follows its newest patch");
        assert.equal(cs.vpcUuid, `${one(r, "digitalocean:index/vpc:Vpc").name}-id`);
        assert.equal(cs.ha, true);
        assert.equal(cs.autoUpgrade, true);
        assert.equal(cs.surgeUpgrade, true);
        assert.deepEqual(cs.maintenancePolicy, { day: "saturday", startTime: "02:30" });
        assert.deepEqual(cs.controlPlaneFirewall, { enabled: true, allowedAddresses: ["203.0.113.0/24"] });
        assert.equal(cs.destroyAllAssociatedResources, false, "prod keeps volumes and load balancers");
    });

    it("runs the workloads on a pool of their own, autoscaled within the configured bounds, so a new nodeSize does not replace the cluster", () => {
        const pool = one(r, "digitalocean:index/kubernetesNodePool:KubernetesNodePool");
        const ps = spec(pool);
        assert.equal(ps.clusterId, `${one(r, "digitalocean:index/kubernetesCluster:KubernetesCluster").name}-id`);
        assert.deepEqual([ps.size, ps.autoScale, ps.minNodes, ps.maxNodes], ["s-2vcpu-4gb", true, 2, 5]);
        assert.equal(ps.name, undefined, "no fixed name: a replacement pool is created before the old one goes");
        assert.deepEqual(ps.labels, { "kubeship.dev/pool": "default" });
        const system = spec(one(r, "digitalocean:index/kubernetesCluster:KubernetesCluster")).nodePool;
        assert.deepEqual(system, { name: "system", size: "s-2vcpu-2gb", autoScale: true, minNodes: 1, maxNodes: 2, labels: { "kubeship.dev/pool": "system" } });
        const provider = one(r, "pulumi:providers:kubernetes");
        assert.ok(provider.dependencies.includes(pool.urn), "workloads wait for their pool");
    });

    it("keeps database volumes with DOKS' Retain class when data is protected, and uses the default class otherwise", async () => {
        const sts = (run: RunResult) => spec(one(run, "kubernetes:apps/v1:StatefulSet", "postgres")).spec.volumeClaimTemplates[0].spec;
        assert.equal(sts(r).storageClassName, "do-block-storage-retain");
        const { config, secretKeys } = overrideCloud(readStackConfig("dev"), "digitalocean");
        assert.equal(sts(await runProgram({ stack: "dev", config, secretKeys })).storageClassName, "do-block-storage");
    });

    it("renews the registry push credentials in the first up of every 30-day window; each set lives 90 days", () => {
        const creds = one(r, "digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials");
        assert.equal(spec(creds).expirySeconds, 90 * 86_400);
        assert.equal(creds.replacementTrigger, Math.floor(Date.now() / (30 * 86_400_000)));
        assert.equal(credentialWindow(new Date("2026-01-30T23:59:59Z")), credentialWindow(new Date("2026-01-01T00:00:00Z")) + 1);
        assert.equal(credentialWindow(new Date(0)), 0);
        assert.equal(credentialWindow(new Date(30 * 86_400_000 - 1)), 0);
        assert.equal(credentialWindow(new Date(30 * 86_400_000)), 1);
    });

    it("integrates its registry for pulls, created before the cluster", () => {
        const c = one(r, "digitalocean:index/kubernetesCluster:KubernetesCluster");
        const registry = one(r, "digitalocean:index/containerRegistry:ContainerRegistry");
        assert.equal(spec(c).registryIntegration, true);
        assert.ok(c.dependencies.includes(registry.urn));
        assert.equal(spec(one(r, "digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials")).write, true);
    });

    it("can use the account's existing registry instead of creating one", async () => {
        const shared = await prodOn("digitalocean", { registryName: "acme", existingRegistry: true });
        assert.equal(all(shared, "digitalocean:index/containerRegistry:ContainerRegistry").length, 0);
        assert.equal(spec(one(shared, "digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials")).registryName, "acme");
    });

    it("uses a doctl exec kubeconfig that outlives DigitalOcean's 7-day tokens, and a secret API token", () => {
        const exec = kubeconfigOf(r).users[0].user.exec;
        assert.deepEqual(exec.args, ["kubernetes", "cluster", "kubeconfig", "exec-credential", "--version=v1beta1", "cluster-cluster-id"]);
        for (const name of ["cluster-do", "cluster-spaces"]) {
            const provider = one(r, "pulumi:providers:digitalocean", name);
            assert.equal((unwrap(provider.inputs) as { token: string }).token, "render-stand-in-token", `${name} gets the token`);
            assert.ok(!JSON.stringify(redact(provider.inputs)).includes("render-stand-in-token"), "as a secret");
        }
    });
});

describe("workloads do not depend on the cloud", () => {
    it("renders identical workload manifests on every cloud, except storage class, app image registry, load balancer annotations, the Gateway's health-check policy and the backup store", async () => {
        const normalized = async (cloud: string) => {
            const r = await renderStackOnce("prod", cloud);
            // The environment's objects; the cluster layer's own (StorageClass, kind's registry ConfigMap) differ by design.
            const environment = new Set(r.run.registered.filter(x => isUnder(r.run, x, "kubeship:workloads:Environment")).map(x => x.name));
            // The contract's health-check policy object, where the cloud's load balancer needs one (GKE).
            // The backup store's objects: its keys (Spaces), its volume (kind, local), the egress to it (clouds),
            // the token its identity is exchanged for (AKS).
            const STORE_VOLUMES = ["backup-store", "cloud-identity-token"];
            const store = new Set(["Secret/postgres-backup-store", "PersistentVolumeClaim/postgres-backup"]);
            return manifests(r.run)
                .filter(m => environment.has(m.resource) && !m.resource.endsWith("-health-check"))
                .filter(m => !store.has(`${m.object.kind}/${m.object.metadata.name}`) && !/^allow-.*-(archive|store)-egress$/.test(m.object.metadata.name))
                .map(m => {
                    const o = structuredClone(m.object);
                    for (const claim of o.spec?.volumeClaimTemplates ?? []) delete claim.spec.storageClassName;
                    if (o.kind === "Service") delete o.metadata.annotations;
                    if (o.kind === "Deployment" && o.metadata.name === "app") {
                        const c = o.spec.template.spec.containers[0];
                        assert.match(c.image, /@sha256:[0-9a-f]{64}$/, `${cloud}: the app runs by digest`);
                        delete c.image;
                    }
                    // The store's URL and settings, its volume, and pgbackup's image in the cloud's registry.
                    const pod = o.spec?.template?.spec ?? o.spec?.jobTemplate?.spec?.template?.spec;
                    for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
                        c.env = c.env?.filter((e: { name: string }) => e.name !== "KUBESHIP_BACKUP_URL" && !/^(AWS|AZURE)_/.test(e.name));
                        c.volumeMounts = c.volumeMounts?.filter((v: { name: string }) => !STORE_VOLUMES.includes(v.name));
                        if (["install", "backup", "check"].includes(c.args?.[0])) {
                            assert.match(c.image, /@sha256:[0-9a-f]{64}$/, `${cloud}: pgbackup runs by digest`);
                            delete c.image;
                        }
                    }
                    if (pod?.volumes) pod.volumes = pod.volumes.filter((v: { name: string }) => !STORE_VOLUMES.includes(v.name));
                    // A volume store's Job runs on Postgres' node, where the volume is attached.
                    if (o.kind === "CronJob") delete pod.affinity;
                    return o;
                });
        };
        // One program run at a time: the mock runtime is global to the process.
        const local = await normalized("local");
        for (const other of ["kind", ...CLOUDS]) assert.deepEqual(await normalized(other), local, other);
    });
});

describe("the contract's secrets, on every cloud", () => {
    for (const cloud of ALL_CLOUDS) {
        it(`${cloud}: the kubeconfig and the registry's push credentials are Pulumi secrets`, async () => {
            await installMocks(`contract-${cloud}`);
            const { config, secretKeys } = overrideCloud(readStackConfig("prod"), cloud);
            pulumi.runtime.setAllConfig(config, secretKeys);
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeship-kc-"));
            fs.writeFileSync(path.join(dir, "config"), fakeKubeconfig("kind-kubeship"));
            const saved = process.env.KUBECONFIG;
            process.env.KUBECONFIG = path.join(dir, "config");
            try {
                const contract = createCluster(parseSettings(pulumi.runtime.allConfig(), "prod"), { providers: [new random.Provider(`random-${cloud}`, {})] });
                assert.equal(await pulumi.isSecret(pulumi.output(contract.kubeconfig)), true, "kubeconfig");
                const { username, password } = contract.registry;
                assert.equal(username === undefined, password === undefined, "credentials come in pairs");
                if (password !== undefined) assert.equal(await pulumi.isSecret(pulumi.output(password)), true, "registry password");
                if (cloud === "digitalocean") assert.equal(await pulumi.isSecret(pulumi.output(username!)), true, "DOCR's user name is part of its token");
                if (cloud === "kind" || cloud === "local") assert.equal(password, undefined, "a local registry takes no credentials");
            } finally {
                if (saved === undefined) delete process.env.KUBECONFIG;
                else process.env.KUBECONFIG = saved;
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    }
});

describe("the EKS autoscaler's release", () => {
    it("matches the cluster's minor, and a minor without a known release stops the run", () => {
        assert.equal(autoscalerImage("1.36"), "registry.k8s.io/autoscaling/cluster-autoscaler:v1.36.0");
        assert.equal(autoscalerImage("1.33"), "registry.k8s.io/autoscaling/cluster-autoscaler:v1.33.5");
        assert.throws(() => autoscalerImage("1.37"), /no Cluster Autoscaler release is known for Kubernetes 1\.37/);
        for (const [version] of EKS_VERSIONS.filter(([, status]) => status === "STANDARD_SUPPORT"))
            assert.doesNotThrow(() => autoscalerImage(version), version);
    });
});

describe("the EKS version", () => {
    const offered = [
        { clusterVersion: "1.33", versionStatus: "EXTENDED_SUPPORT" },
        { clusterVersion: "1.35", versionStatus: "STANDARD_SUPPORT" },
        { clusterVersion: "1.34", versionStatus: "STANDARD_SUPPORT" },
        { clusterVersion: "1.29", versionStatus: "UNSUPPORTED" },
    ];

    it("is the newest in standard support when none is pinned, whatever order EKS lists them in", () => {
        assert.equal(chooseEksVersion(offered, undefined, false), "1.35");
        assert.equal(chooseEksVersion([...offered, { clusterVersion: "1.100", versionStatus: "STANDARD_SUPPORT" }], undefined, false), "1.100");
    });

    it("is the pin when it is in standard support, or in extended support with the opt-in", () => {
        assert.equal(chooseEksVersion(offered, "1.34", false), "1.34");
        assert.equal(chooseEksVersion(offered, "1.33", true), "1.33");
    });

    it("refuses a pin out of standard support with the versions to choose from", () => {
        throwsConfig(
            () => chooseEksVersion(offered, "1.33", false),
            "kubeship:cluster.kubernetesVersion",
            '"1.33"',
            /is in extended support today; pin one in standard support \(1\.34, 1\.35\), or set kubeship:cluster\.extendedSupport to true/,
        );
        throwsConfig(() => chooseEksVersion(offered, "1.29", true), "kubeship:cluster.kubernetesVersion", '"1.29"', /is in unsupported today/);
        throwsConfig(() => chooseEksVersion(offered, "1.40", false), "kubeship:cluster.kubernetesVersion", '"1.40"', /is not offered by EKS today/);
    });
});

describe("cluster helpers", () => {
    it("picks ARM AMIs for Graviton instance types only", () => {
        for (const t of ["m7g.large", "c7gn.xlarge", "t4g.medium", "r8g.2xlarge"]) assert.equal(eksAmiType(t), "AL2023_ARM_64_STANDARD", t);
        for (const t of ["t3.large", "m7i.large", "c6a.xlarge", "g5.xlarge", "m5.large"]) assert.equal(eksAmiType(t), "AL2023_x86_64_STANDARD", t);
    });

    it("keeps the DigitalOcean registry in the cluster's region only where DOCR exists", () => {
        assert.equal(registryRegion("ams3"), "ams3");
        assert.equal(registryRegion("nyc1"), undefined);
        assert.equal(registryRegion("lon1"), undefined);
    });

    it("reads DigitalOcean registry credentials", () => {
        const auth = Buffer.from("user@example.com:tok:en").toString("base64");
        assert.deepEqual(parseDockerCredentials(JSON.stringify({ auths: { "registry.digitalocean.com": { auth } } })), {
            server: "registry.digitalocean.com",
            username: "user@example.com",
            password: "tok:en",
        });
        assert.throws(() => parseDockerCredentials("{}"), /without an auth entry/);
    });

    it("builds GKE maintenance windows on the right weekday with 12 hours a week", () => {
        assert.deepEqual(weeklyWindow("sunday", "03:00"), {
            startTime: "2024-01-07T03:00:00Z",
            endTime: "2024-01-07T15:00:00Z",
            recurrence: "FREQ=WEEKLY;BYDAY=SU",
        });
        assert.equal(new Date(weeklyWindow("wednesday", "22:30").startTime).getUTCDay(), 3);
        assert.equal(weeklyWindow("wednesday", "22:30").endTime, "2024-01-04T10:30:00Z");
    });

    it("writes exec kubeconfigs without static credentials", () => {
        const kc = YAML.parse(execKubeconfig("c", "https://h", "Q0E=", { command: "x", args: ["a"], installHint: "get x" }));
        assert.deepEqual(Object.keys(kc.users[0].user), ["exec"]);
        assert.equal(kc.users[0].user.exec.interactiveMode, "Never");
        assert.equal(kc.users[0].user.exec.env, undefined);
    });
});
