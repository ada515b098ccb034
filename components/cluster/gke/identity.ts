/**
 * What GKE runs as and encrypts with: a regional Cloud KMS key for Secrets that GKE's service agent may
 * use, and the nodes' own service account with only `roles/container.defaultNodeServiceAccount`.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

export interface Identity {
    /** The Secrets key, once GKE's service agent may use it. */
    secretsKey: gcp.kms.CryptoKey;
    keyAccess: gcp.kms.CryptoKeyIAMMember;
    nodeAccount: gcp.serviceaccount.Account;
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
    const suffix = new random.RandomId(`${name}-keyring-suffix`, { byteLength: 3 }, { parent });
    const keyRing = new gcp.kms.KeyRing(`${name}-keyring`, { name: pulumi.interpolate`${clusterName}-${suffix.hex}`, location: region }, afterApis);
    const secretsKey = new gcp.kms.CryptoKey(
        `${name}-secrets-key`,
        { name: "kubernetes-secrets", keyRing: keyRing.id, purpose: "ENCRYPT_DECRYPT", rotationPeriod: "7776000s" },
        opts,
    );
    const projectInfo = gcp.organizations.getProjectOutput({ projectId: project }, opts);
    const keyAccess = new gcp.kms.CryptoKeyIAMMember(
        `${name}-secrets-key-gke`,
        {
            cryptoKeyId: secretsKey.id,
            role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
            member: pulumi.interpolate`serviceAccount:service-${projectInfo.number}@container-engine-robot.iam.gserviceaccount.com`,
        },
        afterApis,
    );
    const nodeAccount = new gcp.serviceaccount.Account(
        `${name}-nodes`,
        { accountId: `${clusterName}-nodes`.slice(0, 30).replace(/-+$/, ""), displayName: `kubeship ${clusterName} nodes` },
        opts,
    );
    const nodeMember = pulumi.interpolate`serviceAccount:${nodeAccount.email}`;
    new gcp.projects.IAMMember(`${name}-nodes-role`, { project, role: "roles/container.defaultNodeServiceAccount", member: nodeMember }, opts);
    return { secretsKey, keyAccess, nodeAccount, nodeMember };
}
