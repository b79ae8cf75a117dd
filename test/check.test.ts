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
import { dataGrantsFor } from "../components/access";
import { pipeline } from "../pipeline";
import { workloadsOf } from "../topology";
import { checkJson, exitCodeFor, judge, main, runCheck } from "../tools/check";
import { formatCheck, formatDiagram, type CheckResult } from "../tools/report";

const prodFile = readStackFile("Pulumi.prod.yaml");
const stagingFile = readStackFile("Pulumi.staging.yaml");
const commitOf = (file: typeof prodFile, group: string, name?: string) =>
  (file.raw["nba-pipeline:overrides"] as Record<string, { commit: string }> | undefined)?.[name ?? ""]?.commit ??
  (file.raw["nba-pipeline:deployGroups"] as Record<string, string>)[group];

/**
 * Every call the pack can see, as `caller -> callee`, from pipeline.ts: env calls, each function's own
 * event trigger, push subscriptions, Eventarc triggers and scheduler jobs. A call made with a URL written
 * in code is granted but invisible to any pack: no resource says the caller makes it.
 */
const visibleCalls = [
  ...workloadsOf(pipeline).flatMap((w) => (w.calls ?? []).filter((c) => c.env !== undefined).map((c) => `${w.name} -> ${c.callee}`)),
  ...pipeline.functions.flatMap((f) => ("topic" in f.trigger ? [`${f.name} -> ${f.name}`] : [])),
  ...pipeline.subscriptions.map((s) => `${s.name} -> ${s.callee}`),
  ...pipeline.eventarcTriggers.map((e) => `${e.name} -> ${e.callee}`),
  ...pipeline.schedulerJobs.map((j) => `${j.name} -> ${j.callee}`),
].sort();
const callCount = visibleCalls.length;

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

  it("given the prod stack in preview mode, when checked, then every service and function shows its group's commit and artifact, and the check passes", () => {
    const doc = checkJson(preview);
    const registry = String(prodFile.raw["nba-pipeline:registry"]);
    const bucket = String(prodFile.raw["nba-pipeline:functionSourceBucket"]);
    const byName = <T extends { name: string }>(list: readonly T[]) => [...list].sort((a, b) => a.name.localeCompare(b.name));
    expect(byName(doc.services)).toEqual(
      byName(pipeline.services.map((s) => ({ name: s.name, phase: s.phase, deployGroup: s.group, commit: commitOf(prodFile, s.group), image: `${registry}/${s.image}:${commitOf(prodFile, s.group).slice(0, 7)}` }))),
    );
    expect(byName(doc.functions)).toEqual(
      byName(pipeline.functions.map((f) => ({ name: f.name, phase: f.phase, deployGroup: f.group, commit: commitOf(prodFile, f.group), source: `gs://${bucket}/${f.name}/${commitOf(prodFile, f.group)}.zip` }))),
    );
    expect(doc.violations.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
    expect(exitCodeFor(preview)).toBe(0);
  });

  it("given the prod stack, when checked, then the call graph holds every declared call, granted, including the easily forgotten identities", () => {
    const calls = checkJson(preview).calls;
    expect(calls.map((c) => `${c.caller} -> ${c.callee}`).sort()).toEqual(visibleCalls);
    expect(calls.filter((c) => !c.granted)).toEqual([]);
    const vias = new Set(calls.map((c) => c.via.replace(/^env .*/, "env")));
    expect([...vias].sort()).toEqual(["env", "event trigger", "eventarc trigger", "push subscription", "scheduler job"]);
  });

  it("given the same stack, when checked in preview and in update mode, then the verdicts and the call graph agree", () => {
    const verdict = (r: CheckResult) => ({
      violations: r.violations.map((v) => [v.policyName, v.enforcementLevel, v.urn]),
      // Found by URL after `up` and by dependency in preview, so in another order: compare them sorted.
      calls: r.calls.map((c) => `${c.caller} -> ${c.callee} ${c.granted}`).sort(),
    });
    expect(verdict(update)).toEqual(verdict(preview));
    expect(update.mode).toBe("update");
    // After `up` the identities are known emails; during preview they are described as new accounts.
    const call = update.calls.find((c) => c.caller === "phase4-to-phase5-orchestrator" && c.callee === "prediction-coordinator");
    expect(call?.identity).toBe("serviceAccount:phase4-to-phase5-orchestrator@nba-props-platform.iam.gserviceaccount.com");
  });

  it("given the update result, when its data access is listed, then each workload's own account has exactly the roles pipeline.ts lists for its code, and the text shows them", () => {
    const project = String(prodFile.raw["gcp:project"]);
    const listed = (name: string) =>
      checkJson(update)
        .dataAccess.filter((r) => r.workload === name)
        .map((r) => `${r.role} on ${r.on}`)
        .sort();
    for (const w of workloadsOf(pipeline)) {
      const expected = [
        ...dataGrantsFor(w.access, (w.secrets ?? []).map((s) => s.secret)).map((g) => `${g.role} on ${g.on.kind} ${g.on.kind === "project" ? project : g.on.name}`),
        ...(w.publishes ?? []).map((p) => `roles/pubsub.publisher on topic ${p.topic}`),
      ].sort();
      expect(listed(w.name), w.name).toEqual(expected);
    }
    expect(formatCheck(update)).toMatch(/\nData access: \d+ grants to \d+ workloads' own accounts, each on what its code reads or writes\n/);
    expect(formatCheck(update)).toMatch(/\n {2}nba-phase3-analytics-processors +[^\n]*bigquery\.dataEditor: [^\n]*nba_analytics/);
  });

  it("given the result, when formatted, then the reviewer sees each phase, the calls and a pass", () => {
    const text = formatCheck(preview);
    expect(text).toMatch(/^Stack prod \(preview: new resources' outputs unknown\), \d+ resources\n/);
    for (const p of pipeline.phases) expect(text).toContain(`Phase ${p.phase} · ${p.name} (`);
    expect(text).toMatch(/\nStack-wide \(\d+ resources\): nba-phase1-scrapers-complete, .*function-builder-account, .*unauthorized-calls-policy\n/);
    expect(text).toContain(`Calls: ${callCount}, every one granted roles/run.invoker`);
    expect(text.trimEnd().split("\n").pop()).toBe("PASS: pulumi preview --policy-pack policies would succeed");
  });

  it("given the result, when drawn, then the Mermaid diagram groups workloads by phase and has no red edge", () => {
    const diagram = formatDiagram(preview);
    expect(diagram.split("\n")[0]).toBe(`### Call graph of stack \`prod\`: ${callCount} calls, all granted`);
    for (const p of pipeline.phases) expect(diagram).toContain(`  subgraph phase${p.phase}["Phase ${p.phase} · `);
    expect(diagram.match(/-->\|/g)).toHaveLength(callCount);
    expect(diagram).not.toContain("linkStyle");
  });
});

describe("npm run check on a stack with an auth gap", () => {
  let pack: PolicyPackSession;
  let gap: CheckResult;

  beforeAll(async () => {
    pack = await startPolicyPack({ project: "nba-pipeline", stack: "prod", dryRun: true });
    const { resources } = await captureStack({ stack: "prod", config: readStackFile("Pulumi.prod.yaml").raw, preview: true });
    // The seed log's 401, on the orchestrator that starts phase 5: no roles/run.invoker on its callee.
    const withoutGrant = resources.filter((r) => r.name !== "phase4-to-phase5-orchestrator-invokes-prediction-coordinator");
    expect(withoutGrant).toHaveLength(resources.length - 1);
    gap = await judge(withoutGrant, { stack: "prod", preview: true, projectNumber: "756957797294", pack });
  });
  afterAll(() => pack?.close());

  it("given the grant removed, when judged, then caller-has-run-invoker fails mandatory and the check exits 1", () => {
    const mandatory = gap.violations.filter((v) => v.enforcementLevel === "mandatory");
    expect(mandatory.map((v) => v.policyName)).toEqual(["caller-has-run-invoker"]);
    expect(mandatory[0].message).toContain("phase4-to-phase5-orchestrator calls prediction-coordinator");
    expect(mandatory[0].message).toContain("roles/run.invoker");
    expect(exitCodeFor(gap)).toBe(1);
  });

  it("given the grant removed, when formatted, then the gap and its fix are shown and the check fails", () => {
    const text = formatCheck(gap);
    expect(text).toContain(`Calls: ${callCount}, 1 without roles/run.invoker`);
    expect(text).toContain("  GAP phase4-to-phase5-orchestrator -> prediction-coordinator  [env PREDICTION_COORDINATOR_URL] as new service account phase4-to-phase5-orchestrator@");
    expect(text).toMatch(/\n {6}fix: .*roles\/run\.invoker/);
    expect(text).toContain(
      "MANDATORY caller-has-run-invoker\n  where: phase4-to-phase5-orchestrator-function (gcp:cloudfunctionsv2/function:Function)\n  what:  phase4-to-phase5-orchestrator calls prediction-coordinator",
    );
    expect(text.trimEnd().split("\n").pop()).toBe("FAIL: pulumi preview --policy-pack policies would fail (1 mandatory violation)");
  });

  it("given the grant removed, when drawn, then exactly that edge is red", () => {
    const diagram = formatDiagram(gap);
    const index = gap.calls.findIndex((c) => !c.granted);
    expect(diagram).toContain(`linkStyle ${index} stroke:#d1242f`);
    expect(diagram).toContain('|"GAP: no run.invoker · env PREDICTION_COORDINATOR_URL"|');
  });
});

describe("npm run check as a command", () => {
  const dir = mkdtempSync(join(tmpdir(), "check-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("given --json, when run, then stdout is exactly one JSON document and the exit code is 0", async () => {
    const { code, stdout } = await cli(["--json"]);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout);
    expect(Object.keys(doc)).toEqual(["stack", "mode", "resourceCount", "services", "functions", "calls", "dataAccess", "violations"]);
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
    writeFileSync(file, prodFile.text.replace(`pipeline: ${commitOf(prodFile, "pipeline")}`, "pipeline: latest"));
    const checking = runCheck({ stack: "broken", stackFile: file, preview: true }, () => captureStack);
    await expect(checking).rejects.toThrow(InputError);
    const line = prodFile.lineOf(["nba-pipeline:deployGroups", "pipeline"]);
    await expect(checking).rejects.toThrow(`${file}:${line}: nba-pipeline:deployGroups.pipeline: expected a git commit SHA, 7–40 lowercase hex characters, got "latest"`);
  });

  it("given --diagram, when run, then the Markdown diagram is written and the report printed", async () => {
    const { code, stdout } = await cli(["--stack", "staging", "--diagram", join(dir, "staging.md")]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Stack staging /);
    const diagram = readFileSync(join(dir, "staging.md"), "utf8");
    expect(diagram).toMatch(new RegExp(`^### Call graph of stack \`staging\`: ${callCount} calls, all granted\n\n\`\`\`mermaid\nflowchart LR\n`));
    const [overridden, override] = Object.entries(stagingFile.raw["nba-pipeline:overrides"] as Record<string, { commit: string }>)[0];
    expect(diagram).toContain(`${overridden}<br/><small>function @ ${override.commit}</small>`);
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
