/** The EKS cluster's own VPC: three AZs, public subnets for load balancers, private subnets for nodes, NAT. */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

const VPC_CIDR = "10.0.0.0/16";
export const AZ_COUNT = 3;
const publicCidr = (i: number) => `10.0.${i}.0/24`;
const privateCidr = (i: number) => `10.0.${16 * (i + 1)}.0/20`;

export interface NetworkArgs {
    clusterName: string;
    /** A NAT gateway per AZ (an AZ outage keeps the others' egress), or one. */
    natGateways: "perAz" | "single";
}

export interface Network {
    vpc: aws.ec2.Vpc;
    /** Where the nodes run. */
    privateSubnets: aws.ec2.Subnet[];
    /** Their route tables, one per zone (gateway endpoints attach to them). */
    privateRouteTables: aws.ec2.RouteTable[];
}

/** A subnet in zone `i` with its own route association. */
function subnet(name: string, args: aws.ec2.SubnetArgs, routeTableId: pulumi.Input<string>, opts: pulumi.CustomResourceOptions): aws.ec2.Subnet {
    const created = new aws.ec2.Subnet(name, args, opts);
    new aws.ec2.RouteTableAssociation(name, { subnetId: created.id, routeTableId }, opts);
    return created;
}

export function network(name: string, args: NetworkArgs, opts: pulumi.CustomResourceOptions): Network {
    const clusterName = args.clusterName;
    const azs = aws.getAvailabilityZonesOutput({ state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] }, opts);
    const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: VPC_CIDR, enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: clusterName } }, opts);
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { Name: clusterName } }, opts);
    const publicRoutes = new aws.ec2.RouteTable(
        `${name}-public`,
        { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: { Name: `${clusterName}-public` } },
        opts,
    );
    const zones = Array.from({ length: AZ_COUNT }, (_, i) => i);
    const publicSubnets = zones.map(i =>
        subnet(
            `${name}-public-${i}`,
            {
                vpcId: vpc.id,
                cidrBlock: publicCidr(i),
                availabilityZone: azs.names[i],
                mapPublicIpOnLaunch: false,
                tags: { Name: `${clusterName}-public-${i}`, "kubernetes.io/role/elb": "1" },
            },
            publicRoutes.id,
            opts,
        ),
    );
    const nats = zones.slice(0, args.natGateways === "perAz" ? AZ_COUNT : 1).map(i => {
        const eip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: "vpc", tags: { Name: `${clusterName}-nat-${i}` } }, opts);
        return new aws.ec2.NatGateway(
            `${name}-nat-${i}`,
            { allocationId: eip.id, subnetId: publicSubnets[i].id, tags: { Name: `${clusterName}-nat-${i}` } },
            { ...opts, dependsOn: [igw] },
        );
    });
    const privateRouteTables: aws.ec2.RouteTable[] = [];
    const privateSubnets = zones.map(i => {
        // Each zone routes out through its own NAT gateway (or the only one).
        const routes = new aws.ec2.RouteTable(
            `${name}-private-${i}`,
            {
                vpcId: vpc.id,
                routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nats[Math.min(i, nats.length - 1)].id }],
                tags: { Name: `${clusterName}-private-${i}` },
            },
            opts,
        );
        privateRouteTables.push(routes);
        return subnet(
            `${name}-private-${i}`,
            {
                vpcId: vpc.id,
                cidrBlock: privateCidr(i),
                availabilityZone: azs.names[i],
                tags: { Name: `${clusterName}-private-${i}`, "kubernetes.io/role/internal-elb": "1" },
            },
            routes.id,
            opts,
        );
    });
    return { vpc, privateSubnets, privateRouteTables };
}
