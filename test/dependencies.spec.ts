/** Dependency hygiene: exact pins, one @pulumi/pulumi, an update bot that keeps both true. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "./support/stack-config";

const json = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), "utf8"));
const EXACT = /^(\d+\.\d+\.\d+(-[\w.]+)?|npm:[\w@/.-]+@\d+\.\d+\.\d+)$/;

describe("dependencies", () => {
    for (const file of ["package.json", "app/package.json"]) {
        it(`${file} pins every dependency to an exact version`, () => {
            const pkg = json(file);
            for (const [name, version] of Object.entries<string>({ ...pkg.dependencies, ...pkg.devDependencies })) {
                assert.match(version, EXACT, `${file}: ${name} ${version}`);
            }
        });
    }

    it("the lockfile holds exactly one @pulumi/pulumi, the pinned one", () => {
        const lock = json("package-lock.json");
        const copies = Object.entries<any>(lock.packages).filter(([p]) => p.endsWith("node_modules/@pulumi/pulumi"));
        assert.deepEqual(
            copies.map(([p, v]) => [p, v.version]),
            [["node_modules/@pulumi/pulumi", json("package.json").dependencies["@pulumi/pulumi"]]],
        );
    });

    it("the lockfiles match their package.json", () => {
        for (const dir of [".", "app"]) {
            const pkg = json(path.join(dir, "package.json"));
            const root = json(path.join(dir, "package-lock.json")).packages[""];
            assert.deepEqual({ ...root.dependencies }, { ...pkg.dependencies }, dir);
            assert.deepEqual({ ...root.devDependencies }, { ...pkg.devDependencies }, dir);
        }
    });

    it("Renovate pins, groups the Pulumi packages, and holds back what needs Node 22", () => {
        const renovate = json("renovate.json");
        assert.equal(renovate.rangeStrategy, "pin");
        const pulumi = renovate.packageRules.find((r: any) => r.groupName === "pulumi");
        assert.deepEqual(pulumi.matchPackageNames, ["@pulumi/**"]);
        const sdk = renovate.packageRules.find((r: any) => r.matchPackageNames?.includes("@pulumi/pulumi") && r.allowedVersions);
        assert.equal(sdk.allowedVersions, "<3.249.0");
        assert.ok(renovate.packageRules.some((r: any) => r.matchManagers?.includes("github-actions")));
    });
});
