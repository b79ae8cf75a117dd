// A deploy phase: the services and functions of one phase of the pipeline, with the push subscriptions
// and scheduler jobs that call them. Every service and function of a phase depends on all earlier phases,
// so `pulumi up` never rolls phase 5 forward before the phase 3 it consumes (the "validation gap").
import * as pulumi from "@pulumi/pulumi";
import type * as pubsub from "@pulumi/gcp/pubsub";
import type { StackConfig } from "../config";
import type { PhasePlan, SchedulerJobSpec } from "../topology";
import type { FunctionBuilder } from "./builder";
import type { Call, Callee } from "./call";
import { OrchestratorFunction } from "./function";
import { pinFor, type Pin } from "./pin";
import { EventTrigger } from "./eventarc";
import { PushSubscription } from "./push";
import { publishJob, ScheduledCalls } from "./schedule";
import { PinnedService } from "./service";

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
  /** The parsed stack config: project, region, registry, source bucket, commits. */
  readonly config: StackConfig;
  /** What this phase deploys. */
  readonly plan: PhasePlan;
  /** The build identity and image repository of the functions. */
  readonly builder: FunctionBuilder;
  /** Every topic of the stack, by name. */
  readonly topics: ReadonlyMap<string, pubsub.Topic>;
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
    const callees = new Map(args.earlier);
    const deployed: DeployedWorkload[] = [];
    const calls: Call[] = [];
    const common = { project: config.project, region: config.region, projectNumber: config.projectNumber, topics: args.topics, callees, after: args.after };
    const topicOf = (entry: string, name: string): pubsub.Topic => {
      const found = args.topics.get(name);
      // validateTopology has refused unknown topics before any resource exists.
      if (!found) throw new Error(`${entry}: topic ${name} is not in the stack`);
      return found;
    };

    // Services first: the functions of a phase call its services.
    for (const spec of plan.services) {
      const pin = pinFor(config, spec);
      const service = new PinnedService(spec.name, { ...common, registry: config.registry, spec, pin }, { parent: this });
      callees.set(spec.name, service.callee);
      deployed.push({ name: spec.name, kind: "service", pin, url: service.url, artifact: service.image });
      calls.push(...service.calls);
    }
    for (const spec of plan.functions) {
      const pin = pinFor(config, spec);
      const fn = new OrchestratorFunction(
        spec.name,
        { ...common, sourceBucket: config.functionSourceBucket, builder: args.builder, spec, pin, adopted: config.adoptedFunctions.includes(spec.name) },
        { parent: this },
      );
      callees.set(spec.name, fn.callee);
      deployed.push({ name: spec.name, kind: "function", pin, url: fn.url, artifact: fn.source });
      calls.push(...fn.calls);
    }
    const calleeOf = (caller: string, name: string): Callee => {
      const found = callees.get(name);
      // validateTopology has refused unknown callees before any resource exists.
      if (!found) throw new Error(`${caller}: callee ${name} is not deployed in or before phase ${plan.phase.phase}`);
      return found;
    };
    for (const spec of plan.subscriptions) {
      const push = new PushSubscription(
        spec.name,
        { project: config.project, projectNumber: config.projectNumber, spec, topics: args.topics, callee: calleeOf(spec.name, spec.callee) },
        { parent: this },
      );
      calls.push(push.call);
    }
    for (const spec of plan.eventarcTriggers) {
      const trigger = new EventTrigger(
        spec.name,
        { project: config.project, region: config.region, spec, topic: topicOf(spec.name, spec.topic), callee: calleeOf(spec.name, spec.callee) },
        { parent: this },
      );
      calls.push(trigger.call);
    }
    const jobsByCallee = new Map<string, SchedulerJobSpec[]>();
    for (const job of plan.schedulerJobs) jobsByCallee.set(job.callee, [...(jobsByCallee.get(job.callee) ?? []), job]);
    for (const [callee, jobs] of jobsByCallee) {
      const scheduled = new ScheduledCalls(
        `${callee}-scheduler`,
        { project: config.project, region: config.region, callee: calleeOf(jobs[0].name, callee), jobs },
        { parent: this },
      );
      calls.push(...scheduled.calls);
    }
    for (const spec of plan.publishJobs) {
      publishJob(spec, { project: config.project, region: config.region, topic: topicOf(spec.name, spec.topic) }, { parent: this });
    }

    this.workloads = deployed;
    this.callees = callees;
    this.calls = calls;
    this.registerOutputs({ phase: plan.phase.phase, workloads: deployed.map((w) => w.name) });
  }
}
