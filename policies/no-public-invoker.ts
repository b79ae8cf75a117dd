// Anyone on the internet can call a service with an allUsers invoker or with invoker IAM disabled.
import type { StackValidationPolicy } from "@pulumi/policy";
import { buildCallGraph, invokerRole, isAutoNamed, type WorkloadNames } from "./callgraph";
import { plainResources } from "./resources";

export interface NoPublicInvokerConfig {
  /** Cloud Run services and gen2 functions meant to be public: by service name, logical name or URN. */
  readonly publicServices: readonly string[];
}

/**
 * Is a service listed as public? An entry may be its service name, the logical name the program gives it
 * (the one that stays the same for an auto-named service, in preview and after `up`), or its URN.
 */
export function listedAsPublic(w: WorkloadNames, listed: ReadonlySet<string>): boolean {
  return listed.has(w.name) || listed.has(w.logicalName) || listed.has(w.urn);
}

/** The name to list a service by: its service name, or for an auto-named one (`LOGICAL-1a2b3c4`, drawn anew by each fresh stack) its logical name. */
function configName(w: WorkloadNames): string {
  return isAutoNamed(w.name, w.logicalName) ? w.logicalName : w.name;
}

export const noPublicInvoker: StackValidationPolicy = {
  name: "no-public-invoker",
  description: `No ${invokerRole} for allUsers or allAuthenticatedUsers, and no invokerIamDisabled, except on services configured as public.`,
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Remove the public member (or invokerIamDisabled) and grant roles/run.invoker to the callers' own service accounts. " +
    "If the service is meant to be public, list it (its service name, logical name or URN) in the no-public-invoker policy config: " +
    '{"no-public-invoker": {"publicServices": ["NAME"]}}.',
  configSchema: {
    properties: {
      publicServices: {
        type: "array",
        items: { type: "string", minLength: 1 },
        default: [],
        description:
          "The Cloud Run services and gen2 functions meant to be callable by anyone: each by its service name, the logical name the program gives it, or its URN.",
      },
    },
  },
  // Decides from dependency URNs like caller-has-run-invoker: a public grant on a service whose name is
  // not known during preview still fails unless it is tied to an allowed service.
  validateStack: (args, reportViolation) => {
    const listed = new Set(args.getConfig<NoPublicInvokerConfig>().publicServices ?? []);
    const graph = buildCallGraph(plainResources(args.resources));
    const allowFix = (w: WorkloadNames) =>
      `or, if ${w.name} is meant to be public, add it to publicServices in the no-public-invoker policy config: {"no-public-invoker": {"publicServices": [${JSON.stringify(configName(w))}]}}`;
    for (const grant of graph.invokerGrants) {
      if (!grant.isPublic) continue;
      const what = `${grant.grant} grants ${invokerRole} to ${grant.member}`;
      if (grant.scope === "project") {
        reportViolation(`${what} on every service of ${grant.target}: anyone can call all of them. Fix: remove the member.`, grant.grantUrn);
      } else if (grant.targets.length > 0) {
        for (const w of grant.targets.filter((t) => !listedAsPublic(t, listed))) {
          reportViolation(`${what} on ${w.name}: anyone can call it. Fix: remove the member, ${allowFix(w)}.`, grant.grantUrn);
        }
      } else if (grant.targetNames.length > 0) {
        // A service of another stack, by the name the grant is written with.
        for (const name of grant.targetNames.filter((n) => !listed.has(n))) {
          reportViolation(`${what} on ${name}: anyone can call it. Fix: remove the member, or, if ${name} is meant to be public, add it to publicServices in the no-public-invoker policy config.`, grant.grantUrn);
        }
      } else {
        reportViolation(
          `${what} on ${grant.target}, which cannot be tied to a service of this stack, so it cannot be checked against publicServices. ` +
            "Fix: remove the member, or take the grant's service name from the service resource.",
          grant.grantUrn,
        );
      }
    }
    for (const open of graph.invokerIamDisabled) {
      if (listedAsPublic(open, listed)) continue;
      reportViolation(
        `${open.name} sets invokerIamDisabled: anyone can call it without any IAM check. Fix: remove invokerIamDisabled and grant ` +
          `${invokerRole} to its callers, ${allowFix(open)}.`,
        open.urn,
      );
    }
  },
};
