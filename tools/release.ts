// `npm run release`: ship or roll back a deploy group by setting its commit in the stack file. Only that
// one value changes; every comment and the layout stay as the person who wrote the file left them.
// Rolling back is the same command with the older commit.
import { renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { isScalar, parse, Scalar } from "yaml";
import { commitFor, commitFormat, commitPattern, parseConfig, type StackConfig } from "../config";
import { exitCodes, InputError, parseToolArgs, runTool, userPath } from "../lib/cli";
import { inHeadHistory, openAppRepo, resolveCommits } from "../lib/git";
import { loadStackConfig, stackFilePath } from "../lib/stackfile";
import { pipeline } from "../pipeline";
import { workloadsOf, type Workload } from "../topology";

export interface ReleaseOptions {
  readonly stackFile: string;
  readonly group: string;
  /** The commit to run: 7–40 lowercase hex characters, written to the file as given. */
  readonly commit: string;
  /** The app repository: when given, a commit it does not have is refused. */
  readonly repo?: string;
}

interface WorkloadRef {
  readonly name: string;
  readonly kind: Workload["kind"];
  readonly phase: string;
}

export interface ReleasePlan {
  readonly stack: string;
  readonly stackFile: string;
  readonly group: string;
  readonly from: string;
  readonly to: string;
  /** The full SHA found in the app repository; null when no repository was given to check. */
  readonly verifiedAs: string | null;
  /** What the release went ahead despite, such as a commit outside the app repository's HEAD history; printed on stderr. */
  readonly warnings: readonly string[];
  /** False when the group already runs that commit: the file was left alone. */
  readonly written: boolean;
  /** The group's services and functions that will run the new commit. */
  readonly changes: readonly (WorkloadRef & { readonly from: string; readonly to: string })[];
  /** The group's services and functions pinned apart by an override: unchanged. */
  readonly pinnedApart: readonly (WorkloadRef & { readonly commit: string; readonly reason: string })[];
  /** What to run next, in order: preview, then up. */
  readonly next: readonly string[];
  /** What CI does with this stack's file once it is committed. */
  readonly ci: StackCi;
}

const groupsKey = "nba-pipeline:deployGroups";

/** What CI does with a stack's file. */
export interface StackCi {
  /** A pull request runs `npm run check -- --stack NAME`. */
  readonly checked: boolean;
  /** A pull request runs `pulumi preview` of the stack with the policy pack. */
  readonly previewed: boolean;
  /** A merge to main runs `pulumi up` of the stack. */
  readonly deployed: boolean;
}

/** What .github/workflows does with each stack (test/workflows.test.ts holds the two together); any other stack: nothing. */
export const ciStacks: Readonly<Record<string, StackCi>> = {
  prod: { checked: true, previewed: true, deployed: true },
  staging: { checked: true, previewed: false, deployed: false },
};

/** Validates everything, then rewrites the one value and replaces the file atomically. A refusal leaves the file untouched. */
export async function release(options: ReleaseOptions): Promise<ReleasePlan> {
  const group = options.group as string;
  if (!pipeline.deployGroups.includes(group)) {
    throw new InputError(`--group: unknown deploy group ${JSON.stringify(options.group)}; expected one of ${pipeline.deployGroups.join(", ")}`);
  }
  if (!commitPattern.test(options.commit)) throw new InputError(`--commit: expected ${commitFormat}, got ${JSON.stringify(options.commit)}`);
  const { file, config } = loadStackConfig(options.stackFile);

  let verifiedAs: string | null = null;
  const warnings: string[] = [];
  if (options.repo !== undefined) {
    const repo = await openAppRepo(options.repo);
    const resolution = (await resolveCommits(repo, [options.commit])).get(options.commit);
    if (!resolution?.found) {
      const why =
        resolution?.reason === "ambiguous"
          ? `ambiguous: give more digits (more than one object in the app repository ${options.repo} starts with ${options.commit})`
          : `not in the app repository ${options.repo}`;
      throw new InputError(`--commit ${options.commit}: ${why}; nothing changed`);
    }
    verifiedAs = resolution.sha;
    // Allowed (a hotfix branch, a commit from before a force-push), but rarely meant: a release or rollback is normally of main's history.
    if (!(await inHeadHistory(repo, resolution.sha))) {
      warnings.push(
        `${options.commit} is not an ancestor of the app repository's HEAD (${repo.head.slice(0, 8)}): it is on a branch not merged into HEAD, ` +
          "newer than HEAD, or from rewritten history; make sure it is the commit you mean",
      );
    }
  }

  const from = config.deployGroups[group];
  const written = from !== options.commit;
  if (written) {
    const text = withGroupCommit(file.text, file.doc.getIn(["config", groupsKey, group], true), options.commit);
    const result = parseConfig((parse(text) as { config: unknown }).config);
    if (!result.ok || result.config.deployGroups[group] !== options.commit) {
      throw new Error(`release: rewriting ${options.stackFile} did not give a valid config with ${group} at ${options.commit}`);
    }
    replaceFile(options.stackFile, text);
  }

  const stack = basename(options.stackFile).replace(/^Pulumi\.(.+)\.yaml$/, "$1");
  return {
    stack,
    stackFile: options.stackFile,
    group,
    from,
    to: options.commit,
    verifiedAs,
    warnings,
    written,
    ...groupWorkloads(config, group, options.commit),
    next: written
      ? [
          `pulumi preview --stack ${stack} --policy-pack policies`,
          `pulumi up --stack ${stack} --policy-pack policies`,
        ]
      : [],
    ci: ciStacks[stack] ?? { checked: false, previewed: false, deployed: false },
  };
}

/** The group's workloads that move to `to`, and those an override keeps where they are. */
function groupWorkloads(config: StackConfig, group: string, to: string): Pick<ReleasePlan, "changes" | "pinnedApart"> {
  const members = workloadsOf(pipeline).filter((w) => w.group === group);
  const ref = (w: Workload): WorkloadRef => ({ name: w.name, kind: w.kind, phase: w.phase });
  return {
    changes: members
      .filter((w) => !config.overrides[w.name])
      .map((w) => ({ ...ref(w), from: commitFor(config, w), to })),
    pinnedApart: members.flatMap((w) => {
      const override = config.overrides[w.name];
      return override ? [{ ...ref(w), commit: override.commit, reason: override.reason }] : [];
    }),
  };
}

/**
 * The stack file's text with one scalar replaced, spliced at the node's source range. The Document
 * finds the node; re-rendering the whole Document instead would re-wrap long lines and respace
 * comments, changing lines the operator never asked to change.
 */
function withGroupCommit(text: string, node: unknown, commit: string): string {
  if (!isScalar(node) || !node.range) throw new InputError(`${groupsKey}: expected the group's commit as a plain value in the stack file`);
  const quote = node.type === Scalar.QUOTE_SINGLE ? "'" : node.type === Scalar.QUOTE_DOUBLE || readAsNonString(commit) ? '"' : "";
  return `${text.slice(0, node.range[0])}${quote}${commit}${quote}${text.slice(node.range[1])}`;
}

/** Whether a YAML reader would take the SHA for a number: `1234567`, `12345e7`, or `0b10101` under YAML 1.1 (Go's yaml.v3). */
function readAsNonString(value: string): boolean {
  return typeof parse(value) !== "string" || typeof parse(value, { version: "1.1" }) !== "string";
}

/** Writes beside the file and renames over it, so a reader never sees half a stack file. */
function replaceFile(path: string, text: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, text, { mode: statSync(path).mode });
    renameSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
}

