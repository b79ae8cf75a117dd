// An Eventarc trigger that delivers a topic's messages to a Cloud Run service, as an account of its own
// granted roles/run.invoker on exactly that service. (A gen2 function's own trigger is part of the
// function: components/function.ts.)
import * as pulumi from "@pulumi/pulumi";
import * as eventarc from "@pulumi/gcp/eventarc";
import type * as pubsub from "@pulumi/gcp/pubsub";
import type * as serviceaccount from "@pulumi/gcp/serviceaccount";
import type { EventarcTriggerSpec } from "../topology";
import { declareCall, type Call, type Callee } from "./call";
import { pubsubMessagePublished } from "./function";
import { callerAccount } from "./identity";

export interface EventTriggerArgs {
  /** The GCP project the trigger and its account live in. */
  readonly project: string;
  /** The region of the trigger and of its callee. */
  readonly region: string;
  /** The trigger's entry in pipeline.ts. */
  readonly spec: EventarcTriggerSpec;
  /** The topic whose messages it delivers. */
  readonly topic: pubsub.Topic;
  /** The service it delivers to. */
  readonly callee: Callee;
}

export class EventTrigger extends pulumi.ComponentResource {
  public readonly account: serviceaccount.Account;
  public readonly trigger: eventarc.Trigger;
  public readonly call: Call;

  constructor(name: string, args: EventTriggerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nba:pipeline:EventTrigger", name, {}, opts);
    this.account = callerAccount(`${name}-identity`, name, { project: args.project, purpose: `Eventarc delivery to ${args.callee.name}` }, { parent: this });
    this.call = declareCall(this, { name, account: this.account }, args.callee, "eventarc trigger");
    this.trigger = new eventarc.Trigger(
      `${name}-trigger`,
      {
        project: args.project,
        location: args.region,
        name,
        matchingCriterias: [{ attribute: "type", value: pubsubMessagePublished }],
        transport: { pubsub: { topic: args.topic.id } },
        destination: { cloudRunService: { service: args.callee.service, region: args.callee.location, path: args.spec.path } },
        serviceAccount: this.account.email,
      },
      // Deliveries start as soon as the trigger exists: not before the grant is in place.
      { parent: this, dependsOn: [this.call.grant] },
    );
    this.registerOutputs({ trigger: this.trigger.name, account: this.account.email });
  }
}
