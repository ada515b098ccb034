/**
 * `kubeship:cloud: kind`: a kind cluster and a local registry on the machine that runs `pulumi up`,
 * wired the way kind documents it (kind.sigs.k8s.io/docs/user/local-registry): a registry container
 * published on `localhost:<port>` for `docker push`, attached to the `kind` Docker network, and a
 * containerd `hosts.toml` on every node that maps `localhost:<port>` to that container, so the image
 * reference the pods pull resolves inside the node too. Needs Docker and the kind CLI.
 */
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import type { SettingsOn } from "../config";
import { clusterName, kubernetesProvider, localRepository, UnmanagedClusterArgs, unmanagedArgs, volumeBackupStore } from "./common";
import { ClusterContract, ClusterFeatures, RegistryInfo, VolumeBackupStore } from "./contract";

/** kind's registry recipe: the registry image and its port inside the container, and the Docker network of kind's nodes. */
export const KIND_REGISTRY = { image: "registry:3", port: 5000, network: "kind" } as const;

/**
 * The registry container for `localhost:<port>`: kind's own name, `kind-registry`, on kind's port 5001
 * (so a registry made by kind's script is found and used), and `kind-registry-<port>` on any other, so
 * stacks on different ports get registries of their own.
 */
export function registryContainer(registry: string): string {
    const port = registry.split(":")[1];
    return port === "5001" ? "kind-registry" : `kind-registry-${port}`;
}

/** containerd's registry host directory on each node (`config_path`). */
const CERTS_D = "/etc/containerd/certs.d";

const NEEDS = (tool: string, hint: string) => `command -v ${tool} >/dev/null || { echo "${tool} is not installed: ${hint}" >&2; exit 1; }`;
const NEED_DOCKER = NEEDS("docker", "https://docs.docker.com/get-docker/");
const NEED_KIND = NEEDS("kind", "https://kind.sigs.k8s.io/docs/user/quick-start/#installation");

/**
 * The kind cluster config: one node whose containerd reads registry hosts from `certs.d` (the default
 * of node images from kind 0.27; the patch keeps older images working, as kind's recipe does).
 */
export function kindConfig(clusterName: string): string {
    return YAML.stringify({
        kind: "Cluster",
        apiVersion: "kind.x-k8s.io/v1alpha4",
        name: clusterName,
        containerdConfigPatches: [`[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "${CERTS_D}"`],
    });
}

/** The `hosts.toml` that sends pulls of `registry` (as the pods name it) to its registry container. */
export function registryHostsToml(registry: string): string {
    return `[host."http://${registryContainer(registry)}:${KIND_REGISTRY.port}"]\n`;
}

export interface KindScripts {
    registry: { create: string; delete: string };
    cluster: { create: string; delete: string };
    /** Registry wiring on the nodes and the network; idempotent, nothing to undo. */
    wiring: { create: string };
    kubeconfig: string;
}

/**
 * The shell scripts behind the kind layer. Each `create` prints `created` when it made the thing and
 * `existing` when it found it, and each `delete` removes only what its `create` made: a cluster or
 * registry the user had before `pulumi up` outlives `pulumi destroy`.
 * @param registry `localhost:<port>`, the name `docker push` and the pods use.
 */
export function kindScripts(clusterName: string, registry: string): KindScripts {
    const port = registry.split(":")[1];
    const r = { ...KIND_REGISTRY, container: registryContainer(registry) };
    const hostsDir = `${CERTS_D}/${registry}`;
    return {
        registry: {
            create: [
                "set -eu",
                NEED_DOCKER,
                `case "$(docker inspect -f '{{.State.Running}}' ${r.container} 2>/dev/null || true)" in`,
                "  true) echo existing ;;",
                `  false) docker start ${r.container} >/dev/null && echo existing ;;`,
                `  *) docker run -d --restart=always -p "127.0.0.1:${port}:${r.port}" --network bridge --name ${r.container} ${r.image} >/dev/null && echo created ;;`,
                "esac",
            ].join("\n"),
            delete: `if [ "$PULUMI_COMMAND_STDOUT" = created ]; then docker rm -f ${r.container} >/dev/null; fi`,
        },
        cluster: {
            create: [
                "set -eu",
                NEED_DOCKER,
                NEED_KIND,
                `if kind get clusters 2>/dev/null | grep -qx '${clusterName}'; then`,
                "  echo existing",
                "else",
                `  kind create cluster --name '${clusterName}' --config - --wait 120s >&2`,
                "  echo created",
                "fi",
            ].join("\n"),
            delete: `if [ "$PULUMI_COMMAND_STDOUT" = created ]; then kind delete cluster --name '${clusterName}'; fi`,
        },
        wiring: {
            create: [
                "set -eu",
                `for node in $(kind get nodes --name '${clusterName}'); do`,
                `  docker exec "$node" mkdir -p '${hostsDir}'`,
                `  printf '%s' '${registryHostsToml(registry)}' | docker exec -i "$node" cp /dev/stdin '${hostsDir}/hosts.toml'`,
                "done",
                `if [ "$(docker inspect -f '{{json .NetworkSettings.Networks.${r.network}}}' ${r.container})" = null ]; then`,
                `  docker network connect ${r.network} ${r.container}`,
                "fi",
            ].join("\n"),
        },
        kubeconfig: `kind get kubeconfig --name '${clusterName}'`,
    };
}

