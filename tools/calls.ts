// `npm run calls -- --repo APP [--json] [--fail]`: the calls the app repository's code and scripts make,
// held against the calls pipeline.ts declares. A call found and not declared has no invoker grant (or no
// publisher grant): once the stack owns its callee it is a 401 or 403. `--fail` exits 1 on any such call,
// so the next one is stopped in the pull request that writes it. Calls to or from what pipeline.ts leaves
// out on purpose (MLB, retired workloads; each with its reason) are shown and never fail.
import { holdAgainst, nbaConventions, scanAppRepo, type AppConventions, type CallRow } from "../lib/appcalls";
import { exitCodes, InputError, parseToolArgs, runTool, userPath } from "../lib/cli";
import { openAppRepo } from "../lib/git";
import { pipeline } from "../pipeline";
import { validateTopology, type Topology } from "../topology";

const usage = "usage: npm run calls -- --repo APP_REPO [--json] [--fail]";

export interface CallsReport {
  readonly repo: string;
  readonly head: string;
  readonly calls: readonly CallRow[];
}

/** Scans the app repository at HEAD and holds every call found against `topology`. */
export async function findCalls(repoDir: string, topology: Topology = pipeline, conventions: AppConventions = nbaConventions): Promise<CallsReport> {
  validateTopology(topology);
  const repo = await openAppRepo(repoDir, { needsHistory: false });
  return { repo: repoDir, head: repo.head, calls: holdAgainst(await scanAppRepo(repo, topology, conventions), topology) };
}

/** Calls that would fail `--fail`: found, not declared, and not left out on purpose. */
export function undeclared(report: CallsReport): CallRow[] {
  return report.calls.filter((c) => !c.declared && c.leftOut === undefined);
}

/** Undeclared calls first (each a gap), then the declared ones, then those left out on purpose. */
export function formatCalls(report: CallsReport): string {
  const gaps = undeclared(report);
  const declared = report.calls.filter((c) => c.declared);
  const leftOut = report.calls.filter((c) => !c.declared && c.leftOut !== undefined);
  const row = (c: CallRow) => `  ${c.kind.padEnd(9)} ${c.caller} -> ${c.callee}\n      ${c.evidence}${c.leftOut ? `\n      left out: ${c.leftOut}` : ""}`;
  const out = [`${report.repo} at ${report.head.slice(0, 12)}: ${report.calls.length} calls found, ${gaps.length} not declared in pipeline.ts`];
  if (gaps.length > 0) {
    out.push("", "NOT DECLARED (no grant: a 401/403 once the stack owns the callee; declare each in pipeline.ts):", ...gaps.map(row));
  }
  out.push("", `Declared (${declared.length}):`, ...declared.map(row));
  if (leftOut.length > 0) out.push("", `Left out on purpose (${leftOut.length}):`, ...leftOut.map(row));
  return `${out.join("\n")}\n`;
}

export function callsJson(report: CallsReport) {
  return {
    repo: report.repo,
    head: report.head,
    calls: report.calls.map((c) => ({ caller: c.caller, callee: c.callee, kind: c.kind, evidence: c.evidence, declared: c.declared, ...(c.leftOut ? { leftOut: c.leftOut } : {}) })),
  };
}

export async function main(argv: readonly string[], stdout: NodeJS.WritableStream = process.stdout): Promise<number> {
  const args = parseToolArgs(argv, { repo: { type: "string" }, json: { type: "boolean", default: false }, fail: { type: "boolean", default: false } }, usage);
  if (args.repo === undefined) throw new InputError(`--repo APP_REPO is required: the app repository's directory (a clone; bare is fine)\n${usage}`);
  const report = await findCalls(userPath(args.repo));
  stdout.write(args.json ? `${JSON.stringify(callsJson(report), null, 2)}\n` : formatCalls(report));
  return args.fail && undeclared(report).length > 0 ? exitCodes.findings : exitCodes.ok;
}

if (require.main === module) runTool(main);
