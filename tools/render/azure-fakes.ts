/** The mocks' answers for azure-native's resources and invokes (the AKS layer): merged into mocks.ts' tables. */
import type * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { AFTER_DEPLOY, FAKE_CREDENTIALS } from "./after-deploy";
import type { MockRun } from "./mocks";

/** Azure's stand-ins: the deploying identity, the tenant and the NAT gateway's address (TEST-NET-1, RFC 5737). */
export const AZURE_AFTER_DEPLOY = {
    deployerObjectId: "after-deploy-deployer-object-id",
    tenantId: "after-deploy-tenant-id",
    egressIp: "192.0.2.10",
    issuerUrl: "https://after-deploy.oic.invalid/tenant/cluster/",
};

type Fake = (args: pulumi.runtime.MockResourceArgs, run: MockRun) => Record<string, unknown>;

/** An azure-native resource's `name` output is the input that names it (`resourceGroupName`, `accountName`, …). */
const named =
    (key: string): Fake =>
    args => ({ name: args.inputs[key] });

export const azureOutputs: Record<string, Fake> = {
    "azure-native:resources:ResourceGroup": named("resourceGroupName"),
    "azure-native:network:VirtualNetwork": named("virtualNetworkName"),
    "azure-native:network:PublicIPAddress": args => ({ name: args.inputs.publicIpAddressName, ipAddress: AZURE_AFTER_DEPLOY.egressIp }),
    "azure-native:managedidentity:UserAssignedIdentity": args => ({
        name: args.inputs.resourceName,
        clientId: `after-deploy-client-id-${args.name}`,
        principalId: `after-deploy-principal-id-${args.name}`,
        tenantId: AZURE_AFTER_DEPLOY.tenantId,
    }),
    "azure-native:containerregistry:Registry": args => ({ name: args.inputs.registryName, loginServer: `${args.inputs.registryName}.azurecr.io` }),
    "azure-native:containerservice:ManagedCluster": args => ({
        name: args.inputs.resourceName,
        fqdn: AFTER_DEPLOY.endpoint,
        oidcIssuerProfile: { enabled: true, issuerURL: AZURE_AFTER_DEPLOY.issuerUrl },
    }),
    "azure-native:storage:StorageAccount": named("accountName"),
    "azure-native:storage:BlobContainer": named("containerName"),
    "azure-native:authorization:RoleDefinition": named("roleDefinitionId"),
};

/** The kubeconfig AKS lists for its users (format exec): server and CA, and its own kubelogin user, which the layer replaces. */
function listedKubeconfig(): string {
    return Buffer.from(
        YAML.stringify({
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: "aks", cluster: { server: `https://${AFTER_DEPLOY.endpoint}`, "certificate-authority-data": AFTER_DEPLOY.caData } }],
            users: [{ name: "clusterUser", user: { exec: { command: "kubelogin", args: ["get-token", "--login", "devicecode"] } } }],
        }),
    ).toString("base64");
}

export const azureCalls: Record<string, (inputs: Record<string, any>, run: MockRun) => Record<string, unknown>> = {
    "azure-native:authorization:getClientConfig": () => ({
        clientId: "after-deploy-deployer-client-id",
        objectId: AZURE_AFTER_DEPLOY.deployerObjectId,
        subscriptionId: "after-deploy",
        tenantId: AZURE_AFTER_DEPLOY.tenantId,
    }),
    "azure-native:containerservice:listManagedClusterUserCredentials": () => ({ kubeconfigs: [{ name: "clusterUser", value: listedKubeconfig() }] }),
};

/**
 * What AKS offers (`az aks get-versions`, the ARM API's shape): 1.33 under long-term support only, 1.34
 * to 1.36 in standard support (and long-term), 1.37 in preview.
 */
export const AKS_OFFERED_VERSIONS = [
    { version: "1.37", isPreview: true, capabilities: { supportPlan: ["KubernetesOfficial"] } },
    { version: "1.36", isPreview: null, capabilities: { supportPlan: ["KubernetesOfficial", "AKSLongTermSupport"] } },
    { version: "1.35", isPreview: null, capabilities: { supportPlan: ["KubernetesOfficial", "AKSLongTermSupport"] } },
    { version: "1.34", isPreview: null, capabilities: { supportPlan: ["KubernetesOfficial", "AKSLongTermSupport"] } },
    { version: "1.33", isPreview: null, capabilities: { supportPlan: ["AKSLongTermSupport"] } },
];

/**
 * The Azure CLI's answers: `az acr login --expose-token` prints the deploying identity's registry token,
 * `az aks get-versions` the versions AKS offers.
 */
export function azureCommand(command: string, run: MockRun): Record<string, unknown> | undefined {
    if (command.startsWith("az aks get-versions ")) return { command, stdout: JSON.stringify({ values: AKS_OFFERED_VERSIONS }), stderr: "" };
    if (!command.startsWith("az acr login ")) return undefined;
    run.generatedSecrets.push(FAKE_CREDENTIALS.acrToken);
    return { command, stdout: FAKE_CREDENTIALS.acrToken, stderr: "" };
}
