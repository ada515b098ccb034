/**
 * The one shared mocks module. Every test and the offline render run the program through it:
 * `installMocks` gives a fresh mock monitor for one run and records every registration, with the
 * options the engine would see (dependencies, protect, retainOnDelete, provider).
 * Mocks never throw (a throw would only become a swallowed rejection): unknown invokes are recorded
 * and asserted empty.
 */
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { deserializeProperties } from "@pulumi/pulumi/runtime/rpc";

/** Values that exist only after a real deployment are shown as these placeholders. */
export const AFTER_DEPLOY = {
    loadBalancerAddress: "after-deploy.load-balancer.invalid",
};

/** What the engine would receive for one resource registration. */
export interface Registered {
    urn: string;
    type: string;
    name: string;
    parent: string;
    custom: boolean;
    /** Provider reference `urn::id`, empty when the default provider would be used. */
    provider: string;
    dependencies: string[];
    protect: boolean;
    retainOnDelete: boolean;
    ignoreChanges: string[];
    /** Inputs as the provider receives them; secrets are wrapped (see `isSecretWrapper`). */
    inputs: Record<string, unknown>;
}

export interface MockRun {
    registered: Registered[];
    unmockedCalls: string[];
    /** Every generated password handed out by the RandomPassword mock (for plain-text leak checks). */
    generatedSecrets: string[];
}

/** A password full of URL-special characters, different per resource, deterministic per run. */
export function fakePassword(name: string): string {
    const tag = crypto.createHash("sha256").update(name).digest("hex").slice(0, 10);
    return `Pw@${tag}:/?#%&[x]=+`;
}

type Fake = (args: pulumi.runtime.MockResourceArgs, run: MockRun) => Record<string, unknown>;
const fakeOutputs: Record<string, Fake> = {
    "random:index/randomPassword:RandomPassword": (args, run) => {
        const result = fakePassword(args.name);
        run.generatedSecrets.push(result);
        return { result, bcryptHash: "$2a$10$after-deploy" };
    },
    "kubernetes:core/v1:Service": args => args.inputs?.spec?.type === "LoadBalancer"
        ? { status: { loadBalancer: { ingress: [{ hostname: AFTER_DEPLOY.loadBalancerAddress }] } } }
        : { status: { loadBalancer: {} } },
};

/** Invokes the program is allowed to make, with canned answers. None yet: the local cluster invokes nothing. */
const fakeCalls: Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>> = {};

/** Installs fresh mocks for one program run as `stack` of project `kubeship`. */
export async function installMocks(stack: string): Promise<MockRun> {
    const run: MockRun = { registered: [], unmockedCalls: [], generatedSecrets: [] };
    await pulumi.runtime.setMocks({
        newResource(args) {
            const extra = fakeOutputs[args.type]?.(args, run) ?? {};
            return { id: args.custom === false ? undefined : `${args.name}-id`, state: { ...args.inputs, ...extra } };
        },
        call(args) {
            const fake = fakeCalls[args.token];
            if (!fake) {
                run.unmockedCalls.push(args.token);
                return {};
            }
            return fake(args.inputs);
        },
    }, "kubeship", stack, false);

    const monitor = pulumi.runtime.getMonitor() as any;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: unknown) => {
        run.registered.push({
            urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
            type: req.getType(),
            name: req.getName(),
            parent: req.getParent(),
            custom: req.getCustom(),
            provider: req.getProvider(),
            dependencies: req.getDependenciesList(),
            protect: req.getProtect() === true,
            retainOnDelete: req.getRetainondelete() === true,
            ignoreChanges: req.getIgnorechangesList(),
            inputs: deserializeProperties(req.getObject()),
        });
        return register(req, callback);
    };
    return run;
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** True for the wrapper a secret input arrives in under mocks. */
export function isSecretWrapper(value: unknown): value is { value: unknown } {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE;
}

/** Replaces every secret (and every string inside a secret object) with `replacement`, keeping the shape. */
export function redact(value: unknown, replacement = "<redacted>", inSecret = false): unknown {
    if (isSecretWrapper(value)) return redact(value.value, replacement, true);
    if (Array.isArray(value)) return value.map(v => redact(v, replacement, inSecret));
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, replacement, inSecret)]));
    }
    return inSecret && value !== undefined && value !== null ? replacement : value;
}

/** Removes the secret wrappers, exposing the values (for assertions about what a Secret holds). */
export function unwrap(value: unknown): unknown {
    if (isSecretWrapper(value)) return unwrap(value.value);
    if (Array.isArray(value)) return value.map(unwrap);
    if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
    return value;
}

/** Resolves an Output (or plain value) under mocks. */
export function valueOf<T>(output: pulumi.Input<T>): Promise<T> {
    return new Promise<T>(resolve => pulumi.output(output).apply(v => { resolve(v as T); return v; }));
}
