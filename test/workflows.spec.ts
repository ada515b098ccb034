/**
 * The GitHub workflows, parsed and checked for what matters: triggers, permissions, concurrency, every
 * stack covered, credentials by OIDC, the policy pack attached, and every action pinned.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { CLOUDS, isManaged, type Cloud } from "../components/config";
import { readStackConfig, ROOT, stackNames } from "../tools/render/stack-config";
import { readmeTestCommands } from "./support/readme";

const dir = path.join(ROOT, ".github", "workflows");
const load = (name: string): any => YAML.parse(fs.readFileSync(path.join(dir, name), "utf8"), { merge: false });
const text = (name: string) => fs.readFileSync(path.join(dir, name), "utf8");
/** Every `uses:` of a workflow: steps and reusable-workflow jobs. */
const uses = (wf: any): string[] =>
    Object.values<any>(wf.jobs)
        .flatMap(job => [job.uses, ...(job.steps ?? []).map((s: any) => s.uses)])
        .filter((u): u is string => typeof u === "string");
const stepRuns = (job: any): string => (job.steps ?? []).map((s: any) => s.run ?? "").join("\n");
const stackMatrix = (...args: string[]) => JSON.parse(execFileSync(path.join(ROOT, ".github", "scripts", "stack-matrix.sh"), args, { encoding: "utf8" }));
const cloudOf = (stack: string) => readStackConfig(stack).config["kubeship:cloud"] as Cloud;

