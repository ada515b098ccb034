/**
 * Azure Container Registry for the app image (and pgbackup's), without its admin user: the kubelets pull
 * with their identity (AcrPull), and the image build pushes with a token of the deploying identity.
 */
import * as command from "@pulumi/command";
import * as containerregistry from "@pulumi/azure-native/containerregistry";
import * as pulumi from "@pulumi/pulumi";
import { uniqueName } from "../common";
import type { RegistryInfo } from "../contract";
import { AzurePlace, grant } from "./identity";

/** The user name of an ACR access token: a fixed GUID, not a person (learn.microsoft.com, ACR authentication). */
export const ACR_TOKEN_USER = "00000000-0000-0000-0000-000000000000";

export interface AzureRegistry {
    info: RegistryInfo;
    registry: containerregistry.Registry;
    /** The kubelets' pull grant: nodes pull from their first minute when the cluster waits for it. */
    nodeAccess: pulumi.Resource;
}

export function azureRegistry(
    name: string,
    args: AzurePlace & {
        kubeletPrincipalId: pulumi.Input<string>;
        deployerObjectId: pulumi.Input<string>;
        commands: command.Provider;
    },
    parent: pulumi.Resource,
    opts: pulumi.CustomResourceOptions,
): AzureRegistry {
    const registry = new containerregistry.Registry(
        `${name}-registry`,
        {
            resourceGroupName: args.resourceGroupName,
            location: args.region,
            // Letters and digits only, unique across Azure.
            registryName: uniqueName(`${name}-registry-suffix`, args.clusterName, parent, ""),
            sku: { name: "Standard" },
            adminUserEnabled: false,
            anonymousPullEnabled: false,
        },
        opts,
    );
    const nodeAccess = grant(
        `${name}-registry-pull-grant`,
        { subscriptionId: args.subscriptionId, scope: registry.id, role: "acrPull", principalId: args.kubeletPrincipalId, principalType: "ServicePrincipal" },
        opts,
    );
    const push = grant(
        `${name}-registry-push-grant`,
        { subscriptionId: args.subscriptionId, scope: registry.id, role: "acrPush", principalId: args.deployerObjectId },
        opts,
    );
    // The deploying identity's ACR token (about three hours), fetched on every run by the Azure CLI that
    // kubelogin uses too: azure-native cannot create registry passwords without the admin user
    // (pulumi/pulumi-azure-native#3099). The command line holds the registry's name only.
    const token = command.local.runOutput(
        {
            command: pulumi.interpolate`az acr login --name ${registry.name} --expose-token --output tsv --query accessToken`,
            logging: "none",
        },
        { parent, provider: args.commands, dependsOn: [push] },
    );
    return {
        info: {
            server: registry.loginServer,
            repository: pulumi.interpolate`${registry.loginServer}/app`,
            username: ACR_TOKEN_USER,
            password: pulumi.secret(token.stdout),
        },
        registry,
        nodeAccess,
    };
}
