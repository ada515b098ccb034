/**
 * The platform add-ons: vendored manifests registered object by object, installed only where the
 * cluster lacks what they provide.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import { certManagerObjects } from "../components/platform/cert-manager";
import { builtinClass, Manifest, objectName, patchContainer, readManifests, registerManifests, VENDOR } from "../components/platform/manifests";
import { metricsServerObjects } from "../components/platform/metrics-server";
import { entryPoints, traefikGateway } from "../components/platform/traefik";
import { SOURCES } from "../tools/addons/sources";
import { overrideCloud } from "../tools/render/cloud-override";
import { runProgram, RunResult } from "../tools/render/harness";
import { installMocks, valueOf } from "../tools/render/mocks";
import { schemaErrors } from "../tools/render/schema";
import { readStackConfig } from "../tools/render/stack-config";
import { all, dependencyClosure, isUnder, one, spec } from "./support/query";

describe("vendored manifests", () => {
    it("are each one add-on source's render, pinned to a module version and checksum in its header", () => {
        assert.deepEqual(fs.readdirSync(VENDOR).sort(), SOURCES.map(s => s.file).sort());
        for (const source of SOURCES) {
            const header = fs.readFileSync(path.join(VENDOR, source.file), "utf8").split("\n")[0];
            assert.equal(header, `# Vendored by \`npm run addons\` from ${source.module}@${source.version} (${source.sum}):`, source.file);
            assert.match(source.sum, /^h1:[A-Za-z0-9+/]{43}=$/);
        }
    });

    it("register with the SDK's class for built-in kinds and as custom resources otherwise", () => {
        assert.equal(builtinClass("apps/v1", "Deployment"), k8s.apps.v1.Deployment);
        assert.equal(builtinClass("v1", "ServiceAccount"), k8s.core.v1.ServiceAccount);
        assert.equal(builtinClass("rbac.authorization.k8s.io/v1", "ClusterRole"), k8s.rbac.v1.ClusterRole);
        assert.equal(builtinClass("apiregistration.k8s.io/v1", "APIService"), k8s.apiregistration.v1.APIService);
        assert.equal(builtinClass("gateway.networking.k8s.io/v1", "Gateway"), undefined);
        assert.throws(() => builtinClass("apps/v1", "Deploymnt"), /the Kubernetes SDK has no apps\/v1 Deploymnt/);
    });

    it("get names unique per kind, namespace and object, and custom resources wait for every definition", async () => {
        const objects: Manifest[] = [
            { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "x", namespace: "a" } },
            { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "x", namespace: "b" } },
            { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", namespace: "a" } },
            { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "widgets.example.com" }, spec: {} },
        ];
        assert.deepEqual(
            objects.map(o => objectName("addon", o)),
            ["addon-serviceaccount-a-x", "addon-serviceaccount-b-x", "addon-widget-a-w", "addon-customresourcedefinition-widgets.example.com"],
        );
        const mocks = await installMocks("manifests");
        const provider = new k8s.Provider("manifests-k8s", { kubeconfig: "apiVersion: v1" });
        const registered = registerManifests("addon", objects, { parent: provider, provider });
        await valueOf(registered[2].urn);
        const widget = mocks.registered.find(r => r.name === "addon-widget-a-w")!;
        const crd = mocks.registered.find(r => r.name === "addon-customresourcedefinition-widgets.example.com")!;
        assert.equal(widget.type, "kubernetes:example.com/v1:Widget");
        assert.ok(widget.dependencies.includes(crd.urn), "the widget waits for its definition");
        assert.equal(mocks.registered.find(r => r.name === "addon-serviceaccount-a-x")!.type, "kubernetes:core/v1:ServiceAccount");
    });
});

/** A stack file's program, on another cloud with the render's stand-ins. */
const onCloud = (stack: string, cloud: string) => {
    const { config, secretKeys } = overrideCloud(readStackConfig(stack), cloud);
    return runProgram({ stack, config, secretKeys });
};

