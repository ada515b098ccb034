/**
 * The real node's configuration files: containerd (CRI), the CNI network, the kubelet, kube-proxy and
 * CoreDNS. Everything the node writes lives under its folder; the pod network is a bridge of its own
 * whose gateway address is also the node's address (the kubelet, the cluster DNS), so nothing binds to
 * the machine's own interfaces.
 */
import * as path from "node:path";

/** The node's network: its pod range, the bridge, and the bridge's address (the node's InternalIP). */
export const NODE_NET = {
    bridge: "kubeship0",
    podCidr: "10.244.0.0/24",
    /** Where kube-proxy looks for pod traffic (the fake nodes' range in the other mode). */
    clusterCidr: "10.244.0.0/16",
    nodeIp: "10.244.0.1",
    /** The CNI network's name: containerd and the host-local IPAM key their files by it. */
    cniNetwork: "kubeship",
};

/** The folders of a node in `dir`. */
export function nodePaths(dir: string) {
    return {
        dir,
        containerdRoot: path.join(dir, "containerd", "root"),
        containerdState: path.join(dir, "containerd", "state"),
        containerdSocket: path.join(dir, "containerd", "containerd.sock"),
        cniConf: path.join(dir, "cni", "net.d"),
        cniData: path.join(dir, "cni", "ipam"),
        kubeletRoot: path.join(dir, "kubelet"),
        podLogs: path.join(dir, "pods"),
        volumes: path.join(dir, "volumes"),
    };
}
export type NodePaths = ReturnType<typeof nodePaths>;

/**
 * containerd 1.6 (Debian's), CRI only as the kubelet uses it: the local sandbox image, Debian's CNI
 * plugins with the node's own configuration folder (the machine's /etc/cni/net.d holds podman's), and
 * `restrict_oom_score_adj`: this kind of VM refuses a negative oom_score_adj, which runc otherwise
 * fails on for every container.
 */
export function containerdConfig(p: NodePaths, sandboxImage: string): string {
    return `version = 2
root = "${p.containerdRoot}"
state = "${p.containerdState}"
[grpc]
  address = "${p.containerdSocket}"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${sandboxImage}"
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${p.cniConf}"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      SystemdCgroup = false
      Root = "${path.join(p.containerdState, "runc")}"
`;
}

/** The pod network: a bridge with the node as gateway, addresses from the node's range, no masquerade (nothing leaves the machine). */
export function cniConfig(p: NodePaths): string {
    return JSON.stringify({
        cniVersion: "1.0.0",
        name: NODE_NET.cniNetwork,
        plugins: [
            {
                type: "bridge",
                bridge: NODE_NET.bridge,
                isGateway: true,
                ipMasq: false,
                hairpinMode: true,
                ipam: {
                    type: "host-local",
                    dataDir: p.cniData,
                    ranges: [[{ subnet: NODE_NET.podCidr, gateway: NODE_NET.nodeIp }]],
                    routes: [{ dst: "0.0.0.0/0" }],
                },
            },
            { type: "portmap", capabilities: { portMappings: true } },
        ],
    });
}

export interface KubeletPorts {
    kubelet: number;
    healthz: number;
}

/**
 * The kubelet on this kind of VM: cgroup v1 (hybrid) allowed, the cgroupfs driver (no systemd), no swap
 * check, eviction thresholds in absolute sizes (the disk is mostly full of caches, and percentages would
 * evict at once), the API served on the node address only, webhook authentication and authorization.
 */
export function kubeletConfig(p: NodePaths, caFile: string, ports: KubeletPorts): string {
    return JSON.stringify({
        apiVersion: "kubelet.config.k8s.io/v1beta1",
        kind: "KubeletConfiguration",
        address: NODE_NET.nodeIp,
        port: ports.kubelet,
        healthzBindAddress: "127.0.0.1",
        healthzPort: ports.healthz,
        readOnlyPort: 0,
        authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: caFile } },
        authorization: { mode: "Webhook" },
        cgroupDriver: "cgroupfs",
        failCgroupV1: false,
        failSwapOn: false,
        containerRuntimeEndpoint: `unix://${p.containerdSocket}`,
        clusterDomain: "cluster.local",
        clusterDNS: [NODE_NET.nodeIp],
        resolvConf: "/etc/resolv.conf",
        podCIDR: NODE_NET.podCidr,
        podLogsDir: p.podLogs,
        evictionHard: { "memory.available": "100Mi", "nodefs.available": "1Gi", "imagefs.available": "1Gi", "nodefs.inodesFree": "5%" },
        imageGCHighThresholdPercent: 100,
        imageGCLowThresholdPercent: 99,
        // Pods are deleted promptly in the scenario; the default 1 s sync is fine, status updates quicker.
        nodeStatusUpdateFrequency: "4s",
        serializeImagePulls: false,
        rotateCertificates: false,
        serverTLSBootstrap: false,
    });
}

/**
 * kube-proxy in iptables mode (the Linux default): Services answer from the host and from pods. No
 * NodePort on the machine's interfaces (only the node address), and the host's conntrack settings left
 * as they are.
 */
export function kubeProxyConfig(kubeconfig: string, hostname: string, ports: { healthz: number; metrics: number }): string {
    return JSON.stringify({
        apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
        kind: "KubeProxyConfiguration",
        clientConnection: { kubeconfig },
        hostnameOverride: hostname,
        mode: "iptables",
        clusterCIDR: NODE_NET.clusterCidr,
        bindAddress: NODE_NET.nodeIp,
        healthzBindAddress: `127.0.0.1:${ports.healthz}`,
        metricsBindAddress: `127.0.0.1:${ports.metrics}`,
        nodePortAddresses: [`${NODE_NET.nodeIp}/32`],
        iptables: { localhostNodePorts: false, syncPeriod: "30s", minSyncPeriod: "0s" },
        conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: "0s", tcpCloseWaitTimeout: "0s" },
    });
}

/** CoreDNS answering the cluster's names on the node address, from the API server; nothing forwarded (pods need only cluster names). */
export function corefile(kubeconfig: string, ports: { health: number; ready: number }): string {
    return `cluster.local in-addr.arpa ip6.arpa {
    bind ${NODE_NET.nodeIp}
    errors
    health 127.0.0.1:${ports.health}
    ready 127.0.0.1:${ports.ready}
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig ${kubeconfig}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }
    cache 5
    loadbalance
}
`;
}
