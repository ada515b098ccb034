/**
 * A local Kubernetes control plane on loopback, from the tool cache: etcd, kube-apiserver (TLS, client
 * certificates, service-account keys, Node and RBAC authorization, NodeRestriction and the built-in Pod
 * Security admission), kube-controller-manager, kube-scheduler, and kwok with three fake nodes in three
 * zones and a default StorageClass whose claims kwok binds. The processes run detached, each logging to
 * `<dir>/logs`; everything lives in `<dir>`, and `down` removes it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { KubeApi } from "./api";
import { NODE_NET } from "../node/configs";
import type { NodeImages } from "../node/images";
import { startNode, stopNode, type NodeState } from "../node/node";
import { alive, checkAlive, freePort, startProcess, until } from "./processes";
import { Client, CLIENTS, kubeconfig, makePki, NODE_CLIENTS, SERVICE_CIDR } from "./pki";

/** The kubeconfig context the cluster command writes. */
export const CONTEXT = "kubeship-e2e";
/** The fake nodes: one per zone. */
export const ZONES = ["zone-a", "zone-b", "zone-c"];

export interface ClusterState {
    dir: string;
    /** The tool binaries it runs. */
    bin: string;
    server: string;
    /** The admin kubeconfig (context `kubeship-e2e`). */
    kubeconfig: string;
    ports: Record<string, number>;
    /** Process id of each component (each leads its own process group). */
    pids: Record<string, number>;
    /** The real node, when there is one (else kwok's fake nodes). */
    node?: NodeState;
}

type Log = (line: string) => void;

const stateFile = (dir: string) => path.join(dir, "state.json");

export function readState(dir: string): ClusterState | undefined {
    return fs.existsSync(stateFile(dir)) ? (JSON.parse(fs.readFileSync(stateFile(dir), "utf8")) as ClusterState) : undefined;
}

/** The command lines of the components, given the state's ports and files. */
export function commandLines(s: Pick<ClusterState, "dir" | "ports">, bin: string): Record<string, string[]> {
    const pki = path.join(s.dir, "pki");
    const f = (name: string) => path.join(pki, name);
    const kc = (client: Client) => path.join(s.dir, `${client}.kubeconfig`);
    return {
        etcd: [
            path.join(bin, "etcd"),
            "--name=kubeship-e2e",
            `--data-dir=${path.join(s.dir, "etcd")}`,
            `--listen-client-urls=http://127.0.0.1:${s.ports.etcd}`,
            `--advertise-client-urls=http://127.0.0.1:${s.ports.etcd}`,
            `--listen-peer-urls=http://127.0.0.1:${s.ports.etcdPeer}`,
            `--initial-advertise-peer-urls=http://127.0.0.1:${s.ports.etcdPeer}`,
            `--initial-cluster=kubeship-e2e=http://127.0.0.1:${s.ports.etcdPeer}`,
            // A test cluster: its data is thrown away, so fsync buys nothing.
            "--unsafe-no-fsync",
            "--log-level=warn",
        ],
        "kube-apiserver": [
            path.join(bin, "kube-apiserver"),
            `--etcd-servers=http://127.0.0.1:${s.ports.etcd}`,
            "--bind-address=127.0.0.1",
            `--secure-port=${s.ports.apiserver}`,
            `--tls-cert-file=${f("apiserver.crt")}`,
            `--tls-private-key-file=${f("apiserver.key")}`,
            `--client-ca-file=${f("ca.crt")}`,
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            `--service-account-key-file=${f("sa.pub")}`,
            `--service-account-signing-key-file=${f("sa.key")}`,
            `--service-cluster-ip-range=${SERVICE_CIDR}`,
            "--authorization-mode=Node,RBAC",
            // The real node's address is its InternalIP (no DNS name for it here): logs, exec, port-forward.
            "--kubelet-preferred-address-types=InternalIP,Hostname",
            // PodSecurity is on by default; NodeRestriction is not.
            "--enable-admission-plugins=NodeRestriction",
            `--kubelet-client-certificate=${f("apiserver-kubelet-client.crt")}`,
            `--kubelet-client-key=${f("apiserver-kubelet-client.key")}`,
            "--profiling=false",
        ],
        "kube-controller-manager": [
            path.join(bin, "kube-controller-manager"),
            `--kubeconfig=${kc("kube-controller-manager")}`,
            `--authentication-kubeconfig=${kc("kube-controller-manager")}`,
            `--authorization-kubeconfig=${kc("kube-controller-manager")}`,
            "--bind-address=127.0.0.1",
            `--secure-port=${s.ports.controllerManager}`,
            "--leader-elect=false",
            "--controllers=*",
            "--use-service-account-credentials=true",
            `--service-account-private-key-file=${f("sa.key")}`,
            `--root-ca-file=${f("ca.crt")}`,
            `--cluster-signing-cert-file=${f("ca.crt")}`,
            `--cluster-signing-key-file=${f("ca.key")}`,
            `--service-cluster-ip-range=${SERVICE_CIDR}`,
            "--cluster-name=kubeship-e2e",
            "--profiling=false",
        ],
        "kube-scheduler": [
            path.join(bin, "kube-scheduler"),
            `--config=${path.join(s.dir, "scheduler.yaml")}`,
            `--authentication-kubeconfig=${kc("kube-scheduler")}`,
            `--authorization-kubeconfig=${kc("kube-scheduler")}`,
            "--bind-address=127.0.0.1",
            `--secure-port=${s.ports.scheduler}`,
            "--profiling=false",
        ],
        kwok: [path.join(bin, "kwok"), `--kubeconfig=${kc("admin")}`, `--config=${path.join(s.dir, "kwok.yaml")}`],
    };
}

