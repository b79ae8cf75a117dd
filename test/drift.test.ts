import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { stringify } from "yaml";
import { InputError } from "../lib/cli";
import type { EngineResource } from "../lib/resources";
import { readStackFile } from "../lib/stackfile";
import { pipeline } from "../pipeline";
import { workloadsOf } from "../topology";
import { deployedCommits, drift, failing, formatDrift, main, summary, type DriftReport, type WorkloadDrift } from "../tools/drift";
import { addCommitsSharingPrefix, buildAppRepo } from "./appRepo";

const project = join(__dirname, "..");
const head = "ede3ab89f0c1d2e3a4b5c6d7e8f9a0b1c2d3e4f5";

/** A report row as the git side would produce it; tests change what they are about. */
function row(name: WorkloadDrift["name"], fields: Partial<WorkloadDrift>): WorkloadDrift {
  return {
    name,
    kind: "service",
    phase: "5",
    deployGroup: "pipeline",
    pinned: head,
    deployed: null,
    head,
    behind: 0,
    behindTouchingService: 0,
    paths: [],
    status: "up to date",
    ...fields,
  };
}

function report(services: WorkloadDrift[], measuredFrom: DriftReport["measuredFrom"] = "deployed"): DriftReport {
  return { stack: "prod", repo: "../nba-props", head, threshold: 3, measuredFrom, services };
}

describe("formatDrift (pure, canned data)", () => {
  // The seed log's table on Feb 4, as drift would have shown it.
  const seed = report([
    row("nba-scrapers", { phase: "1", deployGroup: "scrapers", pinned: "2de48c04a1b2c3d4e5f60718293a4b5c6d7e8f90", deployed: "2de48c04a1b2c3d4e5f60718293a4b5c6d7e8f90", behind: 1300, behindTouchingService: 10, status: "past threshold" }),
    row("nba-phase3-analytics-processors", { phase: "3", deployed: "1a8bbcb1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", behind: 4, behindTouchingService: 1, status: "past threshold" }),
    row("prediction-worker", { deployed: "29130502bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", behind: 2, behindTouchingService: 2, status: "behind" }),
    row("grading", { phase: "6", deployGroup: "grading", deployed: null, behind: null, behindTouchingService: null, status: "not deployed", detail: "no gcp:cloudrunv2/service:Service named grading in the state file" }),
    row("phase3-to-grading", { kind: "function", phase: "6", deployGroup: "grading", deployed: "feature1", behind: null, behindTouchingService: null, status: "unknown commit", detail: 'deployed commit "feature1" is not a commit SHA' }),
  ]);

  test("given the seed's drift, when formatted, then each row shows short SHAs, the counts and the status under the seed's columns", () => {
    const lines = formatDrift(seed).split("\n");
    expect(lines[0]).toBe("Drift of stack prod against ../nba-props (HEAD ede3ab89), counted from the deployed commit (from the state file):");
    expect(lines[2]).toBe("| Service                         | Phase | Group    | Pinned   | Deployed | HEAD     | Behind | Touching its paths | Status         |");
    expect(lines[3]).toBe("| ------------------------------- | ----- | -------- | -------- | -------- | -------- | ------ | ------------------ | -------------- |");
    expect(lines[4]).toBe("| nba-scrapers                    | 1     | scrapers | 2de48c04 | 2de48c04 | ede3ab89 | 1300   | 10                 | past threshold |");
    expect(lines[6]).toBe("| prediction-worker               | 5     | pipeline | ede3ab89 | 29130502 | ede3ab89 | 2      | 2                  | behind         |");
    expect(lines[7]).toBe("| grading                         | 6     | grading  | ede3ab89 | —        | ede3ab89 | —      | —                  | not deployed   |");
    expect(lines[8]).toBe("| phase3-to-grading               | 6     | grading  | ede3ab89 | feature1 | ede3ab89 | —      | —                  | unknown commit |");
  });

  test("given statuses with reasons, when formatted, then each reason is listed under the table and the last line sums them up", () => {
    const text = formatDrift(seed);
    expect(text).toContain(
      [
        "- grading: no gcp:cloudrunv2/service:Service named grading in the state file",
        '- phase3-to-grading: deployed commit "feature1" is not a commit SHA',
        "",
        "4 of 5 services and functions need attention: 2 more than 3 commits behind HEAD, 1 not deployed, 1 unknown commit.",
        "",
      ].join("\n"),
    );
    expect(text.endsWith("1 unknown commit.\n")).toBe(true);
  });

  test("given no state file, when formatted, then the header says behind is counted from the pinned commit", () => {
    expect(formatDrift(report([row("grading", {})], "pinned")).split("\n")[0]).toContain("counted from the pinned commit (no state file given)");
  });

  test("given every workload within the threshold, when summed up, then the summary says so", () => {
    const ok = report([row("grading", {}), row("prediction-worker", { behind: 3, behindTouchingService: 0, status: "behind" })]);
    expect(summary(ok)).toBe("All 2 services and functions are within 3 commits of HEAD.");
    expect(failing(ok)).toBe(false);
  });

  test.each([["past threshold"], ["not deployed"], ["no commit label"], ["unknown commit"], ["not in HEAD's history"]] as const)(
    "given one workload %s, when --fail decides, then it fails",
    (status) => {
      expect(failing(report([row("grading", {}), row("prediction-worker", { status })]))).toBe(true);
    },
  );
});

