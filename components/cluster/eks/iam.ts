/** IAM pieces the EKS builders share. */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** A trust policy that lets `service` assume (and tag sessions of) a role. */
export function assumeRolePolicy(service: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
    });
}

/** The account's partition (`aws`, `aws-cn`, …), read once, and the ARNs built from it. */
export interface Partition {
    name: pulumi.Output<string>;
    /** The ARN of an AWS managed policy. */
    managedPolicy(path: string): pulumi.Output<string>;
}

export function partition(opts: pulumi.InvokeOutputOptions): Partition {
    const name = aws.getPartitionOutput({}, opts).partition;
    return { name, managedPolicy: path => pulumi.interpolate`arn:${name}:iam::aws:policy/${path}` };
}
