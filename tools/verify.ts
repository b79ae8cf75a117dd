// `npm run verify`: after a deploy, proof from GCP itself that every call the stack declares is allowed and
// every service and function runs its pinned commit. The calls and workloads are exactly those
// `npm run check --update --json` lists (the program captured as after `up`: account emails and names are
// deterministic, so no state file is needed). For each call the Policy Troubleshooter (IAM v3) is asked
// whether the caller's account has run.routes.invoke on the callee's Cloud Run service (a gen2 function
// is a Run service of its own name); each service must be Ready with all of its traffic on revisions
// labelled with the pinned commit; each function ACTIVE and labelled with it. Anything short of a yes
// (CANNOT_ACCESS, either UNKNOWN state, an error, a timeout) is "not proven", with its reason: exit 1.
import { exitCodes, InputError, parseToolArgs, runTool, userPath } from "../lib/cli";
import {
  checkCredentials,
  credentialsFrom,
  defaultLimits,
  googleApis,
  parseApiRoot,
  realTiming,
  RequestPool,
  type Answer,
  type GoogleApis,
  type RequestLimits,
  type Timing,
} from "../lib/googleapis";
import type { EngineResource } from "../lib/resources";
import { loadStackConfig, stackFilePath } from "../lib/stackfile";
import { readStateExport } from "../lib/stateExport";
import { isUnknown, types } from "../policies/callgraph";
import { commitOf } from "../policies/labels";
import { stackView } from "./check";
import type { run_v2 } from "@googleapis/run";
import type { cloudfunctions_v2 } from "googleapis/build/src/apis/cloudfunctions/v2";
import type { policytroubleshooter_v3 } from "googleapis/build/src/apis/policytroubleshooter/v3";

type Service = run_v2.Schema$GoogleCloudRunV2Service;
type Revision = run_v2.Schema$GoogleCloudRunV2Revision;
type CloudFunction = cloudfunctions_v2.Schema$Function;
type TroubleshootResponse = policytroubleshooter_v3.Schema$GoogleCloudPolicytroubleshooterIamV3TroubleshootIamPolicyResponse;

/** The permission roles/run.invoker grants and a call needs, on the callee's Run service. */
export const invokePermission = "run.routes.invoke";

// ---------------------------------------------------------------------------------------------------
// What to ask about: the program's calls and workloads.

export interface CallTarget {
  readonly caller: string;
  readonly callee: string;
  /** `serviceAccount:EMAIL`, the caller's identity as check prints it; undefined when the program does not say. */
  readonly principal?: string;
  /** `//run.googleapis.com/projects/P/locations/L/services/S`: the callee's Run service. */
  readonly resource?: string;
  /** The callee's deploy group, for rolling back. */
  readonly deployGroup?: string;
}

export interface WorkloadTarget {
  readonly name: string;
  readonly kind: "service" | "function";
  readonly deployGroup: string;
  /** The pinned commit, as the program labels it. */
  readonly commit: string;
  /** `projects/P/locations/L/services/S` or `…/functions/F`; undefined when the program does not say. */
  readonly path?: string;
}

export interface Targets {
  readonly calls: readonly CallTarget[];
  readonly workloads: readonly WorkloadTarget[];
}

/** The calls and workloads of resources captured as after `up`, in check's order. */
export function verifyTargets(resources: readonly EngineResource[], projectNumber: string): Targets {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const { calls, phases } = stackView(resources, projectNumber);
  const workloads = phases.flatMap((p) => p.workloads);
  const groupOf = new Map(workloads.map((w) => [w.urn, w.deployGroup]));
  return {
    calls: calls.map((c) => {
      const principal = c.member !== undefined && /^(serviceAccount|user):[^@\s]+@\S+$/.test(c.member) ? c.member : undefined;
      const path = locationPath(byUrn.get(c.calleeUrn), "services");
      const group = groupOf.get(c.calleeUrn);
      return {
        caller: c.caller,
        callee: c.callee,
        ...(principal === undefined ? {} : { principal }),
        ...(path === undefined ? {} : { resource: `//run.googleapis.com/${path}` }),
        ...(group === undefined ? {} : { deployGroup: group }),
      };
    }),
    workloads: workloads.map((w) => {
      const path = locationPath(byUrn.get(w.urn), w.kind === "service" ? "services" : "functions");
      return { name: w.name, kind: w.kind, deployGroup: w.deployGroup, commit: w.commit, ...(path === undefined ? {} : { path }) };
    }),
  };
}

