// `npm run check`: what `pulumi preview --policy-pack policies` would show a reviewer, offline. Runs the
// program under the mock runtime with the stack file's config, hands what the engine would receive to
// the policy pack over the engine's own protocol, and reports resources by phase, the call graph and the
// verdicts. Usage: npm run check [-- --stack prod] [--update] [--json] [--diagram FILE] [--policy-config FILE]
import { writeFileSync } from "node:fs";
import { InputError, exitCodes, parseToolArgs, runTool, userPath } from "../lib/cli";
import { checkedStackName, loadStackConfig, projectName, stackFilePath } from "../lib/stackfile";
import { readPolicyConfig, startPolicyPack, toPlainResources, type PolicyPackSession } from "../lib/analyzer";
import { loadProgram, programLabel, programRunner } from "../lib/program";
import type { EngineResource } from "../lib/resources";
import { buildCallGraph, isUnknown, types, type CallGraphOptions } from "../policies/callgraph";
import { commitOf } from "../policies/labels";
import { pipeline } from "../pipeline";
import { validateTopology } from "../topology";
import { formatCheck, formatDiagram, mandatoryCount, sortViolations, type CheckResult, type DataAccessRow, type PhaseRow, type WorkloadRow } from "./report";

const usage =
  "usage: npm run check [-- --stack NAME] [--preview | --update] [--json] [--diagram FILE] [--policy-config FILE]\n" +
  "       npm run check -- --program DIR [--stack NAME] [--preview | --update] [--json] [--diagram FILE] [--policy-config FILE]";

export interface CheckOptions {
  readonly stack: string;
  /** true: as `pulumi preview` of new resources (outputs unknown); false: as after `pulumi up`. */
  readonly preview: boolean;
  readonly policyConfigPath?: string;
  /** The stack file; defaults to Pulumi.<stack>.yaml beside Pulumi.yaml. */
  readonly stackFile?: string;
}

const { service: serviceType, function: functionType } = types;
const phaseType = "nba:pipeline:Phase";

type CaptureStack = typeof import("../lib/capture").captureStack;
type CaptureProgram = typeof import("../lib/capture").captureProgram;

/** lib/capture's captureProgram, loaded as late as captureStack is (see loadCapture). */
function loadCaptureProgram(): CaptureProgram {
  return (require("../lib/capture") as typeof import("../lib/capture")).captureProgram;
}

/**
 * lib/capture, loaded only once the pack is starting: loading @pulumi/pulumi and the program (~1 s) then
 * overlaps the pack's own start-up (~1.5 s) instead of preceding it. Tests pass the statically imported
 * captureStack instead, since vitest has no require hook for TypeScript.
 */
function loadCapture(): CaptureStack {
  return (require("../lib/capture") as typeof import("../lib/capture")).captureStack;
}

export async function runCheck(opts: CheckOptions, capture: () => CaptureStack = loadCapture): Promise<CheckResult> {
  validateTopology(pipeline);
  const stackFile = opts.stackFile ?? stackFilePath(opts.stack);
  const { file, config } = loadStackConfig(stackFile);
  const policyConfig = opts.policyConfigPath === undefined ? undefined : readPolicyConfig(opts.policyConfigPath);
  const pack = startPolicyPack({ project: projectName(), stack: opts.stack, dryRun: opts.preview, policyConfig });
  try {
    const { resources } = await capture()({ stack: opts.stack, config: file.raw, preview: opts.preview });
    return await judge(resources, { stack: opts.stack, preview: opts.preview, projectNumber: config.projectNumber, pack: await pack });
  } finally {
    await (await pack.catch(() => undefined))?.close();
  }
}

export interface ProgramCheckOptions {
  /** The directory of any Pulumi TypeScript program (its Pulumi.yaml). */
  readonly dir: string;
  /** Its stack (Pulumi.NAME.yaml in DIR); defaults to its only stack file, else `dev`. */
  readonly stack?: string;
  readonly preview: boolean;
  readonly policyConfigPath?: string;
}

