// image-pinned-to-commit: images by commit tag or digest, function source NAME/COMMIT.zip, and a commit
// label that agrees. Values are stack config literals, so preview and update judge alike.
import { describe, expect, it } from "vitest";
import * as g from "../fixtures/gcp";
import { usePolicyPack, verdicts } from "../fixtures/pack";

const policy = "image-pinned-to-commit";
const pack = usePolicyPack();
const registry = "us-west2-docker.pkg.dev/nba-props-platform/nba-pipeline";

function pinned(mode: g.Mode) {
  const f = new g.Fixture(mode);
  const runtime = g.account(f, "grading-runtime");
  return { f, runtime };
}

describe.each(g.modes)("image-pinned-to-commit in %s mode", (mode) => {
  it("given a service on REGISTRY/NAME:COMMIT and a function on NAME/COMMIT.zip, both labelled with that commit, then no violation", async () => {
    const { f, runtime } = pinned(mode);
    g.service(f, "grading", { account: runtime });
    g.fn(f, "phase3-to-grading", { account: runtime });
    expect(await verdicts(pack(), f.resources, policy)).toEqual([]);
  });

  it("given an image by digest, then no violation", async () => {
    const { f, runtime } = pinned(mode);
    g.service(f, "grading", { account: runtime, image: `${registry}/grading@sha256:${"a".repeat(64)}` });
    expect(await verdicts(pack(), f.resources, policy)).toEqual([]);
  });

  it.each([
    ["the mutable tag latest", `${registry}/grading:latest`, `grading: image ${registry}/grading:latest uses the mutable tag "latest"`],
    ["a version tag", `${registry}/grading:v2`, `uses the mutable tag "v2"`],
    ["no tag", `${registry}/grading`, `grading: image ${registry}/grading has no tag, which means the mutable tag latest`],
  ])("given an image with %s, then a mandatory violation with the fix", async (_, image, fragment) => {
    const { f, runtime } = pinned(mode);
    const grading = g.service(f, "grading", { account: runtime, image });
    const found = await verdicts(pack(), f.resources, policy);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ enforcementLevel: "mandatory", urn: grading.urn });
    expect(found[0].message).toContain(fragment);
    expect(found[0].message).toContain("Fix: deploy REGISTRY/NAME:COMMIT (the git SHA it was built from) or a digest (@sha256:…)");
  });

  it("given a commit label that disagrees with the image tag, then a violation names both commits", async () => {
    const { f, runtime } = pinned(mode);
    g.service(f, "grading", { account: runtime, image: `${registry}/grading:29130502` });
    const found = await verdicts(pack(), f.resources, policy);
    // Both the service's and the revision's label say ede3ab89.
    expect(found.map((v) => v.message.split("\n")[1])).toEqual([
      `grading: label commit=ede3ab89 but its image ${registry}/grading:29130502 names commit 29130502. Fix: set commit-sha from the same commit as the artifact.`,
      `grading: label commit=ede3ab89 but its image ${registry}/grading:29130502 names commit 29130502. Fix: set commit-sha from the same commit as the artifact.`,
    ]);
  });

  it("given a service without a commit label, then the artifact is still judged pinned: no violation here (commit-label-present advises)", async () => {
    const { f, runtime } = pinned(mode);
    g.service(f, "grading", { account: runtime, labels: {}, image: `${registry}/grading:ede3ab89` });
    expect(await verdicts(pack(), f.resources, policy)).toEqual([]);
  });

  it("given the app's commit-sha label with the 7-character tag its build pushes, then the label agrees with the longer SHA and there is no violation", async () => {
    const { f, runtime } = pinned(mode);
    const labels = { "commit-sha": "ede3ab89", "deploy-group": "grading", phase: "6" };
    g.service(f, "grading", { account: runtime, labels, image: `${registry}/grading:ede3ab8` });
    expect(await verdicts(pack(), f.resources, policy)).toEqual([]);
  });

  it("given a commit-sha label that names another commit than the image, then the violation names that label", async () => {
    const { f, runtime } = pinned(mode);
    const labels = { "commit-sha": "29130502", "deploy-group": "grading", phase: "6" };
    g.service(f, "grading", { account: runtime, labels, image: `${registry}/grading:ede3ab8` });
    const found = await verdicts(pack(), f.resources, policy);
    expect(found.map((v) => v.message.split("\n")[1])).toEqual([
      `grading: label commit-sha=29130502 but its image ${registry}/grading:ede3ab8 names commit ede3ab8. Fix: set commit-sha from the same commit as the artifact.`,
      `grading: label commit-sha=29130502 but its image ${registry}/grading:ede3ab8 names commit ede3ab8. Fix: set commit-sha from the same commit as the artifact.`,
    ]);
  });

  it("given function source that is not NAME/COMMIT.zip, then a violation", async () => {
    const { f, runtime } = pinned(mode);
    const fn = g.fn(f, "phase3-to-grading", { account: runtime, sourceObject: "phase3-to-grading/latest.zip" });
    const found = await verdicts(pack(), f.resources, policy);
    expect(found).toHaveLength(1);
    expect(found[0].urn).toBe(fn.urn);
    expect(found[0].message).toContain(
      "phase3-to-grading: source gs://nba-props-platform-function-source/phase3-to-grading/latest.zip is not pinned to a commit. Fix: build from gs://BUCKET/NAME/COMMIT.zip",
    );
  });

  it("given a function whose commit label disagrees with its source object, then a violation", async () => {
    const { f, runtime } = pinned(mode);
    g.fn(f, "phase3-to-grading", { account: runtime, sourceObject: "phase3-to-grading/19722f5c.zip" });
    const found = await verdicts(pack(), f.resources, policy);
    expect(found.map((v) => v.message.split("\n")[1])).toEqual([
      "phase3-to-grading: label commit=ede3ab89 but its source gs://nba-props-platform-function-source/phase3-to-grading/19722f5c.zip names commit 19722f5c. Fix: set commit-sha from the same commit as the artifact.",
    ]);
  });
});

describe("image-pinned-to-commit during preview", () => {
  it("given an image not known until deploy, then the others are still checked, and it gets the SDK's advisory", async () => {
    const f = new g.Fixture("preview");
    const build = f.add("docker-build:index:Image", "grading-image", { tags: ["grading"] }, { ref: "x" });
    g.service(f, "grading", { account: "grading@p.iam.gserviceaccount.com", image: f.output(build, "x") });
    g.service(f, "worker", { account: "worker@p.iam.gserviceaccount.com", image: `${registry}/worker:latest` });
    const found = await verdicts(pack(), f.resources, policy);
    expect(found.map((v) => v.enforcementLevel)).toEqual(["mandatory", "advisory"]);
    expect(found[0].message).toContain('worker: image us-west2-docker.pkg.dev/nba-props-platform/nba-pipeline/worker:latest uses the mutable tag "latest"');
    expect(found[1].message).toContain("can't run policy 'image-pinned-to-commit' from policy pack 'nba-pipeline-policies@v0.2.0' during preview");
  });
});
