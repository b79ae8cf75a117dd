// Cloud Workflows (gcp.workflows.Workflow) as callers: every http.* step of sourceContents (YAML or JSON)
// whose URL is a Cloud Run service of the stack, as the workflow's serviceAccount when the step sets
// auth: {type: OIDC}. Judged in both modes; a source made from outputs is not known during preview.
import { describe, expect, it } from "vitest";
import { unknownValue } from "../../lib/resources";
import * as g from "../fixtures/gcp";
import { usePolicyPack, verdicts } from "../fixtures/pack";

const pack = usePolicyPack();
const gaps = (f: g.Fixture) => verdicts(pack(), f.resources, "caller-has-run-invoker");
const lastLine = (message: string) => message.split("\n").pop() ?? "";

const yamlSource = (url: string, auth = "\n          auth:\n            type: OIDC") => `main:
  steps:
    - init:
        assign:
          - day: \${sys.now()}
    - callGrading:
        call: http.post
        args:
          url: ${url}${auth}
          body:
            day: \${day}
        result: graded
    - done:
        return: \${graded.body}
`;

const jsonSource = (url: string) =>
  JSON.stringify({ main: { steps: [{ callGrading: { call: "http.get", args: { url, auth: { type: "OIDC" } }, result: "r" } }, { done: { return: "${r.body}" } }] } });

describe.each(g.modes)("a Cloud Workflows workflow in %s mode", (mode) => {
  function world() {
    const f = new g.Fixture(mode);
    const grading = g.service(f, "grading", { account: g.account(f, "grading-runtime") });
    const runner = g.account(f, "workflow-runner");
    return { f, grading, runner };
  }

  it.each([
    ["YAML", yamlSource],
    ["JSON", jsonSource],
  ])("given a %s source with an OIDC http step to a service's URL and no grant, then a gap on the workflow; with the grant, none", async (_, source) => {
    const { f, grading, runner } = world();
    const wf = g.workflow(f, "nightly-grading", source(`${grading.hashedUrl}/grade`), { account: runner });
    const found = await gaps(f);
    expect(found.map((v) => [v.enforcementLevel, v.urn])).toEqual([["mandatory", wf]]);
    expect(lastLine(found[0].message)).toContain("nightly-grading calls grading (found by workflow step callGrading) as ");
    g.grant(f, "cloudrunv2.ServiceIamMember", "workflow-invokes-grading", grading, runner.member);
    expect(await gaps(f)).toEqual([]);
    expect(await verdicts(pack(), f.resources, "no-unused-invoker-grant")).toEqual([]);
  });

  it("given an http step without auth, then the request is unauthenticated: a gap whose fix adds auth: {type: OIDC} to that step", async () => {
    const { f, grading, runner } = world();
    g.workflow(f, "nightly-grading", yamlSource(grading.runAppUrl, ""), { account: runner });
    g.grant(f, "cloudrunv2.ServiceIamMember", "workflow-invokes-grading", grading, runner.member);
    const found = await gaps(f);
    expect(found).toHaveLength(1);
    expect(lastLine(found[0].message)).toContain("as no identity (no OIDC token: the request is unauthenticated)");
    // The workflow has an account: the fix sends its token and grants that account, it does not make a new one.
    expect(lastLine(found[0].message)).toContain(
      "Fix: add auth: {type: OIDC} to the args of step callGrading in sourceContents, then grant roles/run.invoker on grading (us-west2) to the account workflow-runner: " +
        'new gcp.cloudrunv2.ServiceIamMember("nightly-grading-invokes-grading", { name: "grading", location: "us-west2", project: "nba-props-platform", role: "roles/run.invoker", ' +
        "member: pulumi.interpolate`serviceAccount:${workflowRunner.accountId}@${workflowRunner.project}.iam.gserviceaccount.com` })",
    );
  });

  it("given the URL in userEnvVars read with sys.get_env, then the call is found (by dependency in preview) and judged", async () => {
    const { f, grading, runner } = world();
    g.workflow(f, "nightly-grading", yamlSource('${sys.get_env("GRADING_URL") + "/grade"}'), { account: runner, env: { GRADING_URL: grading.url } });
    expect((await gaps(f)).map((v) => lastLine(v.message))).toEqual([expect.stringContaining("nightly-grading calls grading (found by workflow step callGrading)")]);
    g.grant(f, "cloudrunv2.ServiceIamMember", "workflow-invokes-grading", grading, runner.member);
    expect(await gaps(f)).toEqual([]);
  });

  it("given a step nested in a switch, a try and a parallel branch, then it is found", async () => {
    const { f, grading, runner } = world();
    const source = `main:
  steps:
    - decide:
        switch:
          - condition: \${true}
            steps:
              - guarded:
                  try:
                    steps:
                      - fanOut:
                          parallel:
                            branches:
                              - one:
                                  steps:
                                    - callDeep:
                                        call: http.get
                                        args:
                                          url: ${grading.runAppUrl}
                                          auth:
                                            type: OIDC
                  except:
                    as: e
                    steps:
                      - fail:
                          raise: \${e}
`;
    g.workflow(f, "nightly-grading", source, { account: runner });
    expect((await gaps(f)).map((v) => lastLine(v.message))).toEqual([expect.stringContaining("found by workflow step callDeep")]);
  });

  it("given a workflow that sets no account, then during preview it is a gap (GCP picks the account at deploy) and after up it runs as the default compute account", async () => {
    const { f, grading } = world();
    g.workflow(f, "nightly-grading", yamlSource(grading.runAppUrl));
    g.grant(f, "cloudrunv2.ServiceIamMember", "default-invokes-grading", grading, `serviceAccount:${g.defaultComputeEmail}`);
    const found = await gaps(f);
    if (mode === "update") expect(found).toEqual([]);
    else expect(lastLine(found[0].message)).toContain("as an account not known until deploy and not from a service account in this stack (serviceAccount)");
    const defaults = await verdicts(pack(), f.resources, "no-default-service-account");
    expect(defaults.map((v) => lastLine(v.message))).toEqual([expect.stringContaining("nightly-grading (workflow) runs as")]);
  });

  it("given a sourceContents made from the service's URL, then after up it is read, and during preview (not known) the call is a gap that says why", async () => {
    const { f, grading, runner } = world();
    const source = mode === "preview" ? new g.Out(unknownValue, [grading.urn]) : yamlSource(grading.hashedUrl);
    g.workflow(f, "nightly-grading", source, { account: runner });
    g.grant(f, "cloudrunv2.ServiceIamMember", "workflow-invokes-grading", grading, runner.member);
    const found = await gaps(f);
    if (mode === "update") {
      expect(found).toEqual([]);
    } else {
      expect(found).toHaveLength(1);
      expect(lastLine(found[0].message)).toContain("nightly-grading calls grading (found by workflow sourceContents) as an identity not known until deploy");
      expect(lastLine(found[0].message)).toContain('keep sourceContents a literal and pass each URL in userEnvVars, read as ${sys.get_env("NAME")}');
    }
  });

  it("given steps calling URLs outside the stack or Google APIs, then there is nothing to judge", async () => {
    const { f, runner } = world();
    g.workflow(f, "nightly-grading", yamlSource("https://timeapi.io/api/Time/current/zone?timeZone=UTC", ""), { account: runner });
    expect(await gaps(f)).toEqual([]);
  });
});