/**
 * `projects/P/locations/L/COLLECTION/NAME` of a Run service or gen2 function, from its state after `up`
 * (its inputs where the provider fills nothing). A gen2 function's Run service has the function's name and
 * location, so the same path with `services` names it.
 */
function locationPath(resource: EngineResource | undefined, collection: "services" | "functions"): string | undefined {
  if (!resource || (resource.type !== types.service && resource.type !== types.function)) return undefined;
  const value = (key: string) => {
    const v = resource.outputs[key] ?? resource.inputs[key];
    return typeof v === "string" && v !== "" && !isUnknown(v) ? v : undefined;
  };
  const [project, location, name] = [value("project"), value("location"), value("name")];
  return project && location && name ? `projects/${project}/locations/${location}/${collection}/${name}` : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Asking GCP.

export interface CallResult {
  readonly caller: string;
  readonly callee: string;
  readonly principal: string | null;
  readonly resource: string | null;
  /** The troubleshooter's overallAccessState; null when there is no answer. */
  readonly state: string | null;
  readonly proven: boolean;
  readonly reason?: string;
  readonly deployGroup?: string;
}

export interface WorkloadResult {
  readonly name: string;
  readonly kind: "service" | "function";
  readonly deployGroup: string;
  readonly commit: string;
  /** What runs: the commit label, or for a service split across commits `C1 90%, C2 10%`; null when not known. */
  readonly live: string | null;
  readonly ok: boolean;
  readonly reason?: string;
}

export interface VerifyResult {
  readonly calls: readonly CallResult[];
  readonly workloads: readonly WorkloadResult[];
  /** Distinct principal-resource pairs asked about: calls made as the same account to the same callee share one answer. */
  readonly questions: number;
}

export interface VerifyOptions {
  readonly limits?: RequestLimits;
  readonly timing?: Timing;
  /** Every request together must be done within this; after it, what is unanswered is "timed out". */
  readonly timeoutMs: number;
}

/** Asks every question of `targets`, all through one pool, and judges the answers. */
export async function verify(targets: Targets, apis: GoogleApis, options: VerifyOptions): Promise<VerifyResult> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), options.timeoutMs);
  const pool = new RequestPool(options.limits ?? defaultLimits, deadline.signal, options.timing ?? realTiming, `timed out (--timeout ${options.timeoutMs / 1000} s)`);
  try {
    const asked = new Map<string, Promise<Answer<TroubleshootResponse>>>();
    const ask = (principal: string, resource: string) => {
      const key = `${principal} ${resource}`;
      let answer = asked.get(key);
      if (!answer) {
        const accessTuple = { principal: principal.slice(principal.indexOf(":") + 1), fullResourceName: resource, permission: invokePermission };
        answer = pool.send("the Policy Troubleshooter", (o) => apis.troubleshooter.iam.troubleshoot({ requestBody: { accessTuple } }, o));
        asked.set(key, answer);
      }
      return answer;
    };
    const [calls, workloads] = await Promise.all([
      Promise.all(targets.calls.map(async (c) => judgeCall(c, c.principal && c.resource ? await ask(c.principal, c.resource) : undefined))),
      Promise.all(targets.workloads.map((w) => (w.kind === "service" ? verifyService(w, apis, pool) : verifyFunction(w, apis, pool)))),
    ]);
    return { calls, workloads, questions: asked.size };
  } finally {
    clearTimeout(timer);
  }
}

async function verifyService(w: WorkloadTarget, apis: GoogleApis, pool: RequestPool): Promise<WorkloadResult> {
  if (w.path === undefined) return unlocated(w);
  const path = w.path;
  const service = await pool.send("Cloud Run", (o) => apis.run.projects.locations.services.get({ name: path }, o));
  if (!service.ok) return judgeService(w, service, new Map());
  const names = [...new Set(servingRevisions(service.data).revisions.map((r) => r.name))];
  const revisions = await Promise.all(names.map((name) => pool.send("Cloud Run", (o) => apis.run.projects.locations.services.revisions.get({ name: `${path}/revisions/${name}` }, o))));
  return judgeService(w, service, new Map(names.map((name, i) => [name, revisions[i]])));
}

async function verifyFunction(w: WorkloadTarget, apis: GoogleApis, pool: RequestPool): Promise<WorkloadResult> {
  if (w.path === undefined) return unlocated(w);
  const path = w.path;
  return judgeFunction(w, await pool.send("Cloud Functions", (o) => apis.functions.projects.locations.functions.get({ name: path }, o)));
}

