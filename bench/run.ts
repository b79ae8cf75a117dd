// npm run bench: every performance figure the issues ask for, one section after another (not in
// parallel: each would slow the others on a 2-core machine). `--only NAME` runs some of them.
import { exitCodes, InputError, parseToolArgs, runTool } from "../lib/cli";
import { benchCalls } from "./calls";
import { benchAudit } from "./audit";
import { benchCheck } from "./check";
import { benchDrift } from "./drift";
import { benchInventory } from "./inventory";
import { benchPolicies } from "./policies";
import { benchStack } from "./stack";
import { benchVerify } from "./verify";

/** Every bench, in the order they run. */
export const benches: Readonly<Record<string, () => Promise<void>>> = {
  stack: benchStack,
  policies: benchPolicies,
  check: benchCheck,
  drift: benchDrift,
  calls: benchCalls,
  audit: benchAudit,
  inventory: benchInventory,
  verify: benchVerify,
};

const usage = `usage: npm run bench [-- --only NAME[,NAME…]]
  --only  run only these benches (repeatable), in the usual order:
            stack     the prod program's mock run, update and preview
            policies  policy pack start-up and AnalyzeStack at 1,000 and 10,000 resources
            check     npm run check end to end against its floor
            drift     drift over a generated app repository of 10,000 commits
            calls     npm run calls over a generated app repository of the app's size (APP_REPO: also a real clone)
            audit     npm run audit over a 50,000-resource export: time and peak memory
            inventory audit --inventory over a generated 10,000-asset export; adopt on the seed's live project
            verify    npm run verify of prod against local Google APIs answering after 300 ms, beside npm run check`;

export async function main(argv: readonly string[], all: Readonly<Record<string, () => Promise<void>>> = benches): Promise<number> {
  const args = parseToolArgs(argv, { only: { type: "string", multiple: true } }, usage);
  const names = Object.keys(all);
  const only = args.only?.flatMap((list) => list.split(",")).map((name) => name.trim());
  for (const name of only ?? []) {
    if (!names.includes(name)) throw new InputError(`--only: unknown bench ${JSON.stringify(name)}; expected one of ${names.join(", ")}`);
  }
  for (const name of names) if (!only || only.includes(name)) await all[name]();
  return exitCodes.ok;
}

if (require.main === module) runTool(main);
