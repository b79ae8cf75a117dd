// `npm run audit -- --state FILE [--policy-config FILE] [--json]`: the policy pack over what is already
// deployed, as `pulumi policy analyze` does for existing state. FILE is the JSON of `pulumi stack export`
// (deployment version 3) or a file backend's checkpoint. Exit 0: no mandatory violation; 1: some; 2: the
// state or policy config cannot be read.
// `npm run audit -- --inventory FILE [--inventory FILE …]`: the same pack through the same harness over the
// live project as Cloud Asset Inventory exports show it (lib/inventory.ts), before it is under the stack.
import { exitCodes, InputError, parseToolArgs, runTool, userPath } from "../lib/cli";
import { readPolicyConfig, startPolicyPack, type Violation } from "../lib/analyzer";
import type { EngineResource } from "../lib/resources";
import { readStateExport } from "../lib/stateExport";
import { inventoryResources, readInventory } from "../lib/inventory";
import { formatViolations, mandatoryCount, sortViolations } from "./report";

const usage = "usage: npm run audit -- (--state FILE | --inventory FILE [--inventory FILE …]) [--policy-config FILE] [--json]";

export interface AuditOptions {
  /** A `pulumi stack export` file, or a file backend's checkpoint. */
  readonly state?: string;
  /** Instead of state: Cloud Asset Inventory exports of the live project (resources and IAM policies). */
  readonly inventory?: readonly string[];
  /** A policy config file, as `pulumi preview --policy-pack-config` takes it. */
  readonly policyConfig?: string;
}

export interface AuditReport {
  readonly project: string;
  readonly stack: string;
  readonly resourceCount: number;
  readonly policyPack: { readonly name: string; readonly version: string };
  /** Mandatory first, then by policy and resource. */
  readonly violations: readonly Violation[];
  /** Judged from Cloud Asset Inventory exports: the live project, not a stack's state. */
  readonly inventory?: boolean;
}

export async function runAudit(options: AuditOptions): Promise<AuditReport> {
  // Both inputs are read before the pack starts: a bad file fails fast and nothing runs.
  const resources = options.inventory ? inventoryResources(readInventory(options.inventory)) : readStateExport(options.state ?? "");
  const policyConfig = options.policyConfig === undefined ? undefined : readPolicyConfig(options.policyConfig);
  const { project, stack } = stackOf(resources);
  const pack = await startPolicyPack({ project, stack, dryRun: false, ...(policyConfig ? { policyConfig } : {}) });
  try {
    return {
      project,
      stack,
      resourceCount: resources.filter((r) => r.custom).length,
      policyPack: { name: pack.info.name, version: pack.info.version },
      violations: sortViolations(await pack.analyze(resources)),
      ...(options.inventory ? { inventory: true } : {}),
    };
  } finally {
    await pack.close();
  }
}

/** The project and stack the state belongs to, from its URNs (`urn:pulumi:STACK::PROJECT::…`). */
function stackOf(resources: readonly EngineResource[]): { project: string; stack: string } {
  const [stack, project] = resources[0]?.urn.slice("urn:pulumi:".length).split("::") ?? [];
  // A stack that was never deployed has no resources to name it; the pack only passes these on.
  return { project: project || "unknown", stack: stack || "unknown" };
}

/** What a person needs to act on: mandatory violations first, each with what, where and the fix; then a summary. */
export function formatAudit(report: AuditReport): string {
  const mandatory = mandatoryCount(report.violations);
  const others = report.violations.length - mandatory;
  const summary =
    `${report.project}/${report.stack}: ${mandatory} mandatory and ${others} other violation${others === 1 ? "" : "s"} in ` +
    `${report.resourceCount} resources (policy pack ${report.policyPack.name} ${report.policyPack.version})` +
    (mandatory > 0 ? (report.inventory ? "; the live project fails the pack's mandatory policies" : "; the next `pulumi up` with this pack will be blocked") : "");
  return `${[...formatViolations(report.violations), summary].join("\n")}\n`;
}

/** The `--json` document: stable field names CI reads. */
export function auditJson(report: AuditReport) {
  return {
    violations: report.violations.map((v) => ({ policyName: v.policyName, enforcementLevel: v.enforcementLevel, urn: v.urn, message: v.message })),
    project: report.project,
    stack: report.stack,
    resourceCount: report.resourceCount,
    policyPack: report.policyPack,
    mandatoryCount: mandatoryCount(report.violations),
  };
}

export async function main(argv: readonly string[], stdout: NodeJS.WritableStream = process.stdout): Promise<number> {
  const args = parseToolArgs(
    argv,
    { state: { type: "string" }, inventory: { type: "string", multiple: true }, "policy-config": { type: "string" }, json: { type: "boolean", default: false } },
    usage,
  );
  if (args.state !== undefined && args.inventory !== undefined) throw new InputError(`--state and --inventory exclude each other\n${usage}`);
  if (args.state === undefined && args.inventory === undefined) {
    throw new InputError(`--state FILE is required: the output of \`pulumi stack export\` (or --inventory FILE: Cloud Asset Inventory exports of the live project)\n${usage}`);
  }
  const policyConfig = userPath(args["policy-config"]);
  const source = args.inventory ? { inventory: args.inventory.map((f) => userPath(f)) } : { state: userPath(args.state) };
  const report = await runAudit({ ...source, ...(policyConfig === undefined ? {} : { policyConfig }) });
  stdout.write(args.json ? `${JSON.stringify(auditJson(report), null, 2)}\n` : formatAudit(report));
  return mandatoryCount(report.violations) > 0 ? exitCodes.findings : exitCodes.ok;
}

if (require.main === module) runTool(main);
