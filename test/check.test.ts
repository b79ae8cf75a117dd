import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPolicyPack, type PolicyPackSession } from "../lib/analyzer";
import { captureStack } from "../lib/capture";
import { InputError } from "../lib/cli";
import { readStackFile } from "../lib/stackfile";
import { checkJson, exitCodeFor, judge, main, runCheck } from "../tools/check";
import { formatCheck, formatDiagram, type CheckResult } from "../tools/report";

const run = promisify(execFile);
const repo = resolve(__dirname, "..");
const tsx = join(repo, "node_modules", ".bin", "tsx");

/** Runs the CLI as a user does; resolves with its exit code and output whatever the code. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(tsx, [join(repo, "tools", "check.ts"), ...args], { cwd: repo });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("npm run check on the prod stack", () => {
  let preview: CheckResult;
  let update: CheckResult;

  beforeAll(async () => {
    preview = await runCheck({ stack: "prod", preview: true }, () => captureStack);
    update = await runCheck({ stack: "prod", preview: false }, () => captureStack);
  });

  it("given the prod stack in preview mode, when checked, then every service and function shows its group's commit and the check passes", () => {
    const doc = checkJson(preview);
    expect(doc.services).toEqual([
      { name: "nba-scrapers", phase: "1", deployGroup: "scrapers", commit: "2de48c04", image: "us-west2-docker.pkg.dev/nba-props-platform/nba-pipeline/nba-scrapers:2de48c04" },
      ...["nba-phase3-analytics-processors", "nba-phase4-precompute-processors", "prediction-coordinator", "prediction-worker"].map((name) => ({
        name,
        phase: expect.stringMatching(/^[345]$/),
        deployGroup: "pipeline",
        commit: "ede3ab89",
        image: `us-west2-docker.pkg.dev/nba-props-platform/nba-pipeline/${name}:ede3ab89`,
      })),
      { name: "grading", phase: "6", deployGroup: "grading", commit: "ede3ab89", image: "us-west2-docker.pkg.dev/nba-props-platform/nba-pipeline/grading:ede3ab89" },
    ]);
    expect(doc.functions.map((f) => `${f.name}@${f.commit} ${f.source}`)).toEqual([
      "phase3-to-phase4@ede3ab89 gs://nba-props-platform-function-source/phase3-to-phase4/ede3ab89.zip",
      "phase4-to-phase5@ede3ab89 gs://nba-props-platform-function-source/phase4-to-phase5/ede3ab89.zip",
      "grading-coverage-monitor@ede3ab89 gs://nba-props-platform-function-source/grading-coverage-monitor/ede3ab89.zip",
      "phase3-to-grading@ede3ab89 gs://nba-props-platform-function-source/phase3-to-grading/ede3ab89.zip",
    ]);
    expect(doc.violations).toEqual([]);
    expect(exitCodeFor(preview)).toBe(0);
  });

  it("given the prod stack, when checked, then the call graph holds every declared call, granted, including the easily forgotten identities", () => {
    const calls = checkJson(preview).calls.map((c) => `${c.caller} -> ${c.callee} [${c.via}] ${c.granted}`);
    expect(calls).toEqual(
      expect.arrayContaining([
        "phase3-to-grading -> grading [env GRADING_URL] true",
        "phase3-to-grading -> phase3-to-grading [event trigger] true",
        "grading-coverage-monitor-schedule -> grading-coverage-monitor [scheduler job] true",
        "prediction-worker-requests -> prediction-worker [push subscription] true",
        "nba-scrapers-morning -> nba-scrapers [scheduler job] true",
      ]),
    );
    expect(calls).toHaveLength(13);
  });

  it("given the same stack, when checked in preview and in update mode, then the verdicts and the call graph agree", () => {
    const verdict = (r: CheckResult) => ({
      violations: r.violations.map((v) => [v.policyName, v.enforcementLevel, v.urn]),
      calls: r.calls.map((c) => [c.caller, c.callee, c.via, c.granted]),
    });
    expect(verdict(update)).toEqual(verdict(preview));
    expect(update.mode).toBe("update");
    // After `up` the identities are known emails; during preview they are described as new accounts.
    expect(update.calls.find((c) => c.caller === "phase3-to-grading" && c.callee === "grading")?.identity).toBe(
      "serviceAccount:phase3-to-grading@nba-props-platform.iam.gserviceaccount.com",
    );
  });

  it("given the result, when formatted, then the reviewer sees each phase, the calls and a pass", () => {
    const text = formatCheck(preview);
    expect(text).toMatch(/^Stack prod \(preview: new resources' outputs unknown\), \d+ resources\n/);
    expect(text).toContain("Phase 6 · grading (");
    expect(text).toMatch(/\nStack-wide \(12 resources\): nba-phase1-scrapers-complete, .*function-builder-account, .*unauthorized-calls-policy\n/);
    expect(text).toContain("Calls: 13, every one granted roles/run.invoker");
    expect(text.trimEnd().split("\n").pop()).toBe("PASS: pulumi preview --policy-pack policies would succeed");
  });

  it("given the result, when drawn, then the Mermaid diagram groups workloads by phase and has no red edge", () => {
    const diagram = formatDiagram(preview);
    expect(diagram.split("\n")[0]).toBe("### Call graph of stack `prod`: 13 calls, all granted");
    for (const phase of ["1", "3", "4", "5", "6"]) expect(diagram).toContain(`  subgraph phase${phase}["Phase ${phase} · `);
    expect(diagram.match(/-->\|/g)).toHaveLength(13);
    expect(diagram).not.toContain("linkStyle");
  });
});

describe("npm run check on a stack with an auth gap", () => {
  let pack: PolicyPackSession;
  let gap: CheckResult;

  beforeAll(async () => {
    pack = await startPolicyPack({ project: "nba-pipeline", stack: "prod", dryRun: true });
    const { resources } = await captureStack({ stack: "prod", config: readStackFile("Pulumi.prod.yaml").raw, preview: true });
    // The seed log's 401: phase3-to-grading without roles/run.invoker on grading.
    const withoutGrant = resources.filter((r) => r.name !== "phase3-to-grading-invokes-grading");
    expect(withoutGrant).toHaveLength(resources.length - 1);
    gap = await judge(withoutGrant, { stack: "prod", preview: true, projectNumber: "756957797294", pack });
  });
  afterAll(() => pack?.close());

  it("given the grant removed, when judged, then caller-has-run-invoker fails mandatory and the check exits 1", () => {
    const mandatory = gap.violations.filter((v) => v.enforcementLevel === "mandatory");
    expect(mandatory.map((v) => v.policyName)).toEqual(["caller-has-run-invoker"]);
    expect(mandatory[0].message).toContain("grading");
    expect(mandatory[0].message).toContain("roles/run.invoker");
    expect(exitCodeFor(gap)).toBe(1);
  });

  it("given the grant removed, when formatted, then the gap and its fix are shown and the check fails", () => {
    const text = formatCheck(gap);
    expect(text).toContain("Calls: 13, 1 without roles/run.invoker");
    expect(text).toContain("  GAP phase3-to-grading -> grading  [env GRADING_URL] as new service account phase3-to-grading@");
    expect(text).toMatch(/\n {6}fix: .*roles\/run\.invoker/);
    expect(text).toContain("MANDATORY caller-has-run-invoker\n  where: phase3-to-grading-function (gcp:cloudfunctionsv2/function:Function)\n  what:  phase3-to-grading calls grading");
    expect(text.trimEnd().split("\n").pop()).toBe("FAIL: pulumi preview --policy-pack policies would fail (1 mandatory violation)");
  });

  it("given the grant removed, when drawn, then exactly that edge is red", () => {
    const diagram = formatDiagram(gap);
    const index = gap.calls.findIndex((c) => !c.granted);
    expect(diagram).toContain(`linkStyle ${index} stroke:#d1242f`);
    expect(diagram).toContain('|"GAP: no run.invoker · env GRADING_URL"|');
  });
});

describe("npm run check as a command", () => {
  const dir = mkdtempSync(join(tmpdir(), "check-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("given --json, when run, then stdout is exactly one JSON document and the exit code is 0", async () => {
    const { code, stdout } = await cli(["--json"]);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout);
    expect(Object.keys(doc)).toEqual(["stack", "mode", "resourceCount", "services", "functions", "calls", "violations"]);
    expect(doc.stack).toBe("prod");
    expect(doc.mode).toBe("preview");
  });

  it("given --help, when run, then the usage is printed and the exit code is 0", async () => {
    const { code, stdout } = await cli(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: npm run check /);
  });

  it("given a stack that has no stack file, when run, then it exits 2 naming the file, writes nothing and prints no stack trace", async () => {
    const { code, stdout, stderr } = await cli(["--stack", "nope", "--diagram", join(dir, "diagram.md")]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe("error: cannot read stack file Pulumi.nope.yaml: ENOENT\n");
    expect(() => readFileSync(join(dir, "diagram.md"))).toThrow(/ENOENT/);
  });

  it("given a stack file with a mutable commit, when checked, then it refuses naming file, line and key", async () => {
    const file = join(dir, "Pulumi.broken.yaml");
    writeFileSync(file, readFileSync(join(repo, "Pulumi.prod.yaml"), "utf8").replace("pipeline: ede3ab89", "pipeline: latest"));
    const checking = runCheck({ stack: "broken", stackFile: file, preview: true }, () => captureStack);
    await expect(checking).rejects.toThrow(InputError);
    await expect(checking).rejects.toThrow(`${file}:15: nba-pipeline:deployGroups.pipeline: expected a git commit SHA, 7–40 lowercase hex characters, got "latest"`);
  });

  it("given --diagram, when run, then the Markdown diagram is written and the report printed", async () => {
    const { code, stdout } = await cli(["--stack", "staging", "--diagram", join(dir, "staging.md")]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Stack staging /);
    const diagram = readFileSync(join(dir, "staging.md"), "utf8");
    expect(diagram).toMatch(/^### Call graph of stack `staging`: 13 calls, all granted\n\n```mermaid\nflowchart LR\n/);
    expect(diagram).toContain("grading-coverage-monitor<br/><small>function @ 19722f5c</small>");
  });

  it("given npm run from a subdirectory, when --diagram names a relative path, then the diagram is written there", async () => {
    // A directory of the project's own, so npm finds package.json above it as it does for a person working there.
    const sub = mkdtempSync(join(repo, ".test-cwd-"));
    const name = `${basename(sub)}.md`;
    try {
      await run("npm", ["run", "check", "--", "--stack", "staging", "--diagram", name], { cwd: sub });
      expect(readFileSync(join(sub, name), "utf8")).toMatch(/^### Call graph of stack `staging`/);
      expect(existsSync(join(repo, name))).toBe(false);
    } finally {
      rmSync(sub, { recursive: true, force: true });
      rmSync(join(repo, name), { force: true });
    }
  });

  it.each([
    [["--bogus"], /Unknown option '--bogus'/],
    [["--preview", "--update"], /--preview and --update exclude each other/],
    [["--stack", "../prod"], /--stack: not a stack name/],
  ])("given the arguments %j, when run, then it refuses with an InputError", async (args, message) => {
    await expect(main(args)).rejects.toThrow(InputError);
    await expect(main(args)).rejects.toThrow(message);
  });
});
