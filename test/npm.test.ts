// The tools as the README documents them: through `npm run TOOL -- …`, which is what people and the
// workflows type. npm prints a `> nba-pipeline@0.1.0 TOOL` banner on stdout before the script unless its
// log level is silent (.npmrc), and an `npm error` trailer on stderr when the script exits non-zero.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pipeline } from "../pipeline";

const project = join(__dirname, "..");
const tools = ["check", "audit", "adopt", "drift", "calls", "release", "verify", "bench"];

/** The environment without npm settings inherited from an `npm test` around this run (npm_config_loglevel…): as in a fresh shell. */
const shellEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_config_/i.test(key)));

/** `npm run SCRIPT -- ARGS` in the project, as a person types it; resolves with the exit code and both streams. */
function npmRun(script: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("npm", ["run", script, "--", ...args], { cwd: project, env: shellEnv, maxBuffer: 1 << 26 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

describe("the documented commands, through npm", () => {
  it("given the package's scripts, when listed, then these are the tools the README documents", () => {
    const scripts = Object.keys((JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);
    expect(scripts).toEqual(expect.arrayContaining(tools));
  });

  it.each(tools)("given npm run %s -- --help, when run, then stdout is the usage and nothing of npm's", async (tool) => {
    const { code, stdout, stderr } = await npmRun(tool, ["--help"]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toMatch(new RegExp(`^usage: npm run ${tool} `));
    expect(stdout).not.toContain("> nba-pipeline@");
  });

  it("given npm run check -- --json, when run, then the whole of stdout is one JSON document", async () => {
    const { code, stdout } = await npmRun("check", ["--json"]);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { stack: string; mode: string; violations: { enforcementLevel: string }[] };
    expect(doc).toMatchObject({ stack: "prod", mode: "preview" });
    expect(doc.violations.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
  });

  it("given bad input through npm, when run, then it exits 2 with the tool's one line on stderr and nothing of npm's", async () => {
    const { code, stdout, stderr } = await npmRun("release", ["--group", "nope", "--commit", "1a8bbcb1"]);
    expect({ code, stdout, stderr }).toEqual({
      code: 2,
      stdout: "",
      stderr: `error: --group: unknown deploy group "nope"; expected one of ${pipeline.deployGroups.join(", ")}\n`,
    });
  });
});
