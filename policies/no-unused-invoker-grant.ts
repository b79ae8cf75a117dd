// The other side of caller-has-run-invoker: a grant nobody calls with is privilege nobody needs.
import type { StackValidationPolicy } from "@pulumi/policy";
import { buildCallGraph, invokerRole } from "./callgraph";
import { plainResources } from "./resources";

export const noUnusedInvokerGrant: StackValidationPolicy = {
  name: "no-unused-invoker-grant",
  description: `Every ${invokerRole} grant is used by a call in the stack.`,
  enforcementLevel: "advisory",
  severity: "low",
  remediationSteps:
    "Remove the member from the grant, or declare the call that needs it. Public members (allUsers, " +
    "allAuthenticatedUsers) are judged by no-public-invoker, not here.",
  validateStack: (args, reportViolation) => {
    const graph = buildCallGraph(plainResources(args.resources));
    for (const unused of graph.unusedGrants) {
      reportViolation(
        `${unused.grant} grants ${invokerRole} on ${unused.target} to ${unused.member}, but no call in this stack is made as ` +
          `that identity. Fix: remove this member, or declare the call that needs it.`,
        unused.grantUrn,
      );
    }
  },
};
