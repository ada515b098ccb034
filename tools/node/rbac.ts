/**
 * What the real node's add-ons may do in the API, each under its own identity (tools/cluster/pki.ts
 * NODE_CLIENTS): read-only for the DNS and the policy controller, persistent volumes for the
 * provisioner. The kubelet and kube-proxy use the built-in Node authorizer and `system:node-proxier`.
 */
const read = ["get", "list", "watch"];

const ROLES: Record<string, { apiGroups: string[]; resources: string[]; verbs: string[] }[]> = {
    coredns: [
        { apiGroups: [""], resources: ["services", "endpoints", "namespaces", "pods"], verbs: read },
        { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: read },
    ],
    "kube-router": [
        { apiGroups: [""], resources: ["namespaces", "pods", "services", "nodes", "endpoints"], verbs: read },
        { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: read },
        { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: read },
        { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
    ],
    provisioner: [
        { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: read },
        { apiGroups: [""], resources: ["persistentvolumes"], verbs: [...read, "create", "delete"] },
        { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: read },
        { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
    ],
};

/** The ClusterRoles and their bindings, to the user names of NODE_CLIENTS. */
export function addonRbac(): { path: string; object: object }[] {
    return Object.entries(ROLES).flatMap(([name, rules]) => [
        {
            path: "/apis/rbac.authorization.k8s.io/v1/clusterroles",
            object: { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: `kubeship:${name}` }, rules },
        },
        {
            path: "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
            object: {
                apiVersion: "rbac.authorization.k8s.io/v1",
                kind: "ClusterRoleBinding",
                metadata: { name: `kubeship:${name}` },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `kubeship:${name}` },
                subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: `kubeship:${name}` }],
            },
        },
    ]);
}