describe("workflows", () => {
    const files = fs.readdirSync(dir).filter(f => f.endsWith(".yml"));

    it("are the five expected files and all parse", () => {
        assert.deepEqual(files.sort(), ["ci.yml", "deploy.yml", "drift.yml", "preview.yml", "pulumi.yml"]);
        for (const f of files) assert.ok(load(f).jobs, f);
    });

    it("pin every action to a major version or a commit, and call only local reusable workflows", () => {
        for (const f of files) {
            for (const u of uses(load(f))) {
                if (u.startsWith("./")) {
                    assert.ok(fs.existsSync(path.join(ROOT, u)), `${f}: ${u} exists`);
                    continue;
                }
                assert.match(u, /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/, `${f}: ${u} is pinned`);
            }
        }
    });

    it("ci.yml runs on every push and pull request without secrets, and runs everything the README lists", () => {
        const wf = load("ci.yml");
        assert.deepEqual(Object.keys(wf.on).sort(), ["pull_request", "push"]);
        assert.deepEqual(wf.permissions, { contents: "read" });
        assert.doesNotMatch(text("ci.yml"), /secrets\./, "forks get no secrets");
        const job = wf.jobs.test;
        const runs = stepRuns(job);
        assert.equal(job.steps.find((s: any) => /^actions\/setup-node@/.test(s.uses ?? "")).with["node-version-file"], ".nvmrc");
        assert.match(runs, /apt-get install .*postgresql-client redis-server/);
        const step = (pattern: RegExp) => job.steps.find((s: any) => pattern.test(s.uses ?? ""));
        assert.equal(step(/^actions\/setup-go@/).with["go-version"], "1.26", "the end-to-end tools build with Go 1.26");
        assert.match(
            step(/^actions\/cache@/).with.key,
            /hashFiles\('tools\/\*\*\/go\.mod', 'tools\/\*\*\/go\.sum', 'tools\/recipes\.ts'\)/,
            "the tool cache is keyed by the pins",
        );
        assert.match(step(/^actions\/cache@/).with.path, /~\/\.cache\/kubeship\/tools/);
        const npmOf = (j: any) =>
            stepRuns(j)
                .split("\n")
                .filter((l: string) => /^npm /.test(l.trim()));
        assert.deepEqual(npmOf(job), ["npm ci", "npm test"]);
        assert.deepEqual(npmOf(wf.jobs.mutation), ["npm ci", "npm run test:mutation"], "the mutation run, in a job of its own");
        assert.deepEqual([...new Set([...npmOf(job), ...npmOf(wf.jobs.mutation)])], readmeTestCommands(), "the README's commands, nothing else");
        assert.match(
            JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts.test,
            /npm run test:render/,
            "npm test renders every stack file",
        );
        const upload = job.steps.find((s: any) => /upload-artifact/.test(s.uses ?? ""));
        assert.equal(upload.with.path, "rendered/");
    });

    it("the stack matrix script lists every stack file with its cloud, in promotion order: dev first, prod last", () => {
        assert.deepEqual(
            stackMatrix()
                .map((e: any) => e.stack)
                .sort(),
            stackNames(),
        );
        assert.deepEqual(
            stackMatrix().map((e: any) => e.stack),
            ["dev", ...stackNames().filter(s => s !== "dev" && s !== "prod"), "prod"],
        );
        for (const e of stackMatrix()) assert.equal(e.cloud, cloudOf(e.stack));
        assert.deepEqual(
            stackMatrix("--managed").map((e: any) => e.stack),
            stackMatrix()
                .map((e: any) => e.stack as string)
                .filter((s: string) => isManaged(cloudOf(s))),
        );
    });

    it("preview.yml previews every stack on same-repository pull requests, one comment each, least permissions, a group per PR", () => {
        const wf = load("preview.yml");
        assert.deepEqual(Object.keys(wf.on), ["pull_request"]);
        assert.deepEqual(wf.permissions, { contents: "read", "pull-requests": "write", "id-token": "write" });
        assert.match(wf.concurrency.group, /github\.event\.pull_request\.number/);
        assert.equal(wf.concurrency["cancel-in-progress"], true);
        assert.match(wf.jobs.stacks.if, /head\.repo\.full_name == github\.repository/, "no preview for forks");
        assert.match(stepRuns(wf.jobs.stacks), /stack-matrix\.sh\)/, "the matrix comes from stacks/");
        const preview = wf.jobs.preview;
        assert.equal(preview.strategy.matrix.include, "${{ fromJSON(needs.stacks.outputs.matrix) }}");
        assert.equal(preview.uses, "./.github/workflows/pulumi.yml");
        assert.deepEqual(preview.with, { command: "preview", stack: "${{ matrix.stack }}", cloud: "${{ matrix.cloud }}" });
    });

    it("pulumi.yml logs in by OIDC, has credentials for every cloud, comments on PRs and attaches the policy pack", () => {
        const wf = load("pulumi.yml");
        assert.ok(wf.on.workflow_call.inputs.command.required);
        const steps: any[] = wf.jobs.pulumi.steps;
        const step = (pattern: RegExp) => steps.find(s => pattern.test(s.uses ?? ""));
        assert.equal(step(/^pulumi\/auth-actions@/).with["requested-token-type"], "urn:pulumi:token-type:access_token:organization");
        const perCloud: Record<string, RegExp> = {
            gcp: /google-github-actions\/auth@/,
            aws: /aws-actions\/configure-aws-credentials@/,
            digitalocean: /digitalocean\/action-doctl@/,
            kind: /helm\/kind-action@/,
            local: /helm\/kind-action@/,
        };
        assert.deepEqual(Object.keys(perCloud).sort(), [...CLOUDS].sort());
        const forCloud = (cloud: string) => steps.filter(s => s.if === `inputs.cloud == '${cloud}'`);
        for (const [cloud, pattern] of Object.entries(perCloud))
            assert.ok(
                forCloud(cloud).some(s => pattern.test(s.uses ?? "")),
                cloud,
            );
        assert.equal(forCloud("kind").find(s => /helm\/kind-action@/.test(s.uses)).with.install_only, true, "kind: the program makes its own cluster");
        assert.equal(forCloud("local").find(s => /helm\/kind-action@/.test(s.uses)).with.registry, true, "local: a cluster with a registry, made for it");
        assert.equal(step(/google-github-actions\/auth@/).with.credentials_json, undefined, "no service account keys");
        assert.ok(step(/aws-actions\/configure-aws-credentials@/).with["role-to-assume"], "AWS by role, not keys");
        const pulumi = step(/^pulumi\/actions@/);
        assert.match(pulumi.uses, /^pulumi\/actions@v\d+$/, "pinned major");
        assert.equal(pulumi.with["comment-on-pr"], "${{ github.event_name == 'pull_request' }}");
        assert.equal(pulumi.with["edit-pr-comment"], true);
        assert.equal(pulumi.with.policyPacks, "policy");
        assert.ok(fs.existsSync(path.join(ROOT, "policy", "PulumiPolicy.yaml")));
        assert.ok(steps.findIndex(s => s.run === "npm ci") < steps.indexOf(pulumi), "npm ci before Pulumi runs the program");
        const destroy = steps.find(s => /^pulumi\/actions@/.test(s.uses ?? "") && s.with.command === "destroy");
        assert.equal(
            destroy.if,
            "always() && inputs.cloud == 'kind' && inputs.command == 'up'",
            "a kind stack's cluster dies with the runner: destroy after up",
        );
        assert.ok(steps.indexOf(destroy) > steps.indexOf(pulumi));
        assert.equal(steps.find(s => /^actions\/setup-node@/.test(s.uses ?? "")).with["node-version-file"], ".nvmrc");
    });

    it("deploy.yml runs up on main for every stack file, one at a time in promotion order, in environments, clouds from the stack files, never cancelling a deploy", () => {
        const wf = load("deploy.yml");
        assert.deepEqual(wf.on, { push: { branches: ["main"] } });
        assert.deepEqual(wf.concurrency, { group: "deploy", "cancel-in-progress": false });
        assert.match(stepRuns(wf.jobs.stacks), /stack-matrix\.sh\)/, "the stacks and their clouds come from stacks/");
        const deploy = wf.jobs.deploy;
        assert.equal(deploy.needs, "stacks");
        assert.deepEqual(deploy.strategy["max-parallel"], 1, "one stack at a time, in the matrix's order");
        assert.equal(deploy.strategy["fail-fast"], true, "a failed stack stops the ones after it");
        assert.equal(deploy.strategy.matrix.include, "${{ fromJSON(needs.stacks.outputs.matrix) }}");
        assert.equal(deploy.uses, "./.github/workflows/pulumi.yml");
        assert.deepEqual(deploy.with, { command: "up", stack: "${{ matrix.stack }}", cloud: "${{ matrix.cloud }}", environment: "${{ matrix.stack }}" });
        assert.doesNotMatch(text("deploy.yml"), /cloud: (gcp|aws|digitalocean|kind|local)\b/, "no cloud written into the workflow");
        assert.equal(wf.permissions["pull-requests"], undefined, "deploys need no PR access");
        const pulumi = load("pulumi.yml").jobs.pulumi.steps.find(
            (s: any) => /^pulumi\/actions@/.test(s.uses ?? "") && s.with.command === "${{ inputs.command }}",
        );
        assert.equal(pulumi.with.upsert, "${{ !inputs.expect-no-changes }}", "a new stack is created on its first preview or up, never by a drift check");
    });

    it("drift.yml refreshes every managed stack nightly and fails on any change", () => {
        const wf = load("drift.yml");
        assert.ok(wf.on.schedule[0].cron);
        assert.match(stepRuns(wf.jobs.stacks), /stack-matrix\.sh --managed/);
        assert.deepEqual(wf.jobs.drift.with, {
            command: "preview",
            stack: "${{ matrix.stack }}",
            cloud: "${{ matrix.cloud }}",
            refresh: true,
            "expect-no-changes": true,
        });
        assert.equal(wf.concurrency["cancel-in-progress"], false);
    });
});
