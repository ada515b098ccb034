/**
 * The local cluster's certificates and keys, made with the openssl CLI: one CA (the API server's client
 * CA and the controller-manager's signer), the API server's serving certificate for loopback and the
 * in-cluster names, client certificates whose subject is the identity RBAC sees, and the service-account
 * key pair.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** The first address of the service range, the in-cluster `kubernetes` Service. */
export const SERVICE_CIDR = "10.96.0.0/12";
const KUBERNETES_SERVICE_IP = "10.96.0.1";

/** Client identities: file name, and the subject (CN = user, O = group). */
export const CLIENTS = {
    admin: "/O=system:masters/CN=kubeship-e2e-admin",
    "kube-controller-manager": "/CN=system:kube-controller-manager",
    "kube-scheduler": "/CN=system:kube-scheduler",
    "apiserver-kubelet-client": "/O=system:masters/CN=kube-apiserver-kubelet-client",
} as const;

/** The real node's name, as its kubelet registers it. */
export const NODE_NAME = "kubeship-node";

/**
 * The real node's identities: the kubelet as the Node authorizer expects it, kube-proxy as the built-in
 * `system:node-proxier` binding names it, and the node's add-ons, each bound to a ClusterRole of its own
 * (tools/node/rbac.ts).
 */
export const NODE_CLIENTS = {
    kubelet: `/O=system:nodes/CN=system:node:${NODE_NAME}`,
    "kube-proxy": "/CN=system:kube-proxy",
    coredns: "/CN=kubeship:coredns",
    "kube-router": "/CN=kubeship:kube-router",
    provisioner: "/CN=kubeship:provisioner",
} as const;
export type Client = keyof typeof CLIENTS | keyof typeof NODE_CLIENTS;

function openssl(dir: string, args: string[]): void {
    try {
        execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    } catch (e) {
        const err = e as { code?: string; stderr?: Buffer };
        if (err.code === "ENOENT") throw new Error("openssl is not installed: apt-get install openssl", { cause: e });
        throw new Error(`openssl ${args[0]} failed: ${err.stderr?.toString().trim()}`, { cause: e });
    }
}

/** Signs a new key's certificate with the CA. */
function sign(dir: string, name: string, subject: string, extensions: string[]): void {
    openssl(dir, ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-sha256", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject]);
    fs.writeFileSync(path.join(dir, `${name}.ext`), `${extensions.join("\n")}\n`);
    openssl(dir, [
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-sha256",
        "-days",
        "30",
        "-extfile",
        `${name}.ext`,
        "-out",
        `${name}.crt`,
    ]);
    fs.rmSync(path.join(dir, `${name}.csr`));
    fs.rmSync(path.join(dir, `${name}.ext`));
}

/** Writes the whole PKI into `dir` (made private to the user), with a certificate for each of `clients`. */
export function makePki(dir: string, clients: Record<string, string> = CLIENTS): void {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    openssl(dir, [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-sha256",
        "-days",
        "30",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-subj",
        "/CN=kubeship-e2e-ca",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
    ]);
    const leaf = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment"];
    const names = ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"];
    sign(dir, "apiserver", "/CN=kube-apiserver", [
        ...leaf,
        "extendedKeyUsage=serverAuth",
        `subjectAltName=${[...names.map(n => `DNS:${n}`), "IP:127.0.0.1", `IP:${KUBERNETES_SERVICE_IP}`].join(",")}`,
    ]);
    for (const [name, subject] of Object.entries(clients)) sign(dir, name, subject, [...leaf, "extendedKeyUsage=clientAuth"]);
    openssl(dir, ["genrsa", "-out", "sa.key", "2048"]);
    openssl(dir, ["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
    for (const file of fs.readdirSync(dir)) if (file.endsWith(".key")) fs.chmodSync(path.join(dir, file), 0o600);
}

/** A kubeconfig with the client's certificate embedded, one context. */
export function kubeconfig(dir: string, client: Client, server: string, context: string): string {
    const b64 = (file: string) => fs.readFileSync(path.join(dir, file)).toString("base64");
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        `- name: ${context}`,
        "  cluster:",
        `    server: ${server}`,
        `    certificate-authority-data: ${b64("ca.crt")}`,
        "users:",
        `- name: ${context}-${client}`,
        "  user:",
        `    client-certificate-data: ${b64(`${client}.crt`)}`,
        `    client-key-data: ${b64(`${client}.key`)}`,
        "contexts:",
        `- name: ${context}`,
        "  context:",
        `    cluster: ${context}`,
        `    user: ${context}-${client}`,
        `current-context: ${context}`,
        "",
    ].join("\n");
}
