// The stack program for a topology: the handover topics and the functions' build identity, then each
// phase in order (its services, its functions, the push subscriptions and scheduler jobs that call them),
// then the alert that catches a call refused at run time. index.ts runs it for pipeline.ts; tests run it
// for small topologies of their own.
import * as pulumi from "@pulumi/pulumi";
import * as pubsub from "@pulumi/gcp/pubsub";
import { formatProblems, parseConfig, type StackConfig } from "./config";
import { readStackFile } from "./lib/stackfile";
import { phasePlans, TopologyError, validateTopology, workloadsOf, type Topology } from "./topology";
import { UnauthorizedCallAlert } from "./components/alert";
import { FunctionBuilder } from "./components/builder";
import type { Callee } from "./components/call";
import { DeployPhase } from "./components/phase";

/** The stack config as the engine hands it over, parsed; bad config stops the run before any resource. */
function loadConfig(topology: Topology): StackConfig {
  // The engine passes every value as a string; objects and lists arrive as JSON.
  const raw = Object.fromEntries(Object.entries(pulumi.runtime.allConfig()).map(([key, value]) => [key, fromEngine(value)]));
  const result = parseConfig(raw, topology);
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

/** The Pulumi program deploying `topology`; a bad topology or config stops it before any resource. */
export function pipelineProgram(topology: Topology) {
  return async () => {
    try {
      validateTopology(topology);
    } catch (error) {
      if (error instanceof TopologyError) throw new pulumi.RunError(error.message);
      throw error;
    }
    const config = loadConfig(topology);

    const topics = new Map(topology.topics.map(({ name }) => [name, new pubsub.Topic(name, { project: config.project, name })]));
    const builder = new FunctionBuilder("function-builder", { project: config.project, region: config.region, sourceBucket: config.functionSourceBucket });

    const deployed: DeployPhase[] = [];
    let callees: ReadonlyMap<string, Callee> = new Map();
    for (const plan of phasePlans(topology)) {
      const deployPhase = new DeployPhase(`phase${plan.phase.phase}-${plan.phase.name}`, {
        config,
        plan,
        builder,
        topics,
        earlier: callees,
        after: [...deployed],
      });
      deployed.push(deployPhase);
      callees = deployPhase.callees;
    }

    const alert = new UnauthorizedCallAlert("unauthorized-calls", {
      project: config.project,
      region: config.region,
      services: workloadsOf(topology).map((w) => w.name),
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
        .map((c) => ({ caller: c.caller, callee: c.callee, via: c.via, identity: c.identity, grant: c.grant.urn })),
      unauthorizedCallsAlert: alert.policy.name,
    };
  };
}
