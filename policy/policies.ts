/**
 * The policies of kubeship's pack, apart from the pack itself (constructing a PolicyPack starts its
 * gRPC server), so the tests can run them.
 */
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { isKubernetesObject, Manifest, networkPolicies, OBJECT_RULES, protectedData } from "./rules";

export const objectPolicies: ResourceValidationPolicy[] = Object.entries(OBJECT_RULES).map(([name, rule]) => ({
    name,
    description: rule.description,
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (!isKubernetesObject(args.type)) return;
        for (const violation of rule.check(args.props as Manifest)) reportViolation(violation);
    },
}));

export const stackPolicies: StackValidationPolicy[] = [
    {
        name: "network-policy-present",
        description: "Every namespace with workloads has a default-deny NetworkPolicy (the cluster's own kube-* namespaces aside).",
        enforcementLevel: "mandatory",
        validateStack: (args, reportViolation) => {
            const objects = args.resources.filter(r => isKubernetesObject(r.type)).map(r => r.props as Manifest);
            for (const violation of networkPolicies(objects)) reportViolation(violation);
        },
    },
    {
        name: "prod-data-protected",
        description: "In production stacks, Postgres and its namespace are protected from deletion.",
        enforcementLevel: "mandatory",
        configSchema: { properties: { stacks: { type: "array", items: { type: "string" }, default: ["prod"] } } },
        validateStack: (args, reportViolation) => {
            const { stacks } = args.getConfig<{ stacks: string[] }>();
            const resources = args.resources.map(r => ({ type: r.type, urn: r.urn, props: r.props as Manifest, protect: r.opts.protect }));
            for (const violation of protectedData(resources, stacks)) reportViolation(violation);
        },
    },
];
