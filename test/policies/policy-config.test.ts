// The settings that let stacks with other conventions use the pack: image rules (tagPattern, allowedImages,
// immutable Artifact Registry repositories, sourceObjectPattern; a digest always pinned), public services
// by URN, logical name or service name, and the names of the commit and deploy-group labels. Each holds in
// both modes; the defaults are this repository's conventions.
import { describe, expect, it } from "vitest";
import type { EngineResource } from "../../lib/resources";
import * as g from "../fixtures/gcp";
import { usePolicyPack, verdicts } from "../fixtures/pack";

const pack = usePolicyPack();

async function judged(policy: string, settings: Record<string, unknown>, resources: readonly EngineResource[]) {
  await pack().configure({ source: "policy.json", values: { [policy]: settings } });
  try {
    return await verdicts(pack(), resources, policy);
  } finally {
    await pack().configure();
  }
}

const images = "image-pinned-to-commit";

describe.each(g.modes)("image-pinned-to-commit settings in %s mode", (mode) => {
  const withImage = (image: string, labels?: Record<string, string>) => {
    const f = new g.Fixture(mode);
    g.service(f, "web", { account: "web@p.iam.gserviceaccount.com", image, ...(labels ? { labels } : {}) });
    return f;
  };

  it("given a digest beside a mutable tag, then it is pinned (the digest decides), with the defaults", async () => {
    expect(await verdicts(pack(), withImage(`gcr.io/p/web:latest@sha256:${"b".repeat(64)}`).resources, images)).toEqual([]);
  });

  it("given tagPattern for semantic versions, then v1.2.3 is pinned and latest still is not; the fix names the pattern", async () => {
    const settings = { tagPattern: "^v\\d+\\.\\d+\\.\\d+$" };
    expect(await judged(images, settings, withImage("gcr.io/p/web:v1.2.3", {}).resources)).toEqual([]);
    const found = await judged(images, settings, withImage("gcr.io/p/web:latest", {}).resources);
    expect(found).toHaveLength(1);
    expect(found[0].message).toContain('uses the mutable tag "latest". Fix: deploy REGISTRY/NAME:COMMIT (the git SHA it was built from) or a digest (@sha256:…), or a tag matching ^v\\d+\\.\\d+\\.\\d+$');
  });

  it.each([
    ["the whole image", "gcr.io/cloudrun/hello"],
    ["its repository", "gcr.io/cloudrun/hello"],
    ["a registry path", "gcr.io/cloudrun/"],
    ["a registry path without the slash", "gcr.io/cloudrun"],
  ])("given allowedImages naming %s, then an untagged image there is allowed, and one elsewhere is not", async (_, entry) => {
    const settings = { allowedImages: [entry] };
    expect(await judged(images, settings, withImage("gcr.io/cloudrun/hello").resources)).toEqual([]);
    expect(await judged(images, settings, withImage("gcr.io/cloudrunner/hello").resources)).toHaveLength(1);
  });

  it("given an Artifact Registry repository of the stack with immutable tags, then any tag of it is pinned; a mutable repository's is not", async () => {
    const f = new g.Fixture(mode);
    f.add("gcp:artifactregistry/repository:Repository", "images", { location: "us-west2", project: g.project, repositoryId: "images", format: "DOCKER", dockerConfig: { immutableTags: true } });
    f.add("gcp:artifactregistry/repository:Repository", "scratch", { location: "us-west2", project: g.project, repositoryId: "scratch", format: "DOCKER" });
    g.service(f, "web", { account: "web@p.iam.gserviceaccount.com", image: `us-west2-docker.pkg.dev/${g.project}/images/web:release-7`, labels: {} });
    const scratch = g.service(f, "tmp", { account: "tmp@p.iam.gserviceaccount.com", image: `us-west2-docker.pkg.dev/${g.project}/scratch/tmp:release-7`, labels: {} });
    const found = await verdicts(pack(), f.resources, images);
    expect(found.map((v) => v.urn)).toEqual([scratch.urn]);
  });

  it("given sourceObjectPattern, then a function source object matching it is pinned", async () => {
    const f = new g.Fixture(mode);
    g.fn(f, "handler", { account: "h@p.iam.gserviceaccount.com", sourceObject: "releases/handler-2024.06.01.zip", labels: {} });
    expect(await verdicts(pack(), f.resources, images)).toHaveLength(1);
    expect(await judged(images, { sourceObjectPattern: "^releases/.+\\.zip$" }, f.resources)).toEqual([]);
  });

  it("given commitLabels [\"git-sha\"], then a contradicting git-sha label is reported by that name, and the default names are no longer read", async () => {
    const found = await judged(images, { commitLabels: ["git-sha"] }, withImage("gcr.io/p/web:29130502", { "git-sha": "ede3ab89", commit: "ede3ab89" }).resources);
    expect(found.map((v) => v.message.split("\n").pop())).toEqual([
      "web: label git-sha=ede3ab89 but its image gcr.io/p/web:29130502 names commit 29130502. Fix: set git-sha from the same commit as the artifact.",
      "web: label git-sha=ede3ab89 but its image gcr.io/p/web:29130502 names commit 29130502. Fix: set git-sha from the same commit as the artifact.",
    ]);
  });
});

