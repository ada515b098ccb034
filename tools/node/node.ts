/**
 * A real node for the local cluster: containerd and runc (Debian's), the kubelet and kube-proxy at the
 * control plane's version, Debian's CNI plugins on a bridge of the node's own, CoreDNS for the cluster's
 * names, kube-router's NetworkPolicy firewall and kubeship's volume provisioner, all on the host, each
 * with its own API identity. The images (images.ts) are imported into containerd and named by digest.
 * What it changes on the machine, and how `stopNode` undoes it, is in host.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { KubeApi } from "../cluster/api";
import { kubeconfig, NODE_CLIENTS, NODE_NAME, SERVICE_CIDR } from "../cluster/pki";
import { checkAlive, freePort, startProcess, until } from "../cluster/processes";
import { containerdConfig, corefile, cniConfig, kubeletConfig, kubeProxyConfig, NODE_NET, nodePaths } from "./configs";
import { checkHost, cleanHost, firewallHooked, hostBefore, type HostBefore, leftovers, type Log, prepareHost, processesWith, sh } from "./host";
import type { BuiltImage, NodeImages } from "./images";
import { storageClass } from "./provisioner";
import { addonRbac } from "./rbac";

/** The images the node holds, by the digest references a stack deploys. */
export interface NodeImageRefs {
    app: string;
    appNext: string;
    postgres: string;
    redis: string;
    pgbackup: string;
}

/** What `stopNode` needs to undo the node's changes. */
export interface NodeState {
    name: string;
    ip: string;
    images: NodeImageRefs;
    /** The machine's kernel settings and network namespaces before the node. */
    before: HostBefore;
}

/** Imports each archive into containerd's Kubernetes namespace and names it by its manifest digest. */
async function importImages(socket: string, images: NodeImages, log: Log): Promise<NodeImageRefs> {
    const ctr = (args: string[]) => sh("ctr", ["--address", socket, "--namespace", "k8s.io", ...args]);
    const refs: Partial<Record<keyof NodeImages, string>> = {};
    for (const [role, image] of Object.entries(images) as [keyof NodeImages, BuiltImage][]) {
        ctr(["images", "import", image.archive]);
        const line = ctr(["images", "ls"])
            .split("\n")
            .find(l => l.startsWith(`${image.ref} `));
        const digest = line?.split(/\s+/)[2];
        if (!digest?.startsWith("sha256:")) throw new Error(`containerd did not list ${image.ref} after importing ${image.archive}`);
        const byDigest = `${image.ref.replace(/:[^:/]+$/, "")}@${digest}`;
        ctr(["images", "tag", "--force", image.ref, byDigest]);
        refs[role] = byDigest;
        log(`image ${byDigest}`);
    }
    const { app, appNext, postgres, redis, pgbackup } = refs;
    if (!app || !appNext || !postgres || !redis || !pgbackup) throw new Error("an image is missing from the node's set");
    return { app, appNext, postgres, redis, pgbackup };
}

export interface NodeStart {
    /** The cluster's folder (the node lives in `<dir>/node`), API server and PKI. */
    dir: string;
    server: string;
    pki: string;
    context: string;
    bin: string;
    images: NodeImages;
    /** Process ids by name, shared with the cluster's state (written after each start). */
    pids: Record<string, number>;
    save: (node: NodeState) => void;
    log: Log;
}