/**
 * `--program DIR`: any Pulumi TypeScript program, run under the same offline runtime and judged by the same
 * pack. Its project number (run.app URLs, the default compute account after `up`) is the one the policy
 * config gives caller-has-run-invoker, as the pack itself reads it.
 */
export async function runProgramCheck(opts: ProgramCheckOptions, capture: () => CaptureProgram = loadCaptureProgram): Promise<CheckResult> {
  const program = loadProgram(opts.dir, opts.stack);
  const policyConfig = opts.policyConfigPath === undefined ? undefined : readPolicyConfig(opts.policyConfigPath);
  const graphOptions = callGraphOptionsIn(policyConfig?.values);
  const projectNumber = graphOptions.projectNumber;
  const pack = startPolicyPack({ project: program.name, stack: program.stack, dryRun: opts.preview, policyConfig });
  try {
    const captured = capture()(programRunner(program), {
      stack: program.stack,
      config: program.config,
      preview: opts.preview,
      project: program.name,
      secretKeys: program.secretKeys,
      ...(projectNumber ? { projectNumber } : {}),
    });
    const { resources } = await captured.catch((error: unknown) => {
      // The program is the input: its own error (bad config, a bug, a URN registered twice) is what `pulumi preview` would stop on.
      const message = error instanceof Error ? error.message : String(error);
      throw new InputError(`${programLabel(program)}: the program failed during the offline ${opts.preview ? "preview" : "update"}: ${message}`);
    });
    const violations = await (await pack).analyze(resources);
    const graph = buildCallGraph(toPlainResources(resources), graphOptions);
    return {
      stack: program.stack,
      program: programLabel(program),
      mode: opts.preview ? "preview" : "update",
      resourceCount: resources.filter((r) => r.custom).length,
      phases: [],
      stackWide: [],
      workloads: workloadRows(resources),
      calls: graph.calls,
      dataAccess: [],
      violations: sortViolations(violations),
      phaseOfUrn: new Map(),
    };
  } finally {
    await (await pack.catch(() => undefined))?.close();
  }
}

/** The call graph's settings a policy config gives caller-has-run-invoker, so the report judges as the pack does. */
function callGraphOptionsIn(values: unknown): CallGraphOptions {
  const entry = values !== null && typeof values === "object" ? (values as Record<string, unknown>)["caller-has-run-invoker"] : undefined;
  const settings = entry !== null && typeof entry === "object" ? (entry as Record<string, unknown>) : {};
  return {
    ...(typeof settings.projectNumber === "string" ? { projectNumber: settings.projectNumber } : {}),
    ...(settings.assumeServiceAccountMembers === true ? { assumeServiceAccountMembers: true } : {}),
  };
}

/** Every Cloud Run service (v1 and v2) and gen2 function of a program, with its artifact and labels. */
function workloadRows(resources: readonly EngineResource[]): WorkloadRow[] {
  return resources.flatMap((r): WorkloadRow[] => {
    if (r.type !== serviceType && r.type !== types.serviceV1 && r.type !== functionType) return [];
    const labels: Record<string, unknown> =
      (r.type === types.serviceV1 ? (r.inputs.metadata as { labels?: Record<string, unknown> } | undefined)?.labels : (r.inputs.labels as Record<string, unknown> | undefined)) ?? {};
    const name = typeof r.inputs.name === "string" && !isUnknown(r.inputs.name) ? r.inputs.name : r.name;
    return [
      {
        name,
        kind: r.type === functionType ? "function" : "service",
        phase: "?",
        deployGroup: typeof labels["deploy-group"] === "string" ? labels["deploy-group"] : "?",
        commit: commitOf(labels) ?? "?",
        artifact: r.type === functionType ? sourceOf(r) : imageOf(r),
        urn: r.urn,
      },
    ];
  });
}

