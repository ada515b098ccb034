/**
 * `npm run cluster -- up [--node fake|real] | down | status`: the local control plane (see cluster.ts) in
 * `.kubeship/cluster`, its kubeconfig in `.kubeship/cluster/kubeconfig` with the context `kubeship-e2e`.
 * `up` builds the tools first when they are missing; with `--node real` (root, Linux), also the node's
 * images, and the nodes are one real node (tools/node) instead of kwok's fake ones.
 */
import * as path from "node:path";
import { ensureTools } from "../build";
import { checkHost } from "../node/host";
import { buildImages } from "../node/images";
import { ROOT } from "../cache";
import { KubeApi } from "./api";
import { CONTEXT, down, readState, up } from "./cluster";
import { alive } from "./processes";

const DIR = path.join(ROOT, ".kubeship", "cluster");
const log = (line: string) => console.error(`[cluster] ${line}`);

async function status(): Promise<number> {
    const s = readState(DIR);
    if (!s) {
        console.log("down (no cluster in .kubeship/cluster): npm run cluster -- up");
        return 1;
    }
    for (const [name, pid] of Object.entries(s.pids)) console.log(`${name.padEnd(24)} pid ${pid} ${alive(pid) ? "running" : "NOT RUNNING"}`);
    const api = new KubeApi(s.server, path.join(DIR, "pki"));
    try {
        const ready = await api.get("/readyz");
        const nodes = await api.get<{ items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] }>("/api/v1/nodes");
        console.log(`api server ${s.server}: readyz ${String(ready.body)}`);
        for (const n of nodes.body.items) {
            const isReady = n.status?.conditions?.some(c => c.type === "Ready" && c.status === "True");
            console.log(`node ${n.metadata.name}: ${isReady ? "Ready" : "not ready"}`);
        }
        console.log(`kubeconfig ${s.kubeconfig} (context ${CONTEXT})`);
        return Object.values(s.pids).every(alive) && ready.body === "ok" ? 0 : 1;
    } catch (e) {
        console.log(`api server ${s.server}: ${(e as Error).message}`);
        return 1;
    } finally {
        api.close();
    }
}

async function main(command: string | undefined, option: string | undefined): Promise<number> {
    switch (command) {
        case "up": {
            const real = option === "--node=real" || (option === "--node" && process.argv[4] === "real");
            if (option !== undefined && !real && !(option === "--node" && process.argv[4] === "fake") && option !== "--node=fake") {
                console.error(`unknown option ${option}: npm run cluster -- up [--node fake|real]`);
                return 2;
            }
            if (real) checkHost(path.join(DIR, "node"));
            const tools = await ensureTools();
            const nodes = real ? { kind: "real" as const, images: await buildImages(path.join(tools.bin, "pause"), line => log(`  ${line}`)) } : undefined;
            await up(DIR, tools.bin, log, nodes);
            return 0;
        }
        case "down":
            await down(DIR, log);
            return 0;
        case "status":
            return status();
        default:
            console.error("usage: npm run cluster -- up [--node fake|real] | down | status");
            return 2;
    }
}

main(process.argv[2], process.argv[3]).then(
    code => process.exit(code),
    (e: Error) => {
        log(e.message);
        process.exit(1);
    },
);
