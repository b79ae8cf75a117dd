// `npm run audit -- --state FILE [--policy-config FILE] [--json]`: the policy pack over what is already
// deployed, as `pulumi policy analyze` does for existing state. FILE is the JSON of `pulumi stack export`
// (deployment version 3 or 4) or a file backend's checkpoint; old copies pending delete are skipped and
// encrypted secrets judged as values not known (lib/stateExport.ts). Exit 0: no mandatory violation;
// 1: some; 2: the state or policy config cannot be read.
// `npm run audit -- --inventory FILE [--inventory FILE …]`: the same pack through the same harness over the
// live project as Cloud Asset Inventory exports show it (lib/inventory.ts), before it is under the stack.
import { exitCodes, InputError, parseToolArgs, runTool, userPath } from "../lib/cli";
import { encodeResource, readPolicyConfig, startPolicyPack, type EncodedResource, type PolicyPackSession, type Violation } from "../lib/analyzer";
import { inventoryResources, readInventory } from "../lib/inventory";
import { scanStateExport } from "../lib/stateExport";
import { formatViolations, mandatoryCount, sortViolations } from "./report";

const usage = "usage: npm run audit -- (--state FILE | --inventory FILE [--inventory FILE …]) [--policy-config FILE] [--json]";

/** How much of the state file is read before the pack is started alongside the rest. */
const earlyStartBytes = 1024 * 1024;

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
  /** Encrypted secrets in the state, judged as values not known (an export without --show-secrets). */
  readonly encryptedValues: number;
  /** Judged from Cloud Asset Inventory exports: the live project, not a stack's state. */
  readonly inventory?: boolean;
}

export async function runAudit(options: AuditOptions): Promise<AuditReport> {
  const policyConfig = options.policyConfig === undefined ? undefined : readPolicyConfig(options.policyConfig);
  // Each resource is encoded for the pack as it is read and then let go: parsed, a large stack's
  // resources took several times the file's size in memory; the requests take about half of it.
  const resources: EncodedResource[] = [];
  let customCount = 0;
  // The pack starts once a megabyte has been read without fault, and starts up (its own process)
  // while the rest is read: a bad file under a megabyte runs nothing; a larger one found bad further
  // on stops the pack again.
  let started: Promise<PolicyPackSession> | undefined;
  const start = () => startPolicyPack({ ...stackOf(resources[0]?.urn), dryRun: false, ...(policyConfig ? { policyConfig } : {}) });
  let encryptedValues = 0;
  const take = (r: Parameters<typeof encodeResource>[0]) => {
    resources.push(encodeResource(r));
    if (r.custom) customCount++;
  };
  try {
    if (options.inventory) {
      // Every export is read and translated before the pack starts: nothing half-read is judged.
      inventoryResources(readInventory(options.inventory)).forEach(take);
    } else {
      ({ encryptedValues } = scanStateExport(options.state ?? "", take, (bytesRead) => {
        if (bytesRead >= earlyStartBytes && resources.length > 0) started ??= start();
      }));
    }
  } catch (error) {
    await started?.then((pack) => pack.close(), () => undefined);
    throw error;
  }
  const pack = await (started ?? start());
  try {
    const { project, stack } = stackOf(resources[0]?.urn);
    return {
      project,
      stack,
      resourceCount: customCount,
      policyPack: { name: pack.info.name, version: pack.info.version },
      violations: sortViolations(await pack.analyze(resources)),
      encryptedValues,
      ...(options.inventory ? { inventory: true } : {}),
    };
  } finally {
    await pack.close();
  }
}

/** The project and stack the state belongs to, from a URN of it (`urn:pulumi:STACK::PROJECT::…`). */
function stackOf(urn: string | undefined): { project: string; stack: string } {
  const [stack, project] = urn?.slice("urn:pulumi:".length).split("::") ?? [];
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
    // Not "the next up is blocked": the engine runs stack policies only after `up` has applied its
    // changes (and pulumi/actions in CI runs up with --skip-preview), so up changes prod, then fails.
    (mandatory > 0
      ? report.inventory
        ? "; the live project fails the pack's mandatory policies"
        : "; `pulumi preview --policy-pack policies` fails on these; `pulumi up` would apply its changes and then fail"
      : "");
  return `${[...formatViolations(report.violations), summary, ...secretsNote(report.encryptedValues)].join("\n")}\n`;
}

/** What an export without --show-secrets leaves out of the audit, and how to get a full one. */
function secretsNote(encrypted: number): string[] {
  if (encrypted === 0) return [];
  const values = encrypted === 1 ? "1 value in the state file is an encrypted secret" : `${encrypted} values in the state file are encrypted secrets`;
  return [
    `${values}, read as not known (a caller whose account is one of them counts as not granted): ` +
      "for a full audit, export with `pulumi stack export --show-secrets`",
  ];
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
    encryptedValues: report.encryptedValues,
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
