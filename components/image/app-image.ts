import * as path from "node:path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { RegistryInfo } from "../cluster/contract";
import { projectRoot } from "./project-root";

export interface AppImageArgs {
    /** Where to push: the cluster contract's registry (push credentials are secrets). */
    registry: RegistryInfo;
    /** Build context, relative to the project root or absolute. */
    context: string;
    /** Dockerfile, relative to the context. */
    dockerfile: string;
    /** Target platform (cloud nodes are amd64, so ARM laptops cross-build). */
    platform: string;
    /** The rolling tag pushed with every build and pulled back as build cache. Deployments never use it: they pin the digest. */
    tag: string;
}

/**
 * Builds the app image with Docker (BuildKit, inline cache from the previous push), pushes it to the
 * cluster's registry, and exposes `ref`, the digest-pinned reference (`repo@sha256:…`): a code change
 * rolls out, an unchanged build rolls nothing. It needs only the registry, not the cluster, so the
 * build runs while the cluster is created.
 */
export class AppImage extends pulumi.ComponentResource {
    /** `repository@sha256:<digest>`, for the Deployment. */
    readonly ref: pulumi.Output<string>;
    readonly image: docker.Image;

    constructor(name: string, args: AppImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:image:AppImage", name, {}, opts);
        const context = path.resolve(projectRoot(), args.context);
        const dockerfile = path.resolve(context, args.dockerfile);
        const { platform, tag } = args;

        const provider = new docker.Provider(`${name}-docker`, {}, { parent: this });
        const imageName = pulumi.interpolate`${args.registry.repository}:${tag}`;
        const credentials =
            args.registry.username !== undefined && args.registry.password !== undefined
                ? { server: args.registry.server, username: args.registry.username, password: pulumi.secret(args.registry.password) }
                : undefined;

        this.image = new docker.Image(
            `${name}-image`,
            {
                imageName,
                build: {
                    context,
                    dockerfile,
                    platform,
                    builderVersion: "BuilderBuildKit",
                    args: { BUILDKIT_INLINE_CACHE: "1" },
                    cacheFrom: { images: [imageName] },
                },
                registry: credentials,
            },
            { parent: this, provider },
        );

        this.ref = this.image.repoDigest;
        this.registerOutputs({ ref: this.ref });
    }
}
