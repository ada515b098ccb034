import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { PLAIN_SETTINGS } from "../components/config";
import { readProject, readStackConfig, ROOT, stackNames } from "./support/stack-config";
import { throwsConfig } from "./support/assert";

describe("Pulumi.yaml", () => {
    const project = readProject();

    it("is the kubeship TypeScript project with stacks under stacks/", () => {
        assert.equal(project.name, "kubeship");
        assert.equal((project as any).runtime.name, "nodejs");
        assert.equal((project as any).runtime.options.typescript, true);
        assert.equal(project.stackConfigDir, "stacks");
    });

    it("disables every default provider", () => {
        assert.deepEqual((project.config["pulumi:disable-default-providers"] as any).value, ["*"]);
    });

    it("declares every plain setting with the parser's type, description and default", () => {
        for (const [key, expected] of Object.entries(PLAIN_SETTINGS)) {
            assert.deepEqual(project.config[key], expected, `Pulumi.yaml config.${key}`);
        }
        const declared = Object.keys(project.config).filter(k => !k.includes(":"));
        assert.deepEqual(declared.sort(), Object.keys(PLAIN_SETTINGS).sort(), "no setting declared that the program does not read");
    });

    it("has dev, staging and prod stacks, and dev runs on a local cluster", () => {
        assert.deepEqual(stackNames(), ["dev", "prod", "staging"]);
        assert.equal(readStackConfig("dev").config["kubeship:cloud"], "local");
    });

    it("applies project defaults to stack config the way the CLI does", () => {
        const { config } = readStackConfig("dev");
        assert.equal(config["kubeship:protectData"], "false");
        assert.equal(config["kubeship:region"], "");
        assert.equal(config["pulumi:disable-default-providers"], '["*"]');
        assert.deepEqual(JSON.parse(config["kubeship:app"]).autoscaling, { enabled: false });
    });

    it("names the stack files that exist when asked for one that does not", () => {
        throwsConfig(() => readStackConfig("qa"), "stack", '"qa"', /has no file stacks\/Pulumi\.qa\.yaml; stacks: dev, prod, staging/);
    });

    it(".ci/run runs exactly the commands the README lists under Tests", () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        const tests = readme.slice(readme.indexOf("\n## Tests\n"));
        const block = /```sh\n([\s\S]*?)```/.exec(tests)![1];
        const documented = block
            .split("\n")
            .map(l => l.replace(/\s+#.*$/, "").trim())
            .filter(Boolean);
        const ci = fs
            .readFileSync(path.join(ROOT, ".ci", "run"), "utf8")
            .split("\n")
            .map(l => l.trim())
            .filter(l => /^npm /.test(l));
        assert.deepEqual(ci, documented);
    });

    it("keeps index.ts thin", () => {
        const lines = fs
            .readFileSync(path.join(ROOT, "index.ts"), "utf8")
            .split("\n")
            .filter(l => l.trim() && !l.trim().startsWith("//"));
        assert.ok(lines.length <= 12, `index.ts has ${lines.length} lines of code`);
    });
});
