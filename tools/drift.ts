// `npm run drift`: the seed log's "what is deployed where" table, computed. For every service and
// function: the commit pinned in the stack file, the commit deployed (the `commit` label in a
// `pulumi stack export`), the app repository's HEAD, how many commits behind HEAD that is, and how many
// of those touch the workload's own source paths ("1,300 commits, or 10 real changes?").
import { basename } from "node:path";
import { commitFor, type StackConfig } from "../config";
import { exitCodes, InputError, parseToolArgs, runTool, userPath } from "../lib/cli";
import { behindHead, openAppRepo, resolveCommits, type AppRepo, type Resolution } from "../lib/git";
import type { EngineResource } from "../lib/resources";
import { loadStackConfig, stackFilePath } from "../lib/stackfile";
import { readStateExport } from "../lib/stateExport";
import { pipeline } from "../pipeline";
import { workloadsOf, type Workload } from "../topology";
import { types } from "../policies/callgraph";
import { commitOf } from "../policies/labels";

export type DriftStatus =
  | "up to date"
  | "behind" // at most the threshold
  | "past threshold"
  | "not deployed" // a state file was given and has no such service or function
  | "no commit label"
  | "unknown commit" // not in the app repository, ambiguous, or not a SHA at all
  | "not in HEAD's history"; // e.g. deployed from a branch: "behind" means nothing

/** Statuses that `--fail` lets pass: every other one means drift past the threshold or drift nobody can measure. */
const passing: readonly DriftStatus[] = ["up to date", "behind"];

export interface WorkloadDrift {
  readonly name: string;
  readonly kind: Workload["kind"];
  readonly phase: string;
  readonly deployGroup: string;
  /** Full SHA when the app repository has it, else as written in the stack file. */
  readonly pinned: string;
  /** Full SHA when the app repository has it, else the label as found; null without a state file or a label. */
  readonly deployed: string | null;
  readonly head: string;
  /** Commits HEAD has that the measured commit does not; null when that cannot be measured (see status). */
  readonly behind: number | null;
  /** Of `behind`, the non-merge commits that change a file under `paths`. */
  readonly behindTouchingService: number | null;
  readonly paths: readonly string[];
  readonly status: DriftStatus;
  /** Why, for a status other than up to date, behind or past threshold. */
  readonly detail?: string;
}

export interface DriftReport {
  readonly stack: string;
  readonly repo: string;
  readonly head: string;
  readonly threshold: number;
  /** Which commit `behind` is counted from: the deployed one when a state file is given, else the pinned one. */
  readonly measuredFrom: "deployed" | "pinned";
  readonly services: readonly WorkloadDrift[];
}

export interface DriftOptions {
  /** The app repository's directory. */
  readonly repo: string;
  readonly stackFile: string;
  /** A `pulumi stack export` (or file-backend checkpoint); without it drift is measured from the pinned commits. */
  readonly stateFile?: string;
  /** `past threshold` means more than this many commits behind HEAD. */
  readonly threshold: number;
}

/** Reads the stack file, the app repository and the state file, and measures every workload. */
export async function drift(options: DriftOptions): Promise<DriftReport> {
  const { config } = loadStackConfig(options.stackFile);
  const repo = await openAppRepo(options.repo);
  const deployed = options.stateFile === undefined ? undefined : deployedCommits(readStateExport(options.stateFile).resources);
  return {
    stack: basename(options.stackFile).replace(/^Pulumi\.(.+)\.yaml$/, "$1"),
    repo: options.repo,
    head: repo.head,
    threshold: options.threshold,
    measuredFrom: deployed ? "deployed" : "pinned",
    services: await measureDrift(repo, config, deployed, options.threshold),
  };
}

/** A deployed workload's `commit` label, or null when it has none. */
export type DeployedCommits = ReadonlyMap<string, string | null>;

const deployedTypes: Record<Workload["kind"], string> = { service: types.service, function: types.function };

