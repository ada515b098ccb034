/**
 * kubeship's policy pack: the rules the test suite holds, enforced at preview time.
 *   pulumi preview --policy-pack policy        (CI attaches it to every preview and deploy)
 * It resolves @pulumi/policy from the project's node_modules: run `npm ci` at the project root first.
 */
import { PolicyPack } from "@pulumi/policy";
import { objectPolicies, stackPolicies } from "./policies";

new PolicyPack("kubeship", { policies: [...objectPolicies, ...stackPolicies] });
