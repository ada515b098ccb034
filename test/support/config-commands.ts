/**
 * Applies `pulumi config set` / `pulumi config rm` command lines to a config map the way the Pulumi CLI
 * does, so documented commands can be run against the program.
 */
export interface ConfigCommand {
    stack?: string;
    op: "set" | "rm";
    key: string;
    value?: string;
    path: boolean;
    secret: boolean;
}

/** Splits a shell line into words, honouring single and double quotes. */
export function shellWords(line: string): string[] {
    const words: string[] = [];
    const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g;
    for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] ?? m[2]?.replace(/\\(.)/g, "$1") ?? m[3]);
    return words;
}

/** Parses one `pulumi config set|rm …` line; undefined for any other line. */
export function parseConfigCommand(line: string): ConfigCommand | undefined {
    const words = shellWords(line.replace(/\s+#.*$/, ""));
    if (words[0] !== "pulumi" || words[1] !== "config" || (words[2] !== "set" && words[2] !== "rm")) return undefined;
    const command: ConfigCommand = { op: words[2], key: "", path: false, secret: false };
    const rest: string[] = [];
    for (let i = 3; i < words.length; i++) {
        if (words[i] === "-s" || words[i] === "--stack") command.stack = words[++i];
        else if (words[i] === "--path") command.path = true;
        else if (words[i] === "--secret") command.secret = true;
        else rest.push(words[i]);
    }
    [command.key, command.value] = rest;
    return command;
}

/** `--path` values are typed like the CLI types them: booleans and integers, everything else a string. */
function typed(value: string): unknown {
    if (value === "true" || value === "false") return value === "true";
    if (/^-?\d+$/.test(value)) return Number(value);
    return value;
}

/** Applies a command to `config` (full keys to the strings Pulumi stores) and `secretKeys`. */
export function applyConfigCommand(config: Record<string, string>, secretKeys: string[], command: ConfigCommand): void {
    const key = command.key.includes(":") ? command.key : `kubeship:${command.key}`;
    if (command.secret) secretKeys.push(key);
    if (!command.path) {
        if (command.op === "rm") delete config[key];
        else config[key] = command.value ?? "";
        return;
    }
    const [, top, rest] = /^([^.[]+)(.*)$/.exec(key)!;
    const steps = [...rest.matchAll(/\.([^.[]+)|\[(\d+)\]/g)].map(m => (m[1] !== undefined ? m[1] : Number(m[2])));
    if (!steps.length) throw new Error(`--path needs a path below ${top}: ${command.key}`);
    const root: any = config[top] ? JSON.parse(config[top]) : typeof steps[0] === "number" ? [] : {};
    let node = root;
    for (const [i, step] of steps.slice(0, -1).entries()) {
        node[step] ??= typeof steps[i + 1] === "number" ? [] : {};
        node = node[step];
    }
    const last = steps[steps.length - 1];
    if (command.op === "rm") delete node[last];
    else node[last] = typed(command.value ?? "");
    config[top] = JSON.stringify(root);
}
