/**
 * The Gateway API's CustomResourceDefinitions, standard channel, from the pinned release
 * (vendor/gateway-api-crds.yaml): ten kinds and the admission policy that refuses an older or
 * experimental bundle over them. Installed where the cluster has no Gateway implementation of its own.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AddonArgs } from "./addon";
import { readManifests, registerManifests } from "./manifests";

export class GatewayApiCrds extends pulumi.ComponentResource {
    constructor(name: string, args: AddonArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:platform:GatewayApiCrds", name, {}, opts);
        registerManifests(name, readManifests("gateway-api-crds.yaml"), { parent: this, provider: args.cluster.provider });
        this.registerOutputs({});
    }
}
