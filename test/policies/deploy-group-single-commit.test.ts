// deploy-group-single-commit: the ops log's validation gap (phase 3 on a newer commit than phase 5) fails.
import { describe, expect, it } from "vitest";
import * as g from "../fixtures/gcp";
import { usePolicyPack, verdicts } from "../fixtures/pack";

const policy = "deploy-group-single-commit";
const pack = usePolicyPack();
const pipeline = (commit: string, extra: Record<string, string> = {}) => ({ ...g.labelsFor("pipeline", commit), ...extra });

function pipelineGroup(mode: g.Mode, workerCommit: string, workerExtra: Record<string, string> = {}) {
  const f = new g.Fixture(mode);
  const sa = g.account(f, "pipeline-runtime");
  g.service(f, "nba-phase3-analytics-processors", { account: sa, labels: pipeline("1a8bbcb1") });
  g.fn(f, "phase3-to-phase4", { account: sa, labels: pipeline("1a8bbcb1") });
  g.service(f, "prediction-worker", { account: sa, labels: pipeline(workerCommit, workerExtra) });
  g.service(f, "nba-scrapers", { account: sa, labels: { ...g.labelsFor("scrapers", "2de48c04") } });
  return f;
}

describe.each(g.modes)("deploy-group-single-commit in %s mode", (mode) => {
  it("given every workload of a group on one commit (and another group on its own), then no violation", async () => {
    expect(await verdicts(pack(), pipelineGroup(mode, "1a8bbcb1").resources, policy)).toEqual([]);
  });

  it("given one service of the group on an older commit, then a mandatory violation lists each commit and who runs it", async () => {
    const found = await verdicts(pack(), pipelineGroup(mode, "29130502").resources, policy);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ enforcementLevel: "mandatory", urn: "" });
    expect(found[0].message).toContain(
      "deploy group pipeline runs 2 commits: 1a8bbcb1 (nba-phase3-analytics-processors, phase3-to-phase4); 29130502 (prediction-worker). " +
        "Fix: set the whole group to one commit, or pin the odd one out with an override and its reason.",
    );
  });

  it("given a function of the group on another commit, then it counts like a service", async () => {
    const f = pipelineGroup(mode, "1a8bbcb1");
    g.fn(f, "phase4-to-phase5", { account: "x@p.iam.gserviceaccount.com", labels: pipeline("c84c5acd") });
    const found = await verdicts(pack(), f.resources, policy);
    expect(found.map((v) => v.message.split("\n")[1])).toEqual([
      "deploy group pipeline runs 2 commits: 1a8bbcb1 (nba-phase3-analytics-processors, phase3-to-phase4, prediction-worker); c84c5acd (phase4-to-phase5). " +
        "Fix: set the whole group to one commit, or pin the odd one out with an override and its reason.",
    ]);
  });

  it('given the odd one out carries commit-override: "true" (an override with a reason), then it is left out', async () => {
    expect(await verdicts(pack(), pipelineGroup(mode, "29130502", { "commit-override": "true" }).resources, policy)).toEqual([]);
  });
});
