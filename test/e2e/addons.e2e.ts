/**
 * The vendored add-on manifests are exactly what their pinned sources render: each module is fetched
 * through the Go module proxy (checksum checked) and rendered with the Helm and kustomize of the tool
 * cache, then compared byte for byte with components/platform/vendor.
 */
import * as assert from "node:assert/strict";
import { vendor } from "../../tools/addons/main";

describe("vendored add-on manifests", () => {
    it("are what `npm run addons` renders from the pinned module versions", async () => {
        assert.deepEqual(await vendor(true, line => console.error(`      [addons] ${line}`)), []);
    });
});
