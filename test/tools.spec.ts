/**
 * The tool build and the local cluster, checked without building or starting anything: the pins agree
 * with each other and with the npm SDKs, and the control plane runs with the security a conformant
 * cluster has (TLS, client certificates, service-account keys, Node and RBAC authorization, admission).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { contentKey } from "../tools/cache";
import { commandLines } from "../tools/cluster/cluster";
import { containerdConfig, corefile, cniConfig, kubeletConfig, kubeProxyConfig, NODE_NET, nodePaths } from "../tools/node/configs";
import { addonRbac } from "../tools/node/rbac";
import { RECIPES } from "../tools/recipes";
import { ROOT } from "../tools/render/stack-config";

const recipe = (name: string) => RECIPES.find(r => r.name === name)!;
const goMod = (tool: string) => fs.readFileSync(path.join(ROOT, "tools", tool, "go.mod"), "utf8");
/** The version a go.mod requires of a module. */
const required = (tool: string, module: string) =>
    new RegExp(`^\\s*(?:require )?${module.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} (v\\S+)`, "m").exec(goMod(tool))?.[1];
const sdk = (pkg: string) => JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", pkg, "package.json"), "utf8")).version as string;

describe("tools", () => {
    it("builds the Pulumi CLI and the language host at the @pulumi/pulumi version the program uses", () => {
        const version = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).dependencies["@pulumi/pulumi"];
        assert.equal(recipe("pulumi").pins.version, version);
        assert.equal(required("pulumi", "github.com/pulumi/pulumi/pkg/v3"), `v${version}`);
        assert.equal(required("pulumi", "github.com/pulumi/pulumi/sdk/v3"), `v${version}`);
        assert.equal(required("pulumi/language-nodejs", "github.com/pulumi/pulumi/sdk/v3"), `v${version}`);
    });

    it("builds the random provider for the @pulumi/random release, and pins the kubernetes provider's served commit", () => {
        assert.equal(recipe("provider-random").pins.version, sdk("@pulumi/random"));
        const k = recipe("provider-kubernetes").pins;
        assert.match(k.version, /^v4\.0\.0-\d{14}-[0-9a-f]{12}$/, "a pseudo-version of provider/v4");
        assert.match(
            goMod("provider-kubernetes"),
            /^replace github\.com\/pulumi\/pulumi-kubernetes\/sdk\/v4 => github\.com\/pulumi\/pulumi-kubernetes\/sdk\/v4 v[\d.]+$/m,
        );
    });

    it("builds the control plane from one Kubernetes release, every staging module at its published version", () => {
        const v = recipe("kubernetes").pins.version;
        assert.equal(required("kubernetes", "k8s.io/kubernetes"), `v${v}`);
        const replaces = [...goMod("kubernetes").matchAll(/^\s+(k8s\.io\/\S+) => (\S+) (v\S+)$/gm)];
        assert.ok(replaces.length >= 30, `${replaces.length} staging replaces`);
        for (const [, from, to, version] of replaces) {
            assert.equal(to, from);
            assert.equal(version, `v0.${v.split(".").slice(1).join(".")}`, from);
        }
        assert.equal(required("etcd", "go.etcd.io/etcd/server/v3"), `v${recipe("etcd").pins.version}`);
        assert.match(goMod("kwok"), /^tool sigs\.k8s\.io\/kwok\/cmd\/kwok$/m);
    });

    it("builds the add-on renderers, Helm and kustomize, at the versions the recipe stamps", () => {
        assert.equal(required("helm", "helm.sh/helm/v4"), `v${recipe("helm").pins.helm}`);
        assert.equal(required("helm", "sigs.k8s.io/kustomize/kustomize/v5"), `v${recipe("helm").pins.kustomize}`);
        assert.match(goMod("helm"), /^\s+helm\.sh\/helm\/v4\/cmd\/helm$/m);
    });

    it("builds the real node's kubelet and kube-proxy with the control plane, and CoreDNS and kube-router at the versions the recipes name", () => {
        assert.deepEqual(recipe("kubernetes").binaries.slice(-2), ["kubelet", "kube-proxy"]);
        for (const cmd of ["kubelet", "kube-proxy"]) assert.match(goMod("kubernetes"), new RegExp(`^\\s+k8s\\.io/kubernetes/cmd/${cmd}$`, "m"));
        assert.equal(required("coredns", "github.com/coredns/coredns"), `v${recipe("coredns").pins.version}`);
        assert.equal(required("kube-router", "github.com/cloudnativelabs/kube-router/v2"), `v${recipe("kube-router").pins.version}`);
        assert.match(goMod("kube-router"), /^tool github\.com\/cloudnativelabs\/kube-router\/v2\/cmd\/kube-router$/m);
    });

    it("keys each tool by its folder's content, its pins and its recipe", () => {
        const dir = path.join(ROOT, "tools", "etcd");
        const key = contentKey(["etcd", "go version go1.26.8 linux/amd64"], [dir]);
        assert.match(key, /^[0-9a-f]{16}$/);
        assert.equal(contentKey(["etcd", "go version go1.26.8 linux/amd64"], [dir]), key, "stable");
        assert.notEqual(contentKey(["etcd", "go version go1.27.0 linux/amd64"], [dir]), key, "a new Go builds anew");
        assert.notEqual(contentKey(["etcd", "go version go1.26.8 linux/amd64"], [path.join(ROOT, "tools", "kwok")]), key, "other sources, other key");
    });
});