/** Starts the node's components in order and returns once the node is Ready and its add-ons answer. */
export async function startNode(o: NodeStart): Promise<NodeState> {
    const p = nodePaths(path.join(o.dir, "node"));
    checkHost(p.dir);
    const running = processesWith(`--hostname-override=${NODE_NAME}`);
    if (running.length) throw new Error(`another real node runs on this machine (process ${running.join(", ")}): stop it first (npm run cluster -- down)`);
    // What a node that crashed or was killed left behind (the bridge, rules, cgroups) would get in the way.
    const stale = leftovers(p.dir);
    if (stale.length) {
        o.log(`cleaning up what an earlier node left:\n  ${stale.join("\n  ")}`);
        cleanHost(p.dir, undefined, path.join(o.bin, "kube-proxy"), o.log);
    }
    for (const dir of [p.containerdRoot, p.containerdState, p.cniConf, p.cniData, p.kubeletRoot, p.podLogs, p.volumes]) fs.mkdirSync(dir, { recursive: true });
    const state: NodeState = {
        name: NODE_NAME,
        ip: NODE_NET.nodeIp,
        images: { app: "", appNext: "", postgres: "", redis: "", pgbackup: "" },
        before: hostBefore(),
    };
    o.save(state);
    const check = () => checkAlive(o.dir, o.pids);
    const start = (name: string, argv: string[]) => {
        o.pids[name] = startProcess(o.dir, name, argv);
        o.save(state);
    };
    const bin = (name: string) => path.join(o.bin, name);
    const file = (name: string, content: string) => {
        const f = path.join(p.dir, name);
        fs.writeFileSync(f, content, { mode: 0o600 });
        return f;
    };

    // The pod network's bridge, made first: its address is the node's, which the kubelet and CoreDNS bind.
    prepareHost();
    fs.writeFileSync(path.join(p.cniConf, `10-${NODE_NET.cniNetwork}.conflist`), cniConfig(p));

    start("containerd", ["containerd", "--config", file("containerd.toml", containerdConfig(p, o.images.pause.ref))]);
    await until("containerd", async () => (fs.existsSync(p.containerdSocket) ? true : undefined), 30_000, check);
    state.images = await importImages(p.containerdSocket, o.images, o.log);
    o.save(state);

    const kc: Record<string, string> = {};
    for (const client of Object.keys(NODE_CLIENTS) as (keyof typeof NODE_CLIENTS)[])
        kc[client] = file(`${client}.kubeconfig`, kubeconfig(o.pki, client, o.server, o.context));
    const api = new KubeApi(o.server, o.pki);
    try {
        for (const { path: apiPath, object } of addonRbac()) await api.create(apiPath, object);
        await api.create("/apis/storage.k8s.io/v1/storageclasses", storageClass());

        const ports = {
            kubelet: await freePort(),
            healthz: await freePort(),
            proxyHealth: await freePort(),
            proxyMetrics: await freePort(),
            dnsHealth: await freePort(),
            dnsReady: await freePort(),
        };
        start("kubelet", [
            bin("kubelet"),
            `--config=${file("kubelet.json", kubeletConfig(p, path.join(o.pki, "ca.crt"), { kubelet: ports.kubelet, healthz: ports.healthz }))}`,
            `--kubeconfig=${kc.kubelet}`,
            `--hostname-override=${NODE_NAME}`,
            `--node-ip=${NODE_NET.nodeIp}`,
            `--root-dir=${p.kubeletRoot}`,
            `--cert-dir=${path.join(p.kubeletRoot, "pki")}`,
            "--node-labels=topology.kubernetes.io/region=local,topology.kubernetes.io/zone=zone-a",
        ]);
        await until(
            `node ${NODE_NAME} Ready`,
            async () => {
                const node = await api.get<{ status?: { conditions?: { type: string; status: string }[] } }>(`/api/v1/nodes/${NODE_NAME}`);
                return node.body.status?.conditions?.some(c => c.type === "Ready" && c.status === "True") ? true : undefined;
            },
            120_000,
            check,
        );

        start("kube-proxy", [
            bin("kube-proxy"),
            `--config=${file("kube-proxy.json", kubeProxyConfig(kc["kube-proxy"], NODE_NAME, { healthz: ports.proxyHealth, metrics: ports.proxyMetrics }))}`,
        ]);
        start("coredns", [bin("coredns"), "-conf", file("Corefile", corefile(kc.coredns, { health: ports.dnsHealth, ready: ports.dnsReady }))]);
        start("kube-router", [
            bin("kube-router"),
            `--kubeconfig=${kc["kube-router"]}`,
            "--run-firewall=true",
            "--run-router=false",
            "--run-service-proxy=false",
            "--enable-cni=false",
            "--enable-ibgp=false",
            "--enable-overlay=false",
            `--hostname-override=${NODE_NAME}`,
            `--service-cluster-ip-range=${SERVICE_CIDR}`,
            // Its health server would listen on every interface: off; the firewall's chains say it is up.
            "--health-port=0",
            "--metrics-port=0",
        ]);
        start("provisioner", [
            process.execPath,
            "-r",
            require.resolve("ts-node/register/transpile-only"),
            path.join(__dirname, "provisioner.ts"),
            o.server,
            o.pki,
            NODE_NAME,
            p.volumes,
        ]);
        const ok = (url: string) => async () => ((await fetch(url)).ok ? true : undefined);
        await until("kube-proxy's first sync", ok(`http://127.0.0.1:${ports.proxyHealth}/healthz`), 60_000, check);
        await until("CoreDNS", ok(`http://127.0.0.1:${ports.dnsReady}/ready`), 60_000, check);
        await until("kube-router's firewall in FORWARD", async () => (firewallHooked() ? true : undefined), 60_000, check);
    } finally {
        api.close();
    }
    return state;
}

/** Undoes what the node did on the machine, once its processes were asked to stop (see host.ts). */
export function stopNode(dir: string, state: NodeState | undefined, bin: string, log: Log): void {
    cleanHost(nodePaths(path.join(dir, "node")).dir, state?.before, bin ? path.join(bin, "kube-proxy") : undefined, log);
}
