/**
 * Mocha root hooks: an unhandled rejection (a throwing mock, a failed registration) fails the test
 * instead of passing silently.
 */
import "../tools/render/fast-stacks";

const seen: unknown[] = [];
process.on("unhandledRejection", reason => {
    seen.push(reason);
});

export const mochaHooks = {
    afterEach(): void {
        if (seen.length) {
            const reasons = seen.splice(0).map(r => (r instanceof Error ? (r.stack ?? r.message) : String(r)));
            throw new Error(`unhandled rejection(s):\n${reasons.join("\n")}`);
        }
    },
};
