// A deploy phase: the services and functions of one phase of the pipeline, with the push subscriptions
// and scheduler jobs that call them. Every service and function of a phase depends on all earlier phases,
// so `pulumi up` never rolls phase 5 forward before the phase 3 it consumes (the "validation gap").
import * as pulumi from "@pulumi/pulumi";
import type * as pubsub from "@pulumi/gcp/pubsub";
import type { StackConfig } from "../config";
import {
  functions as allFunctions,
  pushCalls as allPushCalls,
  scheduledCalls as allScheduledCalls,
  services as allServices,
  workloads,
  type FunctionSpec,
  type Phase,
  type ServiceSpec,
  type TopicKey,
} from "../pipeline";
import type { Call, Callee, EnvCallTo } from "./call";
import type { FunctionBuilder } from "./builder";
import { OrchestratorFunction } from "./function";
import { pinFor, type Pin } from "./pin";
import { PushSubscription } from "./push";
import { ScheduledCall } from "./schedule";
import { PinnedService } from "./service";

export type PushCallSpec = (typeof allPushCalls)[number];
export type ScheduledCallSpec = (typeof allScheduledCalls)[number];

/** The part of pipeline.ts one phase deploys. */
export interface PhasePlan {
  readonly services: readonly ServiceSpec[];
  readonly functions: readonly FunctionSpec[];
  /** Push subscriptions and scheduler jobs deploy with the phase of the workload they call. */
  readonly pushCalls: readonly PushCallSpec[];
  readonly scheduledCalls: readonly ScheduledCallSpec[];
}

/** The phase a workload deploys in. */
export function phaseOf(name: string): Phase {
  const workload = workloads.find((w) => w.name === name);
  if (!workload) throw new Error(`${JSON.stringify(name)} is not a service or function in pipeline.ts`);
  return workload.phase;
}

/** What pipeline.ts puts in `phase`. */
export function phasePlan(phase: Phase): PhasePlan {
  return {
    services: allServices.filter((s) => s.phase === phase),
    functions: allFunctions.filter((f) => f.phase === phase),
    pushCalls: allPushCalls.filter((c) => phaseOf(c.callee) === phase),
    scheduledCalls: allScheduledCalls.filter((c) => phaseOf(c.callee) === phase),
  };
}

/** The callee `caller` names, which must be deployed in this phase or an earlier one. */
export function calleeFor(callees: ReadonlyMap<string, Callee>, caller: string, callee: string): Callee {
  const found = callees.get(callee);
  if (!found) {
    throw new Error(`${caller} calls ${callee}, which is not deployed before it; a call must target a workload of its own or an earlier phase`);
  }
  return found;
}

/** A deployed service or function, as the stack outputs show it. */
export interface DeployedWorkload {
  readonly name: string;
  readonly kind: "service" | "function";
  readonly pin: Pin;
  readonly url: pulumi.Output<string>;
  /** The image (services) or source zip (functions) the commit was built into. */
  readonly artifact: string;
}

export interface DeployPhaseArgs {
  readonly phase: Phase;
  /** The parsed stack config: project, region, registry, source bucket, commits. */
  readonly config: StackConfig;
  /** What this phase deploys. */
  readonly plan: PhasePlan;
  /** The build identity and image repository of the orchestrator functions. */
  readonly builder: FunctionBuilder;
  /** The time zone scheduler crons are read in. */
  readonly scheduleTimeZone: string;
  /** The phase handover topics, by key. */
  readonly topics: Readonly<Record<TopicKey, pubsub.Topic>>;
  /** Workloads of earlier phases, by name, that this phase's calls may target. */
  readonly earlier: ReadonlyMap<string, Callee>;
  /** Earlier phases: this phase's services and functions deploy only after everything in them. */
  readonly after: readonly pulumi.Resource[];
}

export class DeployPhase extends pulumi.ComponentResource {
  public readonly workloads: readonly DeployedWorkload[];
  /** Every workload a later phase may call: the earlier phases' and this one's. */
  public readonly callees: ReadonlyMap<string, Callee>;
  public readonly calls: readonly Call[];

  constructor(name: string, args: DeployPhaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nba:pipeline:Phase", name, {}, opts);
    const { config, plan } = args;
    for (const w of [...plan.services, ...plan.functions]) {
      if (w.phase !== args.phase) throw new Error(`${name}: ${w.name} belongs to phase ${w.phase}, not phase ${args.phase}`);
    }
    const callees = new Map(args.earlier);
    const deployed: DeployedWorkload[] = [];
    const calls: Call[] = [];
    const envCalls = (caller: string, specs: readonly { callee: string; env: string }[]): EnvCallTo[] =>
      specs.map(({ callee, env }) => ({ env, callee: calleeFor(callees, caller, callee) }));

    // Services first: the functions of a phase call its services.
    for (const spec of plan.services) {
      const pin = pinFor(config, spec);
      const service = new PinnedService(
        spec.name,
        {
          project: config.project,
          region: config.region,
          registry: config.registry,
          pin,
          publishes: spec.publishes.map((key) => ({ key, topic: args.topics[key] })),
          after: args.after,
        },
        { parent: this },
      );
      callees.set(spec.name, service.callee);
      deployed.push({ name: spec.name, kind: "service", pin, url: service.url, artifact: service.image });
      calls.push(...service.calls);
    }
    for (const spec of plan.functions) {
      const pin = pinFor(config, spec);
      const fn = new OrchestratorFunction(
        spec.name,
        {
          project: config.project,
          region: config.region,
          sourceBucket: config.functionSourceBucket,
          builder: args.builder,
          entryPoint: spec.entryPoint,
          pin,
          trigger: "topic" in spec.trigger ? { topic: args.topics[spec.trigger.topic] } : { schedule: spec.trigger.schedule, timeZone: args.scheduleTimeZone },
          calls: envCalls(spec.name, spec.calls),
          after: args.after,
        },
        { parent: this },
      );
      callees.set(spec.name, fn.callee);
      deployed.push({ name: spec.name, kind: "function", pin, url: fn.url, artifact: fn.source });
      calls.push(...fn.calls);
    }
    for (const spec of plan.pushCalls) {
      const push = new PushSubscription(
        spec.name,
        { project: config.project, topic: args.topics[spec.topic], callee: calleeFor(callees, spec.name, spec.callee), path: spec.path },
        { parent: this },
      );
      calls.push(push.call);
    }
    for (const spec of plan.scheduledCalls) {
      const job = new ScheduledCall(
        spec.name,
        {
          project: config.project,
          region: config.region,
          schedule: spec.schedule,
          timeZone: args.scheduleTimeZone,
          callee: calleeFor(callees, spec.name, spec.callee),
          path: spec.path,
        },
        { parent: this },
      );
      calls.push(job.call);
    }

    this.workloads = deployed;
    this.callees = callees;
    this.calls = calls;
    this.registerOutputs({ phase: args.phase, workloads: deployed.map((w) => w.name) });
  }
}
