// A workload on the default compute account shares every grant with everything else on it: a grant
// made for one caller lets them all in, and nothing says who called.
import type { StackValidationPolicy } from "@pulumi/policy";
import { buildCallGraph } from "./callgraph";
import { plainResources } from "./resources";

export const noDefaultServiceAccount: StackValidationPolicy = {
  name: "no-default-service-account",
  description: "Nothing runs as the project's default compute or App Engine service account.",
  enforcementLevel: "advisory",
  severity: "medium",
  remediationSteps:
    "Give the service, function, trigger or job a dedicated gcp.serviceaccount.Account (template.serviceAccount, " +
    "serviceConfig.serviceAccountEmail, eventTrigger.serviceAccountEmail, serviceAccount or oidcToken.serviceAccountEmail) " +
    "and grant that account only the roles it needs.",
  validateStack: (args, reportViolation) => {
    const graph = buildCallGraph(plainResources(args.resources));
    const fix = "Fix: give it a dedicated service account with only the roles it needs.";
    for (const runtime of graph.runtimes) {
      if (runtime.isDefaultAccount) reportViolation(`${runtime.who} runs as ${runtime.identity}. ${fix}`, runtime.urn);
      // During preview an account the program does not set is unknown (the provider computes it): say what GCP will use.
      else if (runtime.mayBeDefaultAccount) {
        reportViolation(`${runtime.who} runs as ${runtime.identity}; where none is set, GCP runs it as the default compute account. ${fix}`, runtime.urn);
      }
    }
  },
};