/** The verdicts on captured resources: the pack's violations and the call graph it judged. */
export async function judge(
  resources: readonly EngineResource[],
  opts: { stack: string; preview: boolean; projectNumber: string; pack: PolicyPackSession },
): Promise<CheckResult> {
  const violations = await opts.pack.analyze(resources);
  const { calls, phases, phaseOfUrn } = stackView(resources, opts.projectNumber);
  return {
    stack: opts.stack,
    mode: opts.preview ? "preview" : "update",
    resourceCount: resources.filter((r) => r.custom).length,
    phases,
    stackWide: resources.filter((r) => r.custom && !phaseOfUrn.has(r.urn)).map((r) => r.name),
    calls,
    dataAccess: dataAccessOf(resources),
    violations: sortViolations(violations),
    phaseOfUrn,
  };
}

/**
 * The calls and the workloads (by phase) of captured resources, without the pack: what check reports and
 * `--json` lists, and exactly what `npm run verify` asks GCP about, so the two can never list different things.
 */
export function stackView(resources: readonly EngineResource[], projectNumber: string): Pick<CheckResult, "calls" | "phases" | "phaseOfUrn"> {
  const graph = buildCallGraph(toPlainResources(resources), { projectNumber });
  const phaseOfUrn = phasesOf(resources);
  return { calls: graph.calls, phases: phaseRows(resources, phaseOfUrn), phaseOfUrn };
}

/** What each kind of data grant the program makes is on, from its inputs. */
const dataGrantTargets: Readonly<Record<string, { readonly kind: string; readonly property: string }>> = {
  "gcp:bigquery/datasetIamMember:DatasetIamMember": { kind: "dataset", property: "datasetId" },
  "gcp:storage/bucketIAMMember:BucketIAMMember": { kind: "bucket", property: "bucket" },
  "gcp:secretmanager/secretIamMember:SecretIamMember": { kind: "secret", property: "secretId" },
  "gcp:pubsub/topicIAMMember:TopicIAMMember": { kind: "topic", property: "topic" },
  "gcp:projects/iAMMember:IAMMember": { kind: "project", property: "project" },
};
const workloadTypes = new Set(["nba:pipeline:Service", "nba:pipeline:OrchestratorFunction"]);

/**
 * Every grant a workload's account gets besides run.invoker, found in what the engine receives: the IAM
 * members whose nearest workload component is that workload's. A value not known in preview (a topic's
 * name) is read from the resource it came from.
 */
function dataAccessOf(resources: readonly EngineResource[]): DataAccessRow[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const rows: DataAccessRow[] = [];
  for (const r of resources) {
    const target = dataGrantTargets[r.type];
    if (!target) continue;
    let owner = r.parent ? byUrn.get(r.parent) : undefined;
    while (owner && !workloadTypes.has(owner.type)) owner = owner.parent ? byUrn.get(owner.parent) : undefined;
    if (!owner) continue;
    const value = r.inputs[target.property];
    const from = (r.propertyDependencies[target.property] ?? []).map((urn) => byUrn.get(urn)?.inputs.name).find((name) => typeof name === "string");
    const name = typeof value === "string" && !isUnknown(value) ? value : String(from ?? "(not known until deploy)");
    rows.push({ workload: owner.name, role: String(r.inputs.role), on: `${target.kind} ${name}` });
  }
  return rows;
}

/** 1 when `pulumi preview --policy-pack policies` would fail. */
export function exitCodeFor(result: CheckResult): number {
  return mandatoryCount(result.violations) > 0 ? exitCodes.findings : exitCodes.ok;
}

/** The phase each resource deploys in: that of its nearest Phase component ancestor. */
function phasesOf(resources: readonly EngineResource[]): Map<string, string> {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const result = new Map<string, string>();
  for (const r of resources) {
    for (let at: EngineResource | undefined = r; at; at = at.parent ? byUrn.get(at.parent) : undefined) {
      if (at.type === phaseType) {
        result.set(r.urn, String(at.outputs.phase));
        break;
      }
    }
  }
  return result;
}

