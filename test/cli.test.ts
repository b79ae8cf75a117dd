import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HelpRequested, InputError, parseToolArgs, readInputFile, userPath } from "../lib/cli";
import { main as audit } from "../tools/audit";
import { main as check } from "../tools/check";
import { main as drift } from "../tools/drift";
import { main as release } from "../tools/release";
import { buildAppRepo } from "./appRepo";

const usage = "usage: npm run tool -- --name NAME [--json]";
const options = { name: { type: "string" }, json: { type: "boolean", default: false } } as const;

describe("parseToolArgs", () => {
  it("given valid arguments, when parsed, then the values come back typed, with defaults", () => {
    expect(parseToolArgs(["--name", "grading"], options, usage)).toEqual({ name: "grading", json: false });
  });

  it.each([[["--bogus"]], [["--name"]], [["positional"]]])("given the usage mistake %j, when parsed, then an InputError carries the usage", (argv) => {
    expect(() => parseToolArgs(argv, options, usage)).toThrow(InputError);
    expect(() => parseToolArgs(argv, options, usage)).toThrow(new RegExp(`\\n${usage.replace(/[[\]]/g, "\\$&")}$`));
  });

  it.each([[["--help"]], [["-h"]], [["--name", "x", "--help"]]])("given %j, when parsed, then help is requested with the usage", (argv) => {
    expect(() => parseToolArgs(argv, options, usage)).toThrow(HelpRequested);
    expect(() => parseToolArgs(argv, options, usage)).toThrow(usage);
  });
});

describe("readInputFile", () => {
  it("given a file that does not exist, when read, then the InputError names what it is, the path and the reason", () => {
    expect(() => readInputFile("/nonexistent/state.json", "state file")).toThrow(new InputError("cannot read state file /nonexistent/state.json: ENOENT"));
  });
});

describe("userPath", () => {
  const cwd = process.cwd();

  it("given INIT_CWD a subdirectory, when a relative path is resolved, then it is taken from there, relative to the working directory", () => {
    expect(userPath("state.json", join(cwd, "ops"))).toBe(join("ops", "state.json"));
    expect(userPath("../app", join(cwd, "ops", "deep"))).toBe(join("ops", "app"));
  });

  it("given INIT_CWD the working directory or unset (the tool run without npm), when resolved, then a relative path is as typed", () => {
    expect(userPath("../nba-props", cwd)).toBe("../nba-props");
    const saved = process.env.INIT_CWD;
    delete process.env.INIT_CWD;
    try {
      expect(userPath("./state.json")).toBe("state.json");
    } finally {
      if (saved !== undefined) process.env.INIT_CWD = saved;
    }
  });

  it("given an absolute path, when resolved, then it is unchanged", () => {
    expect(userPath("/var/state.json", "/elsewhere")).toBe("/var/state.json");
  });
});

/**
 * Each tool's path options, given relative to INIT_CWD (where `npm run` was called, as npm sets it), found
 * there: each is given a file that does not exist there, and the message names it as resolved from there.
 */
describe("every path option is taken from the directory npm run was called in", () => {
  let root: string;
  let from: string;
  let repoDir: string;
  const saved = process.env.INIT_CWD;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "user-path-"));
    from = join(root, "sub");
    repoDir = join(from, "app");
    buildAppRepo(repoDir, [{ id: "c1", files: ["a.py"] }]);
    writeFileSync(join(from, "state.json"), JSON.stringify({ version: 3, deployment: { manifest: {}, resources: [] } }));
    process.env.INIT_CWD = from;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.INIT_CWD;
    else process.env.INIT_CWD = saved;
    rmSync(root, { recursive: true, force: true });
  });
  const there = (name: string) => relative(process.cwd(), join(from, name));
  const failure = (run: Promise<unknown>) => run.then(() => new Error("it succeeded"), (error: unknown) => error);

  it.each([
    ["check --policy-config", () => check(["--policy-config", "policy.json"]), () => `cannot read policy config ${there("policy.json")}: ENOENT`],
    ["audit --state", () => audit(["--state", "nope.json"]), () => `cannot read state file ${there("nope.json")}: ENOENT`],
    ["audit --policy-config", () => audit(["--state", "state.json", "--policy-config", "policy.json"]), () => `cannot read policy config ${there("policy.json")}: ENOENT`],
    ["drift --repo", () => drift(["--repo", "nope"]), () => `app repository ${there("nope")}: no such directory`],
    ["drift --state", () => drift(["--repo", "app", "--state", "nope.json"]), () => `cannot read state file ${there("nope.json")}: ENOENT`],
    ["release --repo", () => release(["--group", "pipeline", "--commit", "1a8bbcb1", "--repo", "nope"]), () => `app repository ${there("nope")}: no such directory`],
  ])("given %s relative to INIT_CWD, when run, then the path is read from there", async (_, run, message) => {
    const error = await failure(run());
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(message());
  });
});