/**
 * The commit label (`commit-sha`, or the older `commit`) of each workload found in deployed state: the Cloud Run service or gen2 function
 * whose `name` is the workload's. The label is read from the provider's outputs, where a label set by
 * the program is in `labels` and one filled in by the provider only in `effectiveLabels`/`terraformLabels`.
 * A workload missing from the map is not deployed.
 */
export function deployedCommits(resources: readonly EngineResource[]): DeployedCommits {
  const commits = new Map<string, string | null>();
  for (const workload of workloadsOf(pipeline)) {
    const resource = resources.find(
      (r) => r.custom && r.type === deployedTypes[workload.kind] && (r.outputs.name ?? r.inputs.name) === workload.name,
    );
    if (!resource) continue;
    const label = ["labels", "effectiveLabels", "terraformLabels"]
      .map((key) => resource.outputs[key])
      .map((labels) => commitOf(labels))
      .find((commit) => commit !== undefined);
    commits.set(workload.name, label ?? null);
  }
  return commits;
}

/**
 * Measures every workload against HEAD. Git runs four times in all, however many commits are measured:
 * once to resolve them all, three times to count them all (lib/git.ts `behindHead`).
 */
export async function measureDrift(
  repo: AppRepo,
  config: StackConfig,
  deployed: DeployedCommits | undefined,
  threshold: number,
): Promise<WorkloadDrift[]> {
  const workloads = workloadsOf(pipeline);
  const pinned = workloads.map((w) => commitFor(config, w));
  // With a state file: undefined when not deployed, null when deployed without a commit label.
  const labels = workloads.map((w) => deployed?.get(w.name));
  const measured = deployed ? labels : pinned;
  const resolved = await resolveCommits(repo, [...pinned, ...labels].filter((c): c is string => typeof c === "string"));

  const pathLists = workloads.map((w) => w.sourcePaths);
  const shaOf = (commit: string | null | undefined) => {
    const resolution = typeof commit === "string" ? resolved.get(commit) : undefined;
    return resolution?.found ? [resolution.sha] : [];
  };
  const bases = new Set(measured.flatMap(shaOf));
  const behindByBase = await behindHead(repo, [...bases], pathLists);

  const which = deployed ? "deployed" : "pinned";
  return workloads.map((workload, i): WorkloadDrift => {
    const label = labels[i];
    const fields = {
      name: workload.name,
      kind: workload.kind,
      phase: workload.phase,
      deployGroup: workload.group,
      pinned: shown(pinned[i], resolved.get(pinned[i])),
      deployed: typeof label === "string" ? shown(label, resolved.get(label)) : null,
      head: repo.head,
      paths: workload.sourcePaths,
    };
    const unmeasured = (status: DriftStatus, detail: string): WorkloadDrift => ({ ...fields, behind: null, behindTouchingService: null, status, detail });

    const commit = measured[i];
    if (commit === undefined) return unmeasured("not deployed", `no ${deployedTypes[workload.kind]} named ${workload.name} in the state file`);
    if (commit === null) return unmeasured("no commit label", `the deployed ${workload.kind} has no commit label (commit-sha or commit)`);
    const resolution = resolved.get(commit);
    if (!resolution?.found) {
      const why = {
        missing: "is not in the app repository",
        ambiguous: "is ambiguous: give more digits (more than one object in the app repository starts with it)",
        "not a commit SHA": "is not a commit SHA",
      }[resolution?.reason ?? "missing"];
      return unmeasured("unknown commit", `${which} commit ${JSON.stringify(commit)} ${why}`);
    }
    const behind = behindByBase.get(resolution.sha);
    if (behind === undefined) return unmeasured("not in HEAD's history", `${which} commit ${commit} is not an ancestor of HEAD (on a branch, newer than HEAD, or from rewritten history)`);
    return {
      ...fields,
      behind: behind.commits,
      behindTouchingService: behind.touching[i],
      status: behind.commits === 0 ? "up to date" : behind.commits > threshold ? "past threshold" : "behind",
    };
  });
}

