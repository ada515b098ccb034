/**
 * Pod Security Standards, "baseline" and "restricted" levels, as pure checks on a pod spec
 * (kubernetes.io/docs/concepts/security/pod-security-standards). Returns the violations found;
 * an empty list means the pod would be admitted by a namespace enforcing "restricted".
 */
type Obj = Record<string, any>;

const RESTRICTED_VOLUMES = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];
const SAFE_SYSCTLS = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];
const SECCOMP_OK = ["RuntimeDefault", "Localhost"];

export function restrictedViolations(pod: Obj): string[] {
    const v: string[] = [];
    const psc: Obj = pod.securityContext ?? {};
    const containers: Obj[] = [...(pod.initContainers ?? []), ...(pod.containers ?? []), ...(pod.ephemeralContainers ?? [])];

    // baseline
    for (const f of ["hostNetwork", "hostPID", "hostIPC"]) if (pod[f] === true) v.push(`${f} is true`);
    if (psc.seccompProfile?.type === "Unconfined") v.push("pod seccompProfile is Unconfined");
    for (const s of psc.sysctls ?? []) if (!SAFE_SYSCTLS.includes(s.name)) v.push(`unsafe sysctl ${s.name}`);
    if (psc.seLinuxOptions?.user || psc.seLinuxOptions?.role) v.push("pod seLinuxOptions sets user or role");
    if (psc.windowsOptions?.hostProcess === true) v.push("pod windowsOptions.hostProcess is true");

    // restricted: volumes
    for (const vol of pod.volumes ?? []) {
        const kind = Object.keys(vol).find(k => k !== "name");
        if (!kind || !RESTRICTED_VOLUMES.includes(kind)) v.push(`volume ${vol.name} has type ${kind}`);
    }

    for (const c of containers) {
        const sc: Obj = c.securityContext ?? {};
        const at = `container ${c.name}`;
        if (sc.privileged === true) v.push(`${at}: privileged`);
        if (sc.procMount && sc.procMount !== "Default") v.push(`${at}: procMount ${sc.procMount}`);
        if (sc.windowsOptions?.hostProcess === true) v.push(`${at}: windowsOptions.hostProcess`);
        if (sc.seLinuxOptions?.user || sc.seLinuxOptions?.role) v.push(`${at}: seLinuxOptions sets user or role`);
        for (const p of c.ports ?? []) if (p.hostPort) v.push(`${at}: hostPort ${p.hostPort}`);
        if (sc.allowPrivilegeEscalation !== false) v.push(`${at}: allowPrivilegeEscalation is not false`);
        const nonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
        if (nonRoot !== true) v.push(`${at}: runAsNonRoot is not true`);
        if ((sc.runAsUser ?? psc.runAsUser) === 0) v.push(`${at}: runAsUser is 0`);
        const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
        if (!SECCOMP_OK.includes(seccomp)) v.push(`${at}: seccompProfile is ${seccomp ?? "unset"}`);
        const drop: string[] = sc.capabilities?.drop ?? [];
        if (!drop.includes("ALL")) v.push(`${at}: capabilities do not drop ALL`);
        for (const cap of sc.capabilities?.add ?? []) if (cap !== "NET_BIND_SERVICE") v.push(`${at}: adds capability ${cap}`);
    }
    if (containers.length === 0) v.push("no containers");
    return v;
}

/** The pod spec inside a workload object (Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod). */
export function podSpecOf(object: Obj): Obj | undefined {
    switch (object.kind) {
        case "Pod":
            return object.spec;
        case "CronJob":
            return object.spec?.jobTemplate?.spec?.template?.spec;
        case "Deployment":
        case "StatefulSet":
        case "DaemonSet":
        case "ReplicaSet":
        case "Job":
            return object.spec?.template?.spec;
        default:
            return undefined;
    }
}
