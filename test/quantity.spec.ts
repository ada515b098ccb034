import * as assert from "node:assert/strict";
import { parseQuantity } from "../components/config/quantity";

describe("parseQuantity", () => {
    it("reads CPU quantities in cores", () => {
        assert.equal(parseQuantity("250m"), 0.25);
        assert.equal(parseQuantity("2"), 2);
        assert.equal(parseQuantity("1.5"), 1.5);
        assert.equal(parseQuantity(".5"), 0.5);
    });

    it("reads binary and decimal memory suffixes in bytes", () => {
        assert.equal(parseQuantity("512Mi"), 512 * 2 ** 20);
        assert.equal(parseQuantity("1Gi"), 2 ** 30);
        assert.equal(parseQuantity("2G"), 2e9);
        assert.equal(parseQuantity("128k"), 128e3);
        assert.equal(parseQuantity("1e3"), 1000);
    });

    it("rejects what the API server rejects", () => {
        for (const bad of ["1 GB", "ten", "10gi", "Mi", "", "1Gb", "1.2.3", " 1Gi", "1Gi "]) {
            assert.equal(parseQuantity(bad), undefined, bad);
        }
    });
});