function phaseRows(resources: readonly EngineResource[], phaseOfUrn: ReadonlyMap<string, string>): PhaseRow[] {
  const workloads = resources.flatMap((r): WorkloadRow[] => {
    if (r.type !== serviceType && r.type !== functionType) return [];
    const labels = (r.inputs.labels ?? {}) as Record<string, string>;
    return [
      {
        name: String(r.inputs.name),
        kind: r.type === serviceType ? "service" : "function",
        phase: labels.phase ?? "?",
        deployGroup: labels["deploy-group"] ?? "?",
        commit: commitOf(labels) ?? "?",
        artifact: r.type === serviceType ? imageOf(r) : sourceOf(r),
        urn: r.urn,
      },
    ];
  });
  return pipeline.phases.map(({ phase, name }) => ({
    phase,
    name,
    resourceCount: resources.filter((r) => r.custom && phaseOfUrn.get(r.urn) === phase).length,
    workloads: workloads.filter((w) => phaseOfUrn.get(w.urn) === phase),
  }));
}

function imageOf(r: EngineResource): string {
  const template = r.inputs.template as { containers?: { image?: string }[]; spec?: { containers?: { image?: string }[] } } | undefined;
  const containers = r.type === types.serviceV1 ? template?.spec?.containers : template?.containers;
  return containers?.map((c) => (typeof c.image === "string" && !isUnknown(c.image) ? c.image : "(not known until deploy)")).join(", ") ?? "?";
}

function sourceOf(r: EngineResource): string {
  const source = (r.inputs.buildConfig as { source?: { storageSource?: { bucket?: string; object?: string } } } | undefined)?.source?.storageSource;
  return source ? `gs://${source.bucket}/${source.object}` : "?";
}

/** The `--json` document: stable field names other tools and CI read. */
export function checkJson(result: CheckResult) {
  const workloads = [...result.phases.flatMap((p) => p.workloads), ...(result.workloads ?? [])];
  return {
    ...(result.program === undefined ? {} : { program: result.program }),
    stack: result.stack,
    mode: result.mode,
    resourceCount: result.resourceCount,
    services: workloads
      .filter((w) => w.kind === "service")
      .map((w) => ({ name: w.name, phase: w.phase, deployGroup: w.deployGroup, commit: w.commit, image: w.artifact })),
    functions: workloads
      .filter((w) => w.kind === "function")
      .map((w) => ({ name: w.name, phase: w.phase, deployGroup: w.deployGroup, commit: w.commit, source: w.artifact })),
    calls: result.calls.map((c) => ({ caller: c.caller, callee: c.callee, identity: c.identity, via: c.via, granted: c.granted, ...(c.granted ? {} : { fix: c.fix }) })),
    dataAccess: result.dataAccess,
    violations: result.violations.map((v) => ({ policyName: v.policyName, enforcementLevel: v.enforcementLevel, urn: v.urn, message: v.message })),
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseToolArgs(
    argv,
    {
      program: { type: "string" },
      stack: { type: "string" },
      preview: { type: "boolean" },
      update: { type: "boolean" },
      json: { type: "boolean", default: false },
      diagram: { type: "string" },
      "policy-config": { type: "string" },
    },
    usage,
  );
  if (args.preview && args.update) throw new InputError(`--preview and --update exclude each other\n${usage}`);
  const preview = !args.update;
  const policyConfigPath = userPath(args["policy-config"]);
  const result =
    args.program !== undefined
      ? await runProgramCheck({ dir: userPath(args.program), ...(args.stack === undefined ? {} : { stack: checkedStackName(args.stack) }), preview, policyConfigPath })
      : await runCheck({ stack: args.stack ?? "prod", stackFile: stackFilePath(args.stack ?? "prod"), preview, policyConfigPath });
  if (args.diagram !== undefined) writeDiagram(userPath(args.diagram), formatDiagram(result));
  process.stdout.write(args.json ? `${JSON.stringify(checkJson(result), null, 2)}\n` : formatCheck(result));
  return exitCodeFor(result);
}

function writeDiagram(path: string, markdown: string): void {
  try {
    writeFileSync(path, markdown);
  } catch (error) {
    throw new InputError(`--diagram: cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

if (require.main === module) runTool(main);
