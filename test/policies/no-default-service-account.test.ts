// no-default-service-account: workloads, triggers and jobs with no account (or the default compute or
// App Engine account) are reported, advisory.
import { describe, expect, it } from "vitest";
import * as g from "../fixtures/gcp";
import { usePolicyPack, verdicts } from "../fixtures/pack";

const policy = "no-default-service-account";
const pack = usePolicyPack();

describe.each(g.modes)("no-default-service-account in %s mode", (mode) => {
  it("given every workload, trigger and job on a dedicated account, then no violation", async () => {
    const f = new g.Fixture(mode);
    const grading = g.service(f, "grading", { account: g.account(f, "grading-runtime") });
    g.fn(f, "phase3-to-grading", { account: g.account(f, "phase3-to-grading"), triggerAccount: g.account(f, "phase3-to-grading-trigger") });
    g.schedulerJob(f, "grading-nightly", grading.url, g.account(f, "grading-scheduler"));
    expect(await verdicts(pack(), f.resources, policy)).toEqual([]);
  });

  it("given a service with no account set, then an advisory violation says it runs as the default compute account", async () => {
    const f = new g.Fixture(mode);
    const grading = g.service(f, "grading");
    const found = await verdicts(pack(), f.resources, policy);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ enforcementLevel: "advisory", urn: grading.urn });
    expect(found[0].message).toContain(
      mode === "update"
        ? `grading (service) runs as serviceAccount:${g.defaultComputeEmail}.`
        : // The provider computes the account: during preview it is unknown, and the policy says what GCP will use.
          "grading (service) runs as an account not known until deploy and not from a service account in this stack (template); where none is set, GCP runs it as the default compute account.",
    );
    expect(found[0].message).toContain("Fix: give it a dedicated service account with only the roles it needs.");
  });

  it.each([
    ["a function set to the default compute account", (f: g.Fixture) => g.fn(f, "phase3-to-grading", { account: g.defaultComputeEmail }), `phase3-to-grading (function) runs as serviceAccount:${g.defaultComputeEmail}`],
    ["an event trigger with no account", (f: g.Fixture) => g.fn(f, "phase3-to-grading", { account: g.account(f, "p3g"), triggerAccount: null }), "phase3-to-grading (event trigger) runs as"],
    [
      "a scheduler job as the App Engine account",
      (f: g.Fixture) => g.schedulerJob(f, "grading-nightly", g.service(f, "grading", { account: g.account(f, "grading-runtime") }).url, "nba-props-platform@appspot.gserviceaccount.com"),
      "grading-nightly (scheduler job) runs as serviceAccount:nba-props-platform@appspot.gserviceaccount.com",
    ],
  ])("given %s, then a violation", async (_, build, fragment) => {
    const f = new g.Fixture(mode);
    build(f);
    const found = await verdicts(pack(), f.resources, policy);
    expect(found).toHaveLength(1);
    expect(found[0].message).toContain(fragment);
  });
});
