/**
 * The cluster's own network: a resource group for the cluster and its network, a VNet with the nodes'
 * subnet, and a NAT gateway that is the nodes' only way out, with one static address to allow-list.
 * Pods and Services use overlay ranges off the VNet (Azure CNI Overlay), so the /22 holds nodes only.
 * The data (Postgres' disks, the backup account) has a resource group of its own, `<cluster>-data`:
 * deleting a resource group deletes everything in it, and AKS deletes its node resource group, where
 * the disks would otherwise go, with the cluster; with protected data this one outlives `destroy`.
 */
import * as network from "@pulumi/azure-native/network";
import * as resources from "@pulumi/azure-native/resources";
import type * as pulumi from "@pulumi/pulumi";
import { dataProtection } from "../contract";

/** The VNet, the nodes' subnet in it (up to 1,019 nodes), and the overlay ranges (AKS's defaults), which must not overlap it. */
export const ADDRESSES = {
    vnet: "10.240.0.0/16",
    nodes: "10.240.0.0/22",
    pods: "10.244.0.0/16",
    services: "10.0.0.0/16",
    dns: "10.0.0.10",
} as const;

export interface AzureNetwork {
    group: resources.ResourceGroup;
    /** Where the data lives: Postgres' disks and the backup account. */
    dataGroup: resources.ResourceGroup;
    subnet: network.Subnet;
    /** The NAT gateway's public address: where the nodes' traffic comes from. */
    egressIp: network.PublicIPAddress;
    natGateway: network.NatGateway;
}

export function azureNetwork(
    name: string,
    args: { clusterName: string; region: string; retainVolumes: boolean },
    opts: pulumi.CustomResourceOptions,
): AzureNetwork {
    const location = args.region;
    const group = new resources.ResourceGroup(`${name}-group`, { resourceGroupName: args.clusterName, location }, opts);
    const dataGroup = new resources.ResourceGroup(
        `${name}-data-group`,
        { resourceGroupName: `${args.clusterName}-data`, location },
        { ...opts, ...dataProtection(args.retainVolumes) },
    );
    const resourceGroupName = group.name;
    const egressIp = new network.PublicIPAddress(
        `${name}-egress-ip`,
        { resourceGroupName, location, publicIpAddressName: `${args.clusterName}-egress`, sku: { name: "Standard" }, publicIPAllocationMethod: "Static" },
        opts,
    );
    // One NAT gateway for the region (Azure's is zonal or regional, not one per zone): 64,512 flows per address.
    const natGateway = new network.NatGateway(
        `${name}-nat`,
        {
            resourceGroupName,
            location,
            natGatewayName: args.clusterName,
            sku: { name: "Standard" },
            publicIpAddresses: [{ id: egressIp.id }],
            idleTimeoutInMinutes: 4,
        },
        opts,
    );
    // The subnets are their own resources, not inline in the VNet: an update of the VNet then leaves them be.
    const vnet = new network.VirtualNetwork(
        `${name}-vnet`,
        { resourceGroupName, location, virtualNetworkName: args.clusterName, addressSpace: { addressPrefixes: [ADDRESSES.vnet] } },
        { ...opts, ignoreChanges: ["subnets"] },
    );
    const subnet = new network.Subnet(
        `${name}-nodes`,
        {
            resourceGroupName,
            virtualNetworkName: vnet.name,
            subnetName: "nodes",
            addressPrefix: ADDRESSES.nodes,
            natGateway: { id: natGateway.id },
            // Blob traffic (backups) stays on Azure's backbone instead of the NAT's per-GB charge.
            serviceEndpoints: [{ service: "Microsoft.Storage" }],
            defaultOutboundAccess: false,
        },
        opts,
    );
    return { group, dataGroup, subnet, egressIp, natGateway };
}
