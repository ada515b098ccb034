/** Artifact Registry for the app image, with cleanup; the nodes may only read this repository. */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { RegistryInfo } from "../contract";

export function registry(
    name: string,
    args: { clusterName: string; project: string; region: string; nodeMember: pulumi.Input<string> },
    opts: pulumi.CustomResourceOptions,
    afterApis: pulumi.CustomResourceOptions,
): { info: RegistryInfo; nodeAccess: gcp.artifactregistry.RepositoryIamMember } {
    const { project, region } = args;
    const repository = new gcp.artifactregistry.Repository(
        `${name}-registry`,
        {
            repositoryId: args.clusterName,
            location: region,
            format: "DOCKER",
            description: "kubeship app images",
            cleanupPolicies: [
                { id: "delete-untagged", action: "DELETE", condition: { tagState: "UNTAGGED", olderThan: "604800s" } },
                { id: "keep-recent", action: "KEEP", mostRecentVersions: { keepCount: 20 } },
            ],
        },
        afterApis,
    );
    const nodeAccess = new gcp.artifactregistry.RepositoryIamMember(
        `${name}-registry-nodes`,
        { location: region, repository: repository.name, role: "roles/artifactregistry.reader", member: args.nodeMember },
        opts,
    );
    const server = `${region}-docker.pkg.dev`;
    const info = {
        server,
        repository: pulumi.interpolate`${server}/${project}/${repository.repositoryId}/app`,
        username: "oauth2accesstoken",
        password: pulumi.secret(gcp.organizations.getClientConfigOutput(opts).accessToken),
    };
    return { info, nodeAccess };
}
