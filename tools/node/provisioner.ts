/**
 * The real node's volume provisioner, run on the host as a process of its own: for each claim of its
 * StorageClass that the scheduler has placed on the node (`volume.kubernetes.io/selected-node`), a
 * folder under the node's volumes folder and a `local` PersistentVolume bound to the claim, pinned to the
 * node; for each of its volumes whose claim is gone (Released) under the Delete policy, the folder and
 * the volume are removed. Polls once a second. No helper pods and no image: the folders are the host's
 * (rancher's local-path-provisioner needs both, and the one version served here has open advisories).
 *
 *   node -r ts-node/register/transpile-only tools/node/provisioner.ts SERVER PKI_DIR NODE VOLUMES_DIR
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { KubeApi } from "../cluster/api";

/** The StorageClass the node's volumes belong to (the cluster's default in real-node mode). */
export const STORAGE_CLASS = "kubeship-local";
export const PROVISIONER = "kubeship.dev/local-path";

export function storageClass(): object {
    return {
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: { name: STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        provisioner: PROVISIONER,
        reclaimPolicy: "Delete",
        volumeBindingMode: "WaitForFirstConsumer",
    };
}

interface Claim {
    metadata: { name: string; namespace: string; uid: string; annotations?: Record<string, string> };
    spec: { storageClassName?: string; accessModes: string[]; resources: { requests: { storage: string } }; volumeName?: string };
    status?: { phase?: string };
}
interface Volume {
    metadata: { name: string; annotations?: Record<string, string> };
    spec: { persistentVolumeReclaimPolicy?: string; local?: { path: string } };
    status?: { phase?: string };
}

/** One pass: provision what waits on this node, delete what was released. Returns what it did. */
export async function reconcile(api: KubeApi, node: string, volumesDir: string): Promise<string[]> {
    const done: string[] = [];
    const claims = (await api.get<{ items: Claim[] }>("/api/v1/persistentvolumeclaims")).body.items ?? [];
    for (const c of claims) {
        const selected = c.metadata.annotations?.["volume.kubernetes.io/selected-node"];
        if (c.spec.storageClassName !== STORAGE_CLASS || c.status?.phase !== "Pending" || c.spec.volumeName || selected !== node) continue;
        const name = `pvc-${c.metadata.uid}`;
        const dir = path.join(volumesDir, `${c.metadata.namespace}_${c.metadata.name}_${c.metadata.uid}`);
        fs.mkdirSync(dir, { recursive: true, mode: 0o770 });
        const r = await api.request("POST", "/api/v1/persistentvolumes", {
            apiVersion: "v1",
            kind: "PersistentVolume",
            metadata: { name, annotations: { "pv.kubernetes.io/provisioned-by": PROVISIONER } },
            spec: {
                capacity: { storage: c.spec.resources.requests.storage },
                accessModes: c.spec.accessModes,
                persistentVolumeReclaimPolicy: "Delete",
                storageClassName: STORAGE_CLASS,
                volumeMode: "Filesystem",
                local: { path: dir },
                claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: c.metadata.namespace, name: c.metadata.name, uid: c.metadata.uid },
                nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [node] }] }] } },
            },
        });
        if (r.status !== 201 && r.status !== 409) throw new Error(`creating ${name}: ${r.status} ${JSON.stringify(r.body)}`);
        if (r.status === 201) done.push(`provisioned ${name} for ${c.metadata.namespace}/${c.metadata.name} in ${dir}`);
    }
    const volumes = (await api.get<{ items: Volume[] }>("/api/v1/persistentvolumes")).body.items ?? [];
    for (const v of volumes) {
        if (v.metadata.annotations?.["pv.kubernetes.io/provisioned-by"] !== PROVISIONER) continue;
        if (v.status?.phase !== "Released" || v.spec.persistentVolumeReclaimPolicy !== "Delete") continue;
        const dir = v.spec.local?.path;
        // Only a folder directly in the volumes folder: a PersistentVolume naming any other path is not the provisioner's to remove.
        const rel = dir ? path.relative(volumesDir, path.resolve(dir)) : "";
        if (dir && rel && !rel.startsWith("..") && !path.isAbsolute(rel) && !rel.includes(path.sep)) fs.rmSync(dir, { recursive: true, force: true });
        const r = await api.request("DELETE", `/api/v1/persistentvolumes/${v.metadata.name}`);
        if (r.status !== 200 && r.status !== 404) throw new Error(`deleting ${v.metadata.name}: ${r.status} ${JSON.stringify(r.body)}`);
        done.push(`deleted ${v.metadata.name} and ${dir}`);
    }
    return done;
}

if (require.main === module) {
    const [server, pki, node, volumesDir] = process.argv.slice(2);
    if (!server || !pki || !node || !volumesDir) {
        console.error("usage: provisioner.ts SERVER PKI_DIR NODE VOLUMES_DIR");
        process.exit(2);
    }
    const api = new KubeApi(server, pki, "provisioner");
    let stopping = false;
    for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => (stopping = true));
    void (async () => {
        console.error(`provisioner: class ${STORAGE_CLASS}, node ${node}, volumes in ${volumesDir}`);
        while (!stopping) {
            try {
                for (const line of await reconcile(api, node, volumesDir)) console.error(`provisioner: ${line}`);
            } catch (e) {
                console.error(`provisioner: ${(e as Error).message}`);
            }
            await new Promise(resolve => setTimeout(resolve, 1000));
        }
        api.close();
        process.exit(0);
    })();
}
