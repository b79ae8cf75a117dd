// npm run audit: the pack over deployed state (`pulumi stack export` or a file backend checkpoint).
// The work is tested through runAudit/main; the CLI runs as a subprocess for its exit codes and stderr.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InputError } from "../lib/cli";
import { auditJson, formatAudit, main, runAudit } from "../tools/audit";
import * as g from "./fixtures/gcp";
import { checkpoint, stackExport, writeTemp } from "./fixtures/state";

const run = promisify(execFile);
const repo = join(__dirname, "..");
const tsx = join(repo, "node_modules", "tsx", "dist", "cli.mjs");

/** The ops log's prod: phase3-to-grading calls grading, and no grant lets it. Plus one advisory finding. */
function deployed(withGrant: boolean) {
  const f = new g.Fixture("update");
  const grading = g.service(f, "grading", { account: g.account(f, "grading-runtime") });
  const caller = g.account(f, "phase3-to-grading");
  g.fn(f, "phase3-to-grading", { account: caller, env: { GRADING_URL: grading.url } });
  g.grant(f, "cloudrunv2.ServiceIamMember", "idle-invokes-grading", grading, g.account(f, "idle").member);
  if (withGrant) g.grant(f, "cloudrunv2.ServiceIamMember", "p3g-invokes-grading", grading, caller.member);
  return f.resources;
}

class Sink {
  text = "";
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

describe("audit of deployed state", () => {
  // The gap stack's audit, shared by the tests that read it (each audit starts the pack).
  let gapAudit: ReturnType<typeof runAudit> | undefined;
  const auditGap = () => (gapAudit ??= runAudit({ state: writeTemp("prod.json", stackExport(deployed(false))) }));

  it("given a stack export with the 401 gap, when audited, then the mandatory violation comes first with where, what and fix, and a summary", async () => {
    const report = await auditGap();
    expect(report).toMatchObject({ project: "nba-pipeline", stack: "prod", resourceCount: 7 });
    expect(report.violations.map((v) => `${v.enforcementLevel} ${v.policyName}`)).toEqual([
      "mandatory caller-has-run-invoker",
      "advisory no-unused-invoker-grant",
    ]);
    const text = formatAudit(report);
    expect(text).toContain(
      "MANDATORY caller-has-run-invoker\n" +
        "  where: phase3-to-grading-function (gcp:cloudfunctionsv2/function:Function)\n" +
        "  what:  phase3-to-grading calls grading (found by env GRADING_URL) as serviceAccount:phase3-to-grading@nba-props-platform.iam.gserviceaccount.com, " +
        "which lacks roles/run.invoker on grading: every request will fail with 401/403.\n" +
        "  fix:   grant roles/run.invoker on grading (us-west2) to the account phase3-to-grading: new gcp.cloudrunv2.ServiceIamMember(",
    );
    expect(text.indexOf("MANDATORY")).toBeLessThan(text.indexOf("ADVISORY no-unused-invoker-grant"));
    expect(text.trimEnd().split("\n").pop()).toBe(
      "nba-pipeline/prod: 1 mandatory and 1 other violation in 7 resources (policy pack nba-pipeline-policies 0.2.0); the next `pulumi up` with this pack will be blocked",
    );
  });

  it("given the same state as a file backend checkpoint, when audited, then the verdicts are the same", async () => {
    const fromExport = await auditGap();
    const fromCheckpoint = await runAudit({ state: writeTemp("prod.json", checkpoint(deployed(false))) });
    expect(fromCheckpoint.violations).toEqual(fromExport.violations);
  });

  it("given the gap, when rendered for --json, then each violation has policyName, enforcementLevel, urn and message", async () => {
    // That `--json` prints only this document, and exits 1, is checked on the command below.
    const doc = JSON.parse(JSON.stringify(auditJson(await auditGap()))) as ReturnType<typeof auditJson>;
    expect(doc.violations[0]).toEqual({
      policyName: "caller-has-run-invoker",
      enforcementLevel: "mandatory",
      urn: "urn:pulumi:prod::nba-pipeline::gcp:cloudfunctionsv2/function:Function::phase3-to-grading-function",
      message: expect.stringContaining("phase3-to-grading calls grading"),
    });
    expect(doc.mandatoryCount).toBe(1);
  });

  it("given a policy config that makes the gap advisory, when run, then the exit code is 0", async () => {
    const state = writeTemp("prod.json", stackExport(deployed(false)));
    const config = writeTemp("policy.json", { "caller-has-run-invoker": "advisory" });
    expect(await main(["--state", state, "--policy-config", config], new Sink() as unknown as NodeJS.WritableStream)).toBe(0);
  });

  it("given a stack with the grant, when run, then the exit code is 0 and only the advisory finding is printed", async () => {
    const out = new Sink();
    expect(await main(["--state", writeTemp("prod.json", stackExport(deployed(true)))], out as unknown as NodeJS.WritableStream)).toBe(0);
    expect(out.text).toContain("nba-pipeline/prod: 0 mandatory and 1 other violation in 8 resources");
  });

  it("given a policy config naming an unknown policy, when run, then an InputError names the file and nothing is printed", async () => {
    const out = new Sink();
    const config = writeTemp("policy.json", { "caller-has-run-invokr": "advisory" });
    await expect(main(["--state", writeTemp("prod.json", stackExport(deployed(true))), "--policy-config", config], out as unknown as NodeJS.WritableStream)).rejects.toThrow(
      `${config}: caller-has-run-invokr: no such policy in this pack`,
    );
    expect(out.text).toBe("");
  });
});

describe("audit of malformed state", () => {
  const valid = stackExport(deployed(false));
  /** One resource field replaced by a value of the wrong kind. */
  const corruption = fc.record({
    index: fc.nat({ max: valid.deployment.resources.length - 1 }),
    change: fc.oneof(
      fc.record({ field: fc.constantFrom("urn", "type"), value: fc.oneof(fc.integer(), fc.constant(""), fc.constant(null), fc.constant(["x"])) }),
      fc.record({ field: fc.constant("urn"), value: fc.string().filter((s) => !s.startsWith("urn:pulumi:")) }),
      fc.record({ field: fc.constantFrom("inputs", "outputs", "propertyDependencies"), value: fc.oneof(fc.integer(), fc.string(), fc.array(fc.integer()), fc.boolean()) }),
      fc.record({ field: fc.constant("dependencies"), value: fc.oneof(fc.string(), fc.integer(), fc.array(fc.oneof(fc.integer(), fc.constant(null)), { minLength: 1 })) }),
      fc.record({ field: fc.constant("parent"), value: fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string())) }),
    ),
  });
  const malformed = fc.oneof(
    // not JSON at all
    fc.string().filter((s) => {
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    }),
    // JSON, but not an export of a supported version
    fc.jsonValue().filter((v) => v === null || typeof v !== "object" || Array.isArray(v) || (v as { version?: unknown }).version !== 3).map((v) => JSON.stringify(v)),
    fc.constantFrom(1, 2, 4, "3", null).map((version) => JSON.stringify({ ...valid, version })),
    // the right version, the wrong shape
    fc.oneof(fc.integer(), fc.string(), fc.array(fc.jsonValue(), { minLength: 1 })).map((resources) => JSON.stringify({ version: 3, deployment: { resources } })),
    corruption.map(({ index, change }) => {
      const doc = structuredClone(valid) as { deployment: { resources: Record<string, unknown>[] } };
      doc.deployment.resources[index][change.field] = change.value;
      return JSON.stringify(doc);
    }),
  );

