/**
 * The sample app's image: the build context is the project root (the app is an npm workspace), so the
 * root .dockerignore must send exactly what app/Dockerfile copies, and the Compose file must build the
 * same way `pulumi up` does.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { DEFAULTS } from "../components/config";
import { ROOT } from "../tools/render/stack-config";

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

/** Sources of the Dockerfile's COPY instructions that read the build context (not another stage). */
function copiedFromContext(dockerfile: string): string[] {
    return dockerfile
        .split("\n")
        .filter(l => /^COPY\s/.test(l) && !/--from=/.test(l))
        .flatMap(l => l.replace(/--\S+/g, "").trim().split(/\s+/).slice(1, -1))
        .map(p => p.replace(/\/$/, ""));
}

describe("the app image build", () => {
    const dockerfile = read(path.join(DEFAULTS.app.build.context, DEFAULTS.app.build.dockerfile));

    it("sends exactly what app/Dockerfile copies: the root .dockerignore excludes everything else", () => {
        const lines = read(".dockerignore")
            .split("\n")
            .map(l => l.trim())
            .filter(l => l && !l.startsWith("#"));
        assert.equal(lines[0], "*", "deny by default: no node_modules, no .git, no stack files with secrets");
        const allowed = lines.slice(1).map(l => l.replace(/^!/, ""));
        assert.deepEqual([...new Set(copiedFromContext(dockerfile))].sort(), [...allowed].sort());
    });

    it("installs from the root lockfile, every workspace's manifest present, and ships production dependencies only", () => {
        const workspaces: string[] = JSON.parse(read("package.json")).workspaces;
        const copied = copiedFromContext(dockerfile);
        for (const file of ["package.json", "package-lock.json", ...workspaces.map(w => `${w}/package.json`)]) assert.ok(copied.includes(file), file);
        assert.match(dockerfile, /npm ci --workspace app --omit=dev --omit=optional /);
        assert.match(dockerfile, /^USER 10001:10001$/m);
    });

    it("compose.yaml builds the same Dockerfile from the same context as pulumi up", () => {
        const compose = YAML.parse(read("compose.yaml"));
        assert.equal(path.resolve(ROOT, compose.services.app.build.context), path.resolve(ROOT, DEFAULTS.app.build.context));
        assert.equal(compose.services.app.build.dockerfile, DEFAULTS.app.build.dockerfile);
        assert.deepEqual(compose.services.app.build.platforms, [DEFAULTS.app.build.platform]);
    });
});
