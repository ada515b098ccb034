/** The GKE cluster's own VPC-native network: a custom VPC, a subnet with named secondary ranges, Cloud NAT for private nodes. */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

export const RANGES = { nodes: "10.0.0.0/20", pods: "10.4.0.0/14", services: "10.8.0.0/20", controlPlane: "172.16.0.0/28" };

export interface Network {
    network: gcp.compute.Network;
    subnet: gcp.compute.Subnetwork;
}

/** @param afterApis options that wait for the project's APIs */
export function network(
    name: string,
    args: { clusterName: string; region: string },
    opts: pulumi.CustomResourceOptions,
    afterApis: pulumi.CustomResourceOptions,
): Network {
    const { clusterName, region } = args;
    const vpc = new gcp.compute.Network(`${name}-network`, { name: clusterName, autoCreateSubnetworks: false, routingMode: "REGIONAL" }, afterApis);
    const subnet = new gcp.compute.Subnetwork(
        `${name}-subnet`,
        {
            name: `${clusterName}-nodes`,
            region,
            network: vpc.id,
            ipCidrRange: RANGES.nodes,
            privateIpGoogleAccess: true,
            secondaryIpRanges: [
                { rangeName: "pods", ipCidrRange: RANGES.pods },
                { rangeName: "services", ipCidrRange: RANGES.services },
            ],
        },
        opts,
    );
    const router = new gcp.compute.Router(`${name}-router`, { name: clusterName, region, network: vpc.id }, opts);
    new gcp.compute.RouterNat(
        `${name}-nat`,
        {
            name: clusterName,
            region,
            router: router.name,
            natIpAllocateOption: "AUTO_ONLY",
            sourceSubnetworkIpRangesToNat: "ALL_SUBNETWORKS_ALL_IP_RANGES",
            logConfig: { enable: true, filter: "ERRORS_ONLY" },
        },
        opts,
    );
    return { network: vpc, subnet };
}
