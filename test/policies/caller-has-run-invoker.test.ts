// caller-has-run-invoker through the engine's protocol: every caller kind and every grant form, after
// `pulumi up` (values known) and during preview (new accounts' emails and services' names unknown).
import { describe, expect, it } from "vitest";
import type { PolicyPackSession } from "../../lib/analyzer";
import * as g from "../fixtures/gcp";
import { usePolicyPack, verdicts } from "../fixtures/pack";

const policy = "caller-has-run-invoker";
const pack = usePolicyPack();

/** The ops log's pair: phase3-to-grading calls grading with GRADING_URL, as its own account. */
function gradingWorld(mode: g.Mode, options: { provider?: boolean } = {}) {
  const f = new g.Fixture(mode, options);
  const grading = g.service(f, "grading", { account: g.account(f, "grading-runtime") });
  const caller = g.account(f, "phase3-to-grading");
  const fn = g.fn(f, "phase3-to-grading", { account: caller, env: { GRADING_URL: grading.url } });
  return { f, grading, caller, fn };
}

const gaps = (resources: Parameters<PolicyPackSession["analyze"]>[0]) => verdicts(pack(), resources, policy);

describe.each(g.modes)("caller-has-run-invoker in %s mode", (mode) => {
  describe("env var calls", () => {
    it("given a function whose env var holds the callee's URL and a grant to its account, then no gap", async () => {
      const { f, grading, caller } = gradingWorld(mode);
      g.grant(f, "cloudrunv2.ServiceIamMember", "p3g-invokes-grading", grading, caller.member);
      expect(await gaps(f.resources)).toEqual([]);
    });

    it("given the same without the grant, then a mandatory gap naming caller, identity, callee, how it was found and the fix", async () => {
      const { f, fn } = gradingWorld(mode);
      const found = await gaps(f.resources);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ enforcementLevel: "mandatory", urn: fn.urn });
      const email = "phase3-to-grading@nba-props-platform.iam.gserviceaccount.com";
      expect(found[0].message).toContain(`phase3-to-grading calls grading (found by env GRADING_URL) as `);
      expect(found[0].message).toContain(mode === "update" ? `as serviceAccount:${email}` : `as new service account ${email}`);
      // Pasteable: the callee's literal name, location and project, and the account by its variable, in the form known in preview.
      expect(found[0].message).toContain(
        `Fix: grant roles/run.invoker on grading (us-west2) to the account phase3-to-grading: new gcp.cloudrunv2.ServiceIamMember(` +
          `"phase3-to-grading-invokes-grading", { name: "grading", location: "us-west2", project: "nba-props-platform", role: "roles/run.invoker", ` +
          "member: pulumi.interpolate`serviceAccount:${phase3ToGrading.accountId}@${phase3ToGrading.project}.iam.gserviceaccount.com` }) " +
          '(where phase3ToGrading is the gcp.serviceaccount.Account "phase3-to-grading", account id phase3-to-grading)',
      );
    });

    it("given a service whose env var holds another service's URL and no grant, then the gap is reported on the calling service", async () => {
      const f = new g.Fixture(mode);
      const worker = g.service(f, "prediction-worker", { account: g.account(f, "prediction-worker") });
      const coordinator = g.service(f, "prediction-coordinator", { account: g.account(f, "prediction-coordinator"), env: { WORKER_URL: worker.url } });
      const found = await gaps(f.resources);
      expect(found.map((v) => v.urn)).toEqual([coordinator.urn]);
      expect(found[0].message).toContain("prediction-coordinator calls prediction-worker (found by env WORKER_URL)");
    });

    it.each([
      ["the deterministic https://NAME-NUMBER.REGION.run.app form", (w: g.WorkloadRef) => w.runAppUrl],
      ["the hashed https://NAME-HASH-REGIONCODE.a.run.app form", (w: g.WorkloadRef) => `${w.hashedUrl}/grade`],
    ])("given a literal URL in %s and no grant, then the call is found", async (_, urlOf) => {
      const f = new g.Fixture(mode);
      const grading = g.service(f, "grading", { account: g.account(f, "grading-runtime") });
      const caller = g.account(f, "phase3-to-grading");
      g.fn(f, "phase3-to-grading", { account: caller, env: { GRADING_URL: urlOf(grading) } });
      const found = await gaps(f.resources);
      expect(found).toHaveLength(1);
      expect(found[0].message).toContain("phase3-to-grading calls grading (found by env GRADING_URL)");
      g.grant(f, "cloudrunv2.ServiceIamMember", "grant", grading, caller.member);
      expect(await gaps(f.resources)).toEqual([]);
    });

    it("given a literal https://REGION-PROJECT.cloudfunctions.net/NAME URL of a gen2 function and no grant, then the call is found", async () => {
      const f = new g.Fixture(mode);
      g.fn(f, "grading-coverage-monitor", { account: g.account(f, "coverage-monitor") });
      g.service(f, "grading", {
        account: g.account(f, "grading-runtime"),
        env: { MONITOR_URL: `https://us-west2-nba-props-platform.cloudfunctions.net/grading-coverage-monitor` },
      });
      const found = await gaps(f.resources);
      expect(found).toHaveLength(1);
      expect(found[0].message).toContain("grading calls grading-coverage-monitor (found by env MONITOR_URL)");
    });

    it("given an env var that is a plain setting (no URL, no dependency), then it is not a call", async () => {
      const f = new g.Fixture(mode);
      g.service(f, "grading", { account: g.account(f, "grading-runtime") });
      g.fn(f, "phase3-to-grading", { account: g.account(f, "phase3-to-grading"), env: { LOG_LEVEL: "info", TARGET: "grading" } });
      expect(await gaps(f.resources)).toEqual([]);
    });
  });

  describe("other caller kinds", () => {
    it("given a push subscription with an OIDC account, then it needs a grant to that account", async () => {
      const f = new g.Fixture(mode);
      const worker = g.service(f, "prediction-worker", { account: g.account(f, "prediction-worker") });
      const pusher = g.account(f, "prediction-requests-push");
      const sub = g.pushSubscription(f, "prediction-worker-requests", worker.url, pusher);
      const found = await gaps(f.resources);
      expect(found.map((v) => v.urn)).toEqual([sub]);
      expect(found[0].message).toContain("prediction-worker-requests calls prediction-worker (found by push subscription)");
      g.grant(f, "cloudrunv2.ServiceIamMember", "grant", worker, pusher.member);
      expect(await gaps(f.resources)).toEqual([]);
    });

    it("given a push subscription without an OIDC token, then the unauthenticated call is a gap and the fix sets the token", async () => {
      const f = new g.Fixture(mode);
      const worker = g.service(f, "prediction-worker", { account: g.account(f, "prediction-worker") });
      g.pushSubscription(f, "prediction-worker-requests", worker.url);
      const found = await gaps(f.resources);
      expect(found).toHaveLength(1);
      expect(found[0].message).toContain("as no identity (no OIDC token: the request is unauthenticated)");
      expect(found[0].message).toContain(
        'Fix: give prediction-worker-requests an account of its own: const predictionWorkerRequInvoker = new gcp.serviceaccount.Account("prediction-worker-requ-invoker", ' +
          '{ accountId: "prediction-worker-requ-invoker", project: "nba-props-platform" }); set pushConfig.oidcToken.serviceAccountEmail to predictionWorkerRequInvoker.email; ' +
          'then new gcp.cloudrunv2.ServiceIamMember("prediction-worker-requests-invokes-prediction-worker", { name: "prediction-worker", ',
      );
    });

    it("given a Cloud Scheduler HTTP job with an OIDC account, then it needs a grant to that account", async () => {
      const f = new g.Fixture(mode);
      const scrapers = g.service(f, "nba-scrapers", { account: g.account(f, "nba-scrapers") });
      const scheduler = g.account(f, "nba-scrapers-scheduler");
      const job = g.schedulerJob(f, "nba-scrapers-morning", f.interpolate("", scrapers.url), scheduler);
      const found = await gaps(f.resources);
      expect(found.map((v) => v.urn)).toEqual([job]);
      expect(found[0].message).toContain("nba-scrapers-morning calls nba-scrapers (found by scheduler job)");
      g.grant(f, "cloudrunv2.ServiceIamBinding", "grant", scrapers, scheduler.member);
      expect(await gaps(f.resources)).toEqual([]);
    });

    it("given an Eventarc trigger delivering to a service as its account, then it needs a grant to that account", async () => {
      const f = new g.Fixture(mode);
      const grading = g.service(f, "grading", { account: g.account(f, "grading-runtime") });
      const eventarc = g.account(f, "grading-eventarc");
      const trigger = g.eventarcTrigger(f, "grading-on-upload", { service: grading.nameOut, region: grading.locationOut }, eventarc);
      const found = await gaps(f.resources);
      expect(found.map((v) => v.urn)).toEqual([trigger]);
      expect(found[0].message).toContain("grading-on-upload calls grading (found by eventarc trigger)");
      g.grant(f, "cloudrun.IamMember", "grant", grading, eventarc.member);
      expect(await gaps(f.resources)).toEqual([]);
    });

    it("given a gen2 function's event trigger with its own account, then that account needs a grant on the function itself", async () => {
      const f = new g.Fixture(mode);
      const trigger = g.account(f, "phase3-to-grading-trigger");
      const fn = g.fn(f, "phase3-to-grading", { account: g.account(f, "phase3-to-grading"), triggerAccount: trigger });
      const found = await gaps(f.resources);
      expect(found.map((v) => v.urn)).toEqual([fn.urn]);
      expect(found[0].message).toContain("phase3-to-grading calls phase3-to-grading (found by event trigger)");
      g.grant(f, "cloudrunv2.ServiceIamMember", "grant", fn, trigger.member);
      expect(await gaps(f.resources)).toEqual([]);
    });
  });

  describe("grant forms", () => {
    it.each(g.grantForms)("given a grant as %s, then the call is granted", async (form) => {
      const { f, grading, caller } = gradingWorld(mode);
      // An IAM policy is a JSON document: written with the literal email, as such documents are.
      const member = form.endsWith("Policy") ? `serviceAccount:${caller.emailAddress}` : caller.member;
      g.grant(f, form, "grant", grading, member);
      expect(await gaps(f.resources)).toEqual([]);
    });

    it("given a v1 cloudrun.IamMember written with the service's literal name, location and project, then it grants the v2 service", async () => {
      const { f, caller } = gradingWorld(mode);
      g.grant(f, "cloudrun.IamMember", "grant", { name: "grading", location: "us-west2", project: g.project }, caller.member);
      expect(await gaps(f.resources)).toEqual([]);
    });

    it("given a grant that leaves its project and location to the provider, then it counts in both modes: in preview they are the provider's settings, which the engine sends", async () => {
      const { f, caller } = gradingWorld(mode);
      g.grant(f, "cloudrun.IamMember", "grant", { name: "grading" }, caller.member);
      expect(await gaps(f.resources)).toEqual([]);
    });

    it("given the same without the provider's settings (a state file may lack them), then it counts after up, and during preview (both unknown) it does not, and the fix says why", async () => {
      const { f, caller } = gradingWorld(mode, { provider: false });
      g.grant(f, "cloudrun.IamMember", "grant", { name: "grading" }, caller.member);
      const found = await gaps(f.resources);
      if (mode === "update") {
        expect(found).toEqual([]);
      } else {
        expect(found).toHaveLength(1);
        expect(found[0].message).toContain(
          "Note: cloudrun.IamMember grant leaves its project and location to the provider, which fills them in only at deploy: set project and location so the grant can be checked during preview",
        );
      }
    });

    it("given a callee with invokerIamDisabled, then no grant is needed", async () => {
      const f = new g.Fixture(mode);
      const grading = g.service(f, "grading", { account: g.account(f, "grading-runtime"), invokerIamDisabled: true });
      g.fn(f, "phase3-to-grading", { account: g.account(f, "phase3-to-grading"), env: { GRADING_URL: grading.url } });
      expect(await gaps(f.resources)).toEqual([]);
    });

    it("given roles/cloudfunctions.invoker on a gen2 function, then the call is a gap and the message says why that role does not count", async () => {
      const f = new g.Fixture(mode);
      const monitor = g.fn(f, "grading-coverage-monitor", { account: g.account(f, "coverage-monitor") });
      const scheduler = g.account(f, "coverage-monitor-scheduler");
      g.schedulerJob(f, "coverage-monitor-daily", monitor.url, scheduler);
      g.functionIamMember(f, "monitor-invoker", monitor, scheduler.member);
      const found = await gaps(f.resources);
      expect(found).toHaveLength(1);
      expect(found[0].message).toContain("coverage-monitor-daily calls grading-coverage-monitor (found by scheduler job)");
      expect(found[0].message).toContain(
        "cloudfunctionsv2.FunctionIamMember monitor-invoker grants roles/cloudfunctions.invoker on the Cloud Functions resource (roles/cloudfunctions.invoker is the 1st-gen role",
      );
    });

    it.each([
      ["to another account", (w: ReturnType<typeof gradingWorld>) => g.grant(w.f, "cloudrunv2.ServiceIamMember", "grant", w.grading, g.account(w.f, "someone-else").member)],
      ["on another service", (w: ReturnType<typeof gradingWorld>) => g.grant(w.f, "cloudrunv2.ServiceIamMember", "grant", g.service(w.f, "other", { account: "x@p.iam.gserviceaccount.com" }), w.caller.member)],
      ["in another location", (w: ReturnType<typeof gradingWorld>) => g.grant(w.f, "cloudrun.IamMember", "grant", { name: "grading", location: "us-east1" }, w.caller.member)],
      ["of another role", (w: ReturnType<typeof gradingWorld>) => g.grant(w.f, "cloudrunv2.ServiceIamMember", "grant", w.grading, w.caller.member, "roles/run.viewer")],
    ])("given the only grant %s, then the call is a gap", async (_, misgrant) => {
      const world = gradingWorld(mode);
      misgrant(world);
      const found = await gaps(world.f.resources);
      expect(found).toHaveLength(1);
      expect(found[0].message).toContain("phase3-to-grading calls grading (found by env GRADING_URL)");
    });
  });

  describe("members of a grant to a new account", () => {
    // During preview the account's email is unknown, and Pulumi sends any string made from it wholly unknown
    // (the Node SDK serializes an Output that is not known as the unknown sentinel, whatever its literal
    // parts): the member's dependency names the account, but not whether it is `serviceAccount:EMAIL`.
    it.each([
      ["user:EMAIL", (w: ReturnType<typeof gradingWorld>) => w.f.interpolate("user:", w.caller.email)],
      ["the bare email", (w: ReturnType<typeof gradingWorld>) => w.caller.email],
    ])("given the member written as %s, then the call is a gap in update and in preview alike", async (_, memberOf) => {
      const world = gradingWorld(mode);
      g.grant(world.f, "cloudrunv2.ServiceIamMember", "grant", world.grading, memberOf(world));
      const found = await gaps(world.f.resources);
      expect(found).toHaveLength(1);
      expect(found[0].message).toContain("phase3-to-grading calls grading (found by env GRADING_URL)");
    });

    it("given serviceAccount:${account.email} and assumeServiceAccountMembers, then it counts in both modes; user:EMAIL still fails once known", async () => {
      await pack().configure({ source: "test", values: { [policy]: { assumeServiceAccountMembers: true } } });
      try {
        const world = gradingWorld(mode);
        g.grant(world.f, "cloudrunv2.ServiceIamMember", "grant", world.grading, world.f.interpolate("serviceAccount:", world.caller.email));
        expect(await gaps(world.f.resources)).toEqual([]);
        const wrong = gradingWorld(mode);
        g.grant(wrong.f, "cloudrunv2.ServiceIamMember", "grant", wrong.grading, wrong.f.interpolate("user:", wrong.caller.email));
        // The documented price of the setting: in preview user:EMAIL looks the same and passes; after up it is judged as written.
        expect(await gaps(wrong.f.resources)).toHaveLength(mode === "update" ? 1 : 0);
      } finally {
        await pack().configure();
      }
    });

    it("given serviceAccount:${account.email}, then it counts after up; during preview it cannot (unknown, like the forms that are not grants), and the fix writes it from the account's id and project", async () => {
      const world = gradingWorld(mode);
      g.grant(world.f, "cloudrunv2.ServiceIamMember", "grant", world.grading, world.f.interpolate("serviceAccount:", world.caller.email));
      const found = await gaps(world.f.resources);
      if (mode === "update") {
        expect(found).toEqual([]);
      } else {
        expect(found).toHaveLength(1);
        // Not "lacks": the grant may well be right; it cannot be shown before deploy.
        expect(found[0].message).toContain(
          "whose roles/run.invoker on grading cannot be shown before deploy: cloudrunv2.ServiceIamMember grant names its account through a member not known until deploy. Fix:",
        );
        expect(found[0].message).toContain(
          "Note: cloudrunv2.ServiceIamMember grant has a member not known until deploy (from new service account phase3-to-grading): " +
            "during preview it could as well be user:EMAIL or the bare email, which grant nothing; write it as " +
            "member: pulumi.interpolate`serviceAccount:${phase3ToGrading.accountId}@${phase3ToGrading.project}.iam.gserviceaccount.com` " +
            '(where phase3ToGrading is the gcp.serviceaccount.Account "phase3-to-grading", account id phase3-to-grading), which is known before deploy',
        );
      }
    });

    it("given serviceAccount:ID@PROJECT.iam.gserviceaccount.com made from the account's own id and project, then it is known in preview too and counts in both modes", async () => {
      const world = gradingWorld(mode);
      expect(world.caller.member.value).toBe(`serviceAccount:${world.caller.emailAddress}`);
      expect(world.caller.member.deps).toEqual([world.caller.urn]);
      g.grant(world.f, "cloudrunv2.ServiceIamMember", "grant", world.grading, world.caller.member);
      expect(await gaps(world.f.resources)).toEqual([]);
    });
  });

  describe("identities", () => {
    it("given a caller with no account and a grant to the default compute account, then the call is granted once GCP has named that account", async () => {
      const f = new g.Fixture(mode);
      const grading = g.service(f, "grading", { account: g.account(f, "grading-runtime") });
      g.fn(f, "phase3-to-grading", { env: { GRADING_URL: grading.url } });
      g.grant(f, "cloudrunv2.ServiceIamMember", "grant", grading, `serviceAccount:${g.defaultComputeEmail}`);
      const found = await gaps(f.resources);
      if (mode === "update") {
        expect(found).toEqual([]);
      } else {
        // The provider computes the account GCP will use: during preview it is unknown, and unknown is never granted.
        expect(found).toHaveLength(1);
        expect(found[0].message).toContain("as an account not known until deploy and not from a service account in this stack (serviceConfig)");
      }
    });

    it("given a caller whose account is not known during preview and does not come from an account in the stack, then it is a gap, never a pass", async () => {
      const f = new g.Fixture(mode);
      const grading = g.service(f, "grading", { account: g.account(f, "grading-runtime") });
      const secret = f.add("gcp:secretmanager/secretVersion:SecretVersion", "runtime-email", { secretData: "x" });
      g.fn(f, "phase3-to-grading", { account: f.output(secret, "phase3-to-grading@nba-props-platform.iam.gserviceaccount.com"), env: { GRADING_URL: grading.url } });
      g.grant(f, "cloudrunv2.ServiceIamMember", "grant", grading, "serviceAccount:phase3-to-grading@nba-props-platform.iam.gserviceaccount.com");
      const found = await gaps(f.resources);
      if (mode === "update") expect(found).toEqual([]);
      else expect(found[0].message).toContain("as an account not known until deploy and not from a service account in this stack");
    });
  });
});

