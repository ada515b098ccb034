/**
 * The sources of the platform add-ons' vendored manifests: each a Go module version the proxy serves,
 * pinned with its checksum, and how it is rendered into `components/platform/vendor/<file>`.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
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

/**
 * `helm template` of a chart folder with the given values (a JSON file in a temporary folder). With
 * `appVersion`, the chart is copied first and its Chart.yaml's version and appVersion are set: charts
 * that a release tool stamps (cert-manager's says v0.0.0 in the module) then label and tag as released.
 */
function helmTemplate(bin: Renderers, chart: string, release: string, namespace: string, values: object, appVersion?: string): string {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kubeship-addons-"));
    try {
        let dir = chart;
        if (appVersion) {
            dir = path.join(tmp, "chart");
            fs.cpSync(chart, dir, { recursive: true });
            const meta = path.join(dir, "Chart.yaml");
            fs.chmodSync(meta, 0o644);
            const text = fs
                .readFileSync(meta, "utf8")
                .replace(/^version: .*$/m, `version: ${appVersion}`)
                .replace(/^appVersion: .*$/m, `appVersion: ${appVersion}`);
            fs.writeFileSync(meta, text);
        }
        const file = path.join(tmp, "values.json");
        fs.writeFileSync(file, JSON.stringify(values));
        return run(bin.helm, ["template", release, dir, "--namespace", namespace, "--values", file]);
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

/** Values that delete the Helm hook annotations a chart sets by default. */
const HELM_HOOK_REMOVED = { "helm.sh/hook": null, "helm.sh/hook-weight": null, "helm.sh/hook-delete-policy": null };

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
    {
        // The standard channel: the kinds every conformant implementation serves, and the policy that
        // refuses an older or experimental bundle over it.
        file: "gateway-api-crds.yaml",
        module: "sigs.k8s.io/gateway-api",
        version: "v1.6.3",
        sum: "h1:lKpJa5bGlraC/QeACvCpsHLdmO6y0iKfzVl6gzaFEYc=",
        how: "kustomize build config/crd (the standard channel's CustomResourceDefinitions)",
        render: (dir, bin) => run(bin.kustomize, ["build", path.join(dir, "config", "crd")]),
    },
    {
        // The release's chart, stamped with its version; HTTP-01 through Gateway API. The startupapicheck
        // Job (a Helm hook there, a plain Job here, which Pulumi waits for) succeeds once the webhook
        // answers with the CA the injector wrote: what issuers and certificates need to be created.
        file: "cert-manager.yaml",
        module: "github.com/cert-manager/cert-manager",
        version: "v1.21.2",
        sum: "h1:UWgoYM+KLNtRlqmoWOKjKBOBUPVHeepQ6/ac3ERJW68=",
        how: "helm template deploy/charts/cert-manager, Chart.yaml stamped v1.21.2, values in tools/addons/sources.ts",
        render: (dir, bin) =>
            helmTemplate(
                bin,
                path.join(dir, "deploy", "charts", "cert-manager"),
                "cert-manager",
                "cert-manager",
                {
                    crds: { enabled: true, keep: false },
                    startupapicheck: {
                        // Helm's hook annotations mean nothing to Pulumi: null removes them from the chart's map.
                        jobAnnotations: HELM_HOOK_REMOVED,
                        rbac: { annotations: HELM_HOOK_REMOVED },
                        serviceAccount: { annotations: HELM_HOOK_REMOVED },
                        timeout: "5m",
                        resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
                    },
                    global: { leaderElection: { namespace: "cert-manager" } },
                    config: { apiVersion: "controller.config.cert-manager.io/v1alpha1", kind: "ControllerConfiguration", gatewayAPI: { enabled: true } },
                    resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } },
                    webhook: { resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } } },
                    cainjector: { resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } } },
                },
                "v1.21.2",
            ),
    },
    {
        // Traefik as the Gateway API controller only (no Ingress, no Traefik CRDs, no dashboard): two
        // replicas and a budget, so a node drain keeps the edge up. kubeship makes the Gateway.
        file: "traefik.yaml",
        module: "github.com/traefik/traefik-helm-chart",
        version: "v41.6.0+incompatible",
        sum: "h1:S2hlx62RaB97UEDu0NE2tSoNTWp7cOyHmI5zpdEHBH0=",
        how: "helm template traefik (chart 41.6.0, Traefik v3.7.13), values in tools/addons/sources.ts",
        render: (dir, bin) =>
            helmTemplate(bin, path.join(dir, "traefik"), "traefik", "traefik", {
                deployment: { replicas: 2 },
                podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
                ingressClass: { enabled: false },
                gateway: { enabled: false },
                gatewayClass: { enabled: true, name: "traefik" },
                ingressRoute: { dashboard: { enabled: false } },
                api: { dashboard: false },
                providers: { kubernetesCRD: { enabled: false }, kubernetesIngress: { enabled: false }, kubernetesGateway: { enabled: true } },
                resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
            }),
    },
];
