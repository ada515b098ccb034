import * as assert from "node:assert/strict";
import { throwsConfig } from "./support/assert";
import * as v from "../components/config/validators";

describe("validators", () => {
    it("oneOf lists what is allowed", () => {
        assert.equal(v.oneOf("k", "b", ["a", "b"] as const), "b");
        throwsConfig(() => v.oneOf("k", "c", ["a", "b"] as const), "k", '"c"', /must be one of "a", "b"/);
    });

    it("integer takes numbers and numeric strings within bounds", () => {
        assert.equal(v.integer("k", "3", 1), 3);
        assert.equal(v.integer("k", 3, 1), 3);
        throwsConfig(() => v.integer("k", 0, 1), "k", "0", /an integer >= 1/);
        throwsConfig(() => v.integer("k", "-2", 1), "k", '"-2"', /an integer >= 1/);
        throwsConfig(() => v.integer("k", "three", 1), "k", '"three"', /an integer >= 1/);
        throwsConfig(() => v.integer("k", 1.5, 1), "k", "1.5", /an integer >= 1/);
        throwsConfig(() => v.integer("k", 101, 1, 100), "k", "101", /from 1 to 100/);
    });

    it("port is 1..65535", () => {
        assert.equal(v.port("p", 8080), 8080);
        throwsConfig(() => v.port("p", 0), "p", "0", /from 1 to 65535/);
        throwsConfig(() => v.port("p", 70000), "p", "70000", /from 1 to 65535/);
    });

    it("boolean accepts JSON booleans and Pulumi's strings only", () => {
        assert.equal(v.boolean("b", "true"), true);
        assert.equal(v.boolean("b", false), false);
        throwsConfig(() => v.boolean("b", "yes"), "b", '"yes"', /true or false/);
    });

    it("quantity refuses malformed and non-positive quantities", () => {
        assert.equal(v.quantity("q", "512Mi"), "512Mi");
        throwsConfig(() => v.quantity("q", "1 GB"), "q", '"1 GB"', /Kubernetes quantity/);
        throwsConfig(() => v.quantity("q", "ten"), "q", '"ten"', /Kubernetes quantity/);
        throwsConfig(() => v.quantity("q", "0"), "q", '"0"', /positive/);
        throwsConfig(() => v.quantity("q", 512), "q", "512", /Kubernetes quantity/);
    });

    it("DNS-1123 labels and subdomains", () => {
        assert.equal(v.dns1123Label("n", "prod-eu1"), "prod-eu1");
        for (const bad of ["Prod", "a_b", "-a", "a-", "", "x".repeat(64)]) {
            throwsConfig(() => v.dns1123Label("n", bad), "n", JSON.stringify(bad), /DNS-1123 label/);
        }
        assert.equal(v.dns1123Subdomain("h", "app.example.com"), "app.example.com");
        throwsConfig(() => v.dns1123Subdomain("h", "*.example.com"), "h", '"*.example.com"', /DNS-1123 subdomain/);
        throwsConfig(() => v.dns1123Subdomain("h", "App.Example.com"), "h", '"App.Example.com"', /DNS-1123 subdomain/);
    });

    it("imageRef wants a tag other than latest, or a digest", () => {
        const digest = `sha256:${"a".repeat(64)}`;
        for (const ok of [
            "nginx:1.27",
            "ghcr.io/acme/app:1.4.2",
            `ghcr.io/acme/app@${digest}`,
            `localhost:5001/app:dev@${digest}`,
            `acme/app:latest@${digest}`,
        ]) {
            assert.equal(v.imageRef("i", ok), ok);
        }
        for (const bad of ["nginx", "nginx:latest", "ghcr.io/acme/app", "UPPER/app:1", "app@sha256:short", "app:"]) {
            throwsConfig(() => v.imageRef("i", bad), "i", JSON.stringify(bad), /pinned by a tag other than "latest" or by digest/);
        }
    });

    it("httpPath wants a leading slash", () => {
        assert.equal(v.httpPath("p", "/healthz"), "/healthz");
        throwsConfig(() => v.httpPath("p", "health"), "p", '"health"', /starting with "\/"/);
    });

    it("object parses JSON text and refuses non-objects", () => {
        assert.deepEqual(v.object("o", '{"a":1}'), { a: 1 });
        throwsConfig(() => v.object("o", "{nope"), "o", '"{nope"', /must be an object/);
        throwsConfig(() => v.object("o", "[1]"), "o", '"[1]"', /must be an object/);
    });

    it("noUnknownKeys names the typo and suggests the key", () => {
        v.noUnknownKeys("kubeship:app", { replicas: 2 }, ["replicas", "port"]);
        throwsConfig(
            () => v.noUnknownKeys("kubeship:app", { replcas: 2 }, ["replicas", "port"]),
            "kubeship:app.replcas",
            "2",
            /unknown key "replcas" \(did you mean "replicas"\?\); allowed keys of kubeship:app: replicas, port/,
        );
        throwsConfig(() => v.noUnknownKeys("kubeship:app", { zzzzzzzz: 1 }, ["replicas"]), "kubeship:app.zzzzzzzz", "1", /unknown key "zzzzzzzz"; allowed/);
    });

    it("ordered and quantityAtMost compare bounds", () => {
        v.ordered("min", 2, "max", 2);
        throwsConfig(() => v.ordered("min", 3, "max", 2), "max", "2", /at least min \(3\)/);
        v.quantityAtMost("req", "500m", "lim", "1");
        v.quantityAtMost("req", "1Gi", "lim", "1024Mi"); // equal: the Guaranteed QoS class
        throwsConfig(() => v.quantityAtMost("req", "2Gi", "lim", "1Gi"), "req", '"2Gi"', /must not exceed lim \(1Gi\)/);
        throwsConfig(() => v.quantityAtMost("req", "1025Mi", "lim", "1Gi"), "req", '"1025Mi"', /must not exceed lim \(1Gi\)/);
    });

    it("cidr wants an IPv4 block: four octets up to 255 and a prefix up to 32", () => {
        for (const ok of ["0.0.0.0/0", "203.0.113.7/32", "255.255.255.255/32", "10.0.0.0/8"]) assert.equal(v.cidr("c", ok), ok);
        for (const bad of ["10.0.0.0/33", "256.0.0.0/8", "10.0.0.0", "10.0.0/8", "::/0", "10.0.0.0/-1"]) {
            throwsConfig(() => v.cidr("c", bad), "c", JSON.stringify(bad), /IPv4 CIDR block/);
        }
    });

    it("kubernetesMinor reads a number the way it was written: 1.3 set as a YAML number means 1.30", () => {
        assert.equal(v.kubernetesMinor("k", "1.33"), "1.33");
        assert.equal(v.kubernetesMinor("k", 1.34), "1.34");
        assert.equal(v.kubernetesMinor("k", 1.3), "1.30");
        for (const bad of ["1.3", "2.30", "1.33.1", "v1.33"]) throwsConfig(() => v.kubernetesMinor("k", bad), "k", JSON.stringify(bad), /minor version/);
    });
});
