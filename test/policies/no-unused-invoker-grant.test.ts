// no-unused-invoker-grant: an invoker grant no call is made as is reported (advisory).
import { describe, expect, it } from "vitest";
import * as g from "../fixtures/gcp";
import { usePolicyPack, verdicts } from "../fixtures/pack";

const policy = "no-unused-invoker-grant";
const pack = usePolicyPack();

function gradingWorld(mode: g.Mode) {
  const f = new g.Fixture(mode);
  const grading = g.service(f, "grading", { account: g.account(f, "grading-runtime") });
  const caller = g.account(f, "phase3-to-grading");
  g.fn(f, "phase3-to-grading", { account: caller, env: { GRADING_URL: grading.url } });
  g.grant(f, "cloudrunv2.ServiceIamMember", "p3g-invokes-grading", grading, caller.member);
  return { f, grading, caller };
}

describe.each(g.modes)("no-unused-invoker-grant in %s mode", (mode) => {
  it("given every invoker grant used by a call, then no violation", async () => {
    expect(await verdicts(pack(), gradingWorld(mode).f.resources, policy)).toEqual([]);
  });

  it("given a grant to an account that calls nothing, then an advisory violation on that grant", async () => {
    const { f, grading } = gradingWorld(mode);
    const idle = g.account(f, "idle-account");
    const grant = g.grant(f, "cloudrunv2.ServiceIamBinding", "idle-invokes-grading", grading, idle.member);
    const found = await verdicts(pack(), f.resources, policy);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ enforcementLevel: "advisory", urn: grant });
    expect(found[0].message).toContain(
      `cloudrunv2.ServiceIamBinding idle-invokes-grading grants roles/run.invoker on grading (us-west2) to serviceAccount:${idle.emailAddress}, but no call in this stack is made as that identity.`,
    );
  });

  it("given a grant on a service the account does not call (it calls another), then that grant is unused", async () => {
    const { f, caller } = gradingWorld(mode);
    const other = g.service(f, "prediction-worker", { account: g.account(f, "prediction-worker") });
    g.grant(f, "cloudrun.IamMember", "p3g-invokes-worker", other, caller.member);
    const found = await verdicts(pack(), f.resources, policy);
    expect(found.map((v) => v.message.split("\n")[1].split(",")[0])).toEqual([
      `cloudrun.IamMember p3g-invokes-worker grants roles/run.invoker on prediction-worker (us-west2) to serviceAccount:${caller.emailAddress}`,
    ]);
  });

  it("given a caller that sets no account and a grant to the default compute account, then the grant is not unused (during preview GCP has not named that account yet)", async () => {
    const f = new g.Fixture(mode);
    const grading = g.service(f, "grading", { account: g.account(f, "grading-runtime") });
    g.fn(f, "phase3-to-grading", { env: { GRADING_URL: grading.url } });
    g.grant(f, "cloudrunv2.ServiceIamMember", "default-invokes-grading", grading, `serviceAccount:${g.defaultComputeEmail}`);
    expect(await verdicts(pack(), f.resources, policy)).toEqual([]);
  });

  it("given a public grant, then it is left to no-public-invoker", async () => {
    const { f, grading } = gradingWorld(mode);
    g.grant(f, "cloudrunv2.ServiceIamMember", "public", grading, "allUsers");
    expect(await verdicts(pack(), f.resources, policy)).toEqual([]);
  });
});
