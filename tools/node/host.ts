/**
 * The real node's footprint on the machine, and how it is checked and undone: processes (every one has
 * the node's folder on its command line), the pods' cgroups, mounts under the node's folder and the
 * pods' network namespaces, the bridge, iptables chains (KUBE-*) and ipsets, kernel settings, and a
 * guard rule that drops pod traffic leaving the machine. It assumes the machine runs no other Kubernetes
 * node: `checkHost` refuses to start beside one, since kube-proxy's and kube-router's chain names and the
 * kubelet's cgroups are fixed.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { NODE_NET } from "./configs";

export type Log = (line: string) => void;

/** Kernel settings the node needs or its parts change, restored when it stops. */
export const SYSCTLS = [
    "vm.overcommit_memory",
    "vm.panic_on_oom",
    "kernel.panic",
    "kernel.panic_on_oops",
    "kernel.keys.root_maxkeys",
    "kernel.keys.root_maxbytes",
    "net.ipv4.ip_forward",
    "net.bridge.bridge-nf-call-iptables",
];
const NETNS = "/run/netns";
const GUARD_COMMENT = "kubeship-node: pod traffic stays on this machine";
/**
 * Pods' traffic to anything but the bridge is dropped (the pod network is not masqueraded, and the
 * pods' default route points at the node). In the mangle table, which runs before the filter table's
 * FORWARD chain, where kube-router accepts what policies allow.
 */
const FORWARD_GUARD = ["FORWARD", "-s", NODE_NET.clusterCidr, "!", "-o", NODE_NET.bridge, "-m", "comment", "--comment", GUARD_COMMENT, "-j", "DROP"];
/** The chains and sets kube-proxy, kube-router and the kubelet name theirs with. */
const KUBE_CHAIN = /^:KUBE-|^-A KUBE-|-j KUBE-/;
const KUBE_SET = /^(KUBE-|kube-router)/;

export function sh(command: string, args: string[], opts: { ignoreFailure?: boolean; input?: string } = {}): string {
    try {
        return execFileSync(command, args, { encoding: "utf8", input: opts.input, stdio: ["pipe", "pipe", "pipe"] });
    } catch (e) {
        const err = e as { code?: string; stderr?: string };
        if (err.code === "ENOENT")
            throw new Error(`${command} is not installed: apt-get install containerd runc containernetworking-plugins iptables ipset iproute2`, { cause: e });
        if (opts.ignoreFailure) return "";
        throw new Error(`${command} ${args.join(" ")}: ${String(err.stderr ?? "").trim()}`, { cause: e });
    }
}

export function readSysctl(name: string): string {
    return fs.readFileSync(`/proc/sys/${name.replace(/\./g, "/")}`, "utf8").trim();
}

export function writeSysctl(name: string, value: string): void {
    fs.writeFileSync(`/proc/sys/${name.replace(/\./g, "/")}`, value);
}

/** Process ids whose command line contains `needle` (not this process). */
export function processesWith(needle: string): number[] {
    return fs
        .readdirSync("/proc")
        .filter(d => /^\d+$/.test(d) && Number(d) !== process.pid)
        .filter(d => {
            try {
                return fs.readFileSync(`/proc/${d}/cmdline`, "utf8").includes(needle);
            } catch {
                return false;
            }
        })
        .map(Number);
}

function commandOf(pid: number): string {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    } catch {
        return "(gone)";
    }
}

/** Sub-folders of `dir`, deepest first; a folder removed meanwhile (the kubelet cleans up too) is skipped. */
function treeDeepestFirst(dir: string): string[] {
    let entries: fs.Dirent[];
    try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
        return [];
    }
    return [...entries.filter(e => e.isDirectory()).flatMap(e => treeDeepestFirst(path.join(dir, e.name))), dir];
}

/** The cgroup folders of the pods (`kubepods` in each v1 hierarchy, or in the v2 tree), deepest first. */
function podCgroups(): string[] {
    const roots = ["/sys/fs/cgroup/kubepods", ...fs.readdirSync("/sys/fs/cgroup").map(c => path.join("/sys/fs/cgroup", c, "kubepods"))];
    return roots.filter(d => fs.existsSync(d)).flatMap(treeDeepestFirst);
}

function cgroupProcesses(cgroup: string): number[] {
    try {
        return fs.readFileSync(path.join(cgroup, "cgroup.procs"), "utf8").trim().split("\n").filter(Boolean).map(Number);
    } catch {
        return [];
    }
}

