// npm run bench: every performance figure the issues ask for, one section after another (not in
// parallel: each would slow the others on a 2-core machine).
import { benchAudit } from "./audit";
import { benchCheck } from "./check";
import { benchDrift } from "./drift";
import { benchPolicies } from "./policies";
import { benchStack } from "./stack";

async function main(): Promise<void> {
  await benchStack();
  await benchPolicies();
  await benchCheck();
  await benchDrift();
  await benchAudit();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
