// `npm run verify` of the prod stack end to end, against the local stand-in for Google's APIs
// (test/support/google-apis.ts) answering every request after 300 ms, beside `npm run check` of the same
// stack measured in the same run. Goal: verify takes under 1.5 s more than check, which holds only if its
// ~120 requests overlap (16 at once) instead of queueing one after another (~36 s).
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { defaultLimits } from "../lib/googleapis";
import { healthyProject, startGoogleApis } from "../test/support/google-apis";
import { stackLoader, verifyTargets } from "../tools/verify";
import { median, seconds, timeRuns } from "./measure";

const run = promisify(execFile);
const repo = join(__dirname, "..");
const runs = 5;
const latencyMs = 300;
const goalMs = 1500;

export async function benchVerify(): Promise<void> {
  const { resources, projectNumber } = await stackLoader()("prod");
  const targets = verifyTargets(resources, projectNumber);
  const server = await startGoogleApis(healthyProject(targets), { latencyMs });
  try {
    const node = process.execPath;
    // As `npm run verify` and `npm run check` run them (package.json), without npm's own start-up.
    const verifyArgs = ["--require", "tsx/cjs", join(repo, "tools", "verify.ts"), "--api-root", server.url];
    const checkArgs = ["--require", "tsx/cjs", join(repo, "tools", "check.ts")];
    const env = { ...process.env, GOOGLE_OAUTH_ACCESS_TOKEN: "bench-token" };
    // One untimed run of each, so tsx's compile cache is as a second run finds it; verify must pass (exit 0).
    await run(node, verifyArgs, { cwd: repo, env });
    await run(node, checkArgs, { cwd: repo });
    const requests = server.received.length;

    const verify = median(await timeRuns(runs, () => run(node, verifyArgs, { cwd: repo, env })));
    const check = median(await timeRuns(runs, () => run(node, checkArgs, { cwd: repo })));
    const difference = verify - check;
    console.log(
      `verify: prod stack, ${targets.calls.length} calls and ${targets.workloads.length} workloads in ${requests} requests, each answered after ${latencyMs} ms, ${defaultLimits.concurrency} at once`,
    );
    console.log(`verify: tools/verify.ts ${seconds(verify)}, tools/check.ts ${seconds(check)} (medians of ${runs})`);
    console.log(`verify: difference ${difference >= 0 ? "+" : ""}${seconds(difference)} (goal: under +${seconds(goalMs)}) ${difference < goalMs ? "PASS" : "FAIL"}`);
  } finally {
    await server.close();
  }
}
