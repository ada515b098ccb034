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
import { AFTER_DEPLOY, FAKE_CREDENTIALS } from "./after-deploy";
import { azureCalls, azureCommand, azureOutputs } from "./azure-fakes";

export { AFTER_DEPLOY, FAKE_CREDENTIALS } from "./after-deploy";

/** A kind-style kubeconfig with one context, written to a temp file: runs never read the user's own. */
export function fakeKubeconfig(context: string): string {
    return [
        "apiVersion: v1",
        "kind: Config",
        `current-context: ${context}`,
        "clusters:",
        `- name: ${context}`,
        "  cluster:",
        "    server: https://127.0.0.1:6443",
        "    certificate-authority-data: RkFLRS1DQQ==",
        "contexts:",
        `- name: ${context}`,
        "  context:",
        `    cluster: ${context}`,
        `    user: ${context}`,
        "users:",
        `- name: ${context}`,
        "  user:",
        "    client-certificate-data: RkFLRS1DRVJU",
        "    client-key-data: RkFLRS1LRVk=",
        "",
    ].join("\n");
}

/** The fake kubeconfig's client key: it must never appear outside a secret. */
export const FAKE_CLIENT_KEY = "RkFLRS1LRVk=";

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
    /** URNs whose replacement replaces this resource (`replaceWith`). */
    replaceWith: string[];
    /** The `replacementTrigger` option's value, when set. */
    replacementTrigger?: unknown;
    /** Inputs as the provider receives them; secrets are wrapped (see `isSecretWrapper`). */
    inputs: Record<string, unknown>;
}

export interface MockRun {
    registered: Registered[];
    /** Every invoke the program made, with its arguments. */
    calls: { token: string; inputs: Record<string, any> }[];
    unmockedCalls: string[];
    /** Every generated password handed out by the RandomPassword mock (for plain-text leak checks). */
    generatedSecrets: string[];
}

/**
 * A password full of URL-special characters, different per resource and per keepers (a changed keeper
 * replaces a RandomPassword, which then generates anew), deterministic per run.
 */
export function fakePassword(name: string, keepers: unknown = {}): string {
    const tag = crypto
        .createHash("sha256")
        .update(`${name}\0${JSON.stringify(keepers)}`)
        .digest("hex")
        .slice(0, 10);
    return `Pw@${tag}:/?#%&[x]=+`;
}

