/**
 * The AKS layer (`kubeship:cloud: azure`) under mocks: the production defaults of Microsoft's AKS baseline
 * as the program registers them, its identities and grants, its registry and kubeconfig, and its backup
 * store in Blob Storage. The generic checks every cloud passes are in clusters.spec.ts.
 */
import * as assert from "node:assert/strict";
import { ARCHIVER_DATA_ACTIONS, restoreSourceCondition, WORKLOAD_IDENTITY_TOKEN } from "../components/cluster/azure/backup";
import { osDisk, SYSTEM_POOL, userPoolName } from "../components/cluster/azure/control-plane";
import { ROLES } from "../components/cluster/azure/identity";
import { AKS_SERVER_ID, listedCluster } from "../components/cluster/azure/kubeconfig";
import { ACR_TOKEN_USER } from "../components/cluster/azure/registry";
import { chooseAksVersion } from "../components/cluster/azure/version";
import { archiveSource } from "../components/cluster/common";
import { overrideCloud } from "../tools/render/cloud-override";
import { AKS_OFFERED_VERSIONS, AZURE_AFTER_DEPLOY } from "../tools/render/azure-fakes";
import { runProgram, RunResult } from "../tools/render/harness";
import { FAKE_CREDENTIALS, redact } from "../tools/render/mocks";
import { readStackConfig } from "../tools/render/stack-config";
import { throwsConfig } from "./support/assert";
import { all, dependencyClosure, one, spec } from "./support/query";

const T = "azure-native";
const SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";

/** The prod stack file on azure, with cluster and top-level settings merged in. */
async function prodOnAzure(cluster: Record<string, unknown> = {}, top: Record<string, string> = {}): Promise<RunResult> {
    const { config, secretKeys } = overrideCloud(readStackConfig("prod"), "azure");
    const merged = { ...JSON.parse(config["kubeship:cluster"]), ...cluster };
    return runProgram({ stack: "prod", config: { ...config, ...top, "kubeship:cluster": JSON.stringify(merged) }, secretKeys });
}

const role = (id: string) => `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${id}`;
/** Role assignments as [role definition, scope, principal, principalType]. */
const assignments = (r: RunResult) =>
    all(r, `${T}:authorization:RoleAssignment`).map(x => {
        const s = spec(x);
        return { name: x.name, role: s.roleDefinitionId, scope: s.scope, principal: s.principalId, type: s.principalType, condition: s.condition };
    });

