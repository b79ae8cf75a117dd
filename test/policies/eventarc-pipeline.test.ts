// Eventarc Advanced pipelines (gcp.eventarc.Pipeline) as callers: an HTTP endpoint destination on a Cloud
// Run URL, delivered with a Google OIDC token of authenticationConfig.googleOidc.serviceAccount. Judged in
// both modes; a grant a pipeline needs is never called unused.
import { describe, expect, it } from "vitest";
import * as g from "../fixtures/gcp";
import { usePolicyPack, verdicts } from "../fixtures/pack";

const pack = usePolicyPack();

describe.each(g.modes)("an Eventarc pipeline in %s mode", (mode) => {
  function world() {
    const f = new g.Fixture(mode);
    const grading = g.service(f, "grading", { account: g.account(f, "grading-runtime") });
    const delivery = g.account(f, "pipeline-delivery");
    return { f, grading, delivery };
  }

  it("given an HTTP endpoint on a service's URL with a Google OIDC account and no grant, then a mandatory gap on the pipeline", async () => {
    const { f, grading, delivery } = world();
    const pipeline = g.eventarcPipeline(f, "scores-pipeline", grading.url, delivery);
    const found = await verdicts(pack(), f.resources, "caller-has-run-invoker");
    expect(found.map((v) => [v.enforcementLevel, v.urn])).toEqual([["mandatory", pipeline]]);
    expect(found[0].message).toContain("scores-pipeline calls grading (found by eventarc pipeline)");
  });

  it("given the grant to the pipeline's account, then granted, and no-unused-invoker-grant does not tell anyone to remove it", async () => {
    const { f, grading, delivery } = world();
    g.eventarcPipeline(f, "scores-pipeline", grading.url, delivery);
    g.grant(f, "cloudrunv2.ServiceIamMember", "pipeline-invokes-grading", grading, delivery.member);
    expect(await verdicts(pack(), f.resources, "caller-has-run-invoker")).toEqual([]);
    expect(await verdicts(pack(), f.resources, "no-unused-invoker-grant")).toEqual([]);
  });

  it("given a destination with a literal run.app URI (with a path), then the call is found by URL", async () => {
    const { f, grading, delivery } = world();
    g.eventarcPipeline(f, "scores-pipeline", `${grading.runAppUrl}/events`, delivery);
    expect((await verdicts(pack(), f.resources, "caller-has-run-invoker")).map((v) => v.message.split("\n").pop())).toEqual([
      expect.stringContaining("scores-pipeline calls grading (found by eventarc pipeline)"),
    ]);
  });

  it("given no authenticationConfig, then the unauthenticated call is a gap and the fix names the exact setting", async () => {
    const { f, grading } = world();
    g.eventarcPipeline(f, "scores-pipeline", grading.url);
    const found = await verdicts(pack(), f.resources, "caller-has-run-invoker");
    expect(found).toHaveLength(1);
    expect(found[0].message).toContain("as no identity (no OIDC token: the request is unauthenticated)");
    expect(found[0].message).toContain(
      'Fix: give scores-pipeline an account of its own: const scoresPipelineInvoker = new gcp.serviceaccount.Account("scores-pipeline-invoker", ' +
        '{ accountId: "scores-pipeline-invoker", project: "nba-props-platform" }); set destinations[0].authenticationConfig.googleOidc.serviceAccount to scoresPipelineInvoker.email; then new gcp.cloudrunv2.ServiceIamMember(',
    );
  });

  it("given an endpoint outside the stack (a private IP), then there is no call to judge", async () => {
    const { f, delivery } = world();
    g.eventarcPipeline(f, "scores-pipeline", "https://10.77.0.0:80/route", delivery);
    expect(await verdicts(pack(), f.resources, "caller-has-run-invoker")).toEqual([]);
  });
});