function unlocated(w: WorkloadTarget): WorkloadResult {
  return { ...workloadBase(w), live: null, ok: false, reason: "the program does not say its project, region or name, so it could not be looked up" };
}

function workloadBase(w: WorkloadTarget) {
  return { name: w.name, kind: w.kind, deployGroup: w.deployGroup, commit: w.commit };
}

// ---------------------------------------------------------------------------------------------------
// Judging answers: pure functions.

/** What each state the troubleshooter may answer means for the call; only CAN_ACCESS proves it. */
const stateReasons: Readonly<Record<string, string>> = {
  CANNOT_ACCESS: `the caller's account may not use ${invokePermission} on the callee: no roles/run.invoker grant applies, or a deny policy blocks it`,
  UNKNOWN_INFO: "the troubleshooter could not read every policy that applies (verify's identity needs roles/iam.securityReviewer and roles/iam.denyReviewer), so access is not proven",
  UNKNOWN_CONDITIONAL: "access depends on an IAM condition the troubleshooter could not evaluate, so it is not proven",
};

/** A call's verdict from the troubleshooter's answer (undefined: the program does not say who calls or what). */
export function judgeCall(target: CallTarget, answer: Answer<TroubleshootResponse> | undefined): CallResult {
  const base = { caller: target.caller, callee: target.callee, principal: target.principal ?? null, resource: target.resource ?? null };
  const group = target.deployGroup === undefined ? {} : { deployGroup: target.deployGroup };
  if (answer === undefined) {
    const missing = target.principal === undefined ? "the caller's account" : "the callee's Run service";
    return { ...base, state: null, proven: false, reason: `not asked: the program does not say ${missing} as an email or full resource name`, ...group };
  }
  if (!answer.ok) {
    const hint = answer.status === 403 ? " (verify's identity needs roles/iam.securityReviewer to troubleshoot access)" : "";
    return { ...base, state: null, proven: false, reason: `${answer.reason}${hint}`, ...group };
  }
  const state = typeof answer.data.overallAccessState === "string" && answer.data.overallAccessState !== "" ? answer.data.overallAccessState : null;
  if (state === "CAN_ACCESS") return { ...base, state, proven: true, ...group };
  const reason = (state !== null && stateReasons[state]) || `the troubleshooter answered ${state ?? "no overallAccessState"}, which does not prove access`;
  return { ...base, state, proven: false, reason, ...group };
}

const latestType = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST";

/** The revisions a service's traffic goes to (short names, with their share), and what is wrong with its traffic. */
export function servingRevisions(service: Service): { revisions: { name: string; percent: number }[]; problems: string[] } {
  const problems: string[] = [];
  const percents = new Map<string, number>();
  let total = 0;
  for (const status of service.trafficStatuses ?? []) {
    const percent = status.percent ?? 0;
    if (percent <= 0) continue; // a tag without traffic serves nothing
    total += percent;
    // A LATEST entry follows the latest ready revision, which trafficStatuses need not name.
    const full = status.type === latestType ? service.latestReadyRevision : status.revision;
    if (!full) {
      problems.push(status.type === latestType ? `${percent}% of traffic goes to the latest ready revision, and there is none` : `${percent}% of traffic goes to a revision it does not name`);
      continue;
    }
    const name = full.slice(full.lastIndexOf("/") + 1);
    percents.set(name, (percents.get(name) ?? 0) + percent);
  }
  if (total !== 100) problems.push(total === 0 ? "it serves no traffic" : `its traffic adds up to ${total}%, not 100%`);
  return { revisions: [...percents].map(([name, percent]) => ({ name, percent })), problems };
}

