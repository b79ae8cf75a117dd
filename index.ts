// The NBA props pipeline on Google Cloud, deployed in phases. Read it like the pipeline's diagram:
// the handover topics and the functions' build identity, then each phase in order (its services, the
// orchestrator functions that call them, the push subscriptions and scheduler jobs that start them),
// then the alert that catches a call refused at run time. The topology itself is data in pipeline.ts; commits come from the stack config.
//
// The module exports the program as a function: the Pulumi Node runtime calls it and makes its result the
// stack outputs, and lib/capture.ts can run it offline as often as it needs.
import * as pulumi from "@pulumi/pulumi";
import * as pubsub from "@pulumi/gcp/pubsub";
import { formatProblems, parseConfig, type StackConfig } from "./config";
import { readStackFile } from "./lib/stackfile";
import { phases, scheduleTimeZone, topics, workloadNames, type TopicKey } from "./pipeline";
import { UnauthorizedCallAlert } from "./components/alert";
import { FunctionBuilder } from "./components/builder";
import { grantNameFor, type Callee } from "./components/call";
import { DeployPhase, phasePlan } from "./components/phase";

/** The stack config as the engine hands it over, parsed; bad config stops the run before any resource. */
function loadConfig(): StackConfig {
  // The engine passes every value as a string; objects and lists arrive as JSON.
  const raw = Object.fromEntries(Object.entries(pulumi.runtime.allConfig()).map(([key, value]) => [key, fromEngine(value)]));
  const result = parseConfig(raw);
  if (result.ok) return result.config;
  const stackFile = `Pulumi.${pulumi.getStack()}.yaml`;
  // RunError: Pulumi prints the message alone, without a stack trace.
  throw new pulumi.RunError(formatProblems(stackFile, result.problems, lineFinder(stackFile)));
}

function fromEngine(value: string): unknown {
  if (!value.startsWith("{") && !value.startsWith("[")) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value; // not JSON after all: the schema reports it as the wrong type
  }
}

/** Line numbers for config keys, when the stack file is readable from here (the project directory). */
function lineFinder(stackFile: string): ((path: readonly (string | number)[]) => number | undefined) | undefined {
  try {
    return readStackFile(stackFile).lineOf;
  } catch {
    return undefined;
  }
}

async function nbaPipeline() {
  const config = loadConfig();

  const topicResources = Object.fromEntries(
    Object.entries(topics).map(([key, name]) => [key, new pubsub.Topic(name, { project: config.project, name })]),
  ) as Record<TopicKey, pubsub.Topic>;

  const builder = new FunctionBuilder("function-builder", {
    project: config.project,
    region: config.region,
    sourceBucket: config.functionSourceBucket,
  });

  const deployed: DeployPhase[] = [];
  let callees: ReadonlyMap<string, Callee> = new Map();
  for (const { phase, name } of phases) {
    const deployPhase = new DeployPhase(`phase${phase}-${name}`, {
      phase,
      config,
      plan: phasePlan(phase),
      builder,
      scheduleTimeZone,
      topics: topicResources,
      earlier: callees,
      after: [...deployed],
    });
    deployed.push(deployPhase);
    callees = deployPhase.callees;
  }

  const alert = new UnauthorizedCallAlert("unauthorized-calls", {
    project: config.project,
    region: config.region,
    services: workloadNames,
    notificationChannels: config.alertNotificationChannels,
  });

  // What a person reads with `pulumi stack output`: what runs where, and who may call whom.
  return {
    workloads: Object.fromEntries(
      deployed.flatMap((p) => p.workloads).map((w) => [
        w.name,
        {
          kind: w.kind,
          url: w.url,
          commit: w.pin.commit,
          phase: w.pin.phase,
          deployGroup: w.pin.deployGroup,
          ...(w.kind === "service" ? { image: w.artifact } : { source: w.artifact }),
          ...(w.pin.overrideReason === undefined ? {} : { commitOverride: w.pin.overrideReason }),
        },
      ]),
    ),
    calls: deployed
      .flatMap((p) => p.calls)
      .map((c) => ({ caller: c.caller, callee: c.callee, via: c.via, identity: c.identity, grant: grantNameFor(c.caller, c.callee) })),
    unauthorizedCallsAlert: alert.policy.name,
  };
}

export = nbaPipeline;
