// Anyone on the internet can call a service with an allUsers invoker or with invoker IAM disabled.
import type { StackValidationPolicy } from "@pulumi/policy";
import { buildCallGraph, invokerRole } from "./callgraph";
import { plainResources } from "./resources";

export interface NoPublicInvokerConfig {
  /** Cloud Run services and gen2 functions (by name) that are meant to be public. */
  readonly publicServices: readonly string[];
}

export const noPublicInvoker: StackValidationPolicy = {
  name: "no-public-invoker",
  description: `No ${invokerRole} for allUsers or allAuthenticatedUsers, and no invokerIamDisabled, except on services configured as public.`,
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Remove the public member (or invokerIamDisabled) and grant roles/run.invoker to the callers' own service accounts. " +
    "If the service is meant to be public, list its name in the no-public-invoker policy config: " +
    '{"no-public-invoker": {"publicServices": ["NAME"]}}.',
  configSchema: {
    properties: {
      publicServices: {
        type: "array",
        items: { type: "string", minLength: 1 },
        default: [],
        description: "Names of the Cloud Run services and gen2 functions that are meant to be callable by anyone.",
      },
    },
  },
  // Decides from dependency URNs like caller-has-run-invoker: a public grant on a service whose name is
  // not known during preview still fails unless it is tied to an allowed service.
  validateStack: (args, reportViolation) => {
    const allowed = new Set(args.getConfig<NoPublicInvokerConfig>().publicServices ?? []);
    const graph = buildCallGraph(plainResources(args.resources));
    const allowFix = (name: string) => `or, if ${name} is meant to be public, add it to publicServices in the no-public-invoker policy config`;
    for (const grant of graph.invokerGrants) {
      if (!grant.isPublic) continue;
      const what = `${grant.grant} grants ${invokerRole} to ${grant.member}`;
      if (grant.scope === "project") {
        reportViolation(`${what} on every service of ${grant.target}: anyone can call all of them. Fix: remove the member.`, grant.grantUrn);
      } else if (grant.targetNames.length === 0) {
        reportViolation(
          `${what} on ${grant.target}, which cannot be tied to a service of this stack, so it cannot be checked against publicServices. ` +
            "Fix: remove the member, or take the grant's service name from the service resource.",
          grant.grantUrn,
        );
      } else {
        for (const name of grant.targetNames.filter((n) => !allowed.has(n))) {
          reportViolation(`${what} on ${name}: anyone can call it. Fix: remove the member, ${allowFix(name)}.`, grant.grantUrn);
        }
      }
    }
    for (const open of graph.invokerIamDisabled) {
      if (allowed.has(open.name)) continue;
      reportViolation(
        `${open.name} sets invokerIamDisabled: anyone can call it without any IAM check. Fix: remove invokerIamDisabled and grant ` +
          `${invokerRole} to its callers, ${allowFix(open.name)}.`,
        open.urn,
      );
    }
  },
};