function writeConfigs(s: ClusterState, bin: string): void {
    const pki = path.join(s.dir, "pki");
    for (const client of ["admin", "kube-controller-manager", "kube-scheduler"] as const) {
        fs.writeFileSync(path.join(s.dir, `${client}.kubeconfig`), kubeconfig(pki, client, s.server, CONTEXT), { mode: 0o600 });
    }
    fs.writeFileSync(
        path.join(s.dir, "scheduler.yaml"),
        [
            "apiVersion: kubescheduler.config.k8s.io/v1",
            "kind: KubeSchedulerConfiguration",
            "clientConnection:",
            `  kubeconfig: ${path.join(s.dir, "kube-scheduler.kubeconfig")}`,
            "leaderElection:",
            "  leaderElect: false",
            "",
        ].join("\n"),
    );
    // kwok manages only the nodes annotated as fake; pod IPs come from its CIDR.
    fs.writeFileSync(
        path.join(s.dir, "kwok.yaml"),
        [
            "apiVersion: config.kwok.x-k8s.io/v1alpha1",
            "kind: KwokConfiguration",
            "options:",
            `  cidr: ${NODE_NET.clusterCidr}`,
            "  nodeIP: 127.0.0.1",
            `  nodePort: ${s.ports.kwok}`,
            `  serverAddress: 127.0.0.1:${s.ports.kwok}`,
            "  manageAllNodes: false",
            "  manageNodesWithAnnotationSelector: kwok.x-k8s.io/node=fake",
            "  nodeLeaseDurationSeconds: 40",
            // kwok's defaults for these are not applied to a --config file: without them it refuses to start.
            "  nodeLeaseParallelism: 4",
            "  podPlayStageParallelism: 4",
            "  nodePlayStageParallelism: 4",
            "  podsOnNodeSyncParallelism: 1",
            fs.readFileSync(path.join(bin, "kwok-stages.yaml"), "utf8"),
        ].join("\n"),
    );
}

/** A fake node in `zone`, as kwok's docs describe one; kwok makes it Ready. */
function fakeNode(zone: string): object {
    const name = `kubeship-e2e-${zone}`;
    return {
        apiVersion: "v1",
        kind: "Node",
        metadata: {
            name,
            annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
            labels: {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "topology.kubernetes.io/region": "local",
                "topology.kubernetes.io/zone": zone,
                type: "kwok",
            },
        },
        status: { allocatable: { cpu: "8", memory: "32Gi", pods: "110" }, capacity: { cpu: "8", memory: "32Gi", pods: "110" } },
    };
}

/** The nodes: kwok's fake ones (no containers), or one real node with the images it runs. */
export type NodeMode = { kind: "fake" } | { kind: "real"; images: NodeImages };

