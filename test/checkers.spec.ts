// The offline checkers must catch what they claim to, or every test built on them proves nothing.
import * as assert from "node:assert/strict";
import { podSpecOf, restrictedViolations } from "../policy/pss";
import { modelPath, schemaErrors } from "../tools/render/schema";

const goodContainer = () => ({
    name: "c",
    image: "x:1",
    securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } },
});
const goodPod = () => ({ containers: [goodContainer()], volumes: [{ name: "tmp", emptyDir: {} }] });

describe("Pod Security restricted checker", () => {
    it("accepts a restricted pod", () => {
        assert.deepEqual(restrictedViolations(goodPod()), []);
    });

    it("accepts pod-level runAsNonRoot and seccomp", () => {
        const pod: any = goodPod();
        delete pod.containers[0].securityContext.runAsNonRoot;
        delete pod.containers[0].securityContext.seccompProfile;
        pod.securityContext = { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } };
        assert.deepEqual(restrictedViolations(pod), []);
    });

    const breaks: [string, (p: any) => void, RegExp][] = [
        [
            "privileged",
            p => {
                p.containers[0].securityContext.privileged = true;
            },
            /privileged/,
        ],
        [
            "privilege escalation allowed",
            p => {
                delete p.containers[0].securityContext.allowPrivilegeEscalation;
            },
            /allowPrivilegeEscalation/,
        ],
        [
            "root allowed",
            p => {
                p.containers[0].securityContext.runAsNonRoot = false;
            },
            /runAsNonRoot/,
        ],
        [
            "uid 0",
            p => {
                p.containers[0].securityContext.runAsUser = 0;
            },
            /runAsUser is 0/,
        ],
        [
            "no seccomp",
            p => {
                delete p.containers[0].securityContext.seccompProfile;
            },
            /seccompProfile is unset/,
        ],
        [
            "capabilities kept",
            p => {
                p.containers[0].securityContext.capabilities = {};
            },
            /drop ALL/,
        ],
        [
            "capability added",
            p => {
                p.containers[0].securityContext.capabilities.add = ["NET_ADMIN"];
            },
            /adds capability NET_ADMIN/,
        ],
        [
            "hostPath volume",
            p => {
                p.volumes.push({ name: "h", hostPath: { path: "/" } });
            },
            /volume h has type hostPath/,
        ],
        [
            "hostNetwork",
            p => {
                p.hostNetwork = true;
            },
            /hostNetwork/,
        ],
        [
            "hostPort",
            p => {
                p.containers[0].ports = [{ containerPort: 80, hostPort: 80 }];
            },
            /hostPort 80/,
        ],
        [
            "init container not hardened",
            p => {
                p.initContainers = [{ name: "init", image: "x:1" }];
            },
            /container init/,
        ],
    ];
    for (const [what, mutate, expected] of breaks) {
        it(`flags: ${what}`, () => {
            const pod = goodPod();
            mutate(pod);
            assert.match(restrictedViolations(pod).join("\n"), expected);
        });
    }

    it("finds the pod spec in workload kinds", () => {
        assert.equal(podSpecOf({ kind: "Deployment", spec: { template: { spec: { a: 1 } } } })?.a, 1);
        assert.equal(podSpecOf({ kind: "CronJob", spec: { jobTemplate: { spec: { template: { spec: { a: 2 } } } } } })?.a, 2);
        assert.equal(podSpecOf({ kind: "Service" }), undefined);
    });
});

describe("Kubernetes schema checker", () => {
    const deployment = () => ({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "d" },
        spec: {
            selector: { matchLabels: { a: "b" } },
            template: { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "c", image: "x:1", resources: { limits: { memory: "1Gi" } } }] } },
        },
    });

    it("maps Pulumi types to kubernetes-models modules", () => {
        assert.equal(modelPath("kubernetes:core/v1:Service"), "kubernetes-models/v1/Service");
        assert.equal(modelPath("kubernetes:networking.k8s.io/v1:NetworkPolicy"), "kubernetes-models/networking.k8s.io/v1/NetworkPolicy");
    });

    it("accepts a valid manifest", () => {
        assert.deepEqual(schemaErrors("kubernetes:apps/v1:Deployment", deployment()), []);
    });

    it("rejects wrong types, missing fields and bad quantities", () => {
        const wrongType: any = deployment();
        wrongType.spec.replicas = "three";
        assert.match(schemaErrors("kubernetes:apps/v1:Deployment", wrongType).join(), /replicas/);
        const noSelector: any = deployment();
        delete noSelector.spec.selector;
        assert.match(schemaErrors("kubernetes:apps/v1:Deployment", noSelector).join(), /selector/);
        const badQuantity: any = deployment();
        badQuantity.spec.template.spec.containers[0].resources.limits.memory = "1 GB";
        assert.notDeepEqual(schemaErrors("kubernetes:apps/v1:Deployment", badQuantity), []);
    });

    it("reports types it has no schema for", () => {
        assert.match(schemaErrors("kubernetes:example.com/v1:Widget", {}).join(), /no schema/);
    });
});
