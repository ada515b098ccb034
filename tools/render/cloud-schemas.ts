/**
 * Schemas of custom resources whose definitions a cloud installs and no Go module serves, written from
 * the cloud's documentation for the fields kubeship sets. Unknown fields are errors, so a typo fails
 * the render as it would fail the API server.
 */

const strictObject = (properties: Record<string, object>, required: string[] = []) => ({ type: "object", additionalProperties: false, properties, required });

/**
 * GKE's HealthCheckPolicy (networking.gke.io/v1), from
 * cloud.google.com/kubernetes-engine/docs/how-to/configure-gateway-resources#configure_health_check.
 */
const HEALTH_CHECK_POLICY = strictObject(
    {
        apiVersion: { const: "networking.gke.io/v1" },
        kind: { const: "HealthCheckPolicy" },
        metadata: { type: "object" },
        spec: strictObject(
            {
                default: strictObject({
                    checkIntervalSec: { type: "integer", minimum: 1, maximum: 300 },
                    timeoutSec: { type: "integer", minimum: 1, maximum: 300 },
                    healthyThreshold: { type: "integer", minimum: 1, maximum: 10 },
                    unhealthyThreshold: { type: "integer", minimum: 1, maximum: 10 },
                    logConfig: strictObject({ enabled: { type: "boolean" } }),
                    config: strictObject(
                        {
                            type: { enum: ["TCP", "HTTP", "HTTPS", "HTTP2", "GRPC"] },
                            httpHealthCheck: strictObject({
                                portSpecification: { enum: ["USE_FIXED_PORT", "USE_NAMED_PORT", "USE_SERVING_PORT"] },
                                port: { type: "integer", minimum: 1, maximum: 65535 },
                                portName: { type: "string" },
                                host: { type: "string" },
                                requestPath: { type: "string", pattern: "^/" },
                                response: { type: "string" },
                                proxyHeader: { enum: ["NONE", "PROXY_V1"] },
                            }),
                        },
                        ["type"],
                    ),
                }),
                targetRef: strictObject({ group: { type: "string" }, kind: { enum: ["Service", "ServiceImport"] }, name: { type: "string", minLength: 1 } }, [
                    "group",
                    "kind",
                    "name",
                ]),
            },
            ["targetRef"],
        ),
    },
    ["apiVersion", "kind", "metadata", "spec"],
);

/** By `<group>/<version>:<Kind>`. */
export const CLOUD_SCHEMAS: Record<string, object> = {
    "networking.gke.io/v1:HealthCheckPolicy": HEALTH_CHECK_POLICY,
};
