/**
 * HTTPS at the edge: a Gateway in the `kubeship-edge` namespace that terminates TLS for the app's host
 * with a certificate cert-manager issues and renews, and sends plain HTTP to the same host. The app's
 * namespace attaches its routes to it (GatewayRoute).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { GatewayImplementation } from "../cluster/contract";
import type { AddonArgs } from "./addon";
import { addonNamespace } from "./namespace";

/** Let's Encrypt's production directory: certificates browsers trust, valid 90 days. */
export const LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory";

/** The namespace of the Gateway, its certificate and the ACME challenges. */
export const EDGE_NAMESPACE = "kubeship-edge";

/** Where routes attach: the Gateway and its listeners' names. */
export interface GatewayRoute {
    name: pulumi.Output<string>;
    namespace: string;
    /** The plain-HTTP listener: ACME challenges, and the redirect to HTTPS. */
    httpSection: string;
    /** The HTTPS listener. */
    httpsSection: string;
    /** What the backends need for the load balancer to check them (the implementation's `healthCheck`). */
    healthCheck?: GatewayImplementation["healthCheck"];
}

export interface EdgeArgs extends AddonArgs {
    /** The host served over HTTPS (a DNS name, no wildcard: HTTP-01 cannot prove one). */
    host: string;
    /** The namespace whose routes may attach (the app's). */
    routeNamespace: string;
    /** The GatewayClass and its listener ports. */
    gateway: GatewayImplementation;
    /**
     * Who signs the certificate: Let's Encrypt, checking the host over HTTP through this Gateway (needs
     * the edge on the internet and the host's DNS pointing at it), or the Issuer itself (self-signed).
     */
    issuer: "letsencrypt" | "self-signed";
    /** cert-manager and the Gateway controller, which the Issuer, the Certificate and the Gateway need. */
    dependsOn: pulumi.Resource[];
}

export class Edge extends pulumi.ComponentResource {
    readonly route: GatewayRoute;

    constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:platform:Edge", name, {}, opts);
        const provider = args.cluster.provider;
        // The only pods here are cert-manager's HTTP-01 solvers, which the Gateway reaches on 8089.
        const namespace = addonNamespace(
            name,
            { provider, name: EDGE_NAMESPACE, ingress: [{ pods: { "acme.cert-manager.io/http01-solver": "true" }, ports: [8089] }], egress: false },
            this,
        );
        const child = { parent: this, provider, dependsOn: [namespace, ...args.dependsOn] };
        const metadata = (objectName: string) => ({ name: objectName, namespace: EDGE_NAMESPACE, labels: { "app.kubernetes.io/part-of": "kubeship" } });
        const sections = { http: "http", https: "https" };
        const gatewayName = "kubeship";
        const secretName = "app-tls";

        const issuer = new k8s.apiextensions.CustomResource(
            `${name}-issuer`,
            {
                apiVersion: "cert-manager.io/v1",
                kind: "Issuer",
                metadata: metadata(args.issuer),
                spec:
                    args.issuer === "self-signed"
                        ? { selfSigned: {} }
                        : {
                              acme: {
                                  server: LETS_ENCRYPT,
                                  privateKeySecretRef: { name: "letsencrypt-account" },
                                  // The solver's route joins the Gateway's HTTP listener; its Service needs no node port.
                                  solvers: [
                                      {
                                          http01: {
                                              gatewayHTTPRoute: {
                                                  parentRefs: [{ kind: "Gateway", name: gatewayName, namespace: EDGE_NAMESPACE, sectionName: sections.http }],
                                                  serviceType: "ClusterIP",
                                              },
                                          },
                                      },
                                  ],
                              },
                          },
            },
            child,
        );
        // Renewed a third of its lifetime before it ends (cert-manager's default), with a new key each time.
        new k8s.apiextensions.CustomResource(
            `${name}-certificate`,
            {
                apiVersion: "cert-manager.io/v1",
                kind: "Certificate",
                metadata: metadata("app"),
                spec: {
                    secretName,
                    dnsNames: [args.host],
                    issuerRef: { kind: "Issuer", name: issuer.metadata.name },
                    privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
                },
            },
            child,
        );
        const allowedRoutes = (namespaces: string[]) => ({
            namespaces: { from: "Selector", selector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: namespaces }] } },
        });
        const gateway = new k8s.apiextensions.CustomResource(
            `${name}-gateway`,
            {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "Gateway",
                metadata: metadata(gatewayName),
                spec: {
                    gatewayClassName: args.gateway.className,
                    listeners: [
                        {
                            name: sections.http,
                            port: args.gateway.ports.http,
                            protocol: "HTTP",
                            hostname: args.host,
                            allowedRoutes: allowedRoutes([EDGE_NAMESPACE, args.routeNamespace]),
                        },
                        {
                            name: sections.https,
                            port: args.gateway.ports.https,
                            protocol: "HTTPS",
                            hostname: args.host,
                            tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: secretName }] },
                            allowedRoutes: allowedRoutes([args.routeNamespace]),
                        },
                    ],
                },
            },
            child,
        );
        this.route = {
            name: gateway.metadata.name,
            namespace: EDGE_NAMESPACE,
            httpSection: sections.http,
            httpsSection: sections.https,
            healthCheck: args.gateway.healthCheck,
        };
        this.registerOutputs({});
    }
}
