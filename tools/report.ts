// Pure formatters for `npm run check`: the text a reviewer reads and the Mermaid diagram GitHub renders.
// They take the check's result and return strings; no I/O, so tests pin their output exactly.
import type { Call } from "../policies/callgraph";
import type { Violation } from "../lib/analyzer";

export interface WorkloadRow {
  readonly name: string;
  readonly kind: "service" | "function";
  readonly phase: string;
  readonly deployGroup: string;
  readonly commit: string;
  /** The image (services) or source zip (functions) the commit was built into. */
  readonly artifact: string;
  readonly urn: string;
}

export interface PhaseRow {
  readonly phase: string;
  readonly name: string;
  /** Every resource the phase deploys: services, functions, accounts, grants, subscriptions, jobs. */
  readonly resourceCount: number;
  readonly workloads: readonly WorkloadRow[];
}

/** A role a workload's own account is granted on its data (a dataset, bucket, secret, topic or the project). */
export interface DataAccessRow {
  readonly workload: string;
  readonly role: string;
  /** `dataset nba_raw`, `bucket nba-scraped-data`, `secret slack-webhook-url`, `topic …`, `project …`. */
  readonly on: string;
}

export interface CheckResult {
  readonly stack: string;
  /** `--program DIR`: the program's directory (its workloads are listed apart from phases). */
  readonly program?: string;
  /** A program's services and functions (this repository's stack lists them by phase). */
  readonly workloads?: readonly WorkloadRow[];
  readonly mode: "preview" | "update";
  readonly resourceCount: number;
  readonly phases: readonly PhaseRow[];
  /** Names of the resources that belong to no phase: handover topics, the functions' builder, the alert. */
  readonly stackWide: readonly string[];
  readonly calls: readonly Call[];
  /** Every grant besides run.invoker that the workloads' own accounts get. */
  readonly dataAccess: readonly DataAccessRow[];
  readonly violations: readonly Violation[];
  /** The phase of each resource URN that belongs to one, for placing callers in the diagram. */
  readonly phaseOfUrn: ReadonlyMap<string, string>;
}

const levelOrder = ["mandatory", "remediate", "advisory", "disabled"];

/** Mandatory violations first, then by policy and resource, so the output is stable. */
export function sortViolations(violations: readonly Violation[]): Violation[] {
  return [...violations].sort(
    (a, b) =>
      levelOrder.indexOf(a.enforcementLevel) - levelOrder.indexOf(b.enforcementLevel) ||
      a.policyName.localeCompare(b.policyName) ||
      a.urn.localeCompare(b.urn),
  );
}

export function mandatoryCount(violations: readonly Violation[]): number {
  return violations.filter((v) => v.enforcementLevel === "mandatory").length;
}

/** Each violation as a person acts on it: level and policy, then where, what and the fix; a blank line after each. */
export function formatViolations(violations: readonly Violation[]): string[] {
  return violations.flatMap((v) => {
    const { what, fix } = splitMessage(v);
    return [`${v.enforcementLevel.toUpperCase()} ${v.policyName}`, `  where: ${where(v.urn)}`, `  what:  ${what}`, ...(fix ? [`  fix:   ${fix}`] : []), ""];
  });
}

/** The pack's message is its description, then what it found; ours end in "Fix: …". */
function splitMessage(v: Violation): { what: string; fix?: string } {
  const found = v.description && v.message.startsWith(`${v.description}\n`) ? v.message.slice(v.description.length + 1) : v.message;
  const at = found.indexOf(" Fix: ");
  return at < 0 ? { what: found } : { what: found.slice(0, at), fix: found.slice(at + " Fix: ".length) };
}

/** `phase3-to-grading-function (gcp:cloudfunctionsv2/function:Function)`, or the stack as a whole. */
function where(urn: string): string {
  if (urn === "") return "the stack as a whole";
  const parts = urn.split("::");
  const type = parts[2]?.split("$").pop() ?? "";
  return `${parts[3] ?? urn} (${type})`;
}

/** What `pulumi preview` would show a reviewer, as plain text. */
export function formatCheck(result: CheckResult): string {
  const out: string[] = [];
  const mode = result.mode === "preview" ? "preview: new resources' outputs unknown" : "update: every output known";
  if (result.program === undefined) {
    out.push(`Stack ${result.stack} (${mode}), ${result.resourceCount} resources`);
    out.push("");
    out.push(`Stack-wide (${result.stackWide.length} resources): ${result.stackWide.join(", ")}`);
    for (const phase of result.phases) {
      out.push(`Phase ${phase.phase} · ${phase.name} (${phase.resourceCount} resources)`);
      for (const w of phase.workloads) out.push(workloadLine(w));
    }
  } else {
    out.push(`Program ${result.program}, stack ${result.stack} (${mode}), ${result.resourceCount} resources`);
    out.push("");
    const workloads = result.workloads ?? [];
    out.push(`Services and functions: ${workloads.length}`);
    for (const w of workloads) out.push(workloadLine(w));
  }
  out.push("");
  const gaps = result.calls.filter((c) => !c.granted);
  out.push(`Calls: ${result.calls.length}, ${gaps.length === 0 ? "every one granted roles/run.invoker" : `${gaps.length} without roles/run.invoker`}`);
  for (const c of result.calls) {
    out.push(`  ${c.granted ? "ok " : "GAP"} ${c.caller} -> ${c.callee}  [${c.via}] as ${c.identity}`);
    if (!c.granted) out.push(`      fix: ${c.fix}`);
  }
  out.push("");
  if (result.program === undefined) {
    out.push(...formatDataAccess(result.dataAccess));
    out.push("");
  }
  const violations = sortViolations(result.violations);
  const mandatory = mandatoryCount(violations);
  if (violations.length === 0) {
    out.push("Policies: no violations");
  } else {
    out.push(`Policies: ${mandatory} mandatory, ${violations.length - mandatory} other violation${violations.length - mandatory === 1 ? "" : "s"}`);
    out.push("");
    out.push(...formatViolations(violations));
  }
  out.push("");
  out.push(mandatory === 0 ? "PASS: pulumi preview --policy-pack policies would succeed" : `FAIL: pulumi preview --policy-pack policies would fail (${mandatory} mandatory violation${mandatory === 1 ? "" : "s"})`);
  return `${out.join("\n")}\n`;
}

