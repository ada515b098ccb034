import * as digitalocean from "@pulumi/digitalocean";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { SettingsOn, Weekday } from "../../config";
import { kubernetesProvider, ManagedClusterArgs, managedArgs, pick } from "../common";
import { ClusterContract, ClusterFeatures, ObjectBackupStore, RegistryInfo } from "../contract";
import { execKubeconfig } from "../kubeconfig";
import { backupBucket } from "./backup";

/** DOKS arguments, resolved; `authorizedNetworks` feed the control-plane firewall. */
export interface DoksClusterArgs extends ManagedClusterArgs {
    /** DigitalOcean API token (`digitalocean:token`), secret. */
    token: pulumi.Input<string>;
    /**
     * Minor version; the newest patch of it is picked with getKubernetesVersions.
     * @default the newest version DOKS offers when the cluster is created, kept in state
     */
    kubernetesVersion?: string;
    /** Weekly maintenance window, UTC. */
    maintenanceDay: Weekday;
    maintenanceStartTime: string;
    /** Keep volumes and load balancers when the cluster is deleted. */
    keepAssociatedResources: boolean;
    /** Container registry name (one registry per DigitalOcean account). */
    registryName: string;
    /** Use the account's existing registry of that name instead of creating it. */
    existingRegistry: boolean;
    /** Keep database volumes when their claims are deleted (DOKS' `do-block-storage-retain` class). */
    retainVolumes: boolean;
    /**
     * The time the push credentials' renewal window is taken from (see CREDENTIALS).
     * @default the time of the run
     */
    now?: Date;
}

/**
 * The cluster's own node pool, which DigitalOcean requires and runs its system pods on. Its size can
 * never change: a new size replaces the whole cluster. So it is small and fixed, and the workloads get a
 * pool of their own (`nodeSize`), which can be resized by replacing that pool alone.
 */
export const SYSTEM_POOL = { name: "system", size: "s-2vcpu-2gb", minNodes: 1, maxNodes: 2 } as const;

/**
 * The image push credentials: valid for 90 days and replaced by the first `up` of each 30-day window, so
 * no deploy pushes with expired ones and no `pulumi refresh` is needed (DigitalOcean renews them only on
 * a refresh or a change).
 */
export const CREDENTIALS = { lifetimeDays: 90, renewEveryDays: 30 } as const;

/** The 30-day window `now` falls in: when it changes, the push credentials are replaced. */
export function credentialWindow(now: Date): number {
    return Math.floor(now.getTime() / (CREDENTIALS.renewEveryDays * 86_400_000));
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
 * auto-upgrade with surge in a maintenance window, a small fixed system pool and an autoscaling
 * workload pool of `nodeSize`, and a DOCR registry integrated for pulls. Its kubeconfig calls doctl, so it keeps working past the 7-day token expiry.
 */
export class DoksCluster extends pulumi.ComponentResource implements ClusterContract {
    readonly name: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    readonly kubeconfig: pulumi.Output<string>;
    readonly registry: RegistryInfo;
    /** DigitalOcean's CSI block storage class, installed on every DOKS cluster: the Retain one when volumes are kept. */
    readonly storageClassName: string;
    readonly serviceAnnotations: Record<string, string> = {};
    /** DOKS installs no metrics-server; its kubelets serve certificates signed by the cluster CA. */
    readonly features: ClusterFeatures = { metricsApi: false, kubeletCertsVerifiable: true, publicLoadBalancers: true };
    readonly backup?: ObjectBackupStore;
    readonly cluster: digitalocean.KubernetesCluster;

    /** The cluster a stack's settings describe; deletion protection keeps its volumes and load balancers. */
    static fromSettings(settings: SettingsOn<"digitalocean">, opts?: pulumi.ComponentResourceOptions): DoksCluster {
        const c = settings.cluster;
        const own = pick(c, "kubernetesVersion", "maintenanceDay", "maintenanceStartTime", "registryName", "existingRegistry");
        return new DoksCluster(
            "cluster",
            {
                ...managedArgs(settings),
                ...own,
                token: settings.credential,
                keepAssociatedResources: c.deletionProtection,
                retainVolumes: settings.protectData,
            },
            opts,
        );
    }

    constructor(name: string, args: DoksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:cluster:Doks", name, {}, opts);

        const doProvider = new digitalocean.Provider(`${name}-do`, { token: args.token }, { parent: this });
        const child = { parent: this, provider: doProvider };

        const vpc = new digitalocean.Vpc(`${name}-vpc`, { name: args.clusterName, region: args.region }, child);
        const pinned = args.kubernetesVersion;
        const versions = digitalocean.getKubernetesVersionsOutput({ versionPrefix: pinned === undefined ? undefined : `${pinned}.` }, child);

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
                nodePool: { ...SYSTEM_POOL, autoScale: true, labels: { "kubeship.dev/pool": "system" } },
            },
            // Unpinned, the version chosen at creation stays (auto-upgrade moves its patches): upgrade by pinning.
            { ...child, dependsOn: registry ? [registry] : [], ignoreChanges: pinned === undefined ? ["version"] : [] },
        );
        // No fixed name: a new size creates the new pool before the old one is deleted.
        const pool = new digitalocean.KubernetesNodePool(
            `${name}-nodes`,
            {
                clusterId: this.cluster.id,
                size: args.nodeSize,
                autoScale: true,
                minNodes: args.minNodes,
                maxNodes: args.maxNodes,
                labels: { "kubeship.dev/pool": "default" },
            },
            child,
        );

        // Push credentials with write access, renewed every window (CREDENTIALS).
        const credentials = new digitalocean.ContainerRegistryDockerCredentials(
            `${name}-registry-credentials`,
            {
                registryName: registry ? registry.name : args.registryName,
                write: true,
                expirySeconds: CREDENTIALS.lifetimeDays * 86_400,
            },
            { ...child, replacementTrigger: credentialWindow(args.now ?? new Date()) },
        );
        const auth = pulumi.secret(credentials.dockerCredentials.apply(parseDockerCredentials));
        const server = registry ? registry.serverUrl : pulumi.output("registry.digitalocean.com");
        this.registry = {
            server,
            repository: pulumi.interpolate`${server}/${args.registryName}/app`,
            username: pulumi.secret(auth.apply(a => a.username)),
            password: pulumi.secret(auth.apply(a => a.password)),
        };

        this.backup = args.backup && backupBucket(name, { ...args.backup, region: args.region, clusterName: args.clusterName, token: args.token }, this, child);

        this.name = this.cluster.name;
        this.storageClassName = args.retainVolumes ? "do-block-storage-retain" : "do-block-storage";
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
            { kubeconfig: this.kubeconfig, clusterIdentifier: args.clusterIdentifier, cluster: this.cluster },
            { parent: this, dependsOn: [pool] },
        );

        this.registerOutputs({ name: this.name, kubeconfig: this.kubeconfig });
    }
}