describe("metrics-server", () => {
    const platformObjects = (r: RunResult) => r.registered.filter(x => x.type.startsWith("kubernetes:") && isUnder(r, x, "kubeship:platform:MetricsServer"));
    let doks: RunResult;
    before(async () => {
        doks = await onCloud("prod", "digitalocean");
    });

    it("is installed where the cluster lacks the Metrics API and the app autoscales: nine objects in kube-system", () => {
        const objects = all(doks, "kubernetes:apps/v1:Deployment").filter(x => spec(x).metadata.name === "metrics-server");
        assert.equal(objects.length, 1);
        assert.equal(platformObjects(doks).length, readManifests("metrics-server.yaml").length);
        assert.equal(readManifests("metrics-server.yaml").length, 9);
        const api = spec(one(doks, "kubernetes:apiregistration.k8s.io/v1:APIService"));
        assert.equal(api.metadata.name, "v1beta1.metrics.k8s.io");
        for (const o of platformObjects(doks)) assert.ok([undefined, "kube-system"].includes(spec(o).metadata.namespace), o.name);
        const provider = one(doks, "pulumi:providers:kubernetes");
        for (const o of platformObjects(doks)) assert.equal(o.provider, `${provider.urn}::${provider.name}-id`, o.name);
    });

    it("is not installed where the cluster has the Metrics API (GKE, EKS), nor where nothing autoscales (dev)", async () => {
        for (const cloud of ["gcp", "aws"]) assert.equal(platformObjects(await onCloud("prod", cloud)).length, 0, cloud);
        assert.equal(platformObjects(await onCloud("dev", "digitalocean")).length, 0, "dev: autoscaling off");
    });

    it("verifies the kubelets' certificates unless they are self-signed, and gets a memory limit", () => {
        const server = (verify: boolean) => {
            const d = metricsServerObjects(verify).find(m => m.kind === "Deployment") as any;
            return d.spec.template.spec.containers[0];
        };
        assert.ok(!server(true).args.includes("--kubelet-insecure-tls"));
        assert.ok(server(false).args.includes("--kubelet-insecure-tls"));
        assert.equal(server(true).resources.limits.memory, "500Mi");
        assert.equal(server(true).image, "registry.k8s.io/metrics-server/metrics-server:v0.8.0");
        const deployed = spec(one(doks, "kubernetes:apps/v1:Deployment", "metrics-server")).spec.template.spec.containers[0];
        assert.ok(!deployed.args.includes("--kubelet-insecure-tls"), "DOKS kubelets serve certificates signed by the cluster CA");
    });

    it("on kind, where kubelets sign their own certificates, does not verify them", async () => {
        const stack = readStackConfig("dev");
        const app = JSON.parse(stack.config["kubeship:app"]);
        const config = { ...stack.config, "kubeship:app": JSON.stringify({ ...app, autoscaling: { enabled: true } }) };
        const kind = await runProgram({ stack: "dev", config, secretKeys: stack.secretKeys });
        const deployed = spec(one(kind, "kubernetes:apps/v1:Deployment", "metrics-server")).spec.template.spec.containers[0];
        assert.ok(deployed.args.includes("--kubelet-insecure-tls"));
    });
});

