/**
 * How the app is reached and kept available: its Service, optional HTTP routes from a Gateway, a PodDisruptionBudget,
 * an optional HorizontalPodAutoscaler, and the URL users reach it at.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { meta } from "./common";

export interface ExposureArgs {
    namespace: pulumi.Input<string>;
    selector: Record<string, string>;
    deployment: k8s.apps.v1.Deployment;
    serviceType: "LoadBalancer" | "ClusterIP";
    servicePort: number;
    /** Annotations of a LoadBalancer Service (the cloud's, from the cluster contract). */
    serviceAnnotations: Record<string, string>;
    /** HTTPS for `host` through a Gateway's listeners (the platform's edge); undefined = none. */
    route?: { host: string; gateway: GatewayRef };
    /** Readiness probe path, which a load balancer that checks backends itself checks too. */
    readyPath: string;
    /** HPA on CPU, from `replicas` up; undefined = fixed replicas. */
    autoscaling?: { maxReplicas: number; targetCPUUtilization: number };
    replicas: number;
}

/** A Gateway that terminates TLS for the app's host, and its two listeners. */
export interface GatewayRef {
    name: pulumi.Input<string>;
    namespace: string;
    /** Plain HTTP: answered with a redirect to HTTPS. */
    httpSection: string;
    /** HTTPS: routed to the Service. */
    httpsSection: string;
    /** The policy object that points the load balancer's health checks at `path`, when it needs one. */
    healthCheck?: (target: { service: pulumi.Input<string>; path: string }) => { apiVersion: string; kind: string; spec: Record<string, unknown> };
}

/** The address of a LoadBalancer Service: its first ingress IP, else its hostname (AWS). */
export function firstIngressAddress(service: k8s.core.v1.Service): pulumi.Output<string> {
    return service.status.apply(s => {
        const ingress = s?.loadBalancer?.ingress?.[0];
        return ingress?.ip ?? ingress?.hostname ?? "";
    });
}

/** Creates the Service, Ingress, PDB and HPA under `child.parent`; returns the Service and the app's URL. */
export function expose(name: string, args: ExposureArgs, child: pulumi.CustomResourceOptions): { service: k8s.core.v1.Service; url: pulumi.Output<string> } {
    const ns = args.namespace;
    const service = new k8s.core.v1.Service(
        `${name}-service`,
        {
            metadata: { ...meta("app", ns, "app"), annotations: args.serviceType === "LoadBalancer" ? args.serviceAnnotations : {} },
            spec: { type: args.serviceType, selector: args.selector, ports: [{ name: "http", port: args.servicePort, targetPort: "http", protocol: "TCP" }] },
        },
        child,
    );
    if (args.route) routes(name, { ...args.route, namespace: ns, service, port: args.servicePort, readyPath: args.readyPath }, child);
    new k8s.policy.v1.PodDisruptionBudget(
        `${name}-pdb`,
        { metadata: meta("app", ns, "app"), spec: { maxUnavailable: 1, selector: { matchLabels: args.selector } } },
        child,
    );
    if (args.autoscaling) {
        const target = { type: "Utilization", averageUtilization: args.autoscaling.targetCPUUtilization };
        new k8s.autoscaling.v2.HorizontalPodAutoscaler(
            `${name}-hpa`,
            {
                metadata: meta("app", ns, "app"),
                spec: {
                    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: args.deployment.metadata.name },
                    minReplicas: args.replicas,
                    maxReplicas: args.autoscaling.maxReplicas,
                    metrics: [{ type: "Resource", resource: { name: "cpu", target } }],
                },
            },
            child,
        );
    }
    const suffix = args.servicePort === 80 ? "" : `:${args.servicePort}`;
    const url = args.route
        ? pulumi.output(`https://${args.route.host}`)
        : args.serviceType === "LoadBalancer"
          ? firstIngressAddress(service).apply(a => `http://${a}${suffix}`)
          : pulumi.interpolate`http://app.${ns}.svc.cluster.local${suffix}`;
    return { service, url };
}

/**
 * The app's HTTPRoutes on the Gateway: its host over HTTPS to the Service, and plain HTTP answered with a
 * permanent redirect to HTTPS (ACME's challenge paths, more specific, still reach cert-manager's solver);
 * and the Gateway's health-check policy for the Service, where its load balancer needs one.
 */
function routes(
    name: string,
    args: { host: string; gateway: GatewayRef; namespace: pulumi.Input<string>; service: k8s.core.v1.Service; port: number; readyPath: string },
    child: pulumi.CustomResourceOptions,
): void {
    const parent = (sectionName: string) => [{ kind: "Gateway", name: args.gateway.name, namespace: args.gateway.namespace, sectionName }];
    const route = (role: string, sectionName: string, rule: object) =>
        new k8s.apiextensions.CustomResource(
            `${name}-${role}`,
            {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "HTTPRoute",
                metadata: meta(role, args.namespace, "app"),
                spec: { parentRefs: parent(sectionName), hostnames: [args.host], rules: [rule] },
            },
            child,
        );
    route("app-https", args.gateway.httpsSection, { backendRefs: [{ name: args.service.metadata.name, port: args.port }] });
    route("app-http-redirect", args.gateway.httpSection, {
        filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }],
    });
    const check = args.gateway.healthCheck?.({ service: args.service.metadata.name, path: args.readyPath });
    if (check) new k8s.apiextensions.CustomResource(`${name}-health-check`, { ...check, metadata: meta("app", args.namespace, "app") }, child);
}
