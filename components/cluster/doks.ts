import * as digitalocean from "@pulumi/digitalocean";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { SettingsOn, Weekday } from "../config";
import { kubernetesProvider, ManagedClusterArgs, managedArgs, pick } from "./common";
import { ClusterContract, RegistryInfo } from "./contract";
import { execKubeconfig } from "./kubeconfig";

/** DOKS arguments, resolved; `authorizedNetworks` feed the control-plane firewall. */
export interface DoksClusterArgs extends ManagedClusterArgs {
    /** DigitalOcean API token (`digitalocean:token`), secret. */
    token: pulumi.Input<string>;
    /** Minor version; the newest patch of it is picked with getKubernetesVersions. */
    kubernetesVersion: string;
    /** Weekly maintenance window, UTC. */
    maintenanceDay: Weekday;
    maintenanceStartTime: string;
    /** Keep volumes and load balancers when the cluster is deleted. */
    keepAssociatedResources: boolean;
    /** Container registry name (one registry per DigitalOcean account). */
    registryName: string;
    /** Use the account's existing registry of that name instead of creating it. */
    existingRegistry: boolean;
}

/** Regions that host DigitalOcean Container Registry; elsewhere DigitalOcean picks the registry's region. */
export const DOCR_REGIONS = ["nyc3", "sfo2", "sfo3", "ams3", "sgp1", "fra1", "blr1", "syd1"]; // the API's list

/** The registry region for a cluster region: the same one when DOCR is there, else DigitalOcean's choice. */
export function registryRegion(clusterRegion: string): string | undefined {
    return DOCR_REGIONS.includes(clusterRegion) ? clusterRegion : undefined;
}

/** DigitalOcean container registry credentials: `{"auths": {"<server>": {"auth": base64("user:pass")}}}`. */
export function parseDockerCredentials(json: string): { server: string; username: string; password: string } {
    const auths = (JSON.parse(json) as { auths?: Record<string, { auth?: string }> }).auths ?? {};
    const [server, entry] = Object.entries(auths)[0] ?? [];
    const decoded = Buffer.from(entry?.auth ?? "", "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (!server || colon < 0) throw new Error("DigitalOcean returned registry credentials without an auth entry");
    return { server, username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * DOKS: own VPC, version from getKubernetesVersions, HA control plane behind a control-plane firewall,
 * auto-upgrade with surge in a maintenance window, an autoscaling node pool, and a DOCR registry
 * integrated for pulls. Its kubeconfig calls doctl, so it keeps working past the 7-day token expiry.
 */
export class DoksCluster extends pulumi.ComponentResource implements ClusterContract {
    readonly name: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    readonly kubeconfig: pulumi.Output<string>;
    readonly registry: RegistryInfo;
    /** DigitalOcean's CSI block storage class, installed on every DOKS cluster. */
    readonly storageClassName = "do-block-storage";
    readonly serviceAnnotations: Record<string, string> = {};
    readonly cluster: digitalocean.KubernetesCluster;

    /** The cluster a stack's settings describe; deletion protection keeps its volumes and load balancers. */
    static fromSettings(settings: SettingsOn<"digitalocean">, opts?: pulumi.ComponentResourceOptions): DoksCluster {
        const c = settings.cluster;
        const own = pick(c, "kubernetesVersion", "maintenanceDay", "maintenanceStartTime", "registryName", "existingRegistry");
        return new DoksCluster(
            "cluster",
            { ...managedArgs(settings), ...own, token: settings.credential, keepAssociatedResources: c.deletionProtection },
            opts,
        );
    }

    constructor(name: string, args: DoksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:cluster:Doks", name, {}, opts);

        const doProvider = new digitalocean.Provider(`${name}-do`, { token: args.token }, { parent: this });
        const child = { parent: this, provider: doProvider };

        const vpc = new digitalocean.Vpc(`${name}-vpc`, { name: args.clusterName, region: args.region }, child);
        const versions = digitalocean.getKubernetesVersionsOutput({ versionPrefix: `${args.kubernetesVersion}.` }, child);

        const registry = args.existingRegistry
            ? undefined
            : new digitalocean.ContainerRegistry(
                  `${name}-registry`,
                  { name: args.registryName, subscriptionTierSlug: "basic", region: registryRegion(args.region) },
                  child,
              );

        this.cluster = new digitalocean.KubernetesCluster(
            `${name}-cluster`,
            {
                name: args.clusterName,
                region: args.region,
                version: versions.latestVersion,
                vpcUuid: vpc.id,
                ha: true,
                autoUpgrade: true,
                surgeUpgrade: true,
                maintenancePolicy: { day: args.maintenanceDay, startTime: args.maintenanceStartTime },
                registryIntegration: true,
                destroyAllAssociatedResources: !args.keepAssociatedResources,
                controlPlaneFirewall: { enabled: true, allowedAddresses: args.authorizedNetworks },
                nodePool: {
                    name: "kubeship",
                    size: args.nodeSize,
                    autoScale: true,
                    minNodes: args.minNodes,
                    maxNodes: args.maxNodes,
                    labels: { "kubeship.dev/pool": "default" },
                },
            },
            { ...child, dependsOn: registry ? [registry] : [] },
        );

        // Push credentials, write access, valid for a year (replace the resource to rotate them).
        const credentials = new digitalocean.ContainerRegistryDockerCredentials(
            `${name}-registry-credentials`,
            {
                registryName: registry ? registry.name : args.registryName,
                write: true,
                expirySeconds: 365 * 24 * 3600,
            },
            child,
        );
        const auth = pulumi.secret(credentials.dockerCredentials.apply(parseDockerCredentials));
        const server = registry ? registry.serverUrl : pulumi.output("registry.digitalocean.com");
        this.registry = {
            server,
            repository: pulumi.interpolate`${server}/${args.registryName}/app`,
            username: pulumi.secret(auth.apply(a => a.username)),
            password: pulumi.secret(auth.apply(a => a.password)),
        };

        this.name = this.cluster.name;
        this.kubeconfig = pulumi.secret(
            pulumi.all([this.cluster.id, this.cluster.name, this.cluster.endpoint, this.cluster.kubeConfigs]).apply(([id, n, endpoint, configs]) =>
                execKubeconfig(`do-${args.region}-${n}`, endpoint, configs[0]?.clusterCaCertificate ?? "", {
                    command: "doctl",
                    args: ["kubernetes", "cluster", "kubeconfig", "exec-credential", "--version=v1beta1", id],
                    installHint:
                        "Install doctl and authenticate it (doctl auth init, or DIGITALOCEAN_ACCESS_TOKEN): https://docs.digitalocean.com/reference/doctl/how-to/install/",
                }),
            ),
        );

        this.provider = kubernetesProvider(
            name,
            { kubeconfig: this.kubeconfig, clusterIdentifier: args.clusterIdentifier },
            { parent: this, dependsOn: [this.cluster] },
        );

        this.registerOutputs({ name: this.name, kubeconfig: this.kubeconfig });
    }
}
