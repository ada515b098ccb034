import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { parseRenderArgs, renderCommand } from "../tools/render/cli";
import { ROOT } from "../tools/render/stack-config";

function capture() {
    const lines = { log: [] as string[], error: [] as string[] };
    return { lines, io: { log: (l: string) => lines.log.push(l), error: (l: string) => lines.error.push(l) } };
}

describe("npm run render", () => {
    let out: string;
    beforeEach(() => {
        out = fs.mkdtempSync(path.join(os.tmpdir(), "kubeship-render-"));
    });
    afterEach(() => fs.rmSync(out, { recursive: true, force: true }));

    it("parses <stack> [--cloud] [--out], and --all alone", () => {
        assert.deepEqual(parseRenderArgs(["dev"]), { stack: "dev", all: false, cloud: undefined, out: undefined });
        assert.deepEqual(parseRenderArgs(["prod", "--cloud", "local", "--out", "x"]), { stack: "prod", all: false, cloud: "local", out: "x" });
        assert.deepEqual(parseRenderArgs(["--all"]), { stack: undefined, all: true, cloud: undefined, out: undefined });
        assert.throws(() => parseRenderArgs([]), /usage/);
        assert.throws(() => parseRenderArgs(["dev", "--all"]), /usage/);
        assert.throws(() => parseRenderArgs(["--all", "--out", "x"]), /usage/);
        assert.throws(() => parseRenderArgs(["dev", "--cloud"]), /--cloud needs a value/);
        assert.throws(() => parseRenderArgs(["dev", "--force"]), /unknown option --force/);
    });

    it("writes manifests, the resource list and the outputs for dev into a new folder, with its marker", async () => {
        const { io, lines } = capture();
        const target = path.join(out, "new", "dev");
        assert.equal(await renderCommand(["dev", "--out", target], io), 0, lines.error.join("\n"));
        assert.deepEqual(fs.readdirSync(target).sort(), [".kubeship-render", "manifests.yaml", "outputs.yaml", "resources.txt"]);
        const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(target, "manifests.yaml"), "utf8")).map(d => d.toJS());
        assert.equal(docs[0].kind, "Namespace", "namespace first");
        assert.ok(docs.some(d => d.kind === "StatefulSet") && docs.some(d => d.kind === "NetworkPolicy"));
        const secrets = docs.filter(d => d.kind === "Secret");
        assert.ok(secrets.length === 3 && secrets.every(s => Object.values(s.stringData).every(v => v === "<redacted>")));
        const outputs = YAML.parse(fs.readFileSync(path.join(target, "outputs.yaml"), "utf8"));
        assert.equal(outputs.kubeconfig, "<redacted>");
        assert.equal(outputs.namespace, "dev");
        assert.match(fs.readFileSync(path.join(target, "resources.txt"), "utf8"), /pulumi:providers:kubernetes {2}cluster-k8s/);
        assert.match(lines.log.join("\n"), /every policy of policy\/ passes/);
    });

    it("never deletes a folder it did not write: a folder holding other files is refused and left as it was", async () => {
        fs.writeFileSync(path.join(out, "notes.md"), "mine");
        const { io, lines } = capture();
        assert.equal(await renderCommand(["dev", "--out", out], io), 1);
        assert.match(lines.error.join("\n"), /--out .* already holds files that no render wrote \(notes\.md\); give a new or empty folder/);
        assert.deepEqual(fs.readdirSync(out), ["notes.md"]);
    });

    it("replaces only its own files in a folder it rendered into before", async () => {
        const { io, lines } = capture();
        assert.equal(await renderCommand(["dev", "--out", out], io), 0, lines.error.join("\n"));
        fs.writeFileSync(path.join(out, "review.md"), "added by a reviewer");
        fs.writeFileSync(path.join(out, "manifests.yaml"), "stale");
        assert.equal(await renderCommand(["dev", "--out", out], io), 0, lines.error.join("\n"));
        assert.deepEqual(fs.readdirSync(out).sort(), [".kubeship-render", "manifests.yaml", "outputs.yaml", "resources.txt", "review.md"]);
        assert.notEqual(fs.readFileSync(path.join(out, "manifests.yaml"), "utf8"), "stale");
        assert.equal(fs.readFileSync(path.join(out, "review.md"), "utf8"), "added by a reviewer");
    });

    it("refuses the checkout itself (--out .)", async () => {
        const { io, lines } = capture();
        assert.equal(await renderCommand(["dev", "--out", ROOT], io), 1);
        assert.match(lines.error.join("\n"), /already holds files that no render wrote/);
        assert.ok(fs.existsSync(path.join(ROOT, "package.json")));
    });

    it("gives the same config error as pulumi up, and exits 1", async () => {
        const { io, lines } = capture();
        assert.equal(await renderCommand(["prod", "--cloud", "openstack", "--out", out], io), 1);
        assert.match(
            lines.error.join("\n"),
            /^error: Invalid config kubeship:cloud = "openstack": must be one of "gcp", "aws", "azure", "digitalocean", "kind", "local"$/,
        );
    });

    it("names the stacks that exist for an unknown one", async () => {
        const { io, lines } = capture();
        assert.equal(await renderCommand(["qa", "--out", out], io), 1);
        assert.match(lines.error.join("\n"), /stacks: dev, prod, staging/);
    });
});

describe("npm run render -- <stack> --cloud", () => {
    it("shows a stack on another cloud with reported stand-ins for that cloud's own keys", async () => {
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "kubeship-render-"));
        try {
            const { io, lines } = capture();
            assert.equal(await renderCommand(["staging", "--cloud", "digitalocean", "--out", out], io), 0, lines.error.join("\n"));
            assert.match(
                lines.log.join("\n"),
                /stand-ins for cloud digitalocean: kubeship:region = ams3; digitalocean:token = render-stand-in-token; kubeship:cluster.nodeSize = \(the digitalocean default\)/,
            );
            const outputs = YAML.parse(fs.readFileSync(path.join(out, "outputs.yaml"), "utf8"));
            assert.equal(outputs.cloud, "digitalocean");
            assert.match(fs.readFileSync(path.join(out, "resources.txt"), "utf8"), /digitalocean:index\/kubernetesCluster:KubernetesCluster/);
        } finally {
            fs.rmSync(out, { recursive: true, force: true });
        }
    });

    it("keeps a stack's own settings when the cloud does not change", async () => {
        const { overrideCloud } = await import("../tools/render/cloud-override");
        const { readStackConfig } = await import("../tools/render/stack-config");
        const prod = readStackConfig("prod");
        assert.deepEqual(overrideCloud(prod, "aws").substituted, []);
        assert.deepEqual(overrideCloud(prod, "aws").config, prod.config);
        assert.throws(() => overrideCloud(prod, "openstack"), /must be one of/);
    });
});