/** The processes running in the pods' cgroups. */
export function podProcesses(): number[] {
    return [...new Set(podCgroups().flatMap(cgroupProcesses))];
}

/** Mount points at or below `prefix`, deepest first. */
function mountsUnder(prefix: string): string[] {
    return fs
        .readFileSync("/proc/self/mountinfo", "utf8")
        .split("\n")
        .map(l => l.split(" ")[4])
        .filter(m => m && (m === prefix || m.startsWith(`${prefix}/`)))
        .sort((a, b) => b.length - a.length);
}

function iptablesLines(save: string): string[] {
    return sh(save, [], { ignoreFailure: true }).split("\n");
}

/** Another Kubernetes node's processes on this machine (not ones from `nodeDir`). */
function foreignNodes(nodeDir: string): string[] {
    return fs
        .readdirSync("/proc")
        .filter(d => /^\d+$/.test(d))
        .map(Number)
        .filter(pid => {
            try {
                const comm = fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
                return ["kubelet", "k3s", "k3s-server", "k3s-agent", "k0s", "kube-proxy"].includes(comm) && !commandOf(pid).includes(nodeDir);
            } catch {
                return false;
            }
        })
        .map(pid => `${pid} ${commandOf(pid)}`);
}

/** Checks what the node needs before touching anything: root, the Debian packages, no other node here. */
export function checkHost(nodeDir: string): void {
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
    if (!fs.existsSync("/proc/sys/net/bridge/bridge-nf-call-iptables"))
        problems.push("the kernel has no bridge netfilter (br_netfilter): NetworkPolicies between pods on the bridge could not be enforced");
    for (const other of foreignNodes(nodeDir)) problems.push(`another Kubernetes node runs here, whose chains and cgroups the real node would share: ${other}`);
    if (problems.length) throw new Error(`the real node cannot start here:\n- ${problems.join("\n- ")}`);
}

/** What the node changes before it starts: the sysctls it needs, the bridge with the node's address, the guard. */
export function prepareHost(): void {
    writeSysctl("net.bridge.bridge-nf-call-iptables", "1");
    sh("ip", ["link", "add", NODE_NET.bridge, "type", "bridge"]);
    sh("ip", ["addr", "add", `${NODE_NET.nodeIp}/${NODE_NET.podCidr.split("/")[1]}`, "dev", NODE_NET.bridge]);
    sh("ip", ["link", "set", NODE_NET.bridge, "up"]);
    sh("iptables", ["-t", "mangle", "-I", ...FORWARD_GUARD]);
}

/** The host's state the cleanup compares against: kernel settings, network namespaces and interfaces before the node. */
export interface HostBefore {
    sysctls: Record<string, string>;
    netns: string[];
    links: string[];
}

/** The network interfaces of the host's own network namespace. */
const links = () => fs.readdirSync("/sys/class/net");

export function hostBefore(): HostBefore {
    return {
        sysctls: Object.fromEntries(SYSCTLS.map(n => [n, readSysctl(n)])),
        netns: fs.existsSync(NETNS) ? fs.readdirSync(NETNS) : [],
        links: links(),
    };
}

/** containerd's CNI library caches each pod's network result by network name. */
const CNI_RESULTS = "/var/lib/cni/results";
const cniResults = () => (fs.existsSync(CNI_RESULTS) ? fs.readdirSync(CNI_RESULTS).filter(f => f.startsWith(`${NODE_NET.cniNetwork}-`)) : []);

function newNetns(before: HostBefore | undefined): string[] {
    const known = new Set(before?.netns ?? []);
    return fs.existsSync(NETNS) ? fs.readdirSync(NETNS).filter(n => n.startsWith("cni-") && !known.has(n)) : [];
}