  it("given any malformed, unreadable or unsupported state file, when run, then an InputError names the file and nothing is printed", async () => {
    await fc.assert(
      fc.asyncProperty(malformed, async (text) => {
        const file = writeTemp("state.json", text);
        const out = new Sink();
        const outcome = await main(["--state", file], out as unknown as NodeJS.WritableStream).then(
          (code) => code,
          (e: unknown) => e,
        );
        expect(outcome).toBeInstanceOf(InputError);
        expect((outcome as InputError).message).toContain(file);
        expect(out.text).toBe("");
      }),
      { numRuns: 200 },
    );
  });
});

describe("the audit command", () => {
  it("given a missing state file, when run as a command, then it exits 2 with the problem on stderr and no stack trace", async () => {
    const error = await run(process.execPath, [tsx, "tools/audit.ts", "--state", "/nonexistent/prod.json"], { cwd: repo }).then(
      () => undefined,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(error).toMatchObject({ code: 2, stdout: "", stderr: "error: cannot read state file /nonexistent/prod.json: ENOENT\n" });
  });

  it("given no --state, when run as a command, then it exits 2 with the usage", async () => {
    const error = await run(process.execPath, [tsx, "tools/audit.ts"], { cwd: repo }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(error?.code).toBe(2);
    expect(error?.stderr).toContain("--state FILE is required: the output of `pulumi stack export`\nusage: npm run audit -- --state FILE [--policy-config FILE] [--json]");
  });

  it("given a state with a gap and --json, when run as a command, then it exits 1 and stdout parses as one JSON document", async () => {
    const error = await run(process.execPath, [tsx, "tools/audit.ts", "--state", writeTemp("prod.json", stackExport(deployed(false))), "--json"], { cwd: repo }).then(
      () => undefined,
      (e: { code: number; stdout: string }) => e,
    );
    expect(error?.code).toBe(1);
    expect((JSON.parse(error?.stdout ?? "") as { violations: unknown[] }).violations).toHaveLength(2);
  });
});
