// `npm run adopt -- --inventory FILE [--inventory FILE …] [--stack prod] [--out import.json] [--json]`:
// bring the live project under the stack. Runs the program for the stack (as after `pulumi up`), matches
// every resource it declares against the live assets by the provider's ID, writes the import file for
// `pulumi import --file import.json --generate-code=false`, and reports four lists: adopted, to be created,
// live but unmanaged, and what the first `pulumi up` changes on what was adopted. Exit 0: adoption can go
// ahead; 1: something must be done first (each said, with what to do); 2: bad input.
import { writeFileSync } from "node:fs";
import { exitCodes, InputError, parseToolArgs, runTool, userPath } from "../lib/cli";
import { planAdoption, type AdoptionPlan } from "../lib/adopt";
import { readInventory, type Inventory } from "../lib/inventory";
import { loadStackConfig, stackFilePath } from "../lib/stackfile";
import { pipeline } from "../pipeline";

const usage = "usage: npm run adopt -- --inventory FILE [--inventory FILE …] [--stack NAME] [--out FILE] [--json]";

export interface AdoptOptions {
  readonly inventory: readonly string[];
  readonly stack: string;
  /** The stack file; defaults to Pulumi.<stack>.yaml beside Pulumi.yaml. */
  readonly stackFile?: string;
}

export interface AdoptResult {
  readonly stack: string;
  readonly inventory: Inventory;
  readonly plan: AdoptionPlan;
}

type CaptureStack = typeof import("../lib/capture").captureStack;

/** lib/capture (and with it @pulumi/pulumi and the program), loaded only once the inputs have been read. */
function loadCapture(): CaptureStack {
  return (require("../lib/capture") as typeof import("../lib/capture")).captureStack;
}

export async function runAdopt(options: AdoptOptions, capture: () => CaptureStack = loadCapture): Promise<AdoptResult> {
  // Every input is read before the program runs: a bad file fails fast.
  const inventory = readInventory(options.inventory);
  const stackFile = options.stackFile ?? stackFilePath(options.stack);
  const { file, config } = loadStackConfig(stackFile);
  if (inventory.projectId !== config.project) {
    throw new InputError(
      `${options.inventory.join(", ")}: the assets are of project ${inventory.projectId}, and stack ${options.stack} deploys to ${config.project} (${stackFile}); export the project the stack deploys to`,
    );
  }
  const { resources } = await withoutStackTraces(() => capture()({ stack: options.stack, config: file.raw, preview: false }));
  const plan = planAdoption({ resources, inventory, topology: pipeline, adoptedFunctions: config.adoptedFunctions, stackFile });
  return { stack: options.stack, inventory, plan };
}

/**
 * Runs `fn` with V8 stack traces off. The SDK records a stack trace for every promise it makes (for its
 * leak report, @pulumi/pulumi runtime/debuggable.js), and with tsx's source maps formatting them is half
 * the program's run here; adopt reads only what the program registers, and its errors by their messages.
 */
