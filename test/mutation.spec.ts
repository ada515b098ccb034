/**
 * The mutants of the mutation run (npm run test:mutation) still fit the code, so a change to
 * components/ that moves a mutant's text is caught in the quick loop, not after a long run.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { FIRST_SPECS, firstSpecs, mutate, SELF_SPEC } from "../tools/mutation/main";
import { MUTANTS } from "../tools/mutation/mutants";
import { ROOT } from "../tools/render/stack-config";

describe("mutation run", () => {
    it("has mutants with distinct names, each in a file under components/", () => {
        assert.equal(new Set(MUTANTS.map(m => m.id)).size, MUTANTS.length);
        for (const m of MUTANTS) assert.match(m.file, /^components\/.+\.ts$/, m.id);
    });

    it("is left out of the mutants' runs by its own name (it fails on every mutant by design)", () => {
        assert.equal(path.relative(ROOT, __filename), SELF_SPEC);
    });

    it("finds every mutant's text exactly once in its file, and changes it", () => {
        const stale = MUTANTS.flatMap(m => {
            const source = fs.readFileSync(path.join(ROOT, m.file), "utf8");
            try {
                return mutate(source, m) === source ? [`${m.id}: changes nothing`] : [];
            } catch (e) {
                return [(e as Error).message];
            }
        });
        assert.deepEqual(stale, []);
    });

    it("runs the specs of a mutant's folder first, each an existing spec, and every mutant has some", () => {
        for (const [, specs] of FIRST_SPECS) for (const spec of specs) assert.ok(fs.existsSync(path.join(ROOT, spec)), spec);
        for (const m of MUTANTS) assert.notDeepEqual(firstSpecs(m.file), [], `${m.id} in ${m.file} maps to no spec`);
        assert.deepEqual(firstSpecs("components/cluster/kind.ts"), ["test/kind.spec.ts"]);
        assert.deepEqual(firstSpecs("components/cluster/eks/nodes.ts"), ["test/clusters.spec.ts"]);
    });

    it("refuses a mutant whose text is missing or repeated", () => {
        const m = { id: "x", file: "f.ts", replace: "y", defect: "d" };
        assert.throws(() => mutate("a a", { ...m, find: "a" }), /occurs 2 times in f\.ts/);
        assert.throws(() => mutate("b", { ...m, find: "a" }), /occurs 0 times in f\.ts/);
        assert.equal(mutate("a $& b", { ...m, find: "b", replace: "$&c" }), "a $& $&c", "the replacement is taken literally");
    });
});
