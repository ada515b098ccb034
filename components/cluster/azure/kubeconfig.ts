/**
 * The AKS kubeconfig: the server and CA AKS lists for the cluster's users, with kubelogin as the exec
 * plugin (Entra ID tokens; local accounts are off, so no static credential exists). `azurecli` logs in as
 * the Azure CLI's identity, a person's or, in CI, the one `azure/login` signed in; kubelogin also honours
 * `AAD_LOGIN_METHOD` (workloadidentity, spn) without a change of the kubeconfig.
 */
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { execKubeconfig } from "../kubeconfig";

/** The Entra ID application of the AKS API server: every AKS cluster's token audience. */
export const AKS_SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630";

/** Server and CA from a kubeconfig AKS lists (base64 of YAML). */
export function listedCluster(base64: string): { server: string; caData: string } {
    const listed = YAML.parse(Buffer.from(base64, "base64").toString("utf8")) as { clusters?: { cluster?: Record<string, string | undefined> }[] } | null;
    const cluster = listed?.clusters?.[0]?.cluster;
    const server = cluster?.server;
    const caData = cluster?.["certificate-authority-data"];
    if (!server || !caData) throw new Error("AKS listed a kubeconfig without a server and CA");
    return { server, caData };
}

export function aksKubeconfig(
    args: { subscriptionId: string; resourceGroupName: pulumi.Input<string>; cluster: containerservice.ManagedCluster },
    opts: pulumi.InvokeOutputOptions,
): pulumi.Output<string> {
    const listed = containerservice.listManagedClusterUserCredentialsOutput(
        { resourceGroupName: args.resourceGroupName, resourceName: args.cluster.name, format: "exec" },
        opts,
    );
    return pulumi.secret(
        pulumi.all([args.cluster.name, listed.kubeconfigs]).apply(([name, kubeconfigs]) => {
            const { server, caData } = listedCluster(kubeconfigs[0].value);
            return execKubeconfig(`aks_${args.subscriptionId}_${name}`, server, caData, {
                command: "kubelogin",
                args: ["get-token", "--login", "azurecli", "--server-id", AKS_SERVER_ID],
                installHint: "Install kubelogin: az aks install-cli (https://azure.github.io/kubelogin/install.html)",
            });
        }),
    );
}