/** The `local-registry-hosting` ConfigMap data (KEP-1755), which tools read to find the registry. */
export function localRegistryHosting(registry: string): Record<string, string> {
    return { "localRegistryHosting.v1": `host: "${registry}"\nhelp: "https://kind.sigs.k8s.io/docs/user/local-registry/"\n` };
}

export interface KindClusterArgs extends UnmanagedClusterArgs {
    /** kind cluster name; kind names its kubeconfig context `kind-<name>`. */
    clusterName: string;
    /** The registry as `docker push` and the pods name it, `localhost:<port>`. */
    registry: string;
}

/**
 * A kind cluster with a local registry, created by `pulumi up` when missing and deleted by
 * `pulumi destroy` when `up` created it. The image build waits only for the registry, the workloads
 * for the cluster and the registry wiring on its nodes.
 */
export class KindCluster extends pulumi.ComponentResource implements ClusterContract {
    readonly name: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    readonly kubeconfig: pulumi.Output<string>;
    readonly registry: RegistryInfo;
    readonly storageClassName?: string;
    readonly backup?: VolumeBackupStore;
    readonly serviceAnnotations: Record<string, string> = {};
    /** kind runs no metrics-server, and its kubelets serve self-signed certificates. */
    readonly features: ClusterFeatures = { metricsApi: false, kubeletCertsVerifiable: false, publicLoadBalancers: false };

    /** The cluster a stack's settings describe. */
    static fromSettings(settings: SettingsOn<"kind">, opts?: pulumi.ComponentResourceOptions): KindCluster {
        return new KindCluster("cluster", { ...unmanagedArgs(settings), clusterName: clusterName(settings.stack), registry: settings.cluster.registry }, opts);
    }

    constructor(name: string, args: KindClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeship:cluster:Kind", name, {}, opts);
        const registry = args.registry;
        const scripts = kindScripts(args.clusterName, registry);
        const commands = new command.Provider(`${name}-command`, {}, { parent: this });
        const child = { parent: this, provider: commands };

        const registryContainer = new command.local.Command(`${name}-registry`, scripts.registry, child);
        const cluster = new command.local.Command(`${name}-kind`, { ...scripts.cluster, stdin: kindConfig(args.clusterName) }, child);
        const wiring = new command.local.Command(
            `${name}-registry-wiring`,
            // Runs again whenever the cluster or the registry container is made anew.
            { ...scripts.wiring, triggers: [cluster.id, registryContainer.id] },
            child,
        );
        // Read on every run (an invoke, not state), so a cluster kind re-created keeps working; unknown in
        // the first preview, until the cluster exists.
        const kubeconfig = command.local.runOutput({ command: scripts.kubeconfig, logging: "none" }, { parent: this, provider: commands, dependsOn: [wiring] });

        this.kubeconfig = pulumi.secret(kubeconfig.stdout);
        this.name = cluster.id.apply(() => args.clusterName);
        // `docker push` needs the registry container running: the build waits for it, not for the cluster.
        const server = registryContainer.stdout.apply(() => registry);
        this.registry = { server, repository: server.apply(localRepository) };
        this.storageClassName = args.storageClassName;
        this.backup = volumeBackupStore(args);
        this.provider = kubernetesProvider(name, { kubeconfig: this.kubeconfig, clusterIdentifier: args.clusterIdentifier, cluster }, { parent: this });
        // A patch (server-side apply) creates the ConfigMap or adopts the one kind's own script made.
        new k8s.core.v1.ConfigMapPatch(
            `${name}-registry-hosting`,
            { metadata: { name: "local-registry-hosting", namespace: "kube-public" }, data: localRegistryHosting(registry) },
            { parent: this, provider: this.provider },
        );

        this.registerOutputs({ name: this.name, kubeconfig: this.kubeconfig });
    }
}