/** What a person reads: the change, who it moves, who stays, what to run next. */
export function formatRelease(plan: ReleasePlan): string {
  const where = plan.verifiedAs === null ? "" : ` (found in the app repository as ${plan.verifiedAs})`;
  if (!plan.written) return `${plan.stackFile}: deploy group ${plan.group} already runs ${plan.to}${where}; nothing changed.\n`;
  const width = Math.max(...plan.changes.map((c) => c.name.length), ...plan.pinnedApart.map((p) => p.name.length));
  const lines = [
    `${plan.stackFile}: deploy group ${plan.group} ${plan.from} -> ${plan.to}${where}.`,
    "",
    `Will change (${plan.changes.length} services and functions):`,
    ...plan.changes.map((c) => `  phase ${c.phase}  ${c.name.padEnd(width)}  ${c.kind.padEnd(8)}  ${c.from} -> ${c.to}`),
  ];
  if (plan.pinnedApart.length > 0) {
    lines.push("", "Pinned apart by an override, unchanged:");
    lines.push(...plan.pinnedApart.map((p) => `  phase ${p.phase}  ${p.name.padEnd(width)}  ${p.kind.padEnd(8)}  ${p.commit}: ${p.reason}`));
  }
  lines.push("", ...nextSteps(plan), "");
  return lines.join("\n");
}

/** What to run next, and what CI will do instead or as well: only what the workflows really do for this stack. */
function nextSteps(plan: ReleasePlan): string[] {
  const [preview, up] = plan.next;
  const { checked, previewed, deployed } = plan.ci;
  if (deployed) {
    const ciDoes = [...(checked ? ["checks it"] : []), ...(previewed ? ["previews it with the policy pack"] : []), "deploys it on merge"];
    return [`Next: review with \`${preview}\`, then deploy with \`${up}\`;`, `or commit ${plan.stackFile} in a pull request: CI ${listed(ciDoes)}.`];
  }
  const ciDoes = checked
    ? `CI does not deploy stack ${plan.stack}: a pull request only checks ${plan.stackFile} offline (npm run check -- --stack ${plan.stack}); run both yourself.`
    : `CI does not check or deploy stack ${plan.stack}; run both yourself.`;
  return [`Next: review with \`${preview}\`, then deploy with \`${up}\`.`, ciDoes];
}

/** "a", "a and b", "a, b and c". */
function listed(items: readonly string[]): string {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

const usage = `usage: npm run release -- --group GROUP --commit SHA [--repo APP_REPO] [--stack prod] [--json]
  --group   the deploy group to move: ${pipeline.deployGroups.join(", ")}
  --commit  the app commit it should run (7–40 hex characters); an older one rolls back
  --repo    the app repository: refuse a commit it does not have
  --stack   edits Pulumi.<stack>.yaml (default prod)
  --json    print one JSON document instead of text`;

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseToolArgs(
    argv,
    {
      group: { type: "string" },
      commit: { type: "string" },
      repo: { type: "string" },
      stack: { type: "string", default: "prod" },
      json: { type: "boolean", default: false },
    },
    usage,
  );
  if (args.group === undefined || args.commit === undefined) throw new InputError(`--group and --commit are required\n${usage}`);
  const plan = await release({
    stackFile: stackFilePath(args.stack),
    group: args.group,
    commit: args.commit,
    repo: userPath(args.repo),
  });
  if (plan.verifiedAs === null) process.stderr.write(`note: no --repo given, so ${plan.to} was not checked against the app repository\n`);
  for (const warning of plan.warnings) process.stderr.write(`warning: ${warning}\n`);
  process.stdout.write(args.json ? `${JSON.stringify(plan, null, 2)}\n` : formatRelease(plan));
  return exitCodes.ok;
}

if (require.main === module) runTool(main);
