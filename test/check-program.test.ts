// npm run check -- --program DIR: any Pulumi TypeScript program under the same offline runtime and pack,
// with its own project and stack files; the same output and exit codes as the prod check.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { captureProgram } from "../lib/capture";
import { InputError } from "../lib/cli";
import { loadProgram, offlineSecret } from "../lib/program";
import { checkJson, exitCodeFor, runProgramCheck } from "../tools/check";
import { formatCheck } from "../tools/report";

const repo = resolve(__dirname, "..");
const program = join("test", "fixtures", "program");
const run = promisify(execFile);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(join(repo, "node_modules", ".bin", "tsx"), [join(repo, "tools", "check.ts"), ...args], { cwd: repo });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("loadProgram", () => {
  it("given a program's project and stack files, then its config is the project defaults under the stack file's values, keys in their namespace, secrets not decrypted", () => {
    const p = loadProgram(program, "gap");
    expect(p.name).toBe("scheduled-report");
    expect(p.main).toBe(join(repo, program, "index.ts"));
    expect(p.config).toEqual({ "gcp:project": "report-dev", "gcp:region": "us-central1", "scheduled-report:gap": true, "scheduled-report:reportToken": offlineSecret });
    expect(p.secretKeys).toEqual(["scheduled-report:reportToken"]);
    expect(loadProgram(program, "dev").config).toEqual({ "scheduled-report:gap": false, "gcp:project": "report-dev", "gcp:region": "us-central1" });
  });

  it.each([
    ["a directory that does not exist", "test/fixtures/nope", undefined, "--program: test/fixtures/nope is not a directory"],
    ["a stack with no stack file", program, "prod", `cannot read stack file ${join(program, "Pulumi.prod.yaml")}: ENOENT`],
    ["a directory with no Pulumi.yaml", "test/fixtures", undefined, `cannot read project file ${join("test", "fixtures", "Pulumi.yaml")}: ENOENT`],
  ])("given %s, then an InputError names it", (_, dir, stack, message) => {
    expect(() => loadProgram(dir, stack)).toThrow(InputError);
    expect(() => loadProgram(dir, stack)).toThrow(message);
  });
});

describe.each([
  { mode: "preview", preview: true },
  { mode: "update", preview: false },
])("runProgramCheck in $mode mode", ({ preview }) => {
  it("given the program with its grant, then the call is found and granted and nothing mandatory fails", async () => {
    const result = await runProgramCheck({ dir: program, stack: "dev", preview }, () => captureProgram);
    const doc = checkJson(result);
    expect(doc.program).toBe(program);
    expect(doc.calls).toEqual([expect.objectContaining({ caller: expect.stringMatching(/^nightly-[0-9a-f]{7}$/), callee: expect.stringMatching(/^report-[0-9a-f]{7}$/), via: "scheduler job", granted: true })]);
    expect(doc.violations.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
    expect(exitCodeFor(result)).toBe(0);
    expect(formatCheck(result)).toMatch(/^Program test\/fixtures\/program, stack dev \((preview|update)[^)]*\), 4 resources\n\nServices and functions: 1\n {2}service {2}report-[0-9a-f]{7} /);
  });

  it("given the stack without the grant, then caller-has-run-invoker fails with pasteable code, and the exit code is 1", async () => {
    const result = await runProgramCheck({ dir: program, stack: "gap", preview }, () => captureProgram);
    const mandatory = result.violations.filter((v) => v.enforcementLevel === "mandatory");
    expect(mandatory.map((v) => v.policyName)).toEqual(["caller-has-run-invoker"]);
    // Auto-named: the grant is named from logical names and the service by its variable's output.
    expect(mandatory[0].message).toContain('new gcp.cloudrun.IamMember("nightly-invokes-report", { service: report.name, location: "us-central1", project: "report-dev"');
    expect(exitCodeFor(result)).toBe(1);
  });
});

describe("npm run check -- --program as a command", () => {
  const dir = mkdtempSync(join(tmpdir(), "check-program-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("given --json, then stdout is one JSON document and the exit code says whether a mandatory policy failed", async () => {
    const ok = await cli(["--program", program, "--stack", "dev", "--json"]);
    expect(ok.code).toBe(0);
    expect(Object.keys(JSON.parse(ok.stdout))).toEqual(["program", "stack", "mode", "resourceCount", "services", "functions", "calls", "dataAccess", "violations"]);
    const gap = await cli(["--program", program, "--stack", "gap", "--update", "--json"]);
    expect(gap.code).toBe(1);
    expect(JSON.parse(gap.stdout).mode).toBe("update");
  });

  it("given a program outside this project with no node_modules, then its packages resolve from this project's and it is judged as here", async () => {
    const copy = join(dir, "copy");
    mkdirSync(copy);
    for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.gap.yaml", "index.ts"]) writeFileSync(join(copy, file), readFileSync(join(repo, program, file)));
    const { code, stdout } = await cli(["--program", copy, "--stack", "gap", "--json"]);
    expect(code).toBe(1);
    expect(JSON.parse(stdout).calls).toEqual([expect.objectContaining({ via: "scheduler job", granted: false })]);
  });

  it("given a program that fails, then exit 2 with its message and no stack trace", async () => {
    mkdirSync(join(dir, "broken"));
    writeFileSync(join(dir, "broken", "Pulumi.yaml"), "name: broken\nruntime: nodejs\n");
    writeFileSync(join(dir, "broken", "index.ts"), 'import * as pulumi from "@pulumi/pulumi";\nnew pulumi.Config().require("missing");\n');
    const { code, stdout, stderr } = await cli(["--program", join(dir, "broken")]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^error: .*broken: the program failed during the offline preview: Missing required configuration variable 'broken:missing'/);
    expect(stderr).not.toContain("    at ");
  });

  it("given a program of another runtime, then exit 2 naming its project file", async () => {
    mkdirSync(join(dir, "python"));
    writeFileSync(join(dir, "python", "Pulumi.yaml"), "name: py\nruntime: python\n");
    const { code, stderr } = await cli(["--program", join(dir, "python")]);
    expect(code).toBe(2);
    expect(stderr).toContain('Pulumi.yaml: runtime is "python"; check --program runs Pulumi programs whose runtime is nodejs');
  });
});