describe("deployedCommits (pure)", () => {
  const resource = (type: string, name: string, outputs: Record<string, unknown>, inputs: Record<string, unknown> = {}): EngineResource => ({
    urn: `urn:pulumi:prod::nba-pipeline::${type}::${name}`,
    type,
    name,
    custom: true,
    inputs,
    outputs,
    dependencies: [],
    propertyDependencies: {},
  });
  const service = "gcp:cloudrunv2/service:Service";
  const fn = "gcp:cloudfunctionsv2/function:Function";

  test("given services and functions in a state export, when read, then each workload gets the commit label of the resource with its name", () => {
    const commits = deployedCommits([
      // The app's own deploys write commit-sha; this stack wrote commit before it adopted that name.
      resource(service, "grading-service", { name: "nba-grading-service", labels: { "commit-sha": "aaaaaaaa", phase: "5b" } }),
      // A label the provider filled in is only in effectiveLabels/terraformLabels.
      resource(service, "worker", { name: "prediction-worker", labels: {}, effectiveLabels: { commit: "bbbbbbbb" } }),
      resource(service, "coordinator", { name: "prediction-coordinator", terraformLabels: { commit: "cccccccc" } }),
      // Outputs without a name (a resource mid-creation): the input name identifies it.
      resource(fn, "p3-to-grading", { labels: { commit: "dddddddd" } }, { name: "phase3-to-grading" }),
      resource(service, "scrapers", { name: "nba-scrapers", labels: { team: "data" } }),
      // Same name, wrong kind: a function is never read as the service of that name.
      resource(fn, "not-the-service", { name: "nba-phase3-analytics-processors", labels: { commit: "eeeeeeee" } }),
    ]);
    expect(Object.fromEntries(commits)).toEqual({
      "nba-grading-service": "aaaaaaaa",
      "prediction-worker": "bbbbbbbb",
      "prediction-coordinator": "cccccccc",
      "phase3-to-grading": "dddddddd",
      "nba-scrapers": null,
    });
  });
});

