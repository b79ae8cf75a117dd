import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { InputError } from "../lib/cli";
import { loadStackConfig } from "../lib/stackfile";
import { pipeline } from "../pipeline";
import { workloadsOf } from "../topology";
import { formatRelease, release, type ReleasePlan } from "../tools/release";
import { addCommitsSharingPrefix, buildAppRepo } from "./appRepo";

/** A stack file's text with its deploy groups at known commits: scrapers at 2de48c04, every other at `others`. */
function withCommits(text: string, others: string): string {
  return text.replace(/^( {4})(\w+): \w+$/gm, (line, indent: string, group: string) =>
    pipeline.deployGroups.includes(group) ? `${indent}${group}: ${group === "scrapers" ? "2de48c04" : others}` : line,
  );
}
const members = (group: string) => workloadsOf(pipeline).filter((w) => w.group === group);
const groupsJoined = pipeline.deployGroups.join(", ");

const project = join(__dirname, "..");
let root: string;
let prod: string;
let staging: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "release-test-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  prod = join(root, "Pulumi.prod.yaml");
  staging = join(root, "Pulumi.staging.yaml");
  writeFileSync(prod, withCommits(readFileSync(join(project, "Pulumi.prod.yaml"), "utf8"), "ede3ab89"));
  writeFileSync(staging, withCommits(readFileSync(join(project, "Pulumi.staging.yaml"), "utf8"), "5a498759"));
});

/** The lines that differ between two texts of the same length in lines, as [before, after]. */
function changedLines(before: string, after: string): [string, string][] {
  const a = before.split("\n");
  const b = after.split("\n");
  expect(b.length).toBe(a.length);
  return a.flatMap((line, i): [string, string][] => (line === b[i] ? [] : [[line, b[i]]]));
}

