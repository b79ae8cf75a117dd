// `npm run check` end to end on the prod stack, against the floor of what it must do anyway, measured in
// the same run: start node and load @pulumi/pulumi, and start the policy pack. Goal: under 3 s and
// within 1.5x of the floor.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { startPolicyPack } from "../lib/analyzer";
import { median, seconds, timeRuns } from "./measure";

const run = promisify(execFile);
const repo = join(__dirname, "..");
const runs = 5;

export async function benchCheck(): Promise<void> {
  const node = process.execPath;
  // As `npm run check` runs it (package.json), without npm's own start-up, which is reported apart.
  const checkArgs = ["--require", "tsx/cjs", join(repo, "tools", "check.ts")];
  // One untimed run, so ts-node's and tsx's compile caches are as a second run finds them.
  await run(node, checkArgs, { cwd: repo });

  const check = median(await timeRuns(runs, () => run(node, checkArgs, { cwd: repo })));
  const npmCheck = median(await timeRuns(runs, () => run("npm", ["run", "--silent", "check"], { cwd: repo })));
  const loadPulumi = median(await timeRuns(runs, () => run(node, ["-e", 'require("@pulumi/pulumi")'], { cwd: repo })));
  const startPack = median(
    await timeRuns(runs, async () => {
      const pack = await startPolicyPack({ project: "nba-pipeline", stack: "prod", dryRun: true });
      await pack.close();
    }),
  );
  const floor = loadPulumi + startPack;
  console.log(`check: tools/check.ts on prod (preview), end to end: ${seconds(check)} (median of ${runs}); through npm run: ${seconds(npmCheck)}`);
  console.log(`check: floor = node + require("@pulumi/pulumi") ${seconds(loadPulumi)} + policy pack start-up ${seconds(startPack)} = ${seconds(floor)}`);
  console.log(`check: ratio to floor ${(check / floor).toFixed(2)}x (goal: under 3 s and within 1.5x)`);
}
