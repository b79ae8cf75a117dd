// An orchestrator: a gen2 Cloud Function (python312) built from the source zip of a commit, with its own
// runtime account and the calls it makes. What starts it is part of it: a Pub/Sub event trigger with a
// dedicated trigger account, or a Cloud Scheduler job. Either way the starter's identity is granted
// roles/run.invoker on the function itself (a gen2 function is a Cloud Run service of the same name).
import * as pulumi from "@pulumi/pulumi";
import * as cloudfunctionsv2 from "@pulumi/gcp/cloudfunctionsv2";
import type * as pubsub from "@pulumi/gcp/pubsub";
import type * as serviceaccount from "@pulumi/gcp/serviceaccount";
import { declareCall, declareEnvCalls, type Call, type Callee, type EnvCallTo } from "./call";
import type { FunctionBuilder } from "./builder";
import { callerAccount } from "./identity";
import { assertCommit, labelsFor, type Pin } from "./pin";
import { ScheduledCall } from "./schedule";

/** The object of a function's source zip in the source bucket: `NAME/COMMIT.zip`. */
export function sourceObjectFor(name: string, commit: string): string {
  return `${name}/${assertCommit(commit, name)}.zip`;
}

export const functionRuntime = "python312";
export const pubsubMessagePublished = "google.cloud.pubsub.topic.v1.messagePublished";

/** What starts the function: every message on a topic, or a cron schedule. */
export type FunctionTrigger =
  | { readonly topic: pubsub.Topic }
  | { readonly schedule: string; readonly timeZone: string };

export interface OrchestratorFunctionArgs {
  /** The GCP project the function and its accounts live in. */
  readonly project: string;
  /** The region the function (and its trigger or scheduler job) runs in. */
  readonly region: string;
  /** The GCS bucket holding source zips, uploaded by CI as NAME/COMMIT.zip. */
  readonly sourceBucket: string;
  /** The build identity and image repository every function's build uses. */
  readonly builder: FunctionBuilder;
  /** The Python function the runtime calls. */
  readonly entryPoint: string;
  /** The commit the source zip was built from, the function's deploy group and phase. */
  readonly pin: Pin;
  readonly trigger: FunctionTrigger;
  /** Services the function calls, each with the env var that carries the callee's URL. */
  readonly calls: readonly EnvCallTo[];
  /** Earlier deploy phases: the new source deploys only after everything in them is deployed. */
  readonly after: readonly pulumi.Resource[];
}

export class OrchestratorFunction extends pulumi.ComponentResource {
  public readonly account: serviceaccount.Account;
  public readonly function: cloudfunctionsv2.Function;
  /** `gs://BUCKET/NAME/COMMIT.zip`. */
  public readonly source: string;
  public readonly url: pulumi.Output<string>;
  /** This function as the target of calls. */
  public readonly callee: Callee;
  /** The calls the function makes, and the call that starts it. */
  public readonly calls: readonly Call[];

  constructor(name: string, args: OrchestratorFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nba:pipeline:OrchestratorFunction", name, {}, opts);
    const object = sourceObjectFor(name, args.pin.commit);
    this.source = `gs://${args.sourceBucket}/${object}`;

    this.account = callerAccount(`${name}-runtime`, name, { project: args.project, purpose: "Cloud Function runtime" }, { parent: this });
    const outgoing = declareEnvCalls(this, { name, account: this.account }, args.calls);

    const starter = "topic" in args.trigger ? this.eventTrigger(name, args.trigger.topic, args) : this.scheduler(name, args.trigger, args);

    this.function = new cloudfunctionsv2.Function(
      `${name}-function`,
      {
        project: args.project,
        location: args.region,
        name,
        labels: labelsFor(name, args.pin),
        buildConfig: {
          runtime: functionRuntime,
          entryPoint: args.entryPoint,
          source: { storageSource: { bucket: args.sourceBucket, object } },
          serviceAccount: args.builder.account.id,
          dockerRepository: args.builder.repository.id,
        },
        serviceConfig: {
          serviceAccountEmail: this.account.email,
          environmentVariables: outgoing.env,
        },
        eventTrigger: starter.eventTrigger,
      },
      // After the earlier phases, its builder's grants, and its own invoker grants: never running without the right to call.
      { parent: this, dependsOn: [...args.after, args.builder, ...outgoing.calls.map((c) => c.grant)] },
    );
    this.url = this.function.url;
    this.callee = {
      name,
      service: this.function.name,
      location: this.function.location,
      project: this.function.project,
      url: this.function.url,
    };

    this.calls = [...outgoing.calls, starter.start(this.callee)];
    this.registerOutputs({ url: this.url, source: this.source, account: this.account.email });
  }

  /** Started by every message on `topic`, delivered by a dedicated trigger account. */
  private eventTrigger(name: string, topic: pubsub.Topic, args: OrchestratorFunctionArgs): Starter {
    const caller = `${name}-trigger`;
    const account = callerAccount(caller, caller, { project: args.project, purpose: `Pub/Sub event trigger of ${name}` }, { parent: this });
    return {
      eventTrigger: {
        triggerRegion: args.region,
        eventType: pubsubMessagePublished,
        pubsubTopic: topic.id,
        retryPolicy: "RETRY_POLICY_RETRY",
        serviceAccountEmail: account.email,
      },
      // The trigger pushes each message to the function's own Cloud Run service as this account.
      start: (self) => declareCall(this, { name: caller, account }, self, "event trigger"),
    };
  }

  /** Started on a cron schedule by a Cloud Scheduler job calling the function over HTTP. */
  private scheduler(name: string, trigger: { readonly schedule: string; readonly timeZone: string }, args: OrchestratorFunctionArgs): Starter {
    return {
      start: (self) =>
        new ScheduledCall(
          `${name}-schedule`,
          { project: args.project, region: args.region, schedule: trigger.schedule, timeZone: trigger.timeZone, callee: self, path: "" },
          { parent: this },
        ).call,
    };
  }
}

/** How a function is started: the event trigger it carries, if any, and the call that starts it. */
interface Starter {
  readonly eventTrigger?: cloudfunctionsv2.FunctionArgs["eventTrigger"];
  readonly start: (self: Callee) => Call;
}
