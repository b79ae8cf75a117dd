// A gen2 Cloud Function pinned to a commit: built from the source zip of that commit, with its runtime
// identity and every right its code needs (workload.ts). A Pub/Sub-triggered function carries its event
// trigger (an Eventarc trigger) with a trigger account of its own, granted roles/run.invoker on the
// function itself (a gen2 function is a Cloud Run service of the same name). An HTTP function is started
// by the scheduler jobs and workloads that pipeline.ts says call it.
import * as pulumi from "@pulumi/pulumi";
import * as cloudfunctionsv2 from "@pulumi/gcp/cloudfunctionsv2";
import type * as pubsub from "@pulumi/gcp/pubsub";
import type * as serviceaccount from "@pulumi/gcp/serviceaccount";
import type { FunctionSpec } from "../topology";
import type { FunctionBuilder } from "./builder";
import { declareCall, type Call, type Callee } from "./call";
import { callerAccount } from "./identity";
import { assertCommit, labelsFor, type Pin } from "./pin";
import { workloadIdentity } from "./workload";

/** The object of a function's source zip in the source bucket: `NAME/COMMIT.zip`. */
export function sourceObjectFor(name: string, commit: string): string {
  return `${name}/${assertCommit(commit, name)}.zip`;
}

export const pubsubMessagePublished = "google.cloud.pubsub.topic.v1.messagePublished";

export interface OrchestratorFunctionArgs {
  /** The GCP project the function and its accounts live in. */
  readonly project: string;
  /** The region the function (and its trigger) runs in. */
  readonly region: string;
  /** The project number, which env values may name as `{projectNumber}`. */
  readonly projectNumber: string;
  /** The GCS bucket holding source zips, uploaded by CI as NAME/COMMIT.zip. */
  readonly sourceBucket: string;
  /** The build identity and image repository every function's build uses. */
  readonly builder: FunctionBuilder;
  /** The function's entry in pipeline.ts. */
  readonly spec: FunctionSpec;
  /** The commit the source zip was built from, the function's deploy group and phase. */
  readonly pin: Pin;
  /** Every topic of the stack, by name. */
  readonly topics: ReadonlyMap<string, pubsub.Topic>;
  /** Workloads it may call, by name. */
  readonly callees: ReadonlyMap<string, Callee>;
  /** Earlier deploy phases: the new source deploys only after everything in them is deployed. */
  readonly after: readonly pulumi.Resource[];
  /**
   * The function runs already (it was imported into the stack): its Cloud Run service exists, so the event
   * trigger's grant can name it directly and be made before the function changes its trigger's account.
   */
  readonly adopted?: boolean;
}

export class OrchestratorFunction extends pulumi.ComponentResource {
  public readonly account: serviceaccount.Account;
  public readonly function: cloudfunctionsv2.Function;
  /** `gs://BUCKET/NAME/COMMIT.zip`. */
  public readonly source: string;
  public readonly url: pulumi.Output<string>;
  /** This function as the target of calls. */
  public readonly callee: Callee;
  /** The calls the function makes, and its event trigger's call to it. */
  public readonly calls: readonly Call[];

  constructor(name: string, args: OrchestratorFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nba:pipeline:OrchestratorFunction", name, {}, opts);
    const { spec } = args;
    const object = sourceObjectFor(name, args.pin.commit);
    this.source = `gs://${args.sourceBucket}/${object}`;
    const identity = workloadIdentity(this, { project: args.project, region: args.region, projectNumber: args.projectNumber, purpose: "Cloud Function runtime", spec, topics: args.topics, callees: args.callees });
    this.account = identity.account;

    let trigger: { account: serviceaccount.Account; args: cloudfunctionsv2.FunctionArgs["eventTrigger"] } | undefined;
    if ("topic" in spec.trigger) {
      const topic = args.topics.get(spec.trigger.topic);
      if (!topic) throw new Error(`${name}: trigger topic ${spec.trigger.topic} is not in the stack`);
      const account = callerAccount(`${name}-trigger`, `${name}-trigger`, { project: args.project, purpose: `Pub/Sub event trigger of ${name}` }, { parent: this });
      trigger = {
        account,
        args: { triggerRegion: args.region, eventType: pubsubMessagePublished, pubsubTopic: topic.id, retryPolicy: "RETRY_POLICY_RETRY", serviceAccountEmail: account.email },
      };
    }
    // A function that already runs switches its trigger to the new account in this update: the grant must
    // exist first, so it names the function's Cloud Run service directly (a gen2 function's service has the
    // function's name) instead of waiting for the function's outputs, and the function waits for it.
    const existing = trigger && args.adopted ? declareCall(this, { name: `${name}-trigger`, account: trigger.account }, this.existingCallee(name, args), "event trigger") : undefined;

    this.function = new cloudfunctionsv2.Function(
      `${name}-function`,
      {
        project: args.project,
        location: args.region,
        name,
        labels: labelsFor(name, args.pin),
        buildConfig: {
          runtime: spec.runtime,
          entryPoint: spec.entryPoint,
          source: { storageSource: { bucket: args.sourceBucket, object } },
          serviceAccount: args.builder.account.id,
          dockerRepository: args.builder.repository.id,
        },
        serviceConfig: {
          serviceAccountEmail: this.account.email,
          environmentVariables: Object.fromEntries(identity.env.map((e) => [e.name, e.value])),
          secretEnvironmentVariables: identity.secretEnv.map((s) => ({ key: s.name, projectId: args.project, secret: s.secret, version: "latest" })),
          ...(spec.memory === undefined ? {} : { availableMemory: spec.memory }),
          ...(spec.timeoutSeconds === undefined ? {} : { timeoutSeconds: spec.timeoutSeconds }),
        },
        eventTrigger: trigger?.args,
      },
      // After the earlier phases, its builder's grants, and its own grants: never running without its rights.
      { parent: this, dependsOn: [...args.after, args.builder, ...identity.grants, ...(existing ? [existing.grant] : [])] },
    );
    this.url = this.function.url;
    this.callee = { name, service: this.function.name, location: this.function.location, project: this.function.project, url: this.function.url };
    // The trigger pushes each message to the function's own Cloud Run service as its account. A new
    // function's service exists only once the function does, so its grant follows it.
    const started = existing ? [existing] : trigger ? [declareCall(this, { name: `${name}-trigger`, account: trigger.account }, this.callee, "event trigger")] : [];
    this.calls = [...identity.calls, ...started];
    this.registerOutputs({ url: this.url, source: this.source, account: this.account.email });
  }

  /** The Cloud Run service of a function that already runs, by its name, location and project (known before the function changes). */
  private existingCallee(name: string, args: OrchestratorFunctionArgs): Callee {
    return {
      name,
      service: pulumi.output(name),
      location: pulumi.output(args.region),
      project: pulumi.output(args.project),
      url: pulumi.output(`https://${name}-${args.projectNumber}.${args.region}.run.app`),
    };
  }
}
