// The 401 of the ops log: phase3-to-grading called grading as an account without roles/run.invoker.
import type { StackValidationPolicy } from "@pulumi/policy";
import { buildCallGraph, invokerRole } from "./callgraph";
import { plainResources } from "./resources";

export interface CallerHasRunInvokerConfig {
  /** Names the default compute account (NUMBER-compute@…) when no known value in the stack gives the number. */
  readonly projectNumber?: string;
  /** Read `serviceAccount:${account.email}` members, not known in preview, as that account's (see CallGraphOptions). */
  readonly assumeServiceAccountMembers?: boolean;
}

export const callerHasRunInvoker: StackValidationPolicy = {
  name: "caller-has-run-invoker",
  description: `Every caller of a Cloud Run service or gen2 function has ${invokerRole} on it.`,
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    `Grant the caller's identity ${invokerRole} on the callee (a gcp.cloudrunv2.ServiceIamMember with the callee's name, ` +
    "location and project, and, for an account created in the same update, the member made from its id and project: " +
    "serviceAccount:${account.accountId}@${account.project}.iam.gserviceaccount.com, which is known during preview); in this " +
    "repository, declare the call in pipeline.ts so the stack creates that grant. A caller with no service account runs as " +
    "the project's default compute account: give it a dedicated account instead.",
  configSchema: {
    properties: {
      projectNumber: {
        type: "string",
        pattern: "^[0-9]{6,20}$",
        description: "The GCP project number, naming the default compute account of a caller whose account is missing when nothing in the stack does.",
      },
      assumeServiceAccountMembers: {
        type: "boolean",
        default: false,
        description:
          "During preview, read an IAM member made from one service account of the stack alone (serviceAccount:${account.email}, not known until deploy) as that account's serviceAccount: member. Off: such a member grants nothing until it is known.",
      },
    },
  },
  // Decides from known values and dependency URNs only (see callgraph.ts), so a call whose account is
  // not known during preview is still judged: it never degrades to "can't run during preview".
  validateStack: (args, reportViolation) => {
    const config = args.getConfig<CallerHasRunInvokerConfig>();
    const graph = buildCallGraph(plainResources(args.resources), config);
    for (const call of graph.calls) {
      if (call.granted) continue;
      // A grant whose member is not known yet may be the right one: say so, rather than that it is missing.
      const verdict = call.notKnownUntilDeploy
        ? `whose ${invokerRole} on ${call.callee} cannot be shown before deploy: ${call.notKnownUntilDeploy} names its account through a member not known until deploy`
        : `which lacks ${invokerRole} on ${call.callee}: every request will fail with 401/403`;
      reportViolation(`${call.caller} calls ${call.callee} (found by ${call.via}) as ${call.identity}, ${verdict}. Fix: ${call.fix}`, call.callerUrn);
    }
  },
};
