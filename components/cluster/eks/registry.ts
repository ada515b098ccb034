/** ECR for the app image (and pgbackup's): scanned on push, immutable tags except the builds' rolling tags, old images expired. */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { RegistryInfo } from "../contract";

/** The lifecycle: untagged images go after 7 days, and only the 30 newest stay. */
const LIFECYCLE = JSON.stringify({
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
});

/**
 * @param rollingTags the tags pushes may overwrite: the image builds' cache tags.
 * @param keepImages refuse to delete the repository while it holds images; otherwise `destroy` deletes them with it.
 */
export function registry(
    name: string,
    args: { clusterName: string; rollingTags: string[]; keepImages: boolean },
    opts: pulumi.CustomResourceOptions,
): RegistryInfo {
    const repository = new aws.ecr.Repository(
        `${name}-registry`,
        {
            name: `${args.clusterName}/app`,
            imageScanningConfiguration: { scanOnPush: true },
            imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
            imageTagMutabilityExclusionFilters: args.rollingTags.map(filter => ({ filter, filterType: "WILDCARD" })),
            encryptionConfigurations: [{ encryptionType: "AES256" }],
            forceDelete: !args.keepImages,
        },
        opts,
    );
    new aws.ecr.LifecyclePolicy(`${name}-registry-lifecycle`, { repository: repository.name, policy: LIFECYCLE }, opts);
    const token = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, opts);
    return {
        server: repository.repositoryUrl.apply(url => url.split("/")[0]),
        repository: repository.repositoryUrl,
        username: token.userName,
        password: pulumi.secret(token.password),
    };
}