/** What the node left on the machine, if anything: one line per leftover. */
export function leftovers(nodeDir: string, before?: HostBefore): string[] {
    const found: string[] = [];
    for (const pid of processesWith(nodeDir)) found.push(`process ${pid}: ${commandOf(pid)}`);
    for (const c of podCgroups()) found.push(`cgroup ${c}${cgroupProcesses(c).length ? ` with processes ${cgroupProcesses(c).join(",")}` : ""}`);
    for (const m of mountsUnder(nodeDir)) found.push(`mount ${m}`);
    for (const n of newNetns(before)) found.push(`network namespace ${path.join(NETNS, n)}`);
    // The bridge by name; with the host's state before, any interface it did not have (a pod's veth).
    const known = new Set(before?.links ?? []);
    for (const l of links()) if (l === NODE_NET.bridge || (before && !known.has(l))) found.push(`network interface ${l}`);
    for (const f of cniResults()) found.push(`CNI result ${path.join(CNI_RESULTS, f)}`);
    for (const save of ["iptables-save", "ip6tables-save"]) {
        for (const l of iptablesLines(save)) if (KUBE_CHAIN.test(l) || l.includes(GUARD_COMMENT)) found.push(`${save}: ${l}`);
    }
    for (const set of sh("ipset", ["list", "-n"], { ignoreFailure: true }).split("\n")) if (KUBE_SET.test(set)) found.push(`ipset ${set}`);
    for (const [name, value] of Object.entries(before?.sysctls ?? {})) {
        if (readSysctl(name) !== value) found.push(`sysctl ${name} = ${readSysctl(name)} (was ${value})`);
    }
    for (const link of fs.existsSync("/var/log/containers") ? fs.readdirSync("/var/log/containers") : []) {
        try {
            if (fs.readlinkSync(path.join("/var/log/containers", link)).startsWith(nodeDir)) found.push(`log link /var/log/containers/${link}`);
        } catch {
            // not a link
        }
    }
    return found;
}

function kill(pids: number[]): void {
    for (const pid of pids) {
        try {
            process.kill(pid, "SIGKILL");
        } catch {
            // gone
        }
    }
}

/** Removes the node's iptables chains and guard from one family; whole tables are rewritten, so a failure is logged, not thrown. */
function dropKubeRules(save: string, restore: string, log: Log): void {
    const lines = iptablesLines(save);
    const kept = lines.filter(l => !KUBE_CHAIN.test(l) && !l.includes(GUARD_COMMENT));
    if (kept.length === lines.length) return;
    try {
        sh(restore, [], { input: kept.join("\n") });
    } catch (e) {
        log(`${restore} failed; the node's rules stay: ${(e as Error).message}`);
    }
}

/**
 * Undoes what the node did, once its processes were asked to stop: kills what still runs (the node's
 * processes, the containerd shims and what runs in the pods' cgroups), unmounts, removes the pods'
 * network namespaces, the bridge, the iptables chains and ipsets, restores the kernel settings and
 * removes the log links. Safe to run twice, and on a node that crashed half-way.
 */
export function cleanHost(nodeDir: string, before: HostBefore | undefined, kubeProxy: string | undefined, log: Log): void {
    kill(processesWith(nodeDir));
    for (let round = 0; round < 20 && podCgroups().length; round++) {
        for (const c of podCgroups()) {
            const pids = cgroupProcesses(c);
            kill(pids);
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
    const netns = newNetns(before);
    for (const m of [...mountsUnder(nodeDir), ...netns.map(n => path.join(NETNS, n))]) sh("umount", ["-l", m], { ignoreFailure: true });
    for (const n of netns) fs.rmSync(path.join(NETNS, n), { force: true });
    sh("ip", ["link", "del", NODE_NET.bridge], { ignoreFailure: true });
    if (kubeProxy && fs.existsSync(kubeProxy)) sh(kubeProxy, ["--cleanup"], { ignoreFailure: true });
    dropKubeRules("iptables-save", "iptables-restore", log);
    dropKubeRules("ip6tables-save", "ip6tables-restore", log);
    for (const set of sh("ipset", ["list", "-n"], { ignoreFailure: true }).split("\n")) {
        if (KUBE_SET.test(set)) sh("ipset", ["destroy", set], { ignoreFailure: true });
    }
    for (const [name, value] of Object.entries(before?.sysctls ?? {})) {
        try {
            if (readSysctl(name) !== value) writeSysctl(name, value);
        } catch (e) {
            log(`could not restore ${name}=${value}: ${(e as Error).message}`);
        }
    }
    for (const link of fs.existsSync("/var/log/containers") ? fs.readdirSync("/var/log/containers") : []) {
        const file = path.join("/var/log/containers", link);
        try {
            if (fs.readlinkSync(file).startsWith(nodeDir)) fs.rmSync(file);
        } catch {
            // not a link
        }
    }
    for (const f of cniResults()) fs.rmSync(path.join(CNI_RESULTS, f), { force: true });
    const rest = leftovers(nodeDir, before);
    if (rest.length) log(`the node left behind:\n  ${rest.join("\n  ")}`);
}

/** Whether kube-router's firewall has hooked its chains into FORWARD. */
export function firewallHooked(): boolean {
    return iptablesLines("iptables-save").some(l => l.startsWith("-A FORWARD") && l.includes("-j KUBE-ROUTER-FORWARD"));
}