/** The image name without tag or digest, from a `repo:tag` or `repo@digest` reference. */
export function repositoryOf(reference: string): string {
    const noDigest = reference.split("@")[0];
    const slash = noDigest.lastIndexOf("/");
    const colon = noDigest.lastIndexOf(":");
    return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

type Fake = (args: pulumi.runtime.MockResourceArgs, run: MockRun) => Record<string, unknown>;
const fakeOutputs: Record<string, Fake> = {
    "random:index/randomPassword:RandomPassword": (args, run) => {
        const result = fakePassword(args.name, args.inputs.keepers);
        run.generatedSecrets.push(result);
        return { result, bcryptHash: "$2a$10$after-deploy" };
    },
    "kubernetes:core/v1:Service": args =>
        args.inputs?.spec?.type === "LoadBalancer"
            ? { status: { loadBalancer: { ingress: [{ hostname: AFTER_DEPLOY.loadBalancerAddress }] } } }
            : { status: { loadBalancer: {} } },
    "random:index/randomId:RandomId": () => ({ hex: "a1b2c3", b64Url: "obLD" }),
    // A stable GUID per resource, of the version 4 form.
    "random:index/randomUuid:RandomUuid": args => {
        const h = crypto.createHash("sha256").update(args.name).digest("hex");
        return { result: `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}` };
    },
    // The kind layer's scripts print whether they made their thing.
    "command:local:Command": () => ({ stdout: "created", stderr: "" }),
    // A build's digest exists only after it is pushed: a stable stand-in derived from what is built.
    "docker:index/image:Image": args => {
        const name = String(args.inputs.imageName);
        const digest = crypto
            .createHash("sha256")
            .update(`${name}\n${JSON.stringify(args.inputs.build)}`)
            .digest("hex");
        return { repoDigest: `${repositoryOf(name)}@sha256:${digest}`, baseImageName: name };
    },
    ...azureOutputs,
    // GKE
    "gcp:container/cluster:Cluster": () => ({ endpoint: AFTER_DEPLOY.endpoint, masterAuth: { clusterCaCertificate: AFTER_DEPLOY.caData } }),
    "gcp:serviceaccount/account:Account": args => ({ email: `${args.inputs.accountId}@after-deploy.iam.gserviceaccount.com` }),
    // EKS
    "aws:eks/cluster:Cluster": args => ({
        arn: `arn:aws:eks:after-deploy:${AFTER_DEPLOY.account}:cluster/${args.inputs.name}`,
        endpoint: `https://${AFTER_DEPLOY.endpoint}`,
        certificateAuthority: { data: AFTER_DEPLOY.caData },
    }),
    "gcp:projects/serviceIdentity:ServiceIdentity": args => {
        const email = `service-123456789012@${String(args.inputs.service).split(".")[0]}-engine-robot.iam.gserviceaccount.com`;
        return { email, member: `serviceAccount:${email}` };
    },
    "aws:iam/role:Role": args => ({ arn: `arn:aws:iam::${AFTER_DEPLOY.account}:role/${args.name}`, name: args.name }),
    "aws:kms/key:Key": args => ({ arn: `arn:aws:kms:after-deploy:${AFTER_DEPLOY.account}:key/${args.name}` }),
    "aws:ec2/launchTemplate:LaunchTemplate": () => ({ latestVersion: 1 }),
    "aws:ecr/repository:Repository": args => ({
        registryId: AFTER_DEPLOY.account,
        repositoryUrl: `${AFTER_DEPLOY.account}.dkr.ecr.after-deploy.amazonaws.com/${args.inputs.name}`,
    }),
    // DOKS
    "digitalocean:index/kubernetesCluster:KubernetesCluster": () => ({
        endpoint: `https://${AFTER_DEPLOY.endpoint}`,
        kubeConfigs: [{ clusterCaCertificate: AFTER_DEPLOY.caData, rawConfig: "after-deploy", token: "after-deploy" }],
    }),
    "digitalocean:index/containerRegistry:ContainerRegistry": args => ({
        serverUrl: "registry.digitalocean.com",
        endpoint: `registry.digitalocean.com/${args.inputs.name}`,
    }),
    "digitalocean:index/spacesKey:SpacesKey": (args, run) => {
        const secretKey = `${FAKE_CREDENTIALS.spacesSecretKey}-${args.name}`;
        run.generatedSecrets.push(secretKey);
        return { accessKey: `DO00${args.name.toUpperCase().replace(/[^A-Z0-9]/g, "")}`, secretKey };
    },
    "aws:s3/bucket:Bucket": args => {
        const bucket = `${args.inputs.bucketPrefix ?? ""}after-deploy`;
        return { bucket, arn: `arn:aws:s3:::${bucket}` };
    },
    "digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials": (_args, run) => {
        run.generatedSecrets.push(FAKE_CREDENTIALS.docrPassword);
        const auth = Buffer.from(`fake-docr-user:${FAKE_CREDENTIALS.docrPassword}`).toString("base64");
        return { dockerCredentials: JSON.stringify({ auths: { "registry.digitalocean.com": { auth } } }) };
    },
};

type FakeCall = (inputs: Record<string, any>, run: MockRun) => Record<string, unknown>;
/** Invokes the program is allowed to make, with canned answers. Anything else is recorded as unmocked. */
const fakeCalls: Record<string, FakeCall> = {
    "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" }),
    "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({
        names: ["after-deploy-az-1", "after-deploy-az-2", "after-deploy-az-3"],
        zoneIds: ["az1", "az2", "az3"],
        id: "azs",
    }),
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({
        accountId: AFTER_DEPLOY.account,
        arn: `arn:aws:sts::${AFTER_DEPLOY.account}:assumed-role/deployer/ci-session`,
        userId: "AROAFAKE:ci-session",
        id: AFTER_DEPLOY.account,
    }),
    "aws:iam/getSessionContext:getSessionContext": inputs => ({
        arn: inputs.arn,
        issuerArn: `arn:aws:iam::${AFTER_DEPLOY.account}:role/deployer`,
        issuerId: "AROAFAKE",
        issuerName: "deployer",
        sessionName: "ci-session",
        id: inputs.arn,
    }),
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": (_inputs, run) => {
        run.generatedSecrets.push(FAKE_CREDENTIALS.ecrPassword);
        return {
            userName: "AWS",
            password: FAKE_CREDENTIALS.ecrPassword,
            authorizationToken: Buffer.from(`AWS:${FAKE_CREDENTIALS.ecrPassword}`).toString("base64"),
            proxyEndpoint: "https://after-deploy",
            expiresAt: "after-deploy",
            id: "ecr",
        };
    },
    "gcp:organizations/getProject:getProject": inputs => ({
        number: "123456789012",
        projectId: inputs.projectId,
        name: inputs.projectId,
        id: `projects/${inputs.projectId}`,
    }),
    "gcp:organizations/getClientConfig:getClientConfig": (_inputs, run) => {
        run.generatedSecrets.push(FAKE_CREDENTIALS.gcpAccessToken);
        return { accessToken: FAKE_CREDENTIALS.gcpAccessToken, project: "after-deploy", region: "after-deploy", zone: "after-deploy", id: "client" };
    },
    // kind: `kind get kubeconfig --name <cluster>` prints the cluster's kubeconfig (context kind-<cluster>).
    "command:local:run": (inputs, run) =>
        azureCommand(String(inputs.command), run) ?? {
            command: inputs.command,
            stdout: fakeKubeconfig(`kind-${/--name '([^']+)'/.exec(String(inputs.command))?.[1] ?? "unknown"}`),
            stderr: "",
        },
    ...azureCalls,
    "digitalocean:index/getKubernetesVersions:getKubernetesVersions": inputs => ({
        latestVersion: `${inputs.versionPrefix ?? "1.35."}4-do.0`,
        validVersions: [`${inputs.versionPrefix ?? "1.35."}4-do.0`],
        versionPrefix: inputs.versionPrefix,
        id: "versions",
    }),
    // The versions EKS lists, and their support, as at the end of 2026.
    "aws:eks/getClusterVersions:getClusterVersions": () => ({
        clusterVersions: EKS_VERSIONS.map(([clusterVersion, versionStatus]) => ({ clusterVersion, versionStatus, clusterType: "eks" })),
        id: "eks-versions",
    }),
    "aws:eks/getAddonVersion:getAddonVersion": inputs => ({
        addonName: inputs.addonName,
        kubernetesVersion: inputs.kubernetesVersion,
        version: `${inputs.addonName}-default-for-${inputs.kubernetesVersion}`,
        id: inputs.addonName,
    }),
    // The recommended AMI release for a version: `<kubernetes patch>-<date>`.
    "aws:ssm/getParameter:getParameter": inputs => {
        const release = `${/optimized-ami\/([0-9.]+)\//.exec(String(inputs.name))?.[1] ?? "unknown"}.0-20261120`;
        return { name: inputs.name, value: release, insecureValue: release, type: "String", version: 1, arn: "after-deploy", id: inputs.name };
    },
};