function workloadLine(w: WorkloadRow): string {
  return `  ${w.kind.padEnd(8)} ${w.name.padEnd(34)} ${w.deployGroup.padEnd(9)} ${w.commit.padEnd(10)} ${w.artifact}`;
}

/** One line per workload: each role (without `roles/`) and what it is on, `project` roles bare. */
function formatDataAccess(rows: readonly DataAccessRow[]): string[] {
  const byWorkload = new Map<string, Map<string, string[]>>();
  for (const r of rows) {
    const roles = byWorkload.get(r.workload) ?? new Map<string, string[]>();
    const role = r.role.replace(/^roles\//, "");
    roles.set(role, [...(roles.get(role) ?? []), ...(r.on.startsWith("project ") ? [] : [r.on.slice(r.on.indexOf(" ") + 1)])]);
    byWorkload.set(r.workload, roles);
  }
  const width = Math.max(0, ...[...byWorkload.keys()].map((w) => w.length));
  return [
    `Data access: ${rows.length} grants to ${byWorkload.size} workloads' own accounts, each on what its code reads or writes`,
    ...[...byWorkload].sort(([a], [b]) => a.localeCompare(b)).map(([workload, roles]) => `  ${workload.padEnd(width)}  ${[...roles].map(([role, on]) => (on.length === 0 ? role : `${role}: ${on.join(", ")}`)).join("; ")}`),
  ];
}

/**
 * The call graph as a Mermaid flowchart in Markdown: one subgraph per phase, a node per workload and per
 * trigger, an edge per call labelled with how it was found; calls without a grant are red.
 */
export function formatDiagram(result: CheckResult): string {
  const ids = new Map<string, string>();
  const idFor = (urn: string): string => {
    let id = ids.get(urn);
    if (!id) {
      id = `n${ids.size}`;
      ids.set(urn, id);
    }
    return id;
  };
  const workloadsByUrn = new Map(result.phases.flatMap((p) => p.workloads.map((w) => [w.urn, w] as const)));
  const nodes = new Map<string, string>(); // urn -> node declaration
  for (const w of workloadsByUrn.values()) {
    nodes.set(w.urn, `${idFor(w.urn)}["${escape(w.name)}<br/><small>${w.kind} @ ${w.commit}</small>"]`);
  }
  for (const c of result.calls) {
    if (!nodes.has(c.callerUrn)) nodes.set(c.callerUrn, `${idFor(c.callerUrn)}(["${escape(c.caller)}<br/><small>${escape(c.via)}</small>"])`);
    if (!nodes.has(c.calleeUrn)) nodes.set(c.calleeUrn, `${idFor(c.calleeUrn)}["${escape(c.callee)}"]`);
  }
  const lines = ["```mermaid", "flowchart LR"];
  const placed = new Set<string>();
  for (const phase of result.phases) {
    const members = [...nodes.keys()].filter((urn) => result.phaseOfUrn.get(urn) === phase.phase);
    if (members.length === 0) continue;
    lines.push(`  subgraph phase${phase.phase}["Phase ${phase.phase} · ${escape(phase.name)}"]`);
    for (const urn of members) {
      lines.push(`    ${nodes.get(urn)}`);
      placed.add(urn);
    }
    lines.push("  end");
  }
  for (const [urn, node] of nodes) if (!placed.has(urn)) lines.push(`  ${node}`);
  const red: number[] = [];
  result.calls.forEach((c, i) => {
    const label = c.granted ? escape(c.via) : `GAP: no run.invoker · ${escape(c.via)}`;
    lines.push(`  ${idFor(c.callerUrn)} -->|"${label}"| ${idFor(c.calleeUrn)}`);
    if (!c.granted) red.push(i);
  });
  if (red.length > 0) lines.push(`  linkStyle ${red.join(",")} stroke:#d1242f,stroke-width:3px,color:#d1242f`);
  lines.push("```");
  const gaps = result.calls.filter((c) => !c.granted).length;
  const title = `### Call graph of stack \`${result.stack}\`: ${result.calls.length} calls, ${gaps === 0 ? "all granted" : `${gaps} without roles/run.invoker`}`;
  return `${title}\n\n${lines.join("\n")}\n`;
}

/** Mermaid labels are quoted: keep quotes and angle brackets from breaking them. */
function escape(text: string): string {
  return text.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");
}