describe("local cluster command lines", () => {
    const lines = commandLines({ dir: "/c", ports: { etcd: 1, etcdPeer: 2, apiserver: 3, controllerManager: 4, scheduler: 5, kwok: 6 } }, "/bin-dir");
    const flag = (component: string, name: string) =>
        lines[component]
            .find(a => a.startsWith(`--${name}=`))
            ?.split("=")
            .slice(1)
            .join("=");

    it("runs every component from the tool folder, on loopback only", () => {
        assert.deepEqual(Object.keys(lines).sort(), ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"]);
        for (const [name, argv] of Object.entries(lines)) assert.equal(argv[0], `/bin-dir/${name}`);
        assert.equal(flag("kube-apiserver", "bind-address"), "127.0.0.1");
        assert.equal(flag("kube-apiserver", "etcd-servers"), "http://127.0.0.1:1");
        assert.equal(flag("etcd", "listen-client-urls"), "http://127.0.0.1:1");
        for (const c of ["kube-controller-manager", "kube-scheduler"]) assert.equal(flag(c, "bind-address"), "127.0.0.1");
    });

    it("serves TLS, authenticates clients by certificate, authorizes with Node and RBAC, and admits with NodeRestriction", () => {
        assert.equal(flag("kube-apiserver", "tls-cert-file"), "/c/pki/apiserver.crt");
        assert.equal(flag("kube-apiserver", "client-ca-file"), "/c/pki/ca.crt");
        assert.equal(flag("kube-apiserver", "authorization-mode"), "Node,RBAC");
        assert.equal(flag("kube-apiserver", "enable-admission-plugins"), "NodeRestriction");
        assert.equal(flag("kube-apiserver", "disable-admission-plugins"), undefined, "PodSecurity stays on (a default plugin)");
        assert.equal(flag("kube-apiserver", "service-account-signing-key-file"), "/c/pki/sa.key");
        assert.equal(flag("kube-controller-manager", "service-account-private-key-file"), "/c/pki/sa.key");
        assert.equal(flag("kube-controller-manager", "use-service-account-credentials"), "true");
        assert.equal(flag("kube-controller-manager", "root-ca-file"), "/c/pki/ca.crt");
    });
});

describe("the real node's configuration", () => {
    const p = nodePaths("/c/node");

    it("keeps the pod network on the machine: its own bridge and range, no masquerade, the node's address as gateway and DNS", () => {
        const cni = JSON.parse(cniConfig(p));
        const bridge = cni.plugins[0];
        assert.equal(bridge.bridge, NODE_NET.bridge);
        assert.equal(bridge.ipMasq, false);
        assert.deepEqual(bridge.ipam.ranges, [[{ subnet: NODE_NET.podCidr, gateway: NODE_NET.nodeIp }]]);
        assert.ok(bridge.ipam.dataDir.startsWith("/c/node/"), "address leases in the node's folder");
        assert.match(corefile("/k", { health: 1, ready: 2 }), new RegExp(`^\\s+bind ${NODE_NET.nodeIp.replace(/\./g, "\\.")}$`, "m"));
        assert.doesNotMatch(corefile("/k", { health: 1, ready: 2 }), /forward/, "CoreDNS sends no query off the machine");
    });

    it("serves the kubelet's API on the node address only, authenticated and authorized, with no read-only port", () => {
        const k = JSON.parse(kubeletConfig(p, "/c/pki/ca.crt", { kubelet: 1, healthz: 2 }));
        assert.equal(k.address, NODE_NET.nodeIp);
        assert.equal(k.readOnlyPort, 0);
        assert.deepEqual(k.authentication, { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: "/c/pki/ca.crt" } });
        assert.deepEqual(k.authorization, { mode: "Webhook" });
        assert.equal(k.healthzBindAddress, "127.0.0.1");
        assert.deepEqual(k.clusterDNS, [NODE_NET.nodeIp]);
        assert.equal(k.containerRuntimeEndpoint, `unix://${p.containerdSocket}`);
        for (const key of ["nodefs.available", "imagefs.available"])
            assert.match(k.evictionHard[key], /^\d+Gi$/, `${key}: a size, not a share of a disk full of caches`);
    });

    it("opens no NodePort on the machine's interfaces and leaves its conntrack settings alone", () => {
        const k = JSON.parse(kubeProxyConfig("/k", "n", { healthz: 1, metrics: 2 }));
        assert.equal(k.mode, "iptables");
        assert.deepEqual(k.nodePortAddresses, [`${NODE_NET.nodeIp}/32`]);
        assert.equal(k.iptables.localhostNodePorts, false);
        assert.deepEqual(k.conntrack, { maxPerCore: 0, min: 0, tcpEstablishedTimeout: "0s", tcpCloseWaitTimeout: "0s" });
        assert.equal(k.healthzBindAddress.split(":")[0], "127.0.0.1");
    });

    it("runs containerd on the node's own socket, folders and CNI configuration, with the local sandbox image", () => {
        const c = containerdConfig(p, "localhost/kubeship-pause:x");
        for (const line of [
            `root = "${p.containerdRoot}"`,
            `address = "${p.containerdSocket}"`,
            'sandbox_image = "localhost/kubeship-pause:x"',
            "restrict_oom_score_adj = true",
            `conf_dir = "${p.cniConf}"`,
            `Root = "${p.containerdState}/runc"`,
        ]) {
            assert.ok(c.includes(line), line);
        }
    });

    it("gives each add-on a role of its own: read-only for DNS and the firewall, volumes for the provisioner, nothing on Secrets", () => {
        const roles = addonRbac().filter(o => (o.object as { kind: string }).kind === "ClusterRole");
        type Rule = { resources: string[]; verbs: string[] };
        const rules: Record<string, Rule[]> = Object.fromEntries(
            roles.map(r => [(r.object as { metadata: { name: string } }).metadata.name, (r.object as { rules: Rule[] }).rules]),
        );
        assert.deepEqual(Object.keys(rules).sort(), ["kubeship:coredns", "kubeship:kube-router", "kubeship:provisioner"]);
        for (const [name, list] of Object.entries(rules)) {
            assert.ok(!list.some(r => r.resources.includes("secrets") || r.resources.includes("*") || r.verbs.includes("*")), name);
        }
        const writes = (name: string) => rules[name].filter(r => r.verbs.some(v => !["get", "list", "watch"].includes(v))).flatMap(r => r.resources);
        assert.deepEqual(writes("kubeship:coredns"), []);
        assert.deepEqual(writes("kubeship:kube-router"), ["events"]);
        assert.deepEqual(writes("kubeship:provisioner"), ["persistentvolumes", "events"]);
    });
});
