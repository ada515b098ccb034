/**
 * Reads Pulumi.yaml and a stack file the way the Pulumi CLI hands config to the program: full keys,
 * structured values as JSON text, project-level defaults applied. Encrypted (`secure:`) values cannot be
 * decrypted offline and become placeholders marked secret.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { ConfigError } from "../../components/config/errors";

export const ROOT = path.resolve(__dirname, "..", "..");

export interface StackConfig {
    config: Record<string, string>;
    secretKeys: string[];
}

interface Declaration {
    type?: string;
    default?: unknown;
    value?: unknown;
    description?: string;
}

/** Parses a YAML file of the project; a syntax error names the file, line and column. */
export function readYaml(file: string): any {
    try {
        return YAML.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        if (e instanceof YAML.YAMLError) throw new Error(`${path.relative(ROOT, file)} is not valid YAML: ${e.message}`, { cause: e });
        throw e;
    }
}

export function readProject(): { name: string; stackConfigDir: string; config: Record<string, Declaration | string | number | boolean> } {
    return readYaml(path.join(ROOT, "Pulumi.yaml"));
}

/** Names of the stacks that have a file in the stack config directory. */
export function stackNames(): string[] {
    const dir = path.join(ROOT, readProject().stackConfigDir);
    return fs
        .readdirSync(dir)
        .map(f => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => !!s)
        .sort();
}

/**
 * @param newStack a stack that has no file yet (`pulumi stack init`): start from the project's defaults.
 */
export function readStackConfig(stack: string, newStack = false): StackConfig {
    const project = readProject();
    const file = path.join(ROOT, project.stackConfigDir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file) && !newStack) {
        throw new ConfigError("stack", stack, `has no file ${path.relative(ROOT, file)}; stacks: ${stackNames().join(", ")}`);
    }
    const stackDoc = fs.existsSync(file) ? (readYaml(file) ?? {}) : {};
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const full = (k: string) => (k.includes(":") ? k : `${project.name}:${k}`);

    for (const [k, decl] of Object.entries(project.config ?? {})) {
        if (decl !== null && typeof decl === "object") {
            if ("value" in decl) config[full(k)] = encode(decl.value);
            else if ("default" in decl) config[full(k)] = encode(decl.default);
        } else {
            config[full(k)] = encode(decl);
        }
    }
    for (const [k, value] of Object.entries<unknown>(stackDoc.config ?? {})) {
        if (value !== null && typeof value === "object" && "secure" in value) {
            config[full(k)] = `<secret ${full(k)}>`;
            secretKeys.push(full(k));
        } else {
            config[full(k)] = encode(value);
        }
    }
    for (const [k, decl] of Object.entries(project.config ?? {})) {
        const declared = decl !== null && typeof decl === "object" && "type" in decl && !("default" in decl);
        if (declared && config[full(k)] === undefined && !newStack) {
            throw new ConfigError(full(k), undefined, `is required by Pulumi.yaml; set it in stacks/Pulumi.${stack}.yaml`);
        }
    }
    return { config, secretKeys };
}

function encode(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}