/** EKS versions and their support status, for `getClusterVersions`. */
export const EKS_VERSIONS: [string, string][] = [
    ["1.31", "EXTENDED_SUPPORT"],
    ["1.32", "EXTENDED_SUPPORT"],
    ["1.33", "EXTENDED_SUPPORT"],
    ["1.34", "STANDARD_SUPPORT"],
    ["1.35", "STANDARD_SUPPORT"],
    ["1.36", "STANDARD_SUPPORT"],
];

/** Installs fresh mocks for one program run as `stack` of project `kubeship`. */
/**
 * The SDK stamps a stack trace on each of its promises, for the leak report it prints at exit. Under
 * ts-node every trace is source-mapped, which cost more than half of a run's time; the mock runtime
 * keeps the promises and drops the traces.
 */
function withoutPromiseStackTraces(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const debuggable = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T> };
    debuggable.debuggablePromise = p => p;
}

export async function installMocks(stack: string): Promise<MockRun> {
    withoutPromiseStackTraces();
    const run: MockRun = { registered: [], calls: [], unmockedCalls: [], generatedSecrets: [] };
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                const extra = fakeOutputs[args.type]?.(args, run) ?? {};
                // A definition's schema is never read back by the program: its state is its name.
                const state = args.type === "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition" ? { metadata: args.inputs.metadata } : args.inputs;
                return { id: args.custom === false ? undefined : `${args.name}-id`, state: { ...state, ...extra } };
            },
            call(args) {
                run.calls.push({ token: args.token, inputs: args.inputs });
                const fake = fakeCalls[args.token];
                if (!fake) {
                    run.unmockedCalls.push(args.token);
                    return {};
                }
                return fake(args.inputs, run);
            },
        },
        "kubeship",
        stack,
        false,
    );

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
            replaceWith: req.getReplaceWithList(),
            replacementTrigger: req.getReplacementTrigger()?.toJavaScript(),
            inputs: {},
        });
        // Inputs as the engine receives them, decoded when a test or the render first reads them: most
        // runs read few, and the add-ons' definitions are megabytes.
        const object = req.getObject();
        let inputs: Record<string, unknown> | undefined;
        Object.defineProperty(run.registered[run.registered.length - 1], "inputs", {
            enumerable: true,
            get: () => (inputs ??= deserializeProperties(object)),
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
    return new Promise<T>(resolve =>
        pulumi.output(output).apply(v => {
            resolve(v as T);
            return v;
        }),
    );
}
