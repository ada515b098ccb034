/**
 * A real node for the local cluster: containerd and runc (Debian's), the kubelet and kube-proxy at the
 * control plane's version, Debian's CNI plugins on a bridge of the node's own, CoreDNS for the cluster's
 * names, kube-router's NetworkPolicy firewall and kubeship's volume provisioner, all on the host, each
 * under its own identity. The images (images.ts) are imported into containerd and named by digest.
 *
 * What it changes on the machine, and `stopNode` undoes: the bridge and the pods' network namespaces,
 * iptables rules and ipsets (chains named KUBE-*), mounts under the node's folder, the kubelet's kernel
 * settings and its cgroups (kubepods), the log links in /var/log/containers, and one FORWARD rule that
 * keeps pod traffic on the machine.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { KubeApi } from "../cluster/api";
import { kubeconfig, NODE_CLIENTS, NODE_NAME, SERVICE_CIDR } from "../cluster/pki";
import { checkAlive, freePort, startProcess, until } from "../cluster/processes";
import { containerdConfig, corefile, cniConfig, kubeletConfig, kubeProxyConfig, NODE_NET, nodePaths } from "./configs";
import type { BuiltImage, NodeImages } from "./images";
import { storageClass } from "./provisioner";
import { addonRbac } from "./rbac";

type Log = (line: string) => void;

/** The images the node holds, by the digest references a stack deploys. */
export interface NodeImageRefs {
    app: string;
    appNext: string;
    postgres: string;
    redis: string;
}

/** What `stopNode` needs to undo the node's changes. */
export interface NodeState {
    name: string;
    ip: string;
    images: NodeImageRefs;
    /** The kernel settings the kubelet and the bridge change, as they were before. */
    sysctls: Record<string, string>;
    /** Network namespaces that existed before the node (the rest are its pods'). */
    netnsBefore: string[];
}

/** Kernel settings the kubelet (`protectKernelDefaults: false`) and the CNI bridge set. */
const SYSCTLS = [
    "vm.overcommit_memory",
    "vm.panic_on_oom",
    "kernel.panic",
    "kernel.panic_on_oops",
    "kernel.keys.root_maxkeys",
    "kernel.keys.root_maxbytes",
    "net.ipv4.ip_forward",
];
const NETNS = "/run/netns";
/** The one rule of kubeship's own: pods reach nothing beyond the node (the pod network is not masqueraded). */
const FORWARD_GUARD = [
    "FORWARD",
    "-s",
    NODE_NET.clusterCidr,
    "!",
    "-o",
    NODE_NET.bridge,
    "-m",
    "comment",
    "--comment",
    "kubeship-node: pod traffic stays on this machine",
    "-j",
    "DROP",
];

function sh(command: string, args: string[], opts: { ignoreFailure?: boolean } = {}): string {
    try {
        return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
        const err = e as { code?: string; stderr?: string };
        if (err.code === "ENOENT")
            throw new Error(`${command} is not installed: apt-get install containerd runc containernetworking-plugins iptables ipset iproute2`, { cause: e });
        if (opts.ignoreFailure) return "";
        throw new Error(`${command} ${args.join(" ")}: ${String(err.stderr ?? "").trim()}`, { cause: e });
    }
}

function readSysctl(name: string): string {
    return fs.readFileSync(`/proc/sys/${name.replace(/\./g, "/")}`, "utf8").trim();
}

function writeSysctl(name: string, value: string): void {
    fs.writeFileSync(`/proc/sys/${name.replace(/\./g, "/")}`, value);
}

