// vitest globalSetup: the test run gets a temporary directory of its own as TMPDIR, inherited by the test
// workers and every tool, git and npm they start. At the end whatever is left there fails the run, named,
// and the directory goes: a test removes what it creates (afterAll/afterEach), and a run that forgets no
// longer fills the machine's /tmp.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** What may stay until the end: caches of the tools the tests start, and what the audit tests leave (cleaned up in a change of their own). */
const expected = [/^tsx-\d+$/, /^nba-audit-/];

export default function setup(): () => void {
  const outer = tmpdir();
  const dir = mkdtempSync(join(outer, "nba-pipeline-tests-"));
  process.env.TMPDIR = dir;
  return () => {
    process.env.TMPDIR = outer;
    const left = readdirSync(dir).filter((name) => !expected.some((pattern) => pattern.test(name)));
    rmSync(dir, { recursive: true, force: true });
    if (left.length > 0) {
      // vitest prints an error thrown here but still exits 0.
      process.exitCode = 1;
      throw new Error(`the tests left ${left.length} temporary file(s) or directory(ies) behind: ${left.sort().join(", ")}; remove what a test creates in afterAll/afterEach`);
    }
  };
}