describe("HTTPS at the edge", () => {
    const under = (r: RunResult, component: string) => r.registered.filter(x => x.custom && isUnder(r, x, `kubeship:platform:${component}`));
    const byKind = (r: RunResult, kind: string) => r.registered.filter(x => x.custom && x.type.endsWith(`:${kind}`));
    const edgeObject = (r: RunResult, kind: string) => {
        const found = byKind(r, kind).filter(x => isUnder(r, x, "kubeship:platform:Edge"));
        assert.equal(found.length, 1, kind);
        return found[0];
    };
    let aws: RunResult;
    let gcp: RunResult;
    before(async () => {
        [aws, gcp] = [await onCloud("prod", "aws"), await onCloud("staging", "gcp")];
    });

    it("where the cluster has no Gateway controller (EKS): the standard Gateway API definitions, then Traefik on their GatewayClass, behind the cloud's load balancer", () => {
        const crds = under(aws, "GatewayApiCrds");
        assert.deepEqual(
            crds
                .filter(c => c.type.endsWith(":CustomResourceDefinition"))
                .map(c => String(spec(c).metadata.name))
                .sort(),
            [
                "backendtlspolicies",
                "gatewayclasses",
                "gateways",
                "grpcroutes",
                "httproutes",
                "listenersets",
                "referencegrants",
                "tcproutes",
                "tlsroutes",
                "udproutes",
            ].map(k => `${k}.gateway.networking.k8s.io`),
        );
        for (const c of crds.filter(x => x.type.endsWith(":CustomResourceDefinition"))) {
            assert.equal(spec(c).metadata.annotations["gateway.networking.k8s.io/channel"], "standard");
        }
        const gatewayClass = spec(one(aws, "kubernetes:gateway.networking.k8s.io/v1:GatewayClass"));
        assert.deepEqual([gatewayClass.metadata.name, gatewayClass.spec.controllerName], ["traefik", "traefik.io/gateway-controller"]);
        const classUrn = one(aws, "kubernetes:gateway.networking.k8s.io/v1:GatewayClass").urn;
        const httproutes = crds.find(c => spec(c).metadata.name === "httproutes.gateway.networking.k8s.io")!;
        assert.ok(dependencyClosure(aws, classUrn).has(httproutes.urn), "the GatewayClass waits for the definitions");
        const service = spec(one(aws, "kubernetes:core/v1:Service", "traefik"));
        assert.equal(service.spec.type, "LoadBalancer");
        assert.equal(service.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-type"], "nlb");
        const deployment = spec(one(aws, "kubernetes:apps/v1:Deployment", "traefik"));
        assert.equal(deployment.spec.replicas, 2);
        assert.equal(deployment.spec.template.spec.containers[0].image, "docker.io/traefik:v3.7.13");
        assert.ok(deployment.spec.template.spec.containers[0].args.includes("--providers.kubernetesgateway"));
        assert.ok(!deployment.spec.template.spec.containers[0].args.some((a: string) => /kubernetesingress|kubernetescrd/.test(a)), "Gateway API only");
        assert.equal(spec(one(aws, "kubernetes:policy/v1:PodDisruptionBudget", "traefik")).spec.maxUnavailable, 1);
    });

    it("on GKE: the load balancer checks the app's readiness path, not `/` (a 404), through a HealthCheckPolicy on its Service", () => {
        const policy = spec(one(gcp, "kubernetes:networking.gke.io/v1:HealthCheckPolicy"));
        assert.equal(policy.metadata.namespace, "staging");
        assert.deepEqual(policy.spec.targetRef, { group: "", kind: "Service", name: "app" });
        assert.deepEqual(policy.spec.default.config, { type: "HTTP", httpHealthCheck: { portSpecification: "USE_SERVING_PORT", requestPath: "/ready" } });
        assert.equal(all(aws, "kubernetes:networking.gke.io/v1:HealthCheckPolicy").length, 0, "Traefik follows the pods' readiness");
        const typo = { ...policy, spec: { ...policy.spec, default: { config: { type: "HTTP", httpHealthCheck: { requestpath: "/ready" } } } } };
        assert.match(schemaErrors("kubernetes:networking.gke.io/v1:HealthCheckPolicy", typo).join("\n"), /must NOT have additional properties/);
    });

    it("on GKE: the cluster's own Gateway controller on the standard channel, no definitions or Traefik of kubeship's", () => {
        assert.equal(under(gcp, "GatewayApiCrds").length + under(gcp, "Traefik").length, 0);
        assert.deepEqual(spec(one(gcp, "gcp:container/cluster:Cluster")).gatewayApiConfig, { channel: "CHANNEL_STANDARD" });
        const gateway = spec(edgeObject(gcp, "Gateway")).spec;
        assert.equal(gateway.gatewayClassName, "gke-l7-global-external-managed");
        assert.deepEqual(
            gateway.listeners.map((l: any) => [l.name, l.protocol, l.port]),
            [
                ["http", "HTTP", 80],
                ["https", "HTTPS", 443],
            ],
        );
    });

    it("terminates TLS for the app's host on Traefik's entry points, with the certificate's Secret, and takes routes from the app's namespace only", () => {
        const gateway = spec(edgeObject(aws, "Gateway"));
        assert.deepEqual([gateway.metadata.namespace, gateway.metadata.name, gateway.spec.gatewayClassName], ["kubeship-edge", "kubeship", "traefik"]);
        const [http, https] = gateway.spec.listeners;
        assert.deepEqual([http.name, http.protocol, http.port, http.hostname], ["http", "HTTP", 8000, "shop.example.com"]);
        assert.deepEqual([https.name, https.protocol, https.port, https.hostname], ["https", "HTTPS", 8443, "shop.example.com"]);
        const certificate = spec(edgeObject(aws, "Certificate"));
        assert.deepEqual(https.tls, { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: certificate.spec.secretName }] });
        const namespaces = (l: any) => l.allowedRoutes.namespaces.selector.matchExpressions[0].values;
        assert.deepEqual(namespaces(https), ["prod"]);
        assert.deepEqual(namespaces(http), ["kubeship-edge", "prod"], "ACME's solver routes come from the edge's namespace");
        assert.equal(http.allowedRoutes.namespaces.selector.matchExpressions[0].key, "kubernetes.io/metadata.name");
    });

    it("gets a Let's Encrypt certificate where the edge is public, proven over HTTP through the Gateway, renewed by cert-manager with a new key", () => {
        const issuer = spec(edgeObject(aws, "Issuer"));
        assert.equal(issuer.spec.acme.server, "https://acme-v02.api.letsencrypt.org/directory");
        assert.deepEqual(issuer.spec.acme.solvers, [
            {
                http01: {
                    gatewayHTTPRoute: {
                        parentRefs: [{ kind: "Gateway", name: "kubeship", namespace: "kubeship-edge", sectionName: "http" }],
                        serviceType: "ClusterIP",
                    },
                },
            },
        ]);
        const certificate = spec(edgeObject(aws, "Certificate"));
        assert.deepEqual(certificate.spec.dnsNames, ["shop.example.com"]);
        assert.deepEqual(certificate.spec.issuerRef, { kind: "Issuer", name: issuer.metadata.name });
        assert.equal(certificate.spec.privateKey.rotationPolicy, "Always");
        assert.equal(certificate.spec.renewBefore, undefined, "cert-manager renews a third of the lifetime before expiry");
    });

    it("on kind and local clusters: a self-signed certificate (Let's Encrypt cannot reach them) and Traefik on a NodePort", async () => {
        const stack = readStackConfig("dev");
        const app = JSON.parse(stack.config["kubeship:app"]);
        const kind = await runProgram({
            stack: "dev",
            config: { ...stack.config, "kubeship:app": JSON.stringify({ ...app, ingress: { host: "shop.localtest.me" } }) },
        });
        assert.deepEqual(spec(edgeObject(kind, "Issuer")).spec, { selfSigned: {} });
        const service = spec(one(kind, "kubernetes:core/v1:Service", "traefik"));
        assert.equal(service.spec.type, "NodePort");
        assert.deepEqual(service.metadata.annotations, {});
        assert.equal(kind.outputs.appUrl.value, "https://shop.localtest.me");
    });

    it("installs cert-manager with Gateway API support after the definitions it watches, and nothing of the edge without a host", async () => {
        const config = spec(one(aws, "kubernetes:core/v1:ConfigMap", "cert-manager")).data["config.yaml"];
        assert.match(config, /gatewayAPI:\s+enabled: true/);
        const controller = one(aws, "kubernetes:apps/v1:Deployment", "cert-manager");
        const gatewayApi = under(aws, "GatewayApiCrds").find(c => spec(c).metadata.name === "gateways.gateway.networking.k8s.io")!;
        assert.ok(dependencyClosure(aws, controller.urn).has(gatewayApi.urn), "the controller starts after the Gateway API definitions");
        // The chart's API check, a Job Pulumi waits for: it passes once the webhook answers with the injected CA.
        const check = one(aws, "kubernetes:batch/v1:Job", "cert-manager-startupapicheck");
        assert.deepEqual(spec(check).spec.template.spec.containers[0].args.slice(0, 3), ["check", "api", "--wait=5m"]);
        for (const o of under(aws, "CertManager")) {
            const annotations = Object.keys(spec(o).metadata.annotations ?? {});
            assert.deepEqual(
                annotations.filter(a => a.startsWith("helm.sh/")),
                [],
                `${o.name} keeps no Helm hook`,
            );
        }
        for (const kind of ["Issuer", "Certificate", "Gateway"]) {
            const closure = dependencyClosure(aws, edgeObject(aws, kind).urn);
            assert.ok(closure.has(controller.urn), `${kind} waits for cert-manager`);
            assert.ok(closure.has(check.urn), `${kind} waits for cert-manager's API check`);
        }
        const dev = await onCloud("dev", "kind");
        assert.equal(dev.registered.filter(x => x.type.startsWith("kubeship:platform:") && x.type !== "kubeship:platform:Platform").length, 0);
    });

    it("gives each add-on a restricted namespace that denies all traffic but what it needs", () => {
        const policies = (ns: string) =>
            all(aws, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
                .map(spec)
                .filter(p => p.metadata.namespace === ns)
                .map(p => [
                    p.metadata.name,
                    JSON.stringify(p.spec.podSelector),
                    (p.spec.ingress ?? []).flatMap((i: any) => i.ports.map((x: any) => x.port)),
                    p.spec.egress,
                ])
                .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
        assert.deepEqual(policies("traefik"), [
            ["allow-egress", "{}", [], [{}]],
            ["allow-ingress-0", '{"matchLabels":{}}', [8000, 8443, 8080], undefined],
            ["default-deny", "{}", [], undefined],
        ]);
        assert.deepEqual(policies("cert-manager"), [
            ["allow-egress", "{}", [], [{}]],
            ["allow-ingress-0", '{"matchLabels":{"app.kubernetes.io/component":"webhook"}}', [10250], undefined],
            ["default-deny", "{}", [], undefined],
        ]);
        assert.deepEqual(policies("kubeship-edge"), [
            ["allow-ingress-0", '{"matchLabels":{"acme.cert-manager.io/http01-solver":"true"}}', [8089], undefined],
            ["default-deny", "{}", [], undefined],
        ]);
        for (const ns of ["traefik", "cert-manager", "kubeship-edge"]) {
            const namespace = spec(all(aws, "kubernetes:core/v1:Namespace").find(n => spec(n).metadata.name === ns)!);
            assert.equal(namespace.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted", ns);
        }
    });

    it("gives cert-manager's containers the probes the policies ask for", () => {
        const container = (name: string) => certManagerObjects().find(m => m.kind === "Deployment" && m.metadata.name === name) as any;
        const controller = container("cert-manager").spec.template.spec.containers[0];
        assert.deepEqual(controller.readinessProbe, controller.livenessProbe);
        assert.equal(controller.livenessProbe.httpGet.path, "/livez");
        const cainjector = container("cert-manager-cainjector").spec.template.spec.containers[0];
        assert.equal(cainjector.readinessProbe.httpGet.port, "http-metrics");
        assert.equal(cainjector.livenessProbe.httpGet.port, "http-metrics");
    });

    it("reads Traefik's listener ports from its entry points, and fails on a chart without them", () => {
        const objects = [...readManifests("traefik.yaml")];
        assert.deepEqual(traefikGateway(objects), { className: "traefik", ports: { http: 8000, https: 8443 } });
        assert.equal(entryPoints(objects).traefik, 8080);
        const withoutWeb = objects.map(m =>
            m.kind === "Deployment" ? patchContainer(m, "traefik", c => (c.args = c.args!.filter(a => !a.startsWith("--entryPoints.web.")))) : m,
        );
        assert.throws(() => traefikGateway(withoutWeb), /lacks its GatewayClass or the web and websecure entry points/);
    });
});

describe("schema of custom resources", () => {
    it("is their definition's among the vendored manifests", () => {
        const gateway = {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "Gateway",
            metadata: { name: "g", namespace: "n" },
            spec: { gatewayClassName: "traefik", listeners: [{ name: "http", port: 8000, protocol: "HTTP" }] },
        };
        assert.deepEqual(schemaErrors("kubernetes:gateway.networking.k8s.io/v1:Gateway", gateway), []);
        const badPort = { ...gateway, spec: { ...gateway.spec, listeners: [{ name: "http", port: 70000, protocol: "HTTP" }] } };
        assert.match(schemaErrors("kubernetes:gateway.networking.k8s.io/v1:Gateway", badPort).join("\n"), /\/spec\/listeners\/0\/port must be <= 65535/);
        const noClass = { ...gateway, spec: { listeners: gateway.spec.listeners } };
        assert.match(schemaErrors("kubernetes:gateway.networking.k8s.io/v1:Gateway", noClass).join("\n"), /must have required property 'gatewayClassName'/);
        const certificate = { apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata: { name: "c" }, spec: { secretName: "s", issuerRef: {} } };
        assert.match(schemaErrors("kubernetes:cert-manager.io/v1:Certificate", certificate).join("\n"), /issuerRef must have required property 'name'/);
        assert.match(schemaErrors("kubernetes:example.com/v1:Widget", {}).join("\n"), /no schema for kubernetes:example.com\/v1:Widget/);
    });
});
