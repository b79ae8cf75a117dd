// npm run audit: the pack over deployed state (`pulumi stack export` or a file backend checkpoint).
// The work is tested through runAudit/main; the CLI runs as a subprocess for its exit codes and stderr.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { generatedStack } from "../bench/policies";
import { InputError } from "../lib/cli";
import { auditJson, formatAudit, main, runAudit } from "../tools/audit";
import * as g from "./fixtures/gcp";
import { checkpoint, ciphertextSecret, pendingDelete, plaintextSecret, removeTemps, stackExport, writeTemp } from "./fixtures/state";

const run = promisify(execFile);
const repo = join(__dirname, "..");
const tsx = join(repo, "node_modules", "tsx", "dist", "cli.mjs");
afterAll(removeTemps);

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
      "nba-pipeline/prod: 1 mandatory and 1 other violation in 7 resources (policy pack nba-pipeline-policies 0.2.0); " +
        "`pulumi preview --policy-pack policies` fails on these; `pulumi up` would apply its changes and then fail",
    );
  });

  it("given the same state as a file backend checkpoint, when audited, then the verdicts are the same", async () => {
    const fromExport = await auditGap();
    const fromCheckpoint = await runAudit({ state: writeTemp("prod.json", checkpoint(deployed(false))) });
    expect(fromCheckpoint.violations).toEqual(fromExport.violations);
  });

  it("given the same state as deployment version 4 (written after `pulumi state taint`, or with hooks), when audited, then the verdicts are the same", async () => {
    const fromExport = await auditGap();
    const fromV4 = await runAudit({ state: writeTemp("prod.json", { ...stackExport(deployed(false)), version: 4 }) });
    expect(fromV4.violations).toEqual(fromExport.violations);
  });

  it.each([2, 5])("given deployment version %i, when audited, then an InputError names the file and the version", async (version) => {
    const file = writeTemp("prod.json", { ...stackExport(deployed(false)), version });
    await expect(runAudit({ state: file })).rejects.toThrow(new InputError(`${file}: unsupported deployment version ${version}; expected 3 or 4 (Pulumi CLI 3.x \`pulumi stack export\`)`));
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

  it("given the old copy of a replaced service pending delete at another commit, when audited, then it is skipped as the engine skips it", async () => {
    // Cloud Run services are replaced create-before-delete: for a while (or for good, if the delete
    // failed) state holds the new copy and the old one, marked "delete": true, at the old commit.
    const resources = deployed(true);
    const grading = resources.find((r) => r.type === "gcp:cloudrunv2/service:Service");
    if (!grading) throw new Error("fixture: no grading service");
    const doc = stackExport(resources);
    const old = pendingDelete(grading, (values) => values.replaceAll(g.commit, "1a8bbcb1"));
    doc.deployment.resources.splice(2, 0, old);
    const report = await runAudit({ state: writeTemp("prod.json", doc) });
    expect(report.violations.map((v) => `${v.enforcementLevel} ${v.policyName}`)).toEqual(["advisory no-unused-invoker-grant"]);
    expect(report.resourceCount).toBe(8);
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

describe("audit of state holding secrets", () => {
  /**
   * phase3-to-grading runs as an account whose email is written as a literal (no dependency says which
   * account it is), and is granted; grading's runtime account is granted nothing (one advisory).
   */
  function literalEmailStack() {
    const f = new g.Fixture("update");
    const grading = g.service(f, "grading", { account: g.account(f, "grading-runtime") });
    const caller = g.account(f, "phase3-to-grading");
    g.fn(f, "phase3-to-grading", { account: caller.emailAddress, env: { GRADING_URL: grading.url } });
    g.grant(f, "cloudrunv2.ServiceIamMember", "p3g-invokes-grading", grading, caller.member);
    return f.resources;
  }
  /** The export with the caller's account email, in its inputs and outputs, replaced by `secret`. */
  function withSecretEmail(secret: (email: string) => unknown) {
    const doc = stackExport(literalEmailStack());
    for (const r of doc.deployment.resources) {
      if (r.type !== "gcp:cloudfunctionsv2/function:Function") continue;
      for (const values of [r.inputs, r.outputs] as Record<string, unknown>[]) {
        const config = values.serviceConfig as { serviceAccountEmail: string };
        config.serviceAccountEmail = secret(config.serviceAccountEmail) as string;
      }
    }
    return doc;
  }
  const run = async (doc: unknown) => {
    const out = new Sink();
    const code = await main(["--state", writeTemp("prod.json", doc)], out as unknown as NodeJS.WritableStream);
    const json = new Sink();
    await main(["--state", writeTemp("prod.json", doc), "--json"], json as unknown as NodeJS.WritableStream);
    return { code, text: out.text, json: JSON.parse(json.text) as ReturnType<typeof auditJson> };
  };

  it("given the caller's account email encrypted, when audited, then the call counts as not granted (exit 1) and the output says how many values were encrypted", async () => {
    const { code, text, json } = await run(withSecretEmail(() => ciphertextSecret()));
    expect(code).toBe(1);
    expect(json.violations.map((v) => `${v.enforcementLevel} ${v.policyName} ${v.urn.split("::").pop()}`)).toContain(
      "mandatory caller-has-run-invoker phase3-to-grading-function",
    );
    expect(json.encryptedValues).toBe(2);
    expect(text.trimEnd().split("\n").pop()).toBe(
      "2 values in the state file are encrypted secrets, read as not known (a caller whose account is one of them counts as not granted): " +
        "for a full audit, export with `pulumi stack export --show-secrets`",
    );
  });

  it("given the caller's account email as a --show-secrets plaintext secret, when audited, then the verdicts are those without secrets", async () => {
    const withoutSecrets = await run(stackExport(literalEmailStack()));
    const plaintext = await run(withSecretEmail((email) => plaintextSecret(email)));
    expect(withoutSecrets.code).toBe(0);
    expect(plaintext).toEqual(withoutSecrets);
    expect(plaintext.json.encryptedValues).toBe(0);
    expect(plaintext.text).not.toContain("encrypted");
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
    fc.jsonValue().filter((v) => v === null || typeof v !== "object" || Array.isArray(v) || ![3, 4].includes((v as { version?: number }).version ?? 0)).map((v) => JSON.stringify(v)),
    fc.constantFrom(1, 2, 5, "3", "4", null).map((version) => JSON.stringify({ ...valid, version })),
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

describe("audit of a state file of several megabytes", () => {
  /** The node processes this test process started that are still running. */
  const children = () =>
    readdirSync(`/proc/${process.pid}/task`).flatMap((task) => readFileSync(`/proc/${process.pid}/task/${task}/children`, "utf8").trim().split(/\s+/).filter(Boolean));

  it("given an export bad only at its end, when audited, then an InputError names the resource and the pack started early is stopped", async () => {
    const doc = stackExport(generatedStack("update", 2_000));
    const last = doc.deployment.resources.length - 1;
    (doc.deployment.resources[last] as Record<string, unknown>).urn = 42;
    const file = writeTemp("prod.json", JSON.stringify(doc, null, 4));
    expect(statSync(file).size).toBeGreaterThan(2 * 1024 * 1024);
    const before = children();
    await expect(runAudit({ state: file })).rejects.toThrow(new InputError(`${file}: deployment.resources[${last}].urn: expected a non-empty string`));
    expect(children()).toEqual(before);
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
    expect(error?.stderr).toContain(
      "--state FILE is required: the output of `pulumi stack export` (or --inventory FILE: Cloud Asset Inventory exports of the live project)\n" +
        "usage: npm run audit -- (--state FILE | --inventory FILE [--inventory FILE …]) [--policy-config FILE] [--json]",
    );
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
