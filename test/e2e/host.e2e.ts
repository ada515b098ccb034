/**
 * The real node's cleanup check can fail: what a node leaves on the machine (a process from its folder, a
 * mount under it, its bridge, a new interface, a CNI result, an iptables chain and an ipset of the names
 * the node uses) is each reported by `leftovers`, and `cleanHost` removes all of them but interfaces it
 * did not make (a veth pair stands in for a pod's: these VMs have no dummy interfaces). Runs as root, as
 * the real node does, before the suites that start one; whatever it made is removed even if it fails.
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { NODE_NET } from "../../tools/node/configs";
import { checkHost, cleanHost, hostBefore, leftovers, sh } from "../../tools/node/host";

describe("the real node's cleanup check", () => {
    const nodeDir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeship-host-"));
    const veth = ["kubeshipleft0", "kubeshipleft1"];
    const result = path.join("/var/lib/cni/results", `${NODE_NET.cniNetwork}-left-by-a-test`);
    const chain = "KUBE-LEFT-BY-A-TEST";
    const set = "KUBE-LEFT-BY-A-TEST";

    let made = false;
    let child: ReturnType<typeof spawn> | undefined;

    after(() => {
        child?.kill("SIGKILL");
        if (made) {
            sh("umount", ["-l", path.join(nodeDir, "volume")], { ignoreFailure: true });
            for (const link of [NODE_NET.bridge, veth[0]]) sh("ip", ["link", "del", link], { ignoreFailure: true });
            fs.rmSync(result, { force: true });
            sh("iptables", ["-X", chain], { ignoreFailure: true });
            sh("ipset", ["destroy", set], { ignoreFailure: true });
        }
        fs.rmSync(nodeDir, { recursive: true, force: true });
    });

    it("reports each kind of leftover, and cleanHost removes what the node made", async function () {
        // As a node starts: root, the tools, no other node; and nothing of a node here already, which
        // cleanHost below would take for the test's own.
        checkHost(nodeDir);
        assert.deepEqual(leftovers(nodeDir), [], "a real node's footprint is here already: stop it (npm run cluster -- down) first");
        for (const link of veth) assert.ok(!fs.existsSync(`/sys/class/net/${link}`), `${link} exists before the test`);
        const before = hostBefore();
        made = true;
        child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", path.join(nodeDir, "kubelet")], { stdio: "ignore" });
        const exited = new Promise(resolve => child!.once("exit", resolve));
        fs.mkdirSync(path.join(nodeDir, "volume"));
        sh("mount", ["-t", "tmpfs", "tmpfs", path.join(nodeDir, "volume")]);
        sh("ip", ["link", "add", NODE_NET.bridge, "type", "bridge"]);
        sh("ip", ["link", "add", veth[0], "type", "veth", "peer", "name", veth[1]]);
        fs.mkdirSync(path.dirname(result), { recursive: true });
        fs.writeFileSync(result, "{}");
        sh("iptables", ["-N", chain]);
        sh("ipset", ["create", set, "hash:ip"]);

        const found = leftovers(nodeDir, before);
        for (const expected of [
            `process ${child.pid}:`,
            `mount ${path.join(nodeDir, "volume")}`,
            `network interface ${NODE_NET.bridge}`,
            ...veth.map(l => `network interface ${l}`),
            `CNI result ${result}`,
            `:${chain}`,
            `ipset ${set}`,
        ]) {
            assert.ok(
                found.some(l => l.includes(expected)),
                `leftovers reports "${expected}":\n  ${found.join("\n  ")}`,
            );
        }

        const logged: string[] = [];
        cleanHost(nodeDir, before, undefined, line => logged.push(line));
        await exited;
        // Interfaces the node did not make by name (a pod's veth goes with its namespace) stay, and are reported.
        assert.deepEqual(
            leftovers(nodeDir, before).sort(),
            veth.map(l => `network interface ${l}`),
        );
        assert.match(logged.join("\n"), new RegExp(`network interface ${veth[0]}`), "cleanHost says what it left");
        sh("ip", ["link", "del", veth[0]]);
        assert.deepEqual(leftovers(nodeDir, before), []);
    });
});
