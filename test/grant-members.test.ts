// An invoker grant to an account created in the same update, written by hand in the usual ways, under the
// capture and the policy pack in both modes: the auth check never passes in preview what it fails after up.
import * as pulumi from "@pulumi/pulumi";
import * as cloudfunctionsv2 from "@pulumi/gcp/cloudfunctionsv2";
import * as cloudrunv2 from "@pulumi/gcp/cloudrunv2";
import * as serviceaccount from "@pulumi/gcp/serviceaccount";
import { describe, expect, it } from "vitest";
import { captureProgram } from "../lib/capture";
import { unknownValue, type EngineResource } from "../lib/resources";
import { usePolicyPack } from "./fixtures/pack";

const project = "nba-props-platform";
const region = "us-west2";
const config = { "gcp:project": project, "gcp:region": region, "nba-pipeline:projectNumber": "756957797294" };
const pack = usePolicyPack();

/** grading, and phase3-to-grading calling it as a new account, granted with the member `memberOf` writes. */
function program(memberOf: (account: serviceaccount.Account) => pulumi.Input<string>) {
  return async () => {
    const gradingAccount = new serviceaccount.Account("grading-runtime", { project, accountId: "grading-runtime" });
    const grading = new cloudrunv2.Service("grading-service", {
      project,
      location: region,
      name: "grading",
      template: { serviceAccount: gradingAccount.email, containers: [{ image: `r/grading:ede3ab89` }] },
    });
    const caller = new serviceaccount.Account("p3g-runtime", { project, accountId: "phase3-to-grading" });
    new cloudfunctionsv2.Function("p3g-function", {
      project,
      location: region,
      name: "phase3-to-grading",
      buildConfig: { runtime: "python312", entryPoint: "orchestrate", source: { storageSource: { bucket: "b", object: "phase3-to-grading/ede3ab89.zip" } } },
      serviceConfig: { serviceAccountEmail: caller.email, environmentVariables: { GRADING_URL: grading.uri } },
    });
    new cloudrunv2.ServiceIamMember("p3g-invokes-grading", {
      project: grading.project,
      location: grading.location,
      name: grading.name,
      role: "roles/run.invoker",
      member: memberOf(caller),
    });
  };
}

async function judged(memberOf: (account: serviceaccount.Account) => pulumi.Input<string>, preview: boolean) {
  const { resources } = await captureProgram(program(memberOf), { stack: "prod", config, preview });
  const violations = await pack().analyze(resources);
  const gaps = violations.filter((v) => v.policyName === "caller-has-run-invoker" && v.enforcementLevel === "mandatory");
  return { grant: resources.find((r) => r.name === "p3g-invokes-grading") as EngineResource, gaps };
}

const forms: [string, (a: serviceaccount.Account) => pulumi.Input<string>, { update: boolean; preview: boolean }][] = [
  ["pulumi.interpolate`user:${account.email}`", (a) => pulumi.interpolate`user:${a.email}`, { update: false, preview: false }],
  ["account.email (no serviceAccount: prefix)", (a) => a.email, { update: false, preview: false }],
  // Right after up; during preview indistinguishable from the two above.
  ["pulumi.interpolate`serviceAccount:${account.email}`", (a) => pulumi.interpolate`serviceAccount:${a.email}`, { update: true, preview: false }],
  // Known before deploy: the account's id and project are its own inputs.
  [
    "pulumi.interpolate`serviceAccount:${account.accountId}@${account.project}.iam.gserviceaccount.com`",
    (a) => pulumi.interpolate`serviceAccount:${a.accountId}@${a.project}.iam.gserviceaccount.com`,
    { update: true, preview: true },
  ],
];

describe.each(forms)("a grant whose member is %s", (_, memberOf, granted) => {
  it.each([false, true])("when judged (preview: %s), then the call is granted only where it would be after up", async (preview) => {
    const { gaps } = await judged(memberOf, preview);
    expect(gaps.length === 0).toBe(preview ? granted.preview : granted.update);
  });
});

describe("what the engine sends for a member made from a new account's email during preview", () => {
  it("given any string made from the unknown email, then the member is wholly unknown and its dependency names the account", async () => {
    const { grant } = await judged((a) => pulumi.interpolate`user:${a.email}`, true);
    expect(grant.inputs.member).toBe(unknownValue);
    expect(grant.outputs.member).toBe(unknownValue);
    expect(grant.propertyDependencies.member).toEqual([expect.stringMatching(/serviceaccount\/account:Account::p3g-runtime$/)]);
  });
});