describe("AKS production defaults", () => {
    let r: RunResult;
    before(async () => {
        r = await prodOnAzure({ authorizedNetworks: ["198.51.100.0/24"], maintenanceDay: "tuesday", maintenanceStartTime: "21:30" });
    });
    const cluster = () => spec(one(r, `${T}:containerservice:ManagedCluster`));

    it("signs in through Entra ID with Azure RBAC only: no local accounts, no admin credentials", () => {
        const c = cluster();
        assert.deepEqual(c.aadProfile, { managed: true, enableAzureRBAC: true });
        assert.equal(c.enableRBAC, true);
        assert.equal(c.disableLocalAccounts, true);
    });

    it("enforces NetworkPolicy with Cilium on Azure CNI Overlay, and leaves through the NAT gateway", () => {
        assert.deepEqual(cluster().networkProfile, {
            networkPlugin: "azure",
            networkPluginMode: "overlay",
            networkDataplane: "cilium",
            networkPolicy: "cilium",
            podCidr: "10.244.0.0/16",
            serviceCidr: "10.0.0.0/16",
            dnsServiceIP: "10.0.0.10",
            outboundType: "userAssignedNATGateway",
        });
        const subnet = spec(one(r, `${T}:network:Subnet`));
        assert.equal(subnet.addressPrefix, "10.240.0.0/22");
        assert.equal(subnet.natGateway.id, `${one(r, `${T}:network:NatGateway`).name}-id`);
        assert.equal(subnet.defaultOutboundAccess, false, "no implicit outbound address");
        assert.deepEqual(subnet.serviceEndpoints, [{ service: "Microsoft.Storage" }]);
        assert.deepEqual(spec(one(r, `${T}:network:VirtualNetwork`)).addressSpace, { addressPrefixes: ["10.240.0.0/16"] });
        const groups = all(r, `${T}:resources:ResourceGroup`);
        assert.deepEqual(
            groups.map(g => [spec(g).resourceGroupName, g.protect && g.retainOnDelete]),
            [
                ["kubeship-prod", false],
                ["kubeship-prod-data", true],
            ],
            "the cluster's group, and the data's, which outlives destroy when protected",
        );
    });

    it("serves the API to the authorized ranges and its own nodes' egress address only, and runs no commands for anyone", () => {
        assert.deepEqual(cluster().apiServerAccessProfile, {
            authorizedIPRanges: ["198.51.100.0/24", `${AZURE_AFTER_DEPLOY.egressIp}/32`],
            disableRunCommand: true,
        });
    });

    it("runs under user-assigned identities, the control plane's granted the subnet and the kubelet identity before it starts", () => {
        const c = cluster();
        const cp = one(r, `${T}:managedidentity:UserAssignedIdentity`, "cluster-control-plane-identity");
        const kubelet = one(r, `${T}:managedidentity:UserAssignedIdentity`, "cluster-kubelet-identity");
        assert.deepEqual(c.identity, { type: "UserAssigned", userAssignedIdentities: [`${cp.name}-id`] });
        assert.equal(c.identityProfile.kubeletidentity.resourceId, `${kubelet.name}-id`);
        const byName = Object.fromEntries(assignments(r).map(a => [a.name, a]));
        assert.deepEqual(byName["cluster-subnet-grant"], {
            name: "cluster-subnet-grant",
            role: role(ROLES.networkContributor),
            scope: `${one(r, `${T}:network:Subnet`).name}-id`,
            principal: `after-deploy-principal-id-${cp.name}`,
            type: "ServicePrincipal",
            condition: undefined,
        });
        assert.equal(byName["cluster-kubelet-identity-grant"].role, role(ROLES.managedIdentityOperator));
        assert.equal(byName["cluster-kubelet-identity-grant"].scope, `${kubelet.name}-id`);
        const before = dependencyClosure(r, one(r, `${T}:containerservice:ManagedCluster`).urn);
        for (const grant of ["cluster-subnet-grant", "cluster-kubelet-identity-grant", "cluster-registry-pull-grant"])
            assert.ok(before.has(one(r, `${T}:authorization:RoleAssignment`, grant).urn), `the cluster waits for ${grant}`);
    });

    it("has the OIDC issuer and workload identity, and cleans unused images", () => {
        const c = cluster();
        assert.deepEqual(c.oidcIssuerProfile, { enabled: true });
        assert.deepEqual(c.securityProfile, { workloadIdentity: { enabled: true }, imageCleaner: { enabled: true, intervalHours: 168 } });
    });

    it("pins the minor version, takes patches and node images itself, each in the weekly 4-hour window", () => {
        const c = cluster();
        assert.equal(c.kubernetesVersion, "1.35");
        assert.deepEqual(c.autoUpgradeProfile, { upgradeChannel: "patch", nodeOSUpgradeChannel: "NodeImage" });
        const windows = all(r, `${T}:containerservice:MaintenanceConfiguration`).map(spec);
        assert.deepEqual(
            windows.map(w => w.configName as string).sort((a, b) => a.localeCompare(b)),
            ["aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"],
        );
        for (const w of windows)
            assert.deepEqual(w.maintenanceWindow, {
                schedule: { weekly: { dayOfWeek: "Tuesday", intervalWeeks: 1 } },
                durationHours: 4,
                startTime: "21:30",
                utcOffset: "+00:00",
            });
    });

    it("checks a pin against the minors AKS offers in the region that day, and without one takes the newest in standard support and keeps it", async () => {
        const listed = r.calls.filter(c => c.token === "command:local:run" && String(c.inputs.command).startsWith("az aks get-versions"));
        assert.deepEqual(
            listed.map(c => c.inputs.command),
            [`az aks get-versions --subscription ${SUBSCRIPTION} --location westeurope --output json`],
        );
        assert.deepEqual(one(r, `${T}:containerservice:ManagedCluster`).ignoreChanges, ["agentPoolProfiles"], "a pin is followed");
        const unpinned = await prodOnAzure({ kubernetesVersion: undefined });
        const c = one(unpinned, `${T}:containerservice:ManagedCluster`);
        assert.equal(spec(c).kubernetesVersion, "1.36", "not 1.37, a preview");
        assert.deepEqual(c.ignoreChanges, ["agentPoolProfiles", "kubernetesVersion"]);
        assert.equal(spec(one(unpinned, `${T}:containerservice:AgentPool`)).orchestratorVersion, undefined, "the user pool follows the cluster");
    });

    it("refuses a pin out of AKS' standard support, naming the minors it may take", () => {
        const key = "kubeship:cluster.kubernetesVersion";
        assert.equal(chooseAksVersion(AKS_OFFERED_VERSIONS, "1.34"), "1.34");
        throwsConfig(
            () => chooseAksVersion(AKS_OFFERED_VERSIONS, "1.33"),
            key,
            '"1.33"',
            /is in long-term support only today; pin one in standard support \(1\.34, 1\.35, 1\.36\) \(AKS' long-term support needs the Premium tier/,
        );
        throwsConfig(
            () => chooseAksVersion(AKS_OFFERED_VERSIONS, "1.37"),
            key,
            '"1.37"',
            /is in preview today; pin one in standard support \(1\.34, 1\.35, 1\.36\)$/,
        );
        throwsConfig(() => chooseAksVersion(AKS_OFFERED_VERSIONS, "1.29"), key, '"1.29"', /is not offered by AKS today/);
    });

    it("runs the Standard tier, with its uptime SLA, unless the stack chooses the Free tier", async () => {
        assert.deepEqual(cluster().sku, { name: "Base", tier: "Standard" });
        const free = await prodOnAzure({ tier: "free" });
        assert.deepEqual(spec(one(free, `${T}:containerservice:ManagedCluster`)).sku, { name: "Base", tier: "Free" });
    });

    it("keeps the cluster's add-ons on a tainted, zonal system pool set once, and the workloads on a user pool of their own", () => {
        const c = cluster();
        assert.equal(c.agentPoolProfiles.length, 1);
        const system = c.agentPoolProfiles[0];
        assert.equal(system.mode, "System");
        assert.equal(system.vmSize, SYSTEM_POOL.vmSize);
        assert.deepEqual(system.availabilityZones, ["1", "2", "3"]);
        assert.deepEqual([system.enableAutoScaling, system.minCount, system.maxCount], [true, 3, 4]);
        assert.deepEqual(system.nodeTaints, ["CriticalAddonsOnly=true:NoSchedule"]);
        assert.equal(system.orchestratorVersion, undefined, "the system pool follows the cluster's version");
        assert.deepEqual(one(r, `${T}:containerservice:ManagedCluster`).ignoreChanges, ["agentPoolProfiles"]);
        const pool = one(r, `${T}:containerservice:AgentPool`);
        const p = spec(pool);
        assert.equal(p.mode, "User");
        assert.equal(p.vmSize, "Standard_D2ds_v5", "the azure default size (the stack's size is another cloud's)");
        assert.deepEqual([p.minCount, p.maxCount, p.count], [3, 9, 3]);
        assert.deepEqual(p.availabilityZones, ["1", "2", "3"]);
        assert.equal(p.orchestratorVersion, "1.35");
        assert.equal(p.osDiskType, "Ephemeral");
        assert.deepEqual(p.upgradeSettings, { maxSurge: "33%", drainTimeoutInMinutes: 30 });
        assert.deepEqual(pool.ignoreChanges, ["count"], "the autoscaler owns the count");
    });

    it("changes only the user pool when the node size changes", async () => {
        const bigger = await prodOnAzure({
            authorizedNetworks: ["198.51.100.0/24"],
            maintenanceDay: "tuesday",
            maintenanceStartTime: "21:30",
            nodeSize: "Standard_D4s_v5",
        });
        const changed = (x: RunResult) =>
            new Map(x.registered.filter(y => y.type.startsWith(`${T}:`)).map(y => [y.urn, JSON.stringify(redact(y.inputs))] as const));
        const [a, b] = [changed(r), changed(bigger)];
        const diff = [...a.keys()].filter(urn => a.get(urn) !== b.get(urn)).map(urn => urn.split("::").pop());
        assert.deepEqual(diff, ["cluster-nodes"]);
        const [before, after] = [spec(one(r, `${T}:containerservice:AgentPool`)), spec(one(bigger, `${T}:containerservice:AgentPool`))];
        assert.equal(after.osDiskType, "Managed", "D4s_v5 has no local disk");
        // Azure replaces a pool for a new size: a new name lets the new pool exist before the old one goes.
        assert.match(before.agentPoolName, /^kubeship[0-9a-f]{4}$/, "at most 12 lowercase letters and digits");
        assert.notEqual(after.agentPoolName, before.agentPoolName);
        assert.equal(after.agentPoolName, userPoolName("Standard_D4s_v5"));
    });

    it("locks the cluster against deletion exactly when deletionProtection is on", async () => {
        const lock = spec(one(r, `${T}:authorization:ManagementLockByScope`));
        assert.deepEqual([lock.level, lock.scope], ["CanNotDelete", `${one(r, `${T}:containerservice:ManagedCluster`).name}-id`]);
        const off = await prodOnAzure({ deletionProtection: false });
        assert.deepEqual(all(off, `${T}:authorization:ManagementLockByScope`), []);
    });

    it("pushes to ACR without its admin user: AcrPull for the kubelets, AcrPush and a token for the deployer", () => {
        const registry = spec(one(r, `${T}:containerregistry:Registry`));
        assert.deepEqual([registry.adminUserEnabled, registry.anonymousPullEnabled], [false, false]);
        assert.match(registry.registryName, /^kubeshipprod[0-9a-f]{6}$/, "letters and digits only");
        const byName = Object.fromEntries(assignments(r).map(a => [a.name, a]));
        const kubelet = one(r, `${T}:managedidentity:UserAssignedIdentity`, "cluster-kubelet-identity");
        assert.deepEqual(
            [byName["cluster-registry-pull-grant"].role, byName["cluster-registry-pull-grant"].principal],
            [role(ROLES.acrPull), `after-deploy-principal-id-${kubelet.name}`],
            "AcrPull on the kubelet identity, not the control plane's",
        );
        assert.deepEqual(
            [byName["cluster-registry-push-grant"].role, byName["cluster-registry-push-grant"].principal],
            [role(ROLES.acrPush), AZURE_AFTER_DEPLOY.deployerObjectId],
        );
        const image = spec(one(r, "docker:index/image:Image", "app-image"));
        assert.equal(image.registry.username, ACR_TOKEN_USER);
        assert.equal(image.registry.password, FAKE_CREDENTIALS.acrToken);
        assert.ok(r.calls.some(c => c.token === "command:local:run" && /^az acr login --name kubeshipprod[0-9a-f]{6} --expose-token /.test(c.inputs.command)));
    });

    it("administers the cluster as the deployer through Azure RBAC, and the Kubernetes provider waits for that grant", () => {
        const admin = one(r, `${T}:authorization:RoleAssignment`, "cluster-admin-grant");
        assert.equal(spec(admin).roleDefinitionId, role(ROLES.aksRbacClusterAdmin));
        assert.equal(spec(admin).scope, `${one(r, `${T}:resources:ResourceGroup`, "cluster-group").name}-id`, "outside the cluster's lock");
        assert.equal(spec(admin).principalId, AZURE_AFTER_DEPLOY.deployerObjectId);
        assert.ok(dependencyClosure(r, one(r, "pulumi:providers:kubernetes").urn).has(admin.urn));
    });

    it("logs in with kubelogin and the Azure CLI, to the AKS server application", () => {
        const kubeconfig = r.outputs.kubeconfig.value as string;
        assert.match(kubeconfig, new RegExp(`args:\\n\\s+- get-token\\n\\s+- --login\\n\\s+- azurecli\\n\\s+- --server-id\\n\\s+- ${AKS_SERVER_ID}`));
        assert.ok(
            r.calls.some(c => c.token === `${T}:containerservice:listManagedClusterUserCredentials` && c.inputs.format === "exec"),
            "the user credentials, never the admin's",
        );
        assert.throws(() => listedCluster(Buffer.from("clusters: []").toString("base64")), /without a server and CA/);
    });

    it("signs in to the tenant azure-native:tenantId names, the provider and the cluster's users alike, else the subscription's", async () => {
        const provider = (x: RunResult) => spec(one(x, "pulumi:providers:azure-native"));
        assert.equal(provider(r).tenantId, undefined);
        assert.equal(cluster().aadProfile.tenantID, undefined);
        const tenant = "3f0c3a9e-1b2d-4c6e-8f7a-9b0c1d2e3f4b";
        const other = await prodOnAzure({}, { "azure-native:tenantId": tenant });
        assert.equal(provider(other).tenantId, tenant);
        assert.equal(spec(one(other, `${T}:containerservice:ManagedCluster`)).aadProfile.tenantID, tenant);
    });

    it("gives Postgres zone-redundant premium disks in the data resource group, which the control plane may write, kept when the data is protected", async () => {
        const sc = spec(one(r, "kubernetes:storage.k8s.io/v1:StorageClass", "kubeship"));
        assert.equal(sc.provisioner, "disk.csi.azure.com");
        assert.deepEqual(sc.parameters, { skuName: "Premium_ZRS", resourceGroup: "kubeship-prod-data" });
        const dataGrant = assignments(r).find(a => a.name === "cluster-data-group-grant")!;
        const cp = one(r, `${T}:managedidentity:UserAssignedIdentity`, "cluster-control-plane-identity");
        assert.deepEqual(
            [dataGrant.role, dataGrant.scope, dataGrant.principal],
            [role(ROLES.contributor), "cluster-data-group-id", `after-deploy-principal-id-${cp.name}`],
        );
        assert.ok(
            dependencyClosure(r, one(r, `${T}:containerservice:ManagedCluster`).urn).has(
                one(r, `${T}:authorization:RoleAssignment`, "cluster-data-group-grant").urn,
            ),
        );
        assert.equal(sc.reclaimPolicy, "Retain");
        const unprotected = await prodOnAzure({}, { "kubeship:protectData": "false" });
        assert.equal(spec(one(unprotected, "kubernetes:storage.k8s.io/v1:StorageClass", "kubeship")).reclaimPolicy, "Delete");
    });

    it("names Azure's resources validly from any stack name", async () => {
        const { config, secretKeys } = overrideCloud(readStackConfig("prod"), "azure");
        const odd = await runProgram({ stack: "Dev_EU.1", config: { ...config, "kubeship:namespace": "dev-eu" }, secretKeys });
        const c = spec(one(odd, `${T}:containerservice:ManagedCluster`));
        assert.deepEqual([c.resourceName, c.dnsPrefix], ["kubeship-Dev_EU-1", "kubeship-Dev-EU-1"]);
        assert.match(spec(one(odd, `${T}:containerregistry:Registry`)).registryName, /^kubeshipdeveu1[0-9a-f]{6}$/);
        assert.match(spec(one(odd, `${T}:storage:StorageAccount`)).accountName, /^kubeshipdeveu1[0-9a-f]{6}$/);
        for (const id of all(odd, `${T}:managedidentity:UserAssignedIdentity`).map(x => spec(x).resourceName as string))
            assert.match(id, /^[A-Za-z0-9][A-Za-z0-9_-]*$/);
    });

    it("puts an ephemeral OS disk only on sizes with a local disk", () => {
        assert.equal(osDisk("Standard_D2ds_v5"), "Ephemeral");
        assert.equal(osDisk("Standard_E64-16ds_v5"), "Ephemeral");
        assert.equal(osDisk("Standard_D2pds_v5"), "Ephemeral");
        assert.equal(osDisk("Standard_D4s_v5"), "Managed");
        assert.equal(osDisk("Standard_B2ms"), "Managed");
        assert.equal(osDisk("Standard_NC24ads_A100_v4"), "Ephemeral");
    });
});

describe("backups on AKS: a Blob container through workload identity", () => {
    let prod: RunResult;
    before(async () => {
        prod = await prodOnAzure();
    });
    const postgres = () => spec(one(prod, "kubernetes:apps/v1:StatefulSet", "postgres")).spec.template.spec;

    it("is a private, zone-redundant account: HTTPS and TLS 1.2 only, no shared keys, no public blobs, kept on destroy when protected", () => {
        const account = one(prod, `${T}:storage:StorageAccount`);
        const a = spec(account);
        assert.deepEqual(
            [a.kind, a.sku.name, a.allowBlobPublicAccess, a.allowSharedKeyAccess, a.enableHttpsTrafficOnly, a.minimumTlsVersion],
            ["StorageV2", "Standard_ZRS", false, false, true, "TLS1_2"],
        );
        assert.match(a.accountName, /^kubeshipprod[0-9a-f]{6}$/);
        assert.ok(account.protect && account.retainOnDelete);
        assert.equal(spec(one(prod, `${T}:storage:BlobContainer`)).publicAccess, "None");
    });

    it("deletes blobs after the retention, and for protected data keeps anyone from deleting them before", () => {
        const rule = spec(one(prod, `${T}:storage:ManagementPolicy`)).policy.rules[0];
        assert.deepEqual(rule.definition, {
            filters: { blobTypes: ["blockBlob"], prefixMatch: ["postgres/"] },
            actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: 30 } } },
        });
        assert.equal(spec(one(prod, `${T}:storage:BlobContainerImmutabilityPolicy`)).immutabilityPeriodSinceCreationInDays, 30);
        // A kept account keeps its container, soft delete, lifecycle and immutability policy.
        const inAccount = prod.registered.filter(r => r.type.startsWith(`${T}:storage:`));
        assert.deepEqual(inAccount.map(r => r.type.split(":")[2]).sort(), [
            "BlobContainer",
            "BlobContainerImmutabilityPolicy",
            "BlobServiceProperties",
            "ManagementPolicy",
            "StorageAccount",
        ]);
        assert.deepEqual(
            inAccount.filter(r => !(r.protect && r.retainOnDelete)).map(r => r.type),
            [],
        );
    });

    it("lets the archiving ServiceAccount read and create blobs in the container, never overwrite or delete them", () => {
        const definition = spec(one(prod, `${T}:authorization:RoleDefinition`));
        assert.deepEqual(definition.permissions, [{ actions: [], notActions: [], dataActions: ARCHIVER_DATA_ACTIONS, notDataActions: [] }]);
        // Azure defines custom roles on a resource group or above, never on one resource.
        assert.deepEqual([definition.scope, definition.assignableScopes], ["cluster-data-group-id", ["cluster-data-group-id"]]);
        assert.match(definition.roleDefinitionId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.equal(
            spec(one(prod, `${T}:authorization:RoleAssignment`, "cluster-backups-grant")).roleDefinitionId,
            role(definition.roleDefinitionId),
            "assigned by its subscription-level ID",
        );
        assert.equal(spec(one(prod, `${T}:storage:StorageAccount`)).resourceGroupName, "kubeship-prod-data");
        assert.deepEqual(ARCHIVER_DATA_ACTIONS, [
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
        ]);
        const grant = spec(one(prod, `${T}:authorization:RoleAssignment`, "cluster-backups-grant"));
        assert.equal(grant.scope, `${one(prod, `${T}:storage:BlobContainer`).name}-id`, "the container, not the account");
        const federation = spec(one(prod, `${T}:managedidentity:FederatedIdentityCredential`));
        assert.deepEqual(
            [federation.issuer, federation.subject, federation.audiences],
            [AZURE_AFTER_DEPLOY.issuerUrl, "system:serviceaccount:prod:postgres-backup", ["api://AzureADTokenExchange"]],
        );
        const waits = dependencyClosure(prod, one(prod, "kubernetes:apps/v1:StatefulSet", "postgres").urn);
        for (const x of ["cluster-backups-grant", "cluster-backups-federation"])
            assert.ok(
                [...waits].some(u => u.endsWith(`::${x}`)),
                `Postgres starts after ${x}`,
            );
    });

    it("hands pgbackup the identity and a projected token of the right audience, in Postgres and the base-backup Job", () => {
        const cron = spec(one(prod, "kubernetes:batch/v1:CronJob", "postgres-base-backup")).spec.jobTemplate.spec.template.spec;
        for (const pod of [postgres(), cron]) {
            const volume = pod.volumes.find((v: { name: string }) => v.name === "cloud-identity-token");
            assert.deepEqual(volume.projected.sources, [
                { serviceAccountToken: { audience: WORKLOAD_IDENTITY_TOKEN.audience, expirationSeconds: 3600, path: "azure-identity-token" } },
            ]);
            const c = pod.containers[0];
            assert.deepEqual(
                c.volumeMounts.find((m: { name: string }) => m.name === "cloud-identity-token"),
                { name: "cloud-identity-token", mountPath: "/var/run/secrets/azure/tokens", readOnly: true },
            );
            const env = Object.fromEntries(c.env.map((e: { name: string; value: string }) => [e.name, e.value]));
            assert.match(env.KUBESHIP_BACKUP_URL, /^azblob:\/\/kubeshipprod[0-9a-f]{6}\/postgres$/);
            assert.equal(env.AZURE_FEDERATED_TOKEN_FILE, WORKLOAD_IDENTITY_TOKEN.path);
            assert.equal(env.AZURE_TENANT_ID, AZURE_AFTER_DEPLOY.tenantId);
            assert.match(env.AZURE_CLIENT_ID, /^after-deploy-client-id-cluster-backups-identity$/);
        }
    });

    it("reads a restore's source archive through a grant narrowed to its account, container and prefix", async () => {
        const from = "azblob://acmeprod0a1b2c/postgres/restore-20261202T080000Z-0a1b2c3d";
        const { config, secretKeys } = overrideCloud(readStackConfig("prod"), "azure");
        const pg = { ...JSON.parse(config["kubeship:postgres"]), restore: { from, time: "2026-12-02T09:00:00Z" } };
        const restored = await runProgram({ stack: "staging", config: { ...config, "kubeship:postgres": JSON.stringify(pg) }, secretKeys });
        const g = one(restored, `${T}:authorization:RoleAssignment`, "cluster-backups-restore-source");
        const s = spec(g);
        const reader = spec(one(restored, `${T}:authorization:RoleDefinition`, "cluster-backups-restore-reader"));
        assert.deepEqual(reader.permissions, [
            { actions: [], notActions: [], dataActions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"], notDataActions: [] },
        ]);
        assert.deepEqual([s.roleDefinitionId, s.scope, s.conditionVersion], [role(reader.roleDefinitionId), `/subscriptions/${SUBSCRIPTION}`, "2.0"]);
        const B = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";
        const place =
            "@Resource[Microsoft.Storage/storageAccounts:name] StringEquals 'acmeprod0a1b2c' AND @Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'postgres'";
        assert.equal(
            s.condition,
            `(!(ActionMatches{'${B}/read'} AND NOT SubOperationMatches{'Blob.List'}) OR (${place} AND @Resource[${B}:path] StringStartsWith 'restore-20261202T080000Z-0a1b2c3d/'))` +
                ` AND (!(ActionMatches{'${B}/read'} AND SubOperationMatches{'Blob.List'}) OR (${place} AND @Request[${B}:prefix] StringStartsWith 'restore-20261202T080000Z-0a1b2c3d/'))`,
            "Microsoft's read-and-list example (storage-auth-abac-examples), with the account",
        );
        assert.equal(
            restoreSourceCondition(archiveSource("azblob://acmeprod0a1b2c/postgres")),
            `(!(ActionMatches{'${B}/read'} AND NOT SubOperationMatches{'Blob.List'}) OR (${place})) AND (!(ActionMatches{'${B}/read'} AND SubOperationMatches{'Blob.List'}) OR (${place}))`,
            "an archive at the container's root: the whole container",
        );
        assert.ok(dependencyClosure(restored, one(restored, "kubernetes:apps/v1:StatefulSet", "postgres").urn).has(g.urn));
        assert.deepEqual(
            all(prod, `${T}:authorization:RoleAssignment`).filter(x => x.name.endsWith("restore-source")),
            [],
            "none without a restore",
        );
    });
});