/** A commit as reports show it: the full SHA when known, else exactly as written. */
function shown(written: string, resolution: Resolution | undefined): string {
  return resolution?.found ? resolution.sha : written;
}

/** Whether `--fail` should exit 1: a workload past the threshold, or one whose drift cannot be measured. */
export function failing(report: DriftReport): boolean {
  return report.services.some((s) => !passing.includes(s.status));
}

/** The seed log's table, in Markdown (read in a terminal or rendered in a GitHub job summary), and a summary line. */
export function formatDrift(report: DriftReport): string {
  const short = (sha: string | null) => (sha === null ? "—" : /^[0-9a-f]{40,64}$/.test(sha) ? sha.slice(0, 8) : sha);
  const header = ["Service", "Phase", "Group", "Pinned", "Deployed", "HEAD", "Behind", "Touching its paths", "Status"];
  const rows = report.services.map((s) => [
    s.name,
    String(s.phase),
    s.deployGroup,
    short(s.pinned),
    short(s.deployed),
    short(s.head),
    s.behind === null ? "—" : String(s.behind),
    s.behindTouchingService === null ? "—" : String(s.behindTouchingService),
    s.status,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: readonly string[]) => `| ${cells.map((cell, c) => cell.padEnd(widths[c])).join(" | ")} |`;
  const from = report.measuredFrom === "deployed" ? "the deployed commit (from the state file)" : "the pinned commit (no state file given)";
  const notes = report.services.filter((s) => s.detail).map((s) => `- ${s.name}: ${s.detail}`);
  return [
    `Drift of stack ${report.stack} against ${report.repo} (HEAD ${short(report.head)}), counted from ${from}:`,
    "",
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    "",
    ...(notes.length > 0 ? [...notes, ""] : []),
    summary(report),
    "",
  ].join("\n");
}

/** One line: how many workloads need attention and why, or that all are within the threshold. */
export function summary(report: DriftReport): string {
  const total = report.services.length;
  const counts = new Map<DriftStatus, number>();
  for (const s of report.services) if (!passing.includes(s.status)) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  if (counts.size === 0) return `All ${total} services and functions are within ${report.threshold} commits of HEAD.`;
  const reasons = [...counts].map(([status, n]) => (status === "past threshold" ? `${n} more than ${report.threshold} commits behind HEAD` : `${n} ${status}`));
  const attention = [...counts.values()].reduce((a, b) => a + b, 0);
  return `${attention} of ${total} services and functions need attention: ${reasons.join(", ")}.`;
}

const usage = `usage: npm run drift -- --repo APP_REPO [--stack prod] [--state EXPORT.json] [--threshold 3] [--fail] [--json]
  --repo       the app repository (a full clone: drift counts its history)
  --stack      reads Pulumi.<stack>.yaml (default prod)
  --state      a \`pulumi stack export\`; counts from the deployed commits instead of the pinned ones
  --threshold  more than this many commits behind HEAD is drift (default 3)
  --fail       exit 1 when any service or function is past the threshold or cannot be measured
  --json       print one JSON document instead of the table`;

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseToolArgs(
    argv,
    {
      repo: { type: "string" },
      stack: { type: "string", default: "prod" },
      state: { type: "string" },
      threshold: { type: "string", default: "3" },
      fail: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
    usage,
  );
  if (args.repo === undefined) throw new InputError(`--repo is required\n${usage}`);
  if (!/^[0-9]+$/.test(args.threshold)) throw new InputError(`--threshold: expected a whole number of commits, got ${JSON.stringify(args.threshold)}`);
  const report = await drift({
    repo: userPath(args.repo),
    stackFile: stackFilePath(args.stack),
    stateFile: userPath(args.state),
    threshold: Number(args.threshold),
  });
  process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatDrift(report));
  return args.fail && failing(report) ? exitCodes.findings : exitCodes.ok;
}

if (require.main === module) runTool(main);
