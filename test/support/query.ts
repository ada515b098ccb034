/** Small lookups over a run's registrations, for assertions. */
import type { RunResult } from "../../tools/render/harness";
import { Registered, unwrap } from "../../tools/render/mocks";

/** The one registration of `type` whose Kubernetes name (or Pulumi name) is `name`. */
export function one(run: RunResult, type: string, name?: string): Registered {
    const found = run.registered.filter(r => r.type === type && (name === undefined || r.name === name || (r.inputs.metadata as any)?.name === name));
    if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
    return found[0];
}

export function all(run: RunResult, type: string): Registered[] {
    return run.registered.filter(r => r.type === type);
}

/** A registration's inputs with secret wrappers removed. */
export function spec(r: Registered): any {
    return unwrap(r.inputs);
}

/**
 * Every URN `urn` waits for: its dependencies and its ancestors' (a child waits for what its parent
 * component depends on), and theirs in turn.
 */
export function dependencyClosure(run: RunResult, urn: string): Set<string> {
    const byUrn = new Map(run.registered.map(r => [r.urn, r]));
    const seen = new Set<string>();
    const stack = [urn];
    while (stack.length) {
        for (let r = byUrn.get(stack.pop()!); r; r = byUrn.get(r.parent)) {
            for (const d of r.dependencies) {
                if (!seen.has(d)) {
                    seen.add(d);
                    stack.push(d);
                }
            }
        }
    }
    return seen;
}

/** True when `r` sits, at any depth, under a component of type `componentType` (mock URNs hold one level). */
export function isUnder(run: RunResult, r: Registered, componentType: string): boolean {
    const byUrn = new Map(run.registered.map(x => [x.urn, x]));
    for (let parent = byUrn.get(r.parent); parent; parent = byUrn.get(parent.parent)) {
        if (parent.type === componentType) return true;
    }
    return false;
}
