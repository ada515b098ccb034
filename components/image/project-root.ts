import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The Pulumi project's directory: the nearest folder with a Pulumi.yaml, from the working directory up
 * (the CLI runs programs there). Not `__dirname`, which points into bin/ when the program is compiled.
 */
export function projectRoot(from: string = process.cwd()): string {
    for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
        if (path.dirname(dir) === dir) return path.resolve(from);
    }
}