describe("drift on a real app repository", () => {
  let root: string;
  let repoDir: string;
  let shas: Record<string, string>;
  let stackFile: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "drift-test-"));
    repoDir = join(root, "app");
    shas = buildAppRepo(repoDir, [
      { id: "base", files: ["scrapers/main.py", "shared/db.py", "data_processors/grading/main.py", "predictions/worker/main.py", "docs/index.md"] },
      { id: "docs1", files: ["docs/index.md"] },
      { id: "worker1", files: ["predictions/worker/main.py"] },
      { id: "pipeline", files: ["docs/index.md"] },
      { id: "scrapers1", files: ["scrapers/main.py"] },
      { id: "hotfix", branch: "hotfix", parent: "pipeline", files: ["data_processors/grading/main.py"] },
      { id: "shared1", files: ["shared/db.py"] },
      { id: "docs2", files: ["docs/index.md"] },
    ]);
    const { raw } = readStackFile(join(project, "Pulumi.prod.yaml"));
    stackFile = join(root, "Pulumi.prod.yaml");
    writeFileSync(
      stackFile,
      stringify({
        config: {
          ...raw,
          "nba-pipeline:deployGroups": {
            ...Object.fromEntries(pipeline.deployGroups.map((g) => [g, shas.docs2])),
            scrapers: shas.base.slice(0, 8),
            pipeline: shas.pipeline.slice(0, 7),
          },
          "nba-pipeline:overrides": { "grading-readiness-monitor": { commit: shas.hotfix.slice(0, 10), reason: "hotfix under test" } },
        },
      }),
    );
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const byName = (r: DriftReport) => Object.fromEntries(r.services.map((s) => [s.name, s]));

  test("given no state file, when measured, then behind and touching are counted from the pinned commits", async () => {
    const result = await drift({ repo: repoDir, stackFile, threshold: 3 });
    const s = byName(result);
    expect(result).toMatchObject({ stack: "prod", head: shas.docs2, measuredFrom: "pinned", threshold: 3 });
    // base..HEAD: docs1 worker1 pipeline scrapers1 shared1 docs2 (hotfix is on its branch).
    expect(s["nba-scrapers"]).toEqual({
      name: "nba-scrapers",
      kind: "service",
      phase: "1",
      deployGroup: "scrapers",
      pinned: shas.base,
      deployed: null,
      head: shas.docs2,
      behind: 6,
      behindTouchingService: 2,
      paths: workloadsOf(pipeline).find((w) => w.name === "nba-scrapers")!.sourcePaths,
      status: "past threshold",
    });
    expect(s["prediction-worker"]).toMatchObject({ pinned: shas.pipeline, behind: 3, behindTouchingService: 1, status: "behind" });
    expect(s["prediction-coordinator"]).toMatchObject({ behind: 3, behindTouchingService: 1, status: "behind" });
    expect(s["nba-grading-service"]).toMatchObject({ behind: 0, behindTouchingService: 0, status: "up to date" });
    expect(s["grading-readiness-monitor"]).toMatchObject({
      pinned: shas.hotfix,
      behind: null,
      behindTouchingService: null,
      status: "not in HEAD's history",
      detail: `pinned commit ${shas.hotfix.slice(0, 10)} is not an ancestor of HEAD (on a branch, newer than HEAD, or from rewritten history)`,
    });
  });

  test("given a state export, when measured, then behind is counted from each deployed commit and what cannot be measured says why", async () => {
    const stateFile = join(root, "state.json");
    const deployed = (type: string, name: string, labels: Record<string, string>) => ({
      urn: `urn:pulumi:prod::nba-pipeline::${type}::${name}`,
      custom: true,
      type,
      inputs: { name },
      outputs: { name, labels },
    });
    const service = "gcp:cloudrunv2/service:Service";
    writeFileSync(
      stateFile,
      JSON.stringify({
        version: 3,
        deployment: {
          manifest: {},
          resources: [
            deployed(service, "nba-scrapers", { commit: shas.scrapers1 }),
            deployed(service, "prediction-worker", { commit: shas.worker1.slice(0, 8) }),
            deployed(service, "prediction-coordinator", { commit: "0123456789" }),
            deployed(service, "nba-phase3-analytics-processors", {}),
            deployed(service, "nba-grading-service", { "commit-sha": shas.docs2 }),
          ],
        },
      }),
    );
    const s = byName(await drift({ repo: repoDir, stackFile, stateFile, threshold: 3 }));
    expect(s["nba-scrapers"]).toMatchObject({ pinned: shas.base, deployed: shas.scrapers1, behind: 2, behindTouchingService: 1, status: "behind" });
    expect(s["prediction-worker"]).toMatchObject({ deployed: shas.worker1, behind: 4, behindTouchingService: 1, status: "past threshold" });
    expect(s["prediction-coordinator"]).toMatchObject({ deployed: "0123456789", behind: null, status: "unknown commit", detail: 'deployed commit "0123456789" is not in the app repository' });
    expect(s["nba-phase3-analytics-processors"]).toMatchObject({ deployed: null, status: "no commit label" });
    expect(s["nba-phase4-precompute-processors"]).toMatchObject({ deployed: null, status: "not deployed", detail: "no gcp:cloudrunv2/service:Service named nba-phase4-precompute-processors in the state file" });
    expect(s["nba-grading-service"]).toMatchObject({ deployed: shas.docs2, behind: 0, status: "up to date" });
  });

  test("given a pinned abbreviation two commits share, when measured, then it is an unknown commit asking for more digits", async () => {
    const twins = join(root, "twins");
    buildAppRepo(twins, [{ id: "c1", files: ["scrapers/main.py"] }]);
    const { prefix } = addCommitsSharingPrefix(twins);
    const { raw } = readStackFile(join(project, "Pulumi.prod.yaml"));
    const ambiguous = join(root, "Pulumi.ambiguous.yaml");
    writeFileSync(ambiguous, stringify({ config: { ...raw, "nba-pipeline:deployGroups": Object.fromEntries(pipeline.deployGroups.map((g) => [g, prefix])) } }));
    const s = byName(await drift({ repo: twins, stackFile: ambiguous, threshold: 3 }));
    expect(s["nba-scrapers"]).toMatchObject({
      pinned: prefix,
      behind: null,
      status: "unknown commit",
      detail: `pinned commit "${prefix}" is ambiguous: give more digits (more than one object in the app repository starts with it)`,
    });
  });

  test("given the old copy of a replaced service pending delete, when measured, then the commit deployed is the current copy's", async () => {
    // The engine keeps the old copy, at its old commit and marked "delete": true, until it is deleted.
    const stateFile = join(root, "pending-delete.json");
    const type = "gcp:cloudrunv2/service:Service";
    const grading = (commit: string) => ({
      urn: `urn:pulumi:prod::nba-pipeline::${type}::nba-grading-service`,
      custom: true,
      type,
      inputs: { name: "nba-grading-service" },
      outputs: { name: "nba-grading-service", labels: { "commit-sha": commit } },
    });
    writeFileSync(stateFile, JSON.stringify({ version: 3, deployment: { manifest: {}, resources: [{ ...grading(shas.base), delete: true }, grading(shas.docs2)] } }));
    const s = byName(await drift({ repo: repoDir, stackFile, stateFile, threshold: 3 }));
    expect(s["nba-grading-service"]).toMatchObject({ deployed: shas.docs2, behind: 0, status: "up to date" });
  });

  test("given a state file that cannot be read, when measured, then it is an InputError naming the file", async () => {
    await expect(drift({ repo: repoDir, stackFile, stateFile: join(root, "missing.json"), threshold: 3 })).rejects.toThrow(
      new InputError(`cannot read state file ${join(root, "missing.json")}: ENOENT`),
    );
  });

  test.each([
    [[], "--repo is required"],
    [["--repo", "x", "--threshold", "three"], '--threshold: expected a whole number of commits, got "three"'],
    [["--repo", "x", "--threshold", "2.5"], '--threshold: expected a whole number of commits, got "2.5"'],
    [["--repo", "x", "--verbose"], "Unknown option '--verbose'"],
    [["--repo", "x", "--stack", "../prod"], '--stack: not a stack name: "../prod"'],
  ])("given the arguments %j, when run, then it is an InputError saying %s", async (argv, message) => {
    const error = await main(argv).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toContain(message);
  });

  const tsx = join(project, "node_modules", ".bin", "tsx");
  const run = (args: string[]) =>
    promisify(execFile)(tsx, ["tools/drift.ts", ...args], { cwd: project }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  test("given the prod stack and an app repository without its commits, when run as a command with --json --fail, then stdout is one JSON document and it exits 1", async () => {
    const { code, stdout, stderr } = await run(["--repo", repoDir, "--json", "--fail"]);
    expect(stderr).toBe("");
    const parsed = JSON.parse(stdout) as DriftReport;
    const pinnedScrapers = (readStackFile(join(project, "Pulumi.prod.yaml")).raw["nba-pipeline:deployGroups"] as Record<string, string>).scrapers;
    expect(parsed.services.map((s) => [s.name, s.status, s.pinned])).toContainEqual(["nba-scrapers", "unknown commit", pinnedScrapers]);
    expect(parsed.services.every((s) => s.status === "unknown commit")).toBe(true);
    expect(code).toBe(1);
  });

  test("given a directory that is not a git repository, when run as a command, then it exits 2 with one line and no stack trace", async () => {
    const { code, stdout, stderr } = await run(["--repo", root]);
    expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: "", stderr: `error: app repository ${root}: not a git repository\n` });
  });
});