describe("caller-has-run-invoker during preview, with unknowns everywhere", () => {
  it("given the grant's member is not known and not from an account in the stack, then it does not count", async () => {
    const { f, grading } = gradingWorld("preview");
    const other = f.add("gcp:secretmanager/secretVersion:SecretVersion", "member", { secretData: "x" });
    g.grant(f, "cloudrunv2.ServiceIamMember", "grant", grading, f.output(other, "serviceAccount:x@y.iam.gserviceaccount.com"));
    const found = await gaps(f.resources);
    expect(found).toHaveLength(1);
    expect(found[0].message).toContain("has a member not known until deploy and not from a service account in this stack");
  });

  it("given the grant's service name is not known and not from the callee, then it does not count", async () => {
    const { f, caller } = gradingWorld("preview");
    const elsewhere = f.add("gcp:secretmanager/secretVersion:SecretVersion", "name", { secretData: "x" });
    f.add("gcp:cloudrunv2/serviceIamMember:ServiceIamMember", "grant", {
      name: f.output(elsewhere, "grading"),
      location: g.region,
      role: g.invoker,
      member: caller.member,
    });
    const found = await gaps(f.resources);
    expect(found).toHaveLength(1);
    expect(found[0].message).toContain("phase3-to-grading calls grading (found by env GRADING_URL)");
  });

  it("given a push subscription whose whole OIDC token is not known yet, then its account is found by dependency, not taken as no token", async () => {
    const f = new g.Fixture("preview");
    const worker = g.service(f, "prediction-worker", { account: g.account(f, "prediction-worker") });
    const pusher = g.account(f, "prediction-requests-push");
    f.add("gcp:pubsub/subscription:Subscription", "prediction-worker-requests", {
      name: "prediction-worker-requests",
      pushConfig: { pushEndpoint: worker.url, oidcToken: f.output(pusher.urn, { serviceAccountEmail: pusher.emailAddress }) },
    });
    const found = await gaps(f.resources);
    expect(found).toHaveLength(1);
    expect(found[0].message).toContain(`prediction-worker-requests calls prediction-worker (found by push subscription) as new service account ${pusher.emailAddress}`);
    g.grant(f, "cloudrunv2.ServiceIamMember", "grant", worker, pusher.member);
    expect(await gaps(f.resources)).toEqual([]);
  });

  it("given projectNumber in the policy config, then an Eventarc trigger with no account (the provider leaves it unset) is judged during preview", async () => {
    const f = new g.Fixture("preview");
    const grading = g.service(f, "grading", { account: g.account(f, "grading-runtime") });
    g.eventarcTrigger(f, "grading-on-upload", { service: grading.nameOut, region: grading.locationOut });
    const configured = { source: "test", values: { [policy]: { projectNumber: g.projectNumber } } };
    await pack().configure(configured);
    try {
      const found = await gaps(f.resources);
      expect(found).toHaveLength(1);
      expect(found[0].message).toContain(
        `as default compute account ${g.defaultComputeEmail} (no service account set; project number from policy config projectNumber)`,
      );
      g.grant(f, "cloudrunv2.ServiceIamMember", "grant", grading, `serviceAccount:${g.defaultComputeEmail}`);
      expect(await gaps(f.resources)).toEqual([]);
    } finally {
      await pack().configure();
    }
  });
});