/** A service's verdict: Ready, not reconciling, and every revision with traffic labelled with the pinned commit. */
export function judgeService(w: WorkloadTarget, answer: Answer<Service>, revisions: ReadonlyMap<string, Answer<Revision>>): WorkloadResult {
  if (!answer.ok) return { ...workloadBase(w), live: null, ok: false, reason: answer.status === 403 ? `${answer.reason} (verify's identity needs roles/run.viewer)` : answer.reason };
  const service = answer.data;
  const problems: string[] = [];
  if (service.reconciling) problems.push("a rollout is in progress (reconciling)");
  const ready = service.terminalCondition;
  if (ready?.state !== "CONDITION_SUCCEEDED") {
    problems.push(`not Ready: its terminal condition is ${ready?.state ?? "missing"}${ready?.message ? ` (${ready.message})` : ""}`);
  }
  const serving = servingRevisions(service);
  problems.push(...serving.problems);
  const live: { commit: string; percent: number }[] = [];
  for (const { name, percent } of serving.revisions) {
    const revision = revisions.get(name);
    if (!revision || !revision.ok) {
      problems.push(`revision ${name} (${percent}% of traffic): ${revision?.reason ?? "not looked up"}`);
      live.push({ commit: "?", percent });
      continue;
    }
    const commit = commitOf(revision.data.labels);
    live.push({ commit: commit ?? "?", percent });
    if (commit === undefined) problems.push(`revision ${name} (${percent}% of traffic) has no commit label (commit-sha or commit)`);
    else if (!sameCommit(w.commit, commit)) problems.push(`${percent}% of traffic goes to revision ${name} at commit ${commit}, not ${w.commit}`);
  }
  return { ...workloadBase(w), live: liveCommits(live), ok: problems.length === 0, ...(problems.length === 0 ? {} : { reason: problems.join("; ") }) };
}

/** `C` when one commit serves everything, else each commit with its share (`C1 90%, C2 10%`, `?` for a revision not read); null when nothing is known. */
function liveCommits(live: readonly { commit: string; percent: number }[]): string | null {
  const byCommit = new Map<string, number>();
  for (const { commit, percent } of live) byCommit.set(commit, (byCommit.get(commit) ?? 0) + percent);
  const [first] = byCommit;
  if (first === undefined || (byCommit.size === 1 && first[0] === "?")) return null;
  if (byCommit.size === 1 && first[1] === 100) return first[0];
  return [...byCommit].map(([commit, percent]) => `${commit} ${percent}%`).join(", ");
}

/** A function's verdict: ACTIVE and labelled with the pinned commit. */
export function judgeFunction(w: WorkloadTarget, answer: Answer<CloudFunction>): WorkloadResult {
  if (!answer.ok) return { ...workloadBase(w), live: null, ok: false, reason: answer.status === 403 ? `${answer.reason} (verify's identity needs roles/cloudfunctions.viewer)` : answer.reason };
  const fn = answer.data;
  const problems: string[] = [];
  if (fn.state !== "ACTIVE") {
    const messages = (fn.stateMessages ?? []).map((m) => m.message).filter((m): m is string => typeof m === "string" && m !== "");
    problems.push(`its state is ${fn.state ?? "missing"}, not ACTIVE${messages.length > 0 ? ` (${messages.join("; ")})` : ""}`);
  }
  const commit = commitOf(fn.labels);
  if (commit === undefined) problems.push("it has no commit label (commit-sha or commit)");
  else if (!sameCommit(w.commit, commit)) problems.push(`it is labelled commit ${commit}, not ${w.commit}`);
  return { ...workloadBase(w), live: commit ?? null, ok: problems.length === 0, ...(problems.length === 0 ? {} : { reason: problems.join("; ") }) };
}

/**
 * Whether a label names the pinned commit: the same SHA, however abbreviated, as long as both have at
 * least 7 characters (the app's scripts label with the short SHA; the stack with what the stack file says).
 */
export function sameCommit(pinned: string, label: string): boolean {
  const [a, b] = [pinned.toLowerCase(), label.toLowerCase()];
  if (a === b) return true;
  const [shorter, longer] = a.length <= b.length ? [a, b] : [b, a];
  return shorter.length >= 7 && longer.startsWith(shorter);
}

/** 0 only when every call is proven and every workload is at its commit. */
export function exitCodeFor(result: VerifyResult): number {
  return result.calls.every((c) => c.proven) && result.workloads.every((w) => w.ok) ? exitCodes.ok : exitCodes.findings;
}

// ---------------------------------------------------------------------------------------------------
// Rolling back.

/** Each deploy group's commits before this deploy, from a state export taken before `up`. */
export type PreviousCommits = ReadonlyMap<string, readonly string[]>;

/**
 * The commits each deploy group's workloads ran in `resources` (a `pulumi stack export` from before
 * `up`): the commit labels of the group's services and functions found there by name, leaving out those
 * pinned apart from their group (`commit-override`), which a release of the group does not move.
 */