/** Checks what the node needs before touching anything: root, the Debian packages, the kernel's cgroups. */
export function checkHost(): void {
    const problems: string[] = [];
    if (process.getuid?.() !== 0) problems.push("the real node runs as root (it manages mounts, cgroups, iptables and network interfaces)");
    const missing = ["containerd", "ctr", "runc", "iptables", "iptables-save", "iptables-restore", "ipset", "ip"].filter(c => {
        try {
            execFileSync("sh", ["-c", `command -v ${c}`], { stdio: "ignore" });
            return false;
        } catch {
            return true;
        }
    });
    if (missing.length) problems.push(`missing commands: ${missing.join(", ")} (apt-get install containerd runc iptables ipset iproute2)`);
    for (const plugin of ["bridge", "host-local", "portmap", "loopback"]) {
        if (!fs.existsSync(path.join("/usr/lib/cni", plugin)))
            problems.push(`the CNI plugin /usr/lib/cni/${plugin} is missing (apt-get install containernetworking-plugins)`);
    }
    if (problems.length) throw new Error(`the real node cannot start here:\n- ${problems.join("\n- ")}`);
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
    const { app, appNext, postgres, redis } = refs;
    if (!app || !appNext || !postgres || !redis) throw new Error("an image is missing from the node's set");
    return { app, appNext, postgres, redis };
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
    checkHost();
    const p = nodePaths(path.join(o.dir, "node"));
    for (const dir of [p.containerdRoot, p.containerdState, p.cniConf, p.cniData, p.kubeletRoot, p.podLogs, p.volumes]) fs.mkdirSync(dir, { recursive: true });
    const state: NodeState = {
        name: NODE_NAME,
        ip: NODE_NET.nodeIp,
        images: { app: "", appNext: "", postgres: "", redis: "" },
        sysctls: Object.fromEntries(SYSCTLS.map(n => [n, readSysctl(n)])),
        netnsBefore: fs.existsSync(NETNS) ? fs.readdirSync(NETNS) : [],
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
    sh("ip", ["link", "del", NODE_NET.bridge], { ignoreFailure: true });
    sh("ip", ["link", "add", NODE_NET.bridge, "type", "bridge"]);
    sh("ip", ["addr", "add", `${NODE_NET.nodeIp}/${NODE_NET.podCidr.split("/")[1]}`, "dev", NODE_NET.bridge]);
    sh("ip", ["link", "set", NODE_NET.bridge, "up"]);
    sh("iptables", ["-I", ...FORWARD_GUARD]);
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
            routerHealth: await freePort(),
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
            `--health-port=${ports.routerHealth}`,
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
        await until("kube-router's firewall", ok(`http://127.0.0.1:${ports.routerHealth}/healthz`), 60_000, check);
    } finally {
        api.close();
    }
    return state;
}

/** Process ids whose command line contains `needle`. */
function processesWith(needle: string): number[] {
    return fs
        .readdirSync("/proc")
        .filter(d => /^\d+$/.test(d))
        .filter(d => {
            try {
                return fs.readFileSync(`/proc/${d}/cmdline`, "utf8").includes(needle);
            } catch {
                return false;
            }
        })
        .map(Number)
        .filter(pid => pid !== process.pid);
}

/** The cgroup folders of the pods (`kubepods` under each hierarchy), deepest first. */
function podCgroups(): string[] {
    // cgroup v1 (and hybrid): one tree per controller; v2: one tree.
    const roots = ["/sys/fs/cgroup/kubepods", ...fs.readdirSync("/sys/fs/cgroup").map(c => path.join("/sys/fs/cgroup", c, "kubepods"))].filter(
        d => fs.existsSync(d) && fs.statSync(d).isDirectory(),
    );
    const walk = (d: string): string[] => [
        ...fs
            .readdirSync(d, { withFileTypes: true })
            .filter(e => e.isDirectory())
            .flatMap(e => walk(path.join(d, e.name))),
        d,
    ];
    return roots.flatMap(walk);
}

/** The processes running in the pods' cgroups. */
export function podProcesses(): number[] {
    return podCgroups().flatMap(c => {
        const procs = path.join(c, "cgroup.procs");
        return fs.existsSync(procs) ? fs.readFileSync(procs, "utf8").trim().split("\n").filter(Boolean).map(Number) : [];
    });
}

/** Mount points below `prefix`, deepest first. */
function mountsUnder(prefix: string): string[] {
    return fs
        .readFileSync("/proc/self/mountinfo", "utf8")
        .split("\n")
        .map(l => l.split(" ")[4])
        .filter(m => m && (m === prefix || m.startsWith(`${prefix}/`)))
        .sort((a, b) => b.length - a.length);
}

/** iptables (or ip6tables) rules without the node's chains (KUBE-*) and guard rule; true when something was removed. */
function dropKubeRules(save: string, restore: string): boolean {
    const dump = sh(save, [], { ignoreFailure: true });
    const kept = dump.split("\n").filter(l => !/^:KUBE-|^-A KUBE-|-j KUBE-|kubeship-node: /.test(l));
    if (kept.length === dump.split("\n").length) return false;
    execFileSync(restore, [], { input: kept.join("\n") });
    return true;
}

