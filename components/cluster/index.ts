import type * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../config";
import { clusterIdentifier, clusterName } from "./common";
import { ClusterContract } from "./contract";
import { DoksCluster } from "./doks";
import { EksCluster } from "./eks";
import { GkeCluster } from "./gke";
import { KindCluster } from "./kind";
import { defaultKubeconfigPath, minifyKubeconfig, readKubeconfigFile } from "./kubeconfig";
import { LocalCluster } from "./local";

export * from "./contract";
export { DoksCluster } from "./doks";
export { EksCluster } from "./eks";
export { GkeCluster } from "./gke";
export { KindCluster } from "./kind";
export { LocalCluster } from "./local";

/**
 * The cluster layer: builds the chosen cloud's cluster and returns the contract the workloads use.
 * This is the only place that branches on `kubeship:cloud`; only the chosen cloud's resources and
 * provider are created, so the other clouds need no credentials.
 */
export function createCluster(settings: Settings, opts?: pulumi.ComponentResourceOptions): ClusterContract {
    const c = settings.cluster;
    const common = {
        clusterName: clusterName(settings.stack),
        clusterIdentifier: clusterIdentifier(settings),
        nodeSize: c.nodeSize,
        minNodes: c.minNodes,
        maxNodes: c.maxNodes,
        authorizedNetworks: c.authorizedNetworks,
    };
    switch (settings.cloud) {
        case "kind":
            return new KindCluster(
                "cluster",
                { clusterName: common.clusterName, clusterIdentifier: common.clusterIdentifier, registry: c.registry, storageClassName: c.storageClass },
                opts,
            );
        case "local": {
            const file = defaultKubeconfigPath();
            const { kubeconfig, cluster } = minifyKubeconfig(readKubeconfigFile(file), settings.kubeContext, file);
            return new LocalCluster(
                "cluster",
                {
                    kubeconfig,
                    clusterName: cluster,
                    clusterIdentifier: common.clusterIdentifier,
                    registry: c.registry,
                    storageClassName: c.storageClass,
                },
                opts,
            );
        }
        case "gcp":
            return new GkeCluster(
                "cluster",
                {
                    ...common,
                    project: settings.gcpProject,
                    region: settings.region,
                    releaseChannel: c.releaseChannel,
                    deletionProtection: c.deletionProtection,
                    maintenanceDay: c.maintenanceDay,
                    maintenanceStartTime: c.maintenanceStartTime,
                    retainVolumes: settings.protectData,
                },
                opts,
            );
        case "aws":
            return new EksCluster(
                "cluster",
                {
                    ...common,
                    region: settings.region,
                    kubernetesVersion: c.kubernetesVersion,
                    natGateways: c.natGateways,
                    deletionProtection: c.deletionProtection,
                    logRetentionDays: c.logRetentionDays,
                    awsProfile: c.awsProfile,
                    assumeRoleArn: c.assumeRoleArn,
                    retainVolumes: settings.protectData,
                    rollingTag: settings.app.build.tag,
                },
                opts,
            );
        case "digitalocean":
            return new DoksCluster(
                "cluster",
                {
                    ...common,
                    token: settings.digitaloceanToken,
                    region: settings.region,
                    kubernetesVersion: c.kubernetesVersion,
                    maintenanceDay: c.maintenanceDay,
                    maintenanceStartTime: c.maintenanceStartTime,
                    keepAssociatedResources: c.deletionProtection,
                    registryName: c.registryName,
                    existingRegistry: c.existingRegistry,
                },
                opts,
            );
    }
}