export function previousCommits(resources: readonly EngineResource[], workloads: readonly WorkloadTarget[]): PreviousCommits {
  const commits = new Map<string, string[]>();
  for (const w of workloads) {
    const type = w.kind === "service" ? types.service : types.function;
    const found = resources.find((r) => r.custom && r.type === type && (r.outputs.name ?? r.inputs.name) === w.name);
    if (!found) continue;
    const labels = ["labels", "effectiveLabels", "terraformLabels"].map((key) => found.outputs[key]).find((l) => commitOf(l) !== undefined) as Record<string, unknown> | undefined;
    if (!labels || labels["commit-override"] === "true") continue;
    const list = commits.get(w.deployGroup) ?? [];
    const commit = commitOf(labels) as string;
    if (!list.includes(commit)) list.push(commit);
    commits.set(w.deployGroup, list);
  }
  return commits;
}

/**
 * For each deploy group with a failure (a workload of it, or a call to one), what to run to put it back on
 * the commit it ran before this deploy, or why that would not help. A call is counted against its callee's
 * group; note that a release moves commits, never grants.
 */
export function rollbackAdvice(result: VerifyResult, stack: string, previous: PreviousCommits | undefined): string[] {
  const groups = [...new Set([...result.workloads.filter((w) => !w.ok).map((w) => w.deployGroup), ...result.calls.flatMap((c) => (!c.proven && c.deployGroup !== undefined ? [c.deployGroup] : []))])];
  const stackFlag = stack === "prod" ? "" : ` --stack ${stack}`;
  return groups.map((group) => {
    const workloads = result.workloads.filter((w) => w.deployGroup === group && !w.ok).length;
    const calls = result.calls.filter((c) => c.deployGroup === group && !c.proven).length;
    const what = [workloads > 0 ? plural(workloads, "workload") : "", calls > 0 ? `${plural(calls, "call")} to it not proven` : ""].filter(Boolean).join(", ");
    const head = `${group} (${what}):`;
    if (previous === undefined) return `${head} npm run release -- --group ${group} --commit PREVIOUS${stackFlag} (--previous-state, a stack export from before up, names PREVIOUS)`;
    const before = previous.get(group) ?? [];
    if (before.length === 0) return `${head} not deployed before this deploy, so there is no commit to roll back to`;
    if (before.length > 1) return `${head} it ran several commits before this deploy (${before.join(", ")}): npm run release -- --group ${group} --commit ONE_OF_THEM${stackFlag}`;
    const now = new Set(result.workloads.filter((w) => w.deployGroup === group).map((w) => w.commit));
    if (now.size > 0 && [...now].every((commit) => sameCommit(commit, before[0]))) {
      return `${head} it ran ${before[0]} before this deploy too, so rolling back would change nothing: see the reasons above`;
    }
    return `${head} npm run release -- --group ${group} --commit ${before[0]}${stackFlag}`;
  });
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

// ---------------------------------------------------------------------------------------------------
// Output.

/** The `--json` document: exactly calls and workloads, with `reason` only where not proven or not ok. */
export function verifyJson(result: VerifyResult) {
  return {
    calls: result.calls.map((c) => ({ caller: c.caller, callee: c.callee, principal: c.principal, resource: c.resource, state: c.state, proven: c.proven, ...(c.reason === undefined ? {} : { reason: c.reason }) })),
    workloads: result.workloads.map((w) => ({ name: w.name, kind: w.kind, commit: w.commit, live: w.live, ok: w.ok, ...(w.reason === undefined ? {} : { reason: w.reason }) })),
  };
}

/** Markdown tables, read in a deploy log or rendered in a job summary, then the rollback commands and one verdict line. */
export function formatVerify(result: VerifyResult, stack: string, rollback: readonly string[]): string {
  const unproven = result.calls.filter((c) => !c.proven).length;
  const notOk = result.workloads.filter((w) => !w.ok).length;
  const calls = table(
    ["Call", "Caller", "Callee", "As", "Access", "Reason"],
    result.calls.map((c) => [c.proven ? "proven" : "NOT PROVEN", c.caller, c.callee, c.principal?.replace(/^\w+:/, "") ?? "—", c.state ?? "—", c.reason ?? ""]),
  );
  const workloads = table(
    ["Workload", "Name", "Kind", "Group", "Pinned", "Live", "Reason"],
    result.workloads.map((w) => [w.ok ? "ok" : "NOT OK", w.name, w.kind, w.deployGroup, w.commit, w.live ?? "—", w.reason ?? ""]),
  );
  const verdict =
    unproven === 0 && notOk === 0
      ? `PASS: all ${result.calls.length} calls proven and all ${result.workloads.length} services and functions at their commits`
      : `FAIL: ${unproven} of ${result.calls.length} calls not proven, ${notOk} of ${result.workloads.length} services and functions not at their commits`;
  return [
    `Verify of stack ${stack}, as GCP answers now`,
    "",
    `Calls: ${result.calls.length}, ${result.questions} questions to the Policy Troubleshooter (may the caller's account use ${invokePermission} on the callee's Cloud Run service?)`,
    "",
    ...calls,
    "",
    `Services and functions: ${result.workloads.length} (Ready or ACTIVE, and all traffic on the pinned commit)`,
    "",
    ...workloads,
    "",
    ...(rollback.length > 0 ? ["Roll back each deploy group with a failure to the commit it ran before this deploy:", "", ...rollback.map((line) => `- ${line}`), ""] : []),
    verdict,
    "",
  ].join("\n");
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const cell = (text: string) => text.replace(/\|/g, "\\|");
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (cells: readonly string[]) => `| ${cells.map((text, c) => cell(text).padEnd(widths[c])).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

// ---------------------------------------------------------------------------------------------------
// The command.

const usage = `usage: npm run verify -- [--stack prod] [--json] [--api-root URL] [--timeout SECONDS] [--previous-state EXPORT.json]
  --stack           the stack whose program lists the calls and workloads (Pulumi.<stack>.yaml; default prod)
  --json            print one JSON document {calls, workloads} instead of the tables
  --api-root        send every Google API request to this scheme://host[:port], paths unchanged (private endpoints)
  --timeout         seconds all the API requests together may take (default 120); what is unanswered then is not proven
  --previous-state  a \`pulumi stack export\` taken before \`up\`: names the commit to roll each failing deploy group back to
credentials: GOOGLE_OAUTH_ACCESS_TOKEN if set, else Application Default Credentials`;

/** The captured program of a stack as after `up`, and its project number. */
export type StackLoader = (stack: string) => Promise<{ resources: readonly EngineResource[]; projectNumber: string }>;

export interface VerifyDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly load: StackLoader;
  readonly limits?: RequestLimits;
  readonly timing?: Timing;
}

type CaptureStack = typeof import("../lib/capture").captureStack;

/**
 * The stack file's program under the mock runtime, in update mode. lib/capture is loaded only when needed,
 * as check does; tests pass the statically imported captureStack, since vitest has no require hook for TypeScript.
 */
export function stackLoader(capture: () => CaptureStack = () => (require("../lib/capture") as typeof import("../lib/capture")).captureStack): StackLoader {
  return async (stack) => {
    const { file, config } = loadStackConfig(stackFilePath(stack));
    const { resources } = await capture()({ stack, config: file.raw, preview: false });
    return { resources, projectNumber: config.projectNumber };
  };
}

export async function main(argv: readonly string[], deps: VerifyDeps = { env: process.env, load: stackLoader() }): Promise<number> {
  const args = parseToolArgs(
    argv,
    {
      stack: { type: "string", default: "prod" },
      json: { type: "boolean", default: false },
      "api-root": { type: "string" },
      timeout: { type: "string", default: "120" },
      "previous-state": { type: "string" },
    },
    usage,
  );
  stackFilePath(args.stack); // a bad name is refused before anything runs
  if (!/^\d+(\.\d+)?$/.test(args.timeout) || Number(args.timeout) <= 0) throw new InputError(`--timeout: expected a positive number of seconds, got ${JSON.stringify(args.timeout)}`);
  const apiRoot = args["api-root"] === undefined ? undefined : parseApiRoot(args["api-root"]);
  const previousState = args["previous-state"] === undefined ? undefined : readStateExport(userPath(args["previous-state"])).resources;
  const credentials = credentialsFrom(deps.env);
  const [{ resources, projectNumber }] = await Promise.all([deps.load(args.stack), checkCredentials(credentials)]);
  const targets = verifyTargets(resources, projectNumber);
  const result = await verify(targets, googleApis(credentials, apiRoot), { timeoutMs: Number(args.timeout) * 1000, limits: deps.limits, timing: deps.timing });
  if (args.json) process.stdout.write(`${JSON.stringify(verifyJson(result), null, 2)}\n`);
  else {
    const previous = previousState === undefined ? undefined : previousCommits(previousState, targets.workloads);
    process.stdout.write(formatVerify(result, args.stack, rollbackAdvice(result, args.stack, previous)));
  }
  return exitCodeFor(result);
}

if (require.main === module) runTool(main);