/** What the node left on the machine, if anything: one line per leftover. */
export function leftovers(dir: string): string[] {
    const found: string[] = [];
    const p = nodePaths(path.join(dir, "node"));
    for (const pid of processesWith(p.containerdSocket)) found.push(`process ${pid} (${fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0]})`);
    for (const c of podCgroups()) {
        const procs = fs.existsSync(path.join(c, "cgroup.procs")) ? fs.readFileSync(path.join(c, "cgroup.procs"), "utf8").trim() : "";
        found.push(`cgroup ${c}${procs ? ` with processes ${procs.split("\n").join(",")}` : ""}`);
    }
    for (const m of mountsUnder(p.dir)) found.push(`mount ${m}`);
    if (sh("ip", ["link", "show", NODE_NET.bridge], { ignoreFailure: true })) found.push(`network interface ${NODE_NET.bridge}`);
    for (const save of ["iptables-save", "ip6tables-save"]) {
        for (const l of sh(save, [], { ignoreFailure: true }).split("\n")) if (/^:KUBE-|kubeship-node: /.test(l)) found.push(`${save}: ${l}`);
    }
    for (const set of sh("ipset", ["list", "-n"], { ignoreFailure: true }).split("\n")) if (/^(KUBE-|kube-router)/.test(set)) found.push(`ipset ${set}`);
    return found;
}

/**
 * Undoes what the node did, after its processes were stopped: kills what still runs in the pods'
 * cgroups and the containerd shims, unmounts, removes the pods' network namespaces, the bridge, the
 * iptables chains and ipsets, restores the kernel settings. Safe to run twice.
 */
export function stopNode(dir: string, state: NodeState | undefined, bin: string, log: Log): void {
    const p = nodePaths(path.join(dir, "node"));
    for (const pid of processesWith(p.containerdSocket)) {
        try {
            process.kill(pid, "SIGKILL");
        } catch {
            // gone
        }
    }
    for (let round = 0; round < 20; round++) {
        const cgroups = podCgroups();
        if (!cgroups.length) break;
        for (const c of cgroups) {
            const procs = path.join(c, "cgroup.procs");
            const pids = fs.existsSync(procs) ? fs.readFileSync(procs, "utf8").trim().split("\n").filter(Boolean) : [];
            for (const pid of pids) {
                try {
                    process.kill(Number(pid), "SIGKILL");
                } catch {
                    // gone
                }
            }
            if (!pids.length) {
                try {
                    fs.rmdirSync(c);
                } catch {
                    // still busy: the next round
                }
            }
        }
        execFileSync("sleep", ["0.2"]);
    }
    const before = new Set(state?.netnsBefore ?? []);
    const netns = fs.existsSync(NETNS) ? fs.readdirSync(NETNS).filter(n => n.startsWith("cni-") && !before.has(n)) : [];
    for (const m of [...mountsUnder(p.dir), ...netns.map(n => path.join(NETNS, n))]) sh("umount", ["-l", m], { ignoreFailure: true });
    for (const n of netns) fs.rmSync(path.join(NETNS, n), { force: true });
    sh("ip", ["link", "del", NODE_NET.bridge], { ignoreFailure: true });
    if (fs.existsSync(path.join(bin, "kube-proxy"))) sh(path.join(bin, "kube-proxy"), ["--cleanup"], { ignoreFailure: true });
    dropKubeRules("iptables-save", "iptables-restore");
    dropKubeRules("ip6tables-save", "ip6tables-restore");
    for (const set of sh("ipset", ["list", "-n"], { ignoreFailure: true }).split("\n")) {
        if (/^(KUBE-|kube-router)/.test(set)) sh("ipset", ["destroy", set], { ignoreFailure: true });
    }
    for (const [name, value] of Object.entries(state?.sysctls ?? {})) {
        try {
            if (readSysctl(name) !== value) writeSysctl(name, value);
        } catch (e) {
            log(`could not restore ${name}=${value}: ${(e as Error).message}`);
        }
    }
    for (const link of fs.existsSync("/var/log/containers") ? fs.readdirSync("/var/log/containers") : []) {
        const file = path.join("/var/log/containers", link);
        try {
            if (fs.readlinkSync(file).startsWith(p.dir)) fs.rmSync(file);
        } catch {
            // not a link
        }
    }
    // containerd's CNI library caches each pod's network result by network name.
    const results = "/var/lib/cni/results";
    for (const f of fs.existsSync(results) ? fs.readdirSync(results) : [])
        if (f.startsWith(`${NODE_NET.cniNetwork}-`)) fs.rmSync(path.join(results, f), { force: true });
    const rest = leftovers(dir);
    if (rest.length) log(`the node left behind:\n  ${rest.join("\n  ")}`);
}