describe.each(g.modes)("label names in %s mode", (mode) => {
  it("given groupLabel and commitLabels, then deploy-group-single-commit groups by them", async () => {
    const f = new g.Fixture(mode);
    g.service(f, "a", { account: "a@p.iam.gserviceaccount.com", image: "r/a:1111111", labels: { team: "scores", "git-sha": "1111111" } });
    g.service(f, "b", { account: "b@p.iam.gserviceaccount.com", image: "r/b:2222222", labels: { team: "scores", "git-sha": "2222222" } });
    expect(await verdicts(pack(), f.resources, "deploy-group-single-commit")).toEqual([]);
    const found = await judged("deploy-group-single-commit", { groupLabel: "team", commitLabels: ["git-sha"] }, f.resources);
    expect(found.map((v) => v.message.split("\n").pop())).toEqual([expect.stringContaining("deploy group scores runs 2 commits: 1111111 (a); 2222222 (b)")]);
  });

  it("given commitLabels, then commit-label-present asks for the first of them", async () => {
    const f = new g.Fixture(mode);
    g.service(f, "a", { account: "a@p.iam.gserviceaccount.com", image: "r/a:1111111", labels: { "git-sha": "1111111" } });
    expect(await judged("commit-label-present", { commitLabels: ["git-sha"] }, f.resources)).toEqual([]);
    const found = await judged("commit-label-present", { commitLabels: ["revision"] }, f.resources);
    expect(found[0].message).toContain("a: no revision label, so drift cannot tell which commit runs. Fix: set labels.revision");
  });
});

describe.each(g.modes)("publicServices in %s mode", (mode) => {
  /** An auto-named v1 service (as most examples write it) opened to allUsers, and a named v2 one with invoker IAM disabled. */
  function world() {
    const f = new g.Fixture(mode);
    const hello = f.add(
      "gcp:cloudrun/service:Service",
      "hello",
      { location: "us-central1", template: { spec: { containers: [{ image: "gcr.io/cloudrun/hello" }] } } },
      { statuses: [{ url: "https://hello-x7kq2mzp4a-uc.a.run.app" }], template: { spec: { serviceAccountName: g.defaultComputeEmail } } },
    );
    // The grant names the service by its output, as programs write it.
    f.add("gcp:cloudrun/iamMember:IamMember", "hello-everyone", { service: f.output(hello, f.resources.find((r) => r.urn === hello)!.inputs.name), location: "us-central1", role: g.invoker, member: "allUsers" });
    const status = g.service(f, "status-page", { account: "s@p.iam.gserviceaccount.com", invokerIamDisabled: true });
    return { f, hello, status };
  }

  it("given no publicServices, then both are reported, and the fix lists the auto-named one by its logical name", async () => {
    const { f } = world();
    const found = await verdicts(pack(), f.resources, "no-public-invoker");
    expect(found).toHaveLength(2);
    expect(found.map((v) => v.message.split("\n").pop())).toContainEqual(expect.stringContaining('{"no-public-invoker": {"publicServices": ["hello"]}}'));
    expect(found.map((v) => v.message.split("\n").pop())).toContainEqual(expect.stringContaining('{"no-public-invoker": {"publicServices": ["status-page"]}}'));
  });

  it.each([
    ["logical names", () => ["hello", "status-page-service"]],
    ["service names", (w: ReturnType<typeof world>) => [String(w.f.resources.find((r) => r.urn === w.hello)!.inputs.name), "status-page"]],
    ["URNs", (w: ReturnType<typeof world>) => [w.hello, w.status.urn]],
  ])("given publicServices by %s, then neither is reported", async (_, listed) => {
    const w = world();
    expect(await judged("no-public-invoker", { publicServices: listed(w) }, w.f.resources)).toEqual([]);
  });
});
