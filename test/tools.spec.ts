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
