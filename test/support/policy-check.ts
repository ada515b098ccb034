/**
 * Runs the policy pack's rules over a program run, the way the policy engine sees it at preview:
 * Kubernetes objects with their real (unwrapped) inputs and their `protect` option.
 */
import { networkPolicies, OBJECT_RULES, protectedData, Resource } from "../../policy/rules";
import { kubernetesObjects, type RunResult } from "./harness";
import { unwrap } from "./mocks";

export function policyResources(run: RunResult): Resource[] {
    return kubernetesObjects(run.registered).map(r => ({ type: r.type, urn: r.urn, props: unwrap(r.inputs) as Record<string, any>, protect: r.protect }));
}

/** Every violation of every rule, prefixed with the rule's name. */
export function policyViolations(run: RunResult, protectedStacks: string[] = ["prod"]): string[] {
    const resources = policyResources(run);
    return [
        ...Object.entries(OBJECT_RULES).flatMap(([name, rule]) => resources.flatMap(r => rule.check(r.props).map(v => `${name}: ${v}`))),
        ...networkPolicies(resources.map(r => r.props)).map(v => `network-policy-present: ${v}`),
        ...protectedData(resources, protectedStacks).map(v => `prod-data-protected: ${v}`),
    ];
}
