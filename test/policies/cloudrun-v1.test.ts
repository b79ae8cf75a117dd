// The older-style Cloud Run service (gcp.cloudrun.Service, the v1 Admin API) as callee and as caller, with
// its v1 IAM grants, in both modes: after `up` (statuses[0].url, template.spec.serviceAccountName known) and
// during preview (both computed by the provider, so unknown unless the program sets them).
import { describe, expect, it } from "vitest";
import * as g from "../fixtures/gcp";
import { usePolicyPack, verdicts } from "../fixtures/pack";

const pack = usePolicyPack();
const gaps = (f: g.Fixture) => verdicts(pack(), f.resources, "caller-has-run-invoker");

describe.each(g.modes)("a v1 Cloud Run service in %s mode", (mode) => {
  describe("as callee", () => {
    function world() {
      const f = new g.Fixture(mode);
      const hello = g.serviceV1(f, "hello", { account: g.account(f, "hello-runtime") });
      const caller = g.account(f, "caller");
      const fn = g.fn(f, "caller", { account: caller, env: { HELLO_URL: hello.url } });
      return { f, hello, caller, fn };
    }

    it("given a function whose env holds the v1 service's statuses[0].url and no grant, then a mandatory gap whose fix is a gcp.cloudrun.IamMember", async () => {
      const { f, fn } = world();
      const found = await gaps(f);
      expect(found.map((v) => [v.enforcementLevel, v.urn])).toEqual([["mandatory", fn.urn]]);
      expect(found[0].message).toContain("caller calls hello (found by env HELLO_URL)");
      expect(found[0].message).toContain('new gcp.cloudrun.IamMember("caller-invokes-hello", { service: "hello", location: "us-west2", project: "nba-props-platform", role: "roles/run.invoker"');
    });

    it.each(["cloudrun.IamMember", "cloudrun.IamBinding", "cloudrun.IamPolicy", "cloudrunv2.ServiceIamMember", "projects.IAMMember"] as const)(
      "given a %s grant to the caller, then the call is granted",
      async (form) => {
        const { f, hello, caller } = world();
        g.grant(f, form, "grant", hello, form.endsWith("Policy") ? `serviceAccount:${caller.emailAddress}` : caller.member);
        expect(await gaps(f)).toEqual([]);
      },
    );

    it("given a push subscription to its statuses[0].url with an OIDC account and a v1 binding, then granted; without the binding, a gap", async () => {
      const f = new g.Fixture(mode);
      const hello = g.serviceV1(f, "hello", { account: g.account(f, "hello-runtime") });
      const pusher = g.account(f, "pusher");
      const sub = g.pushSubscription(f, "hello-push", hello.url, pusher);
      expect((await gaps(f)).map((v) => v.urn)).toEqual([sub]);
      g.grant(f, "cloudrun.IamBinding", "binding", hello, pusher.member);
      expect(await gaps(f)).toEqual([]);
    });

    it("given the run.googleapis.com/invoker-iam-disabled annotation, then no grant is needed and no-public-invoker names it", async () => {
      const f = new g.Fixture(mode);
      const hello = g.serviceV1(f, "hello", { account: g.account(f, "hello-runtime"), invokerIamDisabled: true });
      g.fn(f, "caller", { account: g.account(f, "caller"), env: { HELLO_URL: hello.url } });
      expect(await gaps(f)).toEqual([]);
      const open = await verdicts(pack(), f.resources, "no-public-invoker");
      expect(open.map((v) => v.urn)).toEqual([hello.urn]);
    });

    it("given an allUsers v1 IamMember, then no-public-invoker reports it on the v1 service", async () => {
      const f = new g.Fixture(mode);
      const hello = g.serviceV1(f, "hello", { account: g.account(f, "hello-runtime") });
      const grant = g.grant(f, "cloudrun.IamMember", "hello-everyone", hello, "allUsers");
      const found = await verdicts(pack(), f.resources, "no-public-invoker");
      expect(found.map((v) => v.urn)).toEqual([grant]);
      expect(found[0].message).toContain("cloudrun.IamMember hello-everyone grants roles/run.invoker to allUsers on hello: anyone can call it.");
    });
  });

  describe("as caller", () => {
    it("given a v1 service whose env holds a v2 service's URL, as its template.spec.serviceAccountName, then it needs a grant to that account", async () => {
      const f = new g.Fixture(mode);
      const grading = g.service(f, "grading", { account: g.account(f, "grading-runtime") });
      const runtime = g.account(f, "hello-runtime");
      const hello = g.serviceV1(f, "hello", { account: runtime, env: { GRADING_URL: grading.url } });
      const found = await gaps(f);
      expect(found.map((v) => v.urn)).toEqual([hello.urn]);
      expect(found[0].message).toContain("hello calls grading (found by env GRADING_URL)");
      g.grant(f, "cloudrunv2.ServiceIamMember", "grant", grading, runtime.member);
      expect(await gaps(f)).toEqual([]);
    });

    it("given a v1 service that sets no account, then during preview the call is a gap (the provider fills the account in at deploy), and after up it runs as the default compute account", async () => {
      const f = new g.Fixture(mode);
      const grading = g.service(f, "grading", { account: g.account(f, "grading-runtime") });
      g.serviceV1(f, "hello", { env: { GRADING_URL: grading.url } });
      const found = await gaps(f);
      expect(found).toHaveLength(1);
      if (mode === "preview") expect(found[0].message).toContain("as an account not known until deploy and not from a service account in this stack (template)");
      else expect(found[0].message).toContain(`as serviceAccount:${g.defaultComputeEmail}`);
      const defaults = await verdicts(pack(), f.resources, "no-default-service-account");
      expect(defaults.map((v) => v.message.split("\n").pop())).toEqual([expect.stringContaining("hello (service) runs as")]);
    });
  });

  describe("its image", () => {
    it("given a v1 service on a mutable tag, then image-pinned-to-commit fails it, reading template.spec.containers", async () => {
      const f = new g.Fixture(mode);
      const hello = g.serviceV1(f, "hello", { account: "hello@p.iam.gserviceaccount.com", image: "gcr.io/cloudrun/hello" });
      const found = await verdicts(pack(), f.resources, "image-pinned-to-commit");
      expect(found.map((v) => [v.enforcementLevel, v.urn])).toEqual([["mandatory", hello.urn]]);
      expect(found[0].message).toContain("hello: image gcr.io/cloudrun/hello has no tag, which means the mutable tag latest");
    });

    it("given a v1 service pinned to its commit and labelled with it in metadata, then no image or label violation", async () => {
      const f = new g.Fixture(mode);
      g.serviceV1(f, "hello", { account: "hello@p.iam.gserviceaccount.com" });
      expect(await verdicts(pack(), f.resources, "image-pinned-to-commit")).toEqual([]);
      expect(await verdicts(pack(), f.resources, "commit-label-present")).toEqual([]);
    });

    it("given a v1 service whose metadata label names another commit than its image, then the violation names that label", async () => {
      const f = new g.Fixture(mode);
      g.serviceV1(f, "hello", { account: "hello@p.iam.gserviceaccount.com", image: "r/hello:29130502" });
      const found = await verdicts(pack(), f.resources, "image-pinned-to-commit");
      expect(found.map((v) => v.message.split("\n").pop())).toContain(
        "hello: label commit=ede3ab89 but its image r/hello:29130502 names commit 29130502. Fix: set commit-sha from the same commit as the artifact.",
      );
    });
  });
});
