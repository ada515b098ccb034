/**
 * Offline render: `npm run render -- <stack> [--cloud <cloud>] [--out <dir>]`.
 * Runs the real program under Pulumi's mock runtime (no Pulumi CLI, no credentials, no cluster) and
 * writes every Kubernetes object it would apply (manifests.yaml), every resource it would register
 * (resources.txt) and the stack outputs (outputs.yaml). Secrets are redacted; values that exist only
 * after a deployment are placeholders. The manifests are checked against the Kubernetes schema and
 * Pod Security "restricted"; a violation or a config error exits non-zero.
 */
import "./fast-stacks";
import { renderCommand } from "./cli";

void renderCommand(process.argv.slice(2), { log: l => console.log(l), error: l => console.error(l) }).then(code => process.exit(code));
