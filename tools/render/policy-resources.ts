/**
 * A program run as the policy pack sees it at preview: Kubernetes objects with their real (unwrapped)
 * inputs and their `protect` option. The rules and their adapter are the pack's own (`policy/rules.ts`).
 */
import { violations, type Resource } from "../../policy/rules";
import { kubernetesObjects, type RunResult } from "./harness";
import { unwrap } from "./mocks";

export function policyResources(run: RunResult): Resource[] {
    return kubernetesObjects(run.registered).map(r => ({ type: r.type, urn: r.urn, props: unwrap(r.inputs) as Record<string, any>, protect: r.protect }));
}

/** Every violation of the pack's rules in a run, each prefixed with its rule's name. */
export function policyViolations(run: RunResult, protectedStacks: string[] = ["prod"]): string[] {
    return violations(policyResources(run), protectedStacks);
}
