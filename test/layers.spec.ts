/**
 * The shape of components/: which folder may import which, each cloud's cluster files on their own,
 * and files small enough to read. The lint rules say the same for workloads/ and platform/; this
 * checks the whole graph, from the sources.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { ROOT } from "../tools/render/stack-config";

const COMPONENTS = path.join(ROOT, "components");

function sources(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => {
        const full = path.join(dir, e.name);
        return e.isDirectory() ? sources(full) : e.name.endsWith(".ts") ? [full] : [];
    });
}

/** Each file of components/ (relative, without .ts) with the files of components/ it imports. */
function importGraph(): Map<string, string[]> {
    const graph = new Map<string, string[]>();
    for (const file of sources(COMPONENTS)) {
        const rel = path.relative(COMPONENTS, file).replace(/\.ts$/, "");
        const imports = ts
            .preProcessFile(fs.readFileSync(file, "utf8"))
            .importedFiles.map(i => i.fileName)
            .filter(f => f.startsWith("."))
            .map(f => {
                const target = path.resolve(path.dirname(file), f);
                return path.relative(COMPONENTS, fs.existsSync(`${target}.ts`) ? target : path.join(target, "index"));
            });
        graph.set(rel, imports);
    }
    return graph;
}

const folder = (rel: string) => (rel.includes("/") ? rel.split("/")[0] : "program");

/** What each folder may import, besides itself. */
const ALLOWED: Record<string, (target: string) => boolean> = {
    config: () => false,
    cluster: t => folder(t) === "config",
    image: t => t === "cluster/contract",
    // The backup store comes through the contract (and the name of the ServiceAccount its identity is bound to).
    workloads: t => t === "cluster/contract",
    // The add-ons' namespaces are the workloads' restricted Namespace: one owner for Pod Security labels.
    platform: t => t === "cluster/contract" || t === "workloads/namespace",
    program: () => true,
};

describe("layers of components/", () => {
    const graph = importGraph();

    it("are config → cluster → image, workloads and platform → program, with nothing reaching back", () => {
        assert.deepEqual([...new Set([...graph.keys()].map(folder))].sort(), Object.keys(ALLOWED).sort(), "every folder has a rule");
        for (const [file, imports] of graph) {
            for (const target of imports) {
                const ok = folder(target) === folder(file) || ALLOWED[folder(file)](target);
                assert.ok(ok, `${file} imports ${target}`);
            }
        }
    });

    it("keep each cloud's cluster files to themselves: only the createCluster table knows every cloud", () => {
        const shared = new Set(["cluster/common", "cluster/contract", "cluster/kubeconfig", "cluster/versions"]);
        const cloudOf = (rel: string) => rel.split("/")[1].replace(/\.ts$/, "");
        for (const [file, imports] of graph) {
            if (folder(file) !== "cluster" || shared.has(file) || file === "cluster/index") continue;
            for (const target of imports.filter(t => folder(t) === "cluster" && !shared.has(t))) {
                assert.equal(cloudOf(target), cloudOf(file), `${file} imports another cloud's ${target}`);
            }
        }
    });

    it("have no file over 250 lines", () => {
        for (const file of sources(COMPONENTS)) {
            const lines = fs.readFileSync(file, "utf8").split("\n").length - 1;
            assert.ok(lines <= 250, `${path.relative(ROOT, file)} has ${lines} lines`);
        }
    });
});
