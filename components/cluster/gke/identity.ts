/**
 * What GKE runs as and encrypts with: a regional Cloud KMS key for Secrets that GKE's service agent may
 * use, and the nodes' own service account with only `roles/container.defaultNodeServiceAccount`. The
 * service agent is created explicitly (`ServiceIdentity`): on a fresh project it exists only some time
 * after the API is enabled, and the key's IAM binding would fail before it does.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { uniqueName } from "../common";

export interface Identity {
    /** The Secrets key, once GKE's service agent may use it. */
    secretsKey: gcp.kms.CryptoKey;
    keyAccess: gcp.kms.CryptoKeyIAMMember;
    nodeAccount: gcp.serviceaccount.Account;
    /** The nodes' role binding: node pools wait for it, or their nodes cannot write logs and metrics. */
    nodeRole: gcp.projects.IAMMember;
    /** `serviceAccount:<node account>`, for IAM bindings. */
    nodeMember: pulumi.Output<string>;
}

export function identity(
    name: string,
    args: { clusterName: string; project: string; region: string },
    parent: pulumi.Resource,
    opts: pulumi.CustomResourceOptions,
    afterApis: pulumi.CustomResourceOptions,
): Identity {
    const { clusterName, project, region } = args;
    // Key rings cannot be deleted, so the name carries a random suffix: a destroyed stack can be created again.
    const keyRing = new gcp.kms.KeyRing(`${name}-keyring`, { name: uniqueName(`${name}-keyring-suffix`, clusterName, parent), location: region }, afterApis);
    const secretsKey = new gcp.kms.CryptoKey(
        `${name}-secrets-key`,
        { name: "kubernetes-secrets", keyRing: keyRing.id, purpose: "ENCRYPT_DECRYPT", rotationPeriod: "7776000s" },
        opts,
    );
    const agent = new gcp.projects.ServiceIdentity(`${name}-gke-agent`, { project, service: "container.googleapis.com" }, afterApis);
    const keyAccess = new gcp.kms.CryptoKeyIAMMember(
        `${name}-secrets-key-gke`,
        { cryptoKeyId: secretsKey.id, role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member: agent.member },
        afterApis,
    );
    const nodeAccount = new gcp.serviceaccount.Account(
        `${name}-nodes`,
        { accountId: `${clusterName}-nodes`.slice(0, 30).replace(/-+$/, ""), displayName: `kubeship ${clusterName} nodes` },
        afterApis,
    );
    const nodeMember = pulumi.interpolate`serviceAccount:${nodeAccount.email}`;
    const nodeRole = new gcp.projects.IAMMember(
        `${name}-nodes-role`,
        { project, role: "roles/container.defaultNodeServiceAccount", member: nodeMember },
        afterApis,
    );
    return { secretsKey, keyAccess, nodeAccount, nodeMember, nodeRole };
}