describe("release", () => {
  test("given the prod stack, when the pipeline group is released, then exactly its line changes and every workload of the group is listed", async () => {
    const before = readFileSync(prod, "utf8");
    const plan = await release({ stackFile: prod, group: "pipeline", commit: "1a8bbcb1" });
    expect(changedLines(before, readFileSync(prod, "utf8"))).toEqual([["    pipeline: ede3ab89", "    pipeline: 1a8bbcb1"]]);
    expect(loadStackConfig(prod).config.deployGroups).toEqual({ ...Object.fromEntries(pipeline.deployGroups.map((g) => [g, "ede3ab89"])), scrapers: "2de48c04", pipeline: "1a8bbcb1" });
    expect(plan).toMatchObject({ stack: "prod", group: "pipeline", from: "ede3ab89", to: "1a8bbcb1", written: true, verifiedAs: null, pinnedApart: [] });
    expect(plan.changes.map((c) => [c.name, c.from, c.to])).toEqual(members("pipeline").map((w) => [w.name, "ede3ab89", "1a8bbcb1"]));
    expect(plan.next).toEqual(["pulumi preview --stack prod --policy-pack policies", "pulumi up --stack prod --policy-pack policies"]);
    expect(plan.ci).toEqual({ checked: true, previewed: true, deployed: true });
    expect(formatRelease(plan)).toContain(
      "Next: review with `pulumi preview --stack prod --policy-pack policies`, then deploy with `pulumi up --stack prod --policy-pack policies`;\n" +
        `or commit ${prod} in a pull request: CI checks it, previews it with the policy pack and deploys it on merge.\n`,
    );
  });

  test("given the staging stack, which CI only checks offline, when released, then the next steps say it is deployed by hand", async () => {
    const plan = await release({ stackFile: staging, group: "pipeline", commit: "1a8bbcb1" });
    expect(plan.ci).toEqual({ checked: true, previewed: false, deployed: false });
    expect(plan.next).toEqual(["pulumi preview --stack staging --policy-pack policies", "pulumi up --stack staging --policy-pack policies"]);
    const text = formatRelease(plan);
    expect(text).toContain(
      "Next: review with `pulumi preview --stack staging --policy-pack policies`, then deploy with `pulumi up --stack staging --policy-pack policies`.\n" +
        `CI does not deploy stack staging: a pull request only checks ${staging} offline (npm run check -- --stack staging); run both yourself.\n`,
    );
    expect(text).not.toContain("on merge");
  });

  test("given a stack CI knows nothing of, when released, then the next steps say CI neither checks nor deploys it", async () => {
    const dev = join(root, "Pulumi.dev.yaml");
    copyFileSync(staging, dev);
    const plan = await release({ stackFile: dev, group: "pipeline", commit: "1a8bbcb1" });
    expect(plan.ci).toEqual({ checked: false, previewed: false, deployed: false });
    expect(formatRelease(plan)).toContain("CI does not check or deploy stack dev; run both yourself.\n");
  });

  test("given a group with a workload pinned apart, when released, then that workload is reported unchanged with its reason and the long comment lines stay as written", async () => {
    const before = readFileSync(staging, "utf8");
    const { overrides } = loadStackConfig(staging).config;
    const [apart, override] = Object.entries(overrides)[0];
    const workload = workloadsOf(pipeline).find((w) => w.name === apart)!;
    const plan = await release({ stackFile: staging, group: workload.group, commit: "94087b90" });
    expect(changedLines(before, readFileSync(staging, "utf8"))).toEqual([[`    ${workload.group}: 5a498759`, `    ${workload.group}: 94087b90`]]);
    expect(plan.changes.map((c) => c.name)).toEqual(members(workload.group).filter((w) => w.name !== apart).map((w) => w.name));
    expect(plan.pinnedApart).toEqual([{ name: apart, kind: workload.kind, phase: workload.phase, commit: override!.commit, reason: override!.reason }]);
    const width = Math.max(...members(workload.group).map((w) => w.name.length));
    expect(formatRelease(plan)).toContain(`  phase ${workload.phase}  ${apart.padEnd(width)}  ${workload.kind.padEnd(8)}  ${override!.commit}: ${override!.reason}`);
  });

  test("given a release, when the older commit is released again, then the file is byte for byte what it was (rollback)", async () => {
    const before = readFileSync(prod, "utf8");
    await release({ stackFile: prod, group: "scrapers", commit: "ede3ab89" });
    const back = await release({ stackFile: prod, group: "scrapers", commit: "2de48c04" });
    expect(back).toMatchObject({ from: "ede3ab89", to: "2de48c04", written: true });
    expect(readFileSync(prod, "utf8")).toBe(before);
  });

  test.each([
    ["1234567", '"1234567"'],
    ["12345e7", '"12345e7"'],
    ["0b10101", '"0b10101"'],
    ["abcdef0", "abcdef0"],
  ])("given the SHA %s, when written, then YAML readers still read a string (%s)", async (commit, written) => {
    const before = readFileSync(prod, "utf8");
    await release({ stackFile: prod, group: "grading", commit });
    expect(changedLines(before, readFileSync(prod, "utf8"))).toEqual([["    grading: ede3ab89", `    grading: ${written}`]]);
    expect(loadStackConfig(prod).config.deployGroups.grading).toBe(commit);
  });

  test("given a value written in single quotes and a flow map, when released, then the quoting style and the rest of the line are kept", async () => {
    const file = join(root, "Pulumi.flow.yaml");
    const text = readFileSync(prod, "utf8").replace(
      /  nba-pipeline:deployGroups:\n(?:    #.*\n|    \w+: \w+\n)+/,
      `  nba-pipeline:deployGroups: { scrapers: '2de48c04', pipeline: 'ede3ab89',   ${pipeline.deployGroups.filter((g) => g !== "scrapers" && g !== "pipeline").map((g) => `${g}: ede3ab89`).join(", ")} }   # one line\n`,
    );
    writeFileSync(file, text);
    await release({ stackFile: file, group: "pipeline", commit: "1a8bbcb1" });
    const line = text.split("\n").find((l) => l.startsWith("  nba-pipeline:deployGroups:"))!;
    expect(changedLines(text, readFileSync(file, "utf8"))).toEqual([[line, line.replace("pipeline: 'ede3ab89'", "pipeline: '1a8bbcb1'")]]);
  });

  test("given the commit the group already runs, when released, then nothing is written and the plan says so", async () => {
    const before = readFileSync(prod, "utf8");
    const plan = await release({ stackFile: prod, group: "pipeline", commit: "ede3ab89" });
    expect(plan).toMatchObject({ written: false, from: "ede3ab89", to: "ede3ab89", next: [] });
    expect(formatRelease(plan)).toBe(`${prod}: deploy group pipeline already runs ede3ab89; nothing changed.\n`);
    expect(readFileSync(prod, "utf8")).toBe(before);
  });

  test("given a successful release, when the directory is listed, then no temporary file is left beside the stack file", async () => {
    await release({ stackFile: prod, group: "pipeline", commit: "1a8bbcb1" });
    expect(readdirSync(root).filter((f) => f.includes(".tmp"))).toEqual([]);
  });
});

describe("release refuses bad input and leaves the file untouched", () => {
  let repoDir: string;
  let shas: Record<string, string>;
  beforeAll(() => {
    repoDir = join(root, "app");
    shas = buildAppRepo(repoDir, [
      { id: "c1", files: ["a.py"] },
      { id: "c2", files: ["a.py"] },
      { id: "h1", branch: "hotfix", parent: "c1", files: ["a.py"] },
    ]);
  });

  test("given a commit the app repository has outside HEAD's history, when released with --repo, then it is written with a warning saying so", async () => {
    const commit = shas.h1.slice(0, 8);
    const plan = await release({ stackFile: prod, group: "pipeline", commit, repo: repoDir });
    expect(plan).toMatchObject({ written: true, verifiedAs: shas.h1 });
    expect(loadStackConfig(prod).config.deployGroups.pipeline).toBe(commit);
    expect(plan.warnings).toEqual([
      `${commit} is not an ancestor of the app repository's HEAD (${shas.c2.slice(0, 8)}): it is on a branch not merged into HEAD, newer than HEAD, or from rewritten history; make sure it is the commit you mean`,
    ]);
  });

  test.each([
    [{ group: "predictions", commit: "1a8bbcb1" }, `--group: unknown deploy group "predictions"; expected one of ${groupsJoined}`],
    [{ group: "pipeline", commit: "latest" }, '--commit: expected a git commit SHA, 7–40 lowercase hex characters, got "latest"'],
    [{ group: "pipeline", commit: "EDE3AB89" }, '--commit: expected a git commit SHA, 7–40 lowercase hex characters, got "EDE3AB89"'],
    [{ group: "pipeline", commit: "ede3ab" }, '--commit: expected a git commit SHA, 7–40 lowercase hex characters, got "ede3ab"'],
  ])("given %j, when released, then it is refused with %s", async (args, message) => {
    const before = readFileSync(prod, "utf8");
    await expect(release({ stackFile: prod, ...args })).rejects.toThrow(new InputError(message));
    expect(readFileSync(prod, "utf8")).toBe(before);
  });

  test("given a commit the app repository does not have, when released with --repo, then it is refused", async () => {
    const before = readFileSync(prod, "utf8");
    await expect(release({ stackFile: prod, group: "pipeline", commit: "1a8bbcb1", repo: repoDir })).rejects.toThrow(
      new InputError(`--commit 1a8bbcb1: not in the app repository ${repoDir}; nothing changed`),
    );
    expect(readFileSync(prod, "utf8")).toBe(before);
  });

  test("given an abbreviation two commits of the app repository share, when released with --repo, then it is refused as ambiguous", async () => {
    const twins = join(root, "twins");
    buildAppRepo(twins, [{ id: "c1", files: ["a.py"] }]);
    const { prefix } = addCommitsSharingPrefix(twins);
    const before = readFileSync(prod, "utf8");
    await expect(release({ stackFile: prod, group: "pipeline", commit: prefix, repo: twins })).rejects.toThrow(
      new InputError(`--commit ${prefix}: ambiguous: give more digits (more than one object in the app repository ${twins} starts with ${prefix}); nothing changed`),
    );
    expect(readFileSync(prod, "utf8")).toBe(before);
  });

  test("given a commit the app repository has, when released with --repo, then the plan shows the full SHA it was found as", async () => {
    const plan: ReleasePlan = await release({ stackFile: prod, group: "pipeline", commit: shas.c1.slice(0, 8), repo: repoDir });
    expect(plan.verifiedAs).toBe(shas.c1);
    expect(plan.warnings).toEqual([]);
    expect(formatRelease(plan).split("\n")[0]).toBe(`${prod}: deploy group pipeline ede3ab89 -> ${shas.c1.slice(0, 8)} (found in the app repository as ${shas.c1}).`);
  });

  test("given a stack file that is already invalid, when released, then the config problems are reported and nothing is written", async () => {
    const broken = readFileSync(prod, "utf8").replace("gcp:region: us-west2", "gcp:region: us-west9");
    writeFileSync(prod, broken);
    await expect(release({ stackFile: prod, group: "pipeline", commit: "1a8bbcb1" })).rejects.toThrow(/gcp:region: unknown region "us-west9"/);
    expect(readFileSync(prod, "utf8")).toBe(broken);
  });

  const tsx = join(project, "node_modules", ".bin", "tsx");
  const run = (args: string[]) =>
    promisify(execFile)(tsx, ["tools/release.ts", ...args], { cwd: project }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  test("given an unknown group, when run as a command, then it exits 2 with one line on stderr, no stack trace, and the stack file is untouched", async () => {
    const before = readFileSync(join(project, "Pulumi.prod.yaml"), "utf8");
    const { code, stdout, stderr } = await run(["--group", "nope", "--commit", "1a8bbcb1"]);
    expect({ code, stdout, stderr }).toEqual({
      code: 2,
      stdout: "",
      stderr: `error: --group: unknown deploy group "nope"; expected one of ${groupsJoined}\n`,
    });
    expect(readFileSync(join(project, "Pulumi.prod.yaml"), "utf8")).toBe(before);
  });

  test("given the commit prod already runs, when run as a command with --json, then stdout is one JSON document and nothing is written", async () => {
    const current = loadStackConfig(join(project, "Pulumi.prod.yaml")).config.deployGroups.pipeline;
    const { code, stdout } = await run(["--group", "pipeline", "--commit", current, "--json"]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ stack: "prod", group: "pipeline", from: current, to: current, written: false });
  });
});
