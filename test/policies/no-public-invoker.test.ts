// no-public-invoker: allUsers/allAuthenticatedUsers invokers and invokerIamDisabled fail, unless the
// service is listed in publicServices; during preview the grant's service is found by dependency.
import { describe, expect, it } from "vitest";
import type { EngineResource } from "../../lib/resources";
import * as g from "../fixtures/gcp";
import { usePolicyPack, verdicts } from "../fixtures/pack";

const policy = "no-public-invoker";
const pack = usePolicyPack();

function grading(mode: g.Mode, o: g.ServiceOptions = {}) {
  const f = new g.Fixture(mode);
  const service = g.service(f, "grading", { account: g.account(f, "grading-runtime"), ...o });
  return { f, service };
}

async function withPublic(names: string[], resources: readonly EngineResource[]) {
  await pack().configure({ source: "policy.json", values: { [policy]: { publicServices: names } } });
  try {
    return await verdicts(pack(), resources, policy);
  } finally {
    await pack().configure();
  }
}

describe.each(g.modes)("no-public-invoker in %s mode", (mode) => {
  it("given invoker grants only to service accounts, then no violation", async () => {
    const { f, service } = grading(mode);
    g.grant(f, "cloudrunv2.ServiceIamMember", "grant", service, g.account(f, "phase3-to-grading").member);
    expect(await verdicts(pack(), f.resources, policy)).toEqual([]);
  });

  it.each([
    ["allUsers as a cloudrunv2.ServiceIamMember", "cloudrunv2.ServiceIamMember", "allUsers"],
    ["allAuthenticatedUsers in a cloudrun.IamBinding", "cloudrun.IamBinding", "allAuthenticatedUsers"],
    ["allUsers in a cloudrunv2.ServiceIamPolicy", "cloudrunv2.ServiceIamPolicy", "allUsers"],
  ] as const)("given %s, then a mandatory violation on the grant names the service and both fixes", async (_, form, member) => {
    const { f, service } = grading(mode);
    const grant = g.grant(f, form, "public", service, member);
    const found = await verdicts(pack(), f.resources, policy);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ enforcementLevel: "mandatory", urn: grant });
    expect(found[0].message).toContain(`grants roles/run.invoker to ${member} on grading: anyone can call it. Fix: remove the member, or, if grading is meant to be public, add it to publicServices`);
  });

  it("given invokerIamDisabled, then a violation on the service", async () => {
    const { f, service } = grading(mode, { invokerIamDisabled: true });
    const found = await verdicts(pack(), f.resources, policy);
    expect(found.map((v) => v.urn)).toEqual([service.urn]);
    expect(found[0].message).toContain("grading sets invokerIamDisabled: anyone can call it without any IAM check.");
  });

  it("given a project-level allUsers invoker, then a violation", async () => {
    const { f } = grading(mode);
    g.grant(f, "projects.IAMMember", "everyone", { name: "" }, "allUsers");
    const found = await verdicts(pack(), f.resources, policy);
    expect(found[0].message).toContain("projects.IAMMember everyone grants roles/run.invoker to allUsers on every service of project nba-props-platform");
  });

  it("given the public service is listed in publicServices, then no violation", async () => {
    const { f, service } = grading(mode, { invokerIamDisabled: true });
    g.grant(f, "cloudrunv2.ServiceIamMember", "public", service, "allUsers");
    expect(await withPublic(["grading"], f.resources)).toEqual([]);
    expect(await withPublic(["nba-scrapers"], f.resources)).toHaveLength(2);
  });
});

describe("no-public-invoker during preview", () => {
  it("given a public grant on a service name not known and not from a service in the stack, then it fails closed", async () => {
    const { f } = grading("preview");
    const elsewhere = f.add("gcp:secretmanager/secretVersion:SecretVersion", "name", { secretData: "x" });
    f.add("gcp:cloudrunv2/serviceIamMember:ServiceIamMember", "public", { name: f.output(elsewhere, "grading"), location: g.region, role: g.invoker, member: "allUsers" });
    const found = await withPublic(["grading"], f.resources);
    expect(found).toHaveLength(1);
    expect(found[0].message).toContain("which cannot be tied to a service of this stack, so it cannot be checked against publicServices");
  });
});
