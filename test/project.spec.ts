import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { PLAIN_SETTINGS, SECTION_KEYS } from "../components/config";
import { readProject, readStackConfig, readYaml, ROOT, stackNames } from "../tools/render/stack-config";
import { throwsConfig } from "./support/assert";
import { readmeTestCommands } from "./support/readme";

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

    it("gives `pulumi up` TypeScript options it can compile with: Pulumi's runner adds moduleResolution nodenext unless tsconfig sets one", () => {
        // @pulumi/pulumi's cmd/run registers ts-node with {module: nodenext, moduleResolution: nodenext, ...tsconfig's compilerOptions}.
        const tsconfig = ts.readConfigFile(path.join(ROOT, "tsconfig.json"), file => ts.sys.readFile(file)).config;
        const merged = { target: "ES2020", module: "nodenext", moduleResolution: "nodenext", ...tsconfig.compilerOptions };
        const { options, errors } = ts.convertCompilerOptionsFromJson(merged, ROOT);
        const diagnostics = [...errors, ...ts.createProgram({ rootNames: [], options }).getOptionsDiagnostics()];
        assert.deepEqual(
            diagnostics.map(d => ts.flattenDiagnosticMessageText(d.messageText, " ")),
            [],
        );
    });

    it("lists, in its comment, exactly the keys of each structured setting the parser reads, none of them required", () => {
        const text = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
        const comment = text
            .slice(text.indexOf("# Structured settings"))
            .split("\n")
            .map(l => l.replace(/^\s*#\s?/, ""));
        const listed: Record<string, string[]> = {};
        let current = "";
        for (const line of comment) {
            const head = /^\s*kubeship:(\w+): (.*)$/.exec(line);
            if (head) [current, listed[head[1]]] = [head[1], []];
            const keys = head ? head[2] : current && /^\s{2,}\S/.test(line) ? line : "";
            if (current)
                listed[current].push(
                    ...keys
                        .replace(/\{[^}]*\}/g, "")
                        .split(",")
                        .map(k => k.trim())
                        .filter(Boolean),
                );
        }
        assert.deepEqual(listed, Object.fromEntries(Object.entries(SECTION_KEYS).map(([k, v]) => [k, [...v]])));
        assert.doesNotMatch(text, /\(required\)/);
    });

    it("has dev, staging and prod stacks, and dev runs on a kind cluster kubeship makes", () => {
        assert.deepEqual(stackNames(), ["dev", "prod", "staging"]);
        assert.equal(readStackConfig("dev").config["kubeship:cloud"], "kind");
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

    it("names the file, line and column of a YAML error in a stack file", () => {
        const file = path.join(ROOT, "stacks", "Pulumi.broken.yaml.tmp");
        fs.writeFileSync(file, "config:\n  kubeship:cloud: kind\n  kubeship:app: {replicas: 2\n");
        try {
            assert.throws(() => readYaml(file), /^Error: stacks\/Pulumi\.broken\.yaml\.tmp is not valid YAML: .* at line \d+, column \d+/);
        } finally {
            fs.rmSync(file);
        }
    });

    it(".ci/run runs exactly the commands the README lists under Tests", () => {
        const documented = readmeTestCommands();
        const ci = fs
            .readFileSync(path.join(ROOT, ".ci", "run"), "utf8")
            .split("\n")
            .map(l => l.trim())
            .filter(l => /^npm /.test(l));
        assert.deepEqual(ci, documented);
        assert.deepEqual(documented, ["npm ci", "npm test", "npm run test:mutation"], "install, test, then the mutation run");
    });

    it("keeps index.ts thin", () => {
        const lines = fs
            .readFileSync(path.join(ROOT, "index.ts"), "utf8")
            .split("\n")
            .filter(l => l.trim() && !l.trim().startsWith("//"));
        assert.ok(lines.length <= 12, `index.ts has ${lines.length} lines of code`);
    });
});
