/**
 * How the app is reached and kept available: its Service, an optional Ingress, a PodDisruptionBudget,
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
    /** Ingress in front of the Service; undefined = none. */
    ingress?: { host: string; className?: string; tlsSecretName?: string };
    /** HPA on CPU, from `replicas` up; undefined = fixed replicas. */
    autoscaling?: { maxReplicas: number; targetCPUUtilization: number };
    replicas: number;
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
    const ing = args.ingress;
    if (ing) {
        const backend = { service: { name: service.metadata.name, port: { name: "http" } } };
        new k8s.networking.v1.Ingress(
            `${name}-ingress`,
            {
                metadata: meta("app", ns, "app"),
                spec: {
                    ingressClassName: ing.className,
                    tls: ing.tlsSecretName ? [{ hosts: [ing.host], secretName: ing.tlsSecretName }] : undefined,
                    rules: [{ host: ing.host, http: { paths: [{ path: "/", pathType: "Prefix", backend }] } }],
                },
            },
            child,
        );
    }
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
    const url = ing
        ? pulumi.output(`${ing.tlsSecretName ? "https" : "http"}://${ing.host}`)
        : args.serviceType === "LoadBalancer"
          ? firstIngressAddress(service).apply(a => `http://${a}${suffix}`)
          : pulumi.interpolate`http://app.${ns}.svc.cluster.local${suffix}`;
    return { service, url };
}
