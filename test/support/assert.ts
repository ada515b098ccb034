import * as assert from "node:assert/strict";
import { ConfigError } from "../../components/config/errors";

/** Asserts `fn` throws a ConfigError whose message names the key, the value and matches `allowed`. */
export function throwsConfig(fn: () => unknown, key: string, shownValue: string, allowed: RegExp): void {
    assert.throws(fn, (e: unknown) => {
        assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
        assert.equal(e.key, key);
        assert.ok(e.message.startsWith(`Invalid config ${key} = ${shownValue}: `), e.message);
        assert.match(e.message, allowed);
        return true;
    });
}
