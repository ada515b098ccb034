/**
 * Reading and trimming a user's kubeconfig for `kubeship:cloud: local`. Pure functions except
 * `readKubeconfigFile`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { ConfigError } from "../config/errors";

interface Named<T> {
    name: string;
    [key: string]: unknown;
    cluster?: T;
    user?: T;
    context?: T;
}
interface Kubeconfig {
    "current-context"?: string;
    contexts?: Named<{ cluster: string; user: string; namespace?: string }>[];
    clusters?: Named<unknown>[];
    users?: Named<unknown>[];
}

/** The kubeconfig file kubectl would use: the first path in $KUBECONFIG, else ~/.kube/config. */
export function defaultKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
    const first = (env.KUBECONFIG ?? "").split(path.delimiter).find(p => p.trim() !== "");
    return first ?? path.join(env.HOME ?? os.homedir(), ".kube", "config");
}

export function readKubeconfigFile(file: string): string {
    if (!fs.existsSync(file)) {
        throw new ConfigError(
            "kubeship:cloud",
            "local",
            `needs a kubeconfig, and ${file} does not exist: point KUBECONFIG at one, or let kubeship create a kind cluster (kubeship:cloud kind)`,
        );
    }
    return fs.readFileSync(file, "utf8");
}

/**
 * Keeps only one context of a kubeconfig, with its cluster and user (`kubectl config view --minify`),
 * so state holds the credentials of this cluster and nothing else.
 * @param context the context to keep; undefined = the file's current-context.
 */
export function minifyKubeconfig(text: string, context: string | undefined, source = "kubeconfig"): { kubeconfig: string; context: string; cluster: string } {
    const doc = (YAML.parse(text) ?? {}) as Kubeconfig;
    const wanted = context ?? doc["current-context"];
    const names = (doc.contexts ?? []).map(c => c.name);
    const ctx = (doc.contexts ?? []).find(c => c.name === wanted);
    if (!wanted || !ctx?.context) {
        throw new ConfigError("kubeship:kubeContext", context, `must name a context of ${source}; it has: ${names.join(", ") || "(none)"}`);
    }
    const cluster = (doc.clusters ?? []).find(c => c.name === ctx.context!.cluster);
    const user = (doc.users ?? []).find(u => u.name === ctx.context!.user);
    if (!cluster || !user) {
        throw new ConfigError("kubeship:kubeContext", wanted, `context in ${source} refers to a missing cluster or user entry`);
    }
    const minimal = {
        apiVersion: "v1",
        kind: "Config",
        "current-context": wanted,
        contexts: [ctx],
        clusters: [cluster],
        users: [user],
    };
    return { kubeconfig: YAML.stringify(minimal), context: wanted, cluster: ctx.context.cluster };
}

/** A client-go exec credential plugin (client.authentication.k8s.io/v1beta1). */
export interface ExecPlugin {
    command: string;
    args: string[];
    /** Extra environment for the plugin, for example AWS_PROFILE. */
    env?: Record<string, string>;
    /** Printed by kubectl when the command is missing. */
    installHint: string;
    /** Pass the cluster's info to the plugin (the GKE plugin needs it). */
    provideClusterInfo?: boolean;
}

/**
 * A kubeconfig for a managed cluster whose credentials come from the cloud's CLI at each use, so it
 * never holds a token that expires (DigitalOcean's 7 days) or goes stale.
 * @param server API server URL (https://…)
 * @param caData base64 PEM of the cluster CA
 */
export function execKubeconfig(name: string, server: string, caData: string, exec: ExecPlugin): string {
    const env = Object.entries(exec.env ?? {}).map(([k, v]) => ({ name: k, value: v }));
    return YAML.stringify({
        apiVersion: "v1",
        kind: "Config",
        "current-context": name,
        clusters: [{ name, cluster: { server, "certificate-authority-data": caData } }],
        contexts: [{ name, context: { cluster: name, user: name } }],
        users: [
            {
                name,
                user: {
                    exec: {
                        apiVersion: "client.authentication.k8s.io/v1beta1",
                        command: exec.command,
                        args: exec.args,
                        ...(env.length ? { env } : {}),
                        installHint: exec.installHint,
                        provideClusterInfo: exec.provideClusterInfo ?? false,
                        interactiveMode: "Never",
                    },
                },
            },
        ],
    });
}
