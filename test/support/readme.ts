import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../../tools/render/stack-config";

/** The commands README.md lists under "Tests", in order, without their comments. */
export function readmeTestCommands(): string[] {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const tests = readme.slice(readme.indexOf("\n## Tests\n"));
    const block = /```sh\n([\s\S]*?)```/.exec(tests)![1];
    return block
        .split("\n")
        .map(l => l.replace(/\s+#.*$/, "").trim())
        .filter(Boolean);
}
