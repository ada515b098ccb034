/**
 * The GitHub workflows, parsed and checked for what matters: triggers, permissions, concurrency, every
 * stack covered, credentials by OIDC, the policy pack attached, and every action pinned.
 */
import * as assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
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

    it("pin every action to a commit, its release in a comment (Renovate keeps both), and call only local reusable workflows", () => {
        const sha = new Map<string, string>();
        for (const f of files) {
            for (const u of uses(load(f))) {
                if (u.startsWith("./")) {
                    assert.ok(fs.existsSync(path.join(ROOT, u)), `${f}: ${u} exists`);
                    continue;
                }
                assert.match(u, /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/, `${f}: ${u} is pinned to a commit`);
                const line = text(f)
                    .split("\n")
                    .find(l => l.includes(`uses: ${u}`))!;
                const release = / # (v\d+\.\d+\.\d+)$/.exec(line)?.[1];
                assert.ok(release, `${f}: ${u} names its release in a comment`);
                const [action, commit] = u.split("@");
                assert.equal(sha.get(`${action}@${release}`) ?? commit, commit, `${action} ${release}: one commit everywhere`);
                sha.set(`${action}@${release}`, commit);
            }
        }
        const renovate = JSON.parse(fs.readFileSync(path.join(ROOT, "renovate.json"), "utf8"));
        assert.ok(renovate.extends.includes("helpers:pinGitHubActionDigests"), "Renovate updates the commit and the comment together");
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
                .map((l: string) => l.trim().replace(/^sudo --preserve-env=\S+ env "PATH=\$PATH" /, ""))
                .filter((l: string) => /^npm /.test(l));
        assert.deepEqual(npmOf(job), ["npm ci", "npm test"]);
        assert.match(
            runs,
            /^sudo --preserve-env=HOME\S* env "PATH=\$PATH" npm test$/m,
            "the real node needs root; the tools, caches and PATH stay the runner's",
        );
        assert.match(runs, /apt-get install .*containernetworking-plugins ipset debootstrap/, "the real node's packages");
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
        const login = steps.find(s => s.run === ".github/scripts/pulumi-oidc-login.sh");
        assert.deepEqual(login.env, { PULUMI_ORG: "${{ vars.PULUMI_ORG }}" }, "Pulumi Cloud by OIDC, the organization from the repository variable");
        assert.ok(steps.indexOf(login) < steps.findIndex(s => /^pulumi\/actions@/.test(s.uses ?? "")));
        assert.ok(steps.indexOf(login) > steps.findIndex(s => /^actions\/setup-node@/.test(s.uses ?? "")), "node, which the script uses, is set up first");
        const perCloud: Record<string, RegExp> = {
            gcp: /google-github-actions\/auth@/,
            aws: /aws-actions\/configure-aws-credentials@/,
            azure: /azure\/login@/,
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
        assert.deepEqual(Object.keys(step(/azure\/login@/).with).sort(), ["client-id", "subscription-id", "tenant-id"], "Azure by OIDC, no client secret");
        assert.ok(
            forCloud("azure").some(s => /^sudo az aks install-cli --kubelogin-version v\d+\.\d+\.\d+$/.test(s.run ?? "")),
            "kubelogin, pinned, for the AKS kubeconfig",
        );
        const pulumi = step(/^pulumi\/actions@/);
        assert.equal(pulumi.env.ARM_USE_OIDC, "${{ inputs.cloud == 'azure' }}", "azure-native fetches its own OIDC tokens on Azure");
        assert.match(pulumi.uses, /^pulumi\/actions@[0-9a-f]{40}$/, "pinned to a commit");
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

/** Runs the login script with `env`, collecting its output. */
function runScript(env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise(resolve => {
        const child = spawn(path.join(ROOT, ".github", "scripts", "pulumi-oidc-login.sh"), [], { env });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", status => resolve({ status, stdout, stderr }));
    });
}

describe("Pulumi Cloud login by OIDC (.github/scripts/pulumi-oidc-login.sh)", () => {
    it("exchanges GitHub's ID token for an organization token, masks both, exports it, and puts no token on a command line", async () => {
        const seen: { url: string; auth?: string; form?: URLSearchParams }[] = [];
        const server = http.createServer((req, res) => {
            let body = "";
            req.on("data", d => (body += d)).on("end", () => {
                seen.push({ url: req.url!, auth: req.headers.authorization, form: req.method === "POST" ? new URLSearchParams(body) : undefined });
                res.setHeader("content-type", "application/json");
                res.end(
                    JSON.stringify(req.url!.startsWith("/id-token") ? { value: "github.id.jwt" } : { access_token: "pul-org-token", token_type: "Bearer" }),
                );
            });
        });
        await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
        const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kubeship-oidc-"));
        // A curl that logs its arguments, first on PATH.
        const curl = (process.env.PATH ?? "")
            .split(path.delimiter)
            .map(d => path.join(d, "curl"))
            .find(f => fs.existsSync(f));
        assert.ok(curl, "the login script needs curl: apt-get install curl");
        const argLog = path.join(tmp, "curl-args");
        fs.writeFileSync(path.join(tmp, "curl"), `#!/bin/sh\nprintf '%s\\n' "$@" >> ${argLog}\nexec ${curl} "$@"\n`, { mode: 0o755 });
        const githubEnv = path.join(tmp, "github-env");
        fs.writeFileSync(githubEnv, "");
        try {
            // Asynchronously: the fake server answers from this process.
            const run = await runScript({
                PATH: `${tmp}:${process.env.PATH}`,
                PULUMI_ORG: "acme",
                PULUMI_API: base,
                ACTIONS_ID_TOKEN_REQUEST_URL: `${base}/id-token?api-version=2.0`,
                ACTIONS_ID_TOKEN_REQUEST_TOKEN: "runner-request-token",
                GITHUB_ENV: githubEnv,
            });
            assert.equal(run.status, 0, run.stderr);
            assert.deepEqual(
                run.stdout.split("\n").filter(l => l.startsWith("::add-mask::")),
                ["::add-mask::github.id.jwt", "::add-mask::pul-org-token"],
            );
            assert.equal(fs.readFileSync(githubEnv, "utf8"), "PULUMI_ACCESS_TOKEN=pul-org-token\n");
            const [idRequest, exchange] = seen;
            assert.equal(idRequest.url, "/id-token?api-version=2.0&audience=urn:pulumi:org:acme");
            assert.equal(idRequest.auth, "bearer runner-request-token");
            assert.equal(exchange.url, "/api/oauth/token");
            assert.deepEqual(Object.fromEntries(exchange.form!), {
                audience: "urn:pulumi:org:acme",
                grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
                requested_token_type: "urn:pulumi:token-type:access_token:organization",
                subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
                expiration: "7200",
                subject_token: "github.id.jwt",
            });
            const args = fs.readFileSync(argLog, "utf8");
            for (const secret of ["runner-request-token", "github.id.jwt", "pul-org-token"])
                assert.ok(!args.includes(secret), `${secret} on curl's command line`);

            const denied = await runScript({ PATH: process.env.PATH, PULUMI_ORG: "acme", GITHUB_ENV: githubEnv });
            assert.notEqual(denied.status, 0);
            assert.match(denied.stderr, /give the job permissions: id-token: write/);
        } finally {
            server.close();
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });
});