async function withoutStackTraces<T>(fn: () => Promise<T>): Promise<T> {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return await fn();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** The `--json` document: the four lists. */
export function adoptJson(result: AdoptResult) {
  const { plan } = result;
  return {
    adopt: plan.adopt.map((a) => ({ urn: a.urn, type: a.type, id: a.id })),
    create: plan.create.map((c) => ({ urn: c.urn, type: c.type, ...(c.note ? { note: c.note } : {}) })),
    unmanaged: plan.unmanaged.map((u) => ({ assetType: u.assetType, name: u.name, ...(u.alternativeOf ? { alternativeOf: u.alternativeOf } : {}), note: u.note })),
    changes: plan.changes.map((c) => ({ urn: c.urn, field: c.field, live: c.live, declared: c.declared })),
  };
}

const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
const shortType = (type: string) => type.replace(/^gcp:([^/]+)\/[^:]+:(.+)$/, "$1.$2");

/** What a reviewer reads: the four lists, what to do first, and the next commands. */
export function formatAdopt(result: AdoptResult, out: string): string {
  const { plan, inventory, stack } = result;
  const lines: string[] = [];
  lines.push(`Live project ${inventory.projectId} (${inventory.assetCount} assets in ${inventory.files.join(", ")}) against stack ${stack}`);
  lines.push("");
  lines.push(`Adopt: ${plan.adopt.length} resources exist live and enter state under the program's URNs (${out}):`);
  for (const a of plan.adopt) lines.push(`  ${shortType(a.type).padEnd(30)} ${nameOf(a.urn).padEnd(44)} ${a.id}`);
  lines.push("");
  const byType = new Map<string, string[]>();
  for (const c of plan.create) byType.set(c.type, [...(byType.get(c.type) ?? []), nameOf(c.urn)]);
  lines.push(`Create: ${plan.create.length} resources the first \`pulumi up\` creates:`);
  for (const [type, names] of [...byType].sort((a, b) => a[0].localeCompare(b[0]))) {
    const listed = names.length <= 8 ? names.join(", ") : `${names.slice(0, 8).join(", ")} and ${names.length - 8} more`;
    lines.push(`  ${shortType(type).padEnd(30)} ${String(names.length).padStart(3)}  ${listed}`);
  }
  for (const c of plan.create.filter((x) => x.note)) lines.push(`  ! ${nameOf(c.urn)}: ${c.note}`);
  lines.push("");
  lines.push(`Unmanaged: ${plan.unmanaged.length} live resources of the kinds the stack manages that it does not declare (they stay; pulumi leaves them alone):`);
  for (const u of plan.unmanaged) lines.push(`  ${u.assetType.padEnd(38)} ${u.name}: ${u.note}`);
  lines.push("");
  const changed = new Map<string, typeof plan.changes>();
  for (const c of plan.changes) changed.set(c.urn, [...(changed.get(c.urn) ?? []), c]);
  lines.push(`Changes: what the first \`pulumi up\` changes on adopted resources (${plan.changes.length} in ${changed.size} resources):`);
  for (const [urn, changes] of changed) {
    lines.push(`  ${nameOf(urn)}`);
    for (const c of changes) lines.push(`    ${c.field}: ${c.live ?? "(not set)"} -> ${c.declared ?? "(dropped)"}`);
  }
  lines.push("");
  if (plan.blockers.length > 0) {
    lines.push(`Before adopting (${plan.blockers.length}):`);
    for (const b of plan.blockers) lines.push(`  - ${b.replace(/\n/g, "\n    ")}`);
  } else {
    lines.push("Next: pulumi import --file " + out + " --generate-code=false, then pulumi preview --policy-pack policies (README: Moving the live project onto the stack).");
  }
  return `${lines.join("\n")}\n`;
}

function writeImportFile(path: string, result: AdoptResult): void {
  try {
    writeFileSync(path, `${JSON.stringify(result.plan.importFile, null, 2)}\n`);
  } catch (error) {
    throw new InputError(`--out: cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

export async function main(argv: readonly string[], stdout: NodeJS.WritableStream = process.stdout, capture: () => CaptureStack = loadCapture): Promise<number> {
  const args = parseToolArgs(
    argv,
    {
      inventory: { type: "string", multiple: true },
      stack: { type: "string", default: "prod" },
      out: { type: "string", default: "import.json" },
      json: { type: "boolean", default: false },
    },
    usage,
  );
  if (args.inventory === undefined) throw new InputError(`--inventory FILE is required: Cloud Asset Inventory exports of the live project (resources and IAM policies)\n${usage}`);
  const result = await runAdopt({ inventory: args.inventory.map((f) => userPath(f)), stack: args.stack }, capture);
  const out = userPath(args.out);
  writeImportFile(out, result);
  stdout.write(args.json ? `${JSON.stringify(adoptJson(result), null, 2)}\n` : formatAdopt(result, out));
  return result.plan.blockers.length > 0 ? exitCodes.findings : exitCodes.ok;
}

if (require.main === module) runTool(main);
