// Every fix is code a person can paste: literal values where they are known, another resource by the
// variable its logical name suggests (said which resource it is), the exact setting to change, the callee's
// project and location, and never a grant to a default account.
import { describe, expect, it } from "vitest";
import { variableFor } from "../../policies/callgraph";
import * as g from "../fixtures/gcp";
import { usePolicyPack, verdicts } from "../fixtures/pack";

const pack = usePolicyPack();
const fixes = async (f: g.Fixture) =>
  (await verdicts(pack(), f.resources, "caller-has-run-invoker")).map((v) => {
    const line = v.message.split("\n").pop() ?? "";
    return line.slice(line.indexOf(" Fix: ") + " Fix: ".length);
  });

describe("variableFor", () => {
  it.each([
    ["gcf-sa", "gcfSa"],
    ["account", "account"],
    ["phase3-to-grading", "phase3ToGrading"],
    ["default", "_default"],
    ["function", "_function"],
    ["3rd-party", "_3rdParty"],
    ["cloud_run_invoker", "cloud_run_invoker"],
  ])("given the logical name %s, then the variable is %s", (name, variable) => {
    expect(variableFor(name)).toBe(variable);
  });
});

describe.each(g.modes)("fixes in %s mode", (mode) => {
  it("given an account whose id (gcf-sa) differs from its logical name (account), then the fix uses the logical name's variable and says which account it is", async () => {
    const f = new g.Fixture(mode);
    const grading = g.service(f, "grading", { account: g.account(f, "grading-runtime") });
    g.fn(f, "gcf-function", { account: g.account(f, "gcf-sa", "account"), env: { GRADING_URL: grading.url } });
    const [fix] = await fixes(f);
    expect(fix).toContain("member: pulumi.interpolate`serviceAccount:${account.accountId}@${account.project}.iam.gserviceaccount.com`");
    expect(fix).toContain('(where account is the gcp.serviceaccount.Account "account", account id gcf-sa)');
    expect(fix).not.toContain("${gcf-sa");
  });

  it("given an account that leaves its project to the provider, then the member uses the provider's project (the account's is not known in preview)", async () => {
    const f = new g.Fixture(mode);
    const grading = g.service(f, "grading", { account: g.account(f, "grading-runtime") });
    g.fn(f, "caller", { account: g.account(f, "caller-sa", "caller-sa", null), env: { GRADING_URL: grading.url } });
    const [fix] = await fixes(f);
    if (mode === "preview") expect(fix).toContain("member: pulumi.interpolate`serviceAccount:${callerSa.accountId}@${gcp.config.project}.iam.gserviceaccount.com`");
    else expect(fix).toContain("member: pulumi.interpolate`serviceAccount:${callerSa.accountId}@${callerSa.project}.iam.gserviceaccount.com`");
  });

  it("given a literal email of an account outside the stack, then the member is written out", async () => {
    const f = new g.Fixture(mode);
    const grading = g.service(f, "grading", { account: g.account(f, "grading-runtime") });
    g.fn(f, "caller", { account: "runner@other-project.iam.gserviceaccount.com", env: { GRADING_URL: grading.url } });
    expect(await fixes(f)).toEqual([
      'grant roles/run.invoker on grading (us-west2) to serviceAccount:runner@other-project.iam.gserviceaccount.com: new gcp.cloudrunv2.ServiceIamMember("caller-invokes-grading", ' +
        '{ name: "grading", location: "us-west2", project: "nba-props-platform", role: "roles/run.invoker", member: "serviceAccount:runner@other-project.iam.gserviceaccount.com" })',
    ]);
  });

  it("given a gen2 event trigger with no account, then the fix names eventTrigger.serviceAccountEmail and a new account, never the default compute account", async () => {
    const f = new g.Fixture(mode);
    g.fn(f, "phase3-to-grading", { account: g.account(f, "p3g-runtime"), triggerAccount: null });
    const [fix] = await fixes(f);
    expect(fix).toContain(
      'give phase3-to-grading an account of its own: const phase3ToGradingInvoker = new gcp.serviceaccount.Account("phase3-to-grading-invoker", { accountId: "phase3-to-grading-invoker", project: "nba-props-platform" }); ' +
        "set eventTrigger.serviceAccountEmail to phase3ToGradingInvoker.email; then new gcp.cloudrunv2.ServiceIamMember(",
    );
    expect(fix).not.toContain("compute@developer.gserviceaccount.com");
  });

  it.each([true, false])("given a v1 callee that leaves project to the provider (provider settings sent: %s), then the fix writes the provider's project, or takes it from the callee's variable when not known", async (provider) => {
    const f = new g.Fixture(mode, { provider });
    const hello = f.add("gcp:cloudrun/service:Service", "default", { name: "hello", location: "us-central1", template: { spec: { containers: [{ image: "r/hello@sha256:" + "a".repeat(64) }] } } }, { statuses: [{ url: "https://hello-x7kq2mzp4a-uc.a.run.app" }], template: { spec: { serviceAccountName: g.defaultComputeEmail } } });
    g.pushSubscription(f, "hello-push", f.output(hello, "https://hello-x7kq2mzp4a-uc.a.run.app"), g.account(f, "pusher"));
    const [fix] = await fixes(f);
    if (mode === "preview" && !provider) {
      expect(fix).toContain('new gcp.cloudrun.IamMember("hello-push-invokes-hello", { service: "hello", location: "us-central1", project: _default.project, role: "roles/run.invoker"');
      expect(fix).toContain('(where _default is the cloudrun.Service "default")');
    } else {
      expect(fix).toContain('new gcp.cloudrun.IamMember("hello-push-invokes-hello", { service: "hello", location: "us-central1", project: "nba-props-platform", role: "roles/run.invoker"');
    }
  });

  it("given every kind of gap, then every fix has code to paste and no placeholder", async () => {
    const f = new g.Fixture(mode);
    const grading = g.service(f, "grading", { account: g.account(f, "grading-runtime") });
    g.fn(f, "env-caller", { account: g.account(f, "env-caller"), env: { GRADING_URL: grading.url } });
    g.fn(f, "no-account", { env: { GRADING_URL: grading.url } });
    g.pushSubscription(f, "push", grading.url);
    g.schedulerJob(f, "nightly", grading.url, g.account(f, "scheduler"));
    g.eventarcTrigger(f, "on-upload", { service: grading.nameOut, region: grading.locationOut });
    g.eventarcPipeline(f, "pipeline", grading.url, g.account(f, "pipeline-sa"));
    g.workflow(f, "wf", `- s:\n    call: http.get\n    args:\n      url: ${grading.runAppUrl}\n      auth:\n        type: OIDC\n`, { account: g.account(f, "wf-sa") });
    const all = await fixes(f);
    expect(all.length).toBeGreaterThanOrEqual(7);
    for (const fix of all) {
      expect(fix).toMatch(/new gcp\.(cloudrunv2\.ServiceIamMember|cloudrun\.IamMember)\("/);
      expect(fix).not.toMatch(/<[^>]*>/);
    }
  });
});
