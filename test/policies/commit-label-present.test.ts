// commit-label-present: drift reads what runs from the live commit label, so a workload without one is
// reported, advisory; either name the app and this stack have used counts.
import { describe, expect, it } from "vitest";
import * as g from "../fixtures/gcp";
import { usePolicyPack, verdicts } from "../fixtures/pack";

const policy = "commit-label-present";
const pack = usePolicyPack();
const registry = "us-west2-docker.pkg.dev/nba-props-platform/nba-pipeline";

describe.each(g.modes)("commit-label-present in %s mode", (mode) => {
  it("given a service labelled commit (the earlier name) and a function labelled commit-sha, then no violation", async () => {
    const f = new g.Fixture(mode);
    const runtime = g.account(f, "grading-runtime");
    g.service(f, "grading", { account: runtime });
    g.fn(f, "phase3-to-grading", { account: runtime, labels: { "commit-sha": "ede3ab89", "deploy-group": "grading", phase: "6" }, sourceObject: "phase3-to-grading/ede3ab89.zip" });
    expect(await verdicts(pack(), f.resources, policy)).toEqual([]);
  });

  it("given a service and a function with no commit label, then an advisory each, naming the label to set", async () => {
    const f = new g.Fixture(mode);
    const runtime = g.account(f, "grading-runtime");
    const service = g.service(f, "grading", { account: runtime, labels: {}, image: `${registry}/grading:ede3ab89` });
    const fn = g.fn(f, "phase3-to-grading", { account: runtime, labels: { "deploy-group": "grading" }, sourceObject: "phase3-to-grading/ede3ab89.zip" });
    const found = await verdicts(pack(), f.resources, policy);
    expect(found.map((v) => [v.enforcementLevel, v.urn])).toEqual([
      ["advisory", service.urn],
      ["advisory", fn.urn],
    ]);
    expect(found[0].message).toContain("grading: no commit-sha label, so drift cannot tell which commit runs. Fix: set labels.commit-sha to the commit its artifact names.");
  });
});
