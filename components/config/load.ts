import * as pulumi from "@pulumi/pulumi";
import { parseSettings } from "./parse";
import type { RawConfig, Settings } from "./types";

/**
 * Reads this stack's configuration from the Pulumi runtime and validates it. Call it at run time
 * (inside the program), never at import: config is only known once the engine or the mocks set it.
 */
export function loadSettings(): Settings {
    const raw: RawConfig = pulumi.runtime.allConfig();
    return parseSettings(raw, pulumi.getStack(), process.arch);
}
