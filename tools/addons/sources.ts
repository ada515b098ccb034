/**
 * The sources of the platform add-ons' vendored manifests: each a Go module version the proxy serves,
 * pinned with its checksum, and how it is rendered into `components/platform/vendor/<file>`.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";

export interface Renderers {
    helm: string;
    kustomize: string;
}

export interface AddonSource {
    /** The vendored file, in components/platform/vendor/. */
    file: string;
    module: string;
    version: string;
    /** The module's checksum (go.sum's h1:), checked on every download. */
    sum: string;
    /** How it is rendered, for the file's header. */
    how: string;
    /** The manifests, as YAML documents, from the module's folder in the module cache. */
    render(dir: string, bin: Renderers): string;
}

const run = (command: string, args: string[]) =>
    execFileSync(command, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });

export const SOURCES: AddonSource[] = [
    {
        // 0.8.x serves Kubernetes 1.31 and newer; 0.9.x needs 1.34 (its README's compatibility matrix).
        file: "metrics-server.yaml",
        module: "sigs.k8s.io/metrics-server",
        version: "v0.8.0",
        sum: "h1:Zlsi3sBWEtFKCD3+xSysThvXyLQ363rUAlqpnsY5JwI=",
        how: "kustomize build manifests/overlays/release (the release's components.yaml)",
        render: (dir, bin) => run(bin.kustomize, ["build", path.join(dir, "manifests", "overlays", "release")]),
    },
];