/** Starts the cluster in `dir` (made if missing) with the binaries in `bin`; returns when it is usable. */
export async function up(dir: string, bin: string, log: Log, nodes: NodeMode = { kind: "fake" }): Promise<ClusterState> {
    const existing = readState(dir);
    if (existing && (existing.node ? "real" : "fake") === nodes.kind && Object.values(existing.pids).every(alive)) {
        log(`already up: ${existing.server} (kubeconfig ${existing.kubeconfig}, context ${CONTEXT})`);
        return existing;
    }
    if (existing) await down(dir, log);
    const started = Date.now();
    fs.mkdirSync(path.join(dir, "logs"), { recursive: true, mode: 0o700 });
    makePki(path.join(dir, "pki"), nodes.kind === "real" ? { ...CLIENTS, ...NODE_CLIENTS } : CLIENTS);
    const ports: Record<string, number> = {};
    for (const name of ["etcd", "etcdPeer", "apiserver", "controllerManager", "scheduler", "kwok"]) ports[name] = await freePort();
    const s: ClusterState = { dir, bin, server: `https://127.0.0.1:${ports.apiserver}`, kubeconfig: path.join(dir, "kubeconfig"), ports, pids: {} };
    writeConfigs(s, bin);
    fs.copyFileSync(path.join(dir, "admin.kubeconfig"), s.kubeconfig);
    const lines = commandLines(s, bin);
    const save = () => fs.writeFileSync(stateFile(dir), JSON.stringify(s, null, 2));
    const start = (name: string) => {
        s.pids[name] = startProcess(dir, name, lines[name]);
        save();
    };
    const check = () => checkAlive(dir, s.pids);
    const api = new KubeApi(s.server, path.join(dir, "pki"));
    try {
        start("etcd");
        await until("etcd", async () => ((await fetch(`http://127.0.0.1:${ports.etcd}/health`)).ok ? true : undefined), 30_000, check);
        start("kube-apiserver");
        await until("kube-apiserver /readyz", async () => ((await api.get("/readyz")).body === "ok" ? true : undefined), 60_000, check);
        for (const name of ["kube-controller-manager", "kube-scheduler"]) start(name);
        if (nodes.kind === "real") {
            s.node = await startNode({
                dir,
                server: s.server,
                pki: path.join(dir, "pki"),
                context: CONTEXT,
                bin,
                images: nodes.images,
                pids: s.pids,
                save: node => {
                    s.node = node;
                    save();
                },
                log,
            });
            save();
        } else {
            start("kwok");
            const storageClass = fs.readFileSync(path.join(bin, "kwok-storageclass.yaml"), "utf8");
            await api.create("/apis/storage.k8s.io/v1/storageclasses", storageClass, "application/yaml");
            for (const zone of ZONES) await api.create("/api/v1/nodes", fakeNode(zone));
            await until(
                "three Ready nodes",
                async () => {
                    const nodes = (await api.get<{ items: { status?: { conditions?: { type: string; status: string }[] } }[] }>("/api/v1/nodes")).body.items;
                    const ready = nodes.filter(n => n.status?.conditions?.some(c => c.type === "Ready" && c.status === "True"));
                    return ready.length === ZONES.length ? true : undefined;
                },
                60_000,
                check,
            );
        }
        // The controller-manager works once it has made the default ServiceAccount.
        await until(
            "kube-controller-manager",
            async () => ((await api.get("/api/v1/namespaces/default/serviceaccounts/default")).status === 200 ? true : undefined),
            60_000,
            check,
        );
    } catch (e) {
        api.close();
        await down(dir, () => undefined, true);
        throw e;
    }
    api.close();
    const nodeNote = s.node ? `the real node ${s.node.name}` : `${ZONES.length} fake nodes`;
    log(`up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${s.server}, ${nodeNote}; kubeconfig ${s.kubeconfig}, context ${CONTEXT}`);
    return s;
}

/** Stops every component (SIGTERM, then SIGKILL after 10 s) and removes `dir`. */
export async function down(dir: string, log: Log, keepFiles = false): Promise<void> {
    const s = readState(dir);
    const pids = Object.entries(s?.pids ?? {});
    // Reverse start order: the API server outlives its clients, etcd outlives the API server.
    for (const [name, pid] of pids.reverse()) {
        if (!alive(pid)) continue;
        try {
            process.kill(-pid, "SIGTERM");
        } catch {
            // already gone
        }
        const deadline = Date.now() + 10_000;
        while (alive(pid) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100));
        if (alive(pid)) {
            log(`${name} did not stop in 10 s: killing it`);
            process.kill(-pid, "SIGKILL");
        }
    }
    if (s?.node || fs.existsSync(path.join(dir, "node"))) stopNode(dir, s?.node, s?.bin ?? "", log);
    if (!keepFiles) fs.rmSync(dir, { recursive: true, force: true });
    log(s ? `down: ${pids.length} processes stopped${keepFiles ? "" : `, ${dir} removed`}` : "down: no cluster here");
}
