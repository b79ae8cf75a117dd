// A Pub/Sub push subscription that POSTs every message on a topic to a Cloud Run service, with an OIDC
// token of an account of its own that is granted roles/run.invoker on exactly that service. With a
// dead-letter topic, the Pub/Sub service agent gets exactly the two rights forwarding needs.
import * as pulumi from "@pulumi/pulumi";
import * as pubsub from "@pulumi/gcp/pubsub";
import type * as serviceaccount from "@pulumi/gcp/serviceaccount";
import type { PushSubscriptionSpec } from "../topology";
import { declareCall, endpointFor, type Call, type Callee } from "./call";
import { callerAccount } from "./identity";

export interface PushSubscriptionArgs {
  /** The GCP project the subscription and its account live in. */
  readonly project: string;
  /** The project number, which names the project's Pub/Sub service agent. */
  readonly projectNumber: string;
  /** The subscription's entry in pipeline.ts. */
  readonly spec: PushSubscriptionSpec;
  /** Every topic of the stack, by name. */
  readonly topics: ReadonlyMap<string, pubsub.Topic>;
  /** The service messages are pushed to. */
  readonly callee: Callee;
}

/** The Pub/Sub service agent, which forwards undeliverable messages to a dead-letter topic. */
export function pubsubServiceAgent(projectNumber: string): string {
  return `serviceAccount:service-${projectNumber}@gcp-sa-pubsub.iam.gserviceaccount.com`;
}

export class PushSubscription extends pulumi.ComponentResource {
  public readonly account: serviceaccount.Account;
  public readonly subscription: pubsub.Subscription;
  public readonly call: Call;

  constructor(name: string, args: PushSubscriptionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nba:pipeline:PushSubscription", name, {}, opts);
    const { spec } = args;
    const topicOf = (topic: string) => {
      const found = args.topics.get(topic);
      if (!found) throw new Error(`${name}: topic ${topic} is not in the stack`);
      return found;
    };
    const endpoint = endpointFor(args.callee.url, spec.path, name);
    const purpose = `Pub/Sub push OIDC identity calling ${args.callee.name}${spec.fallback ? " (fallback)" : ""}`;
    this.account = callerAccount(`${name}-identity`, name, { project: args.project, purpose }, { parent: this });
    this.call = declareCall(this, { name, account: this.account }, args.callee, spec.fallback ? "push subscription (fallback)" : "push subscription");
    const deadLetterTopic = spec.deadLetter ? topicOf(spec.deadLetter.topic) : undefined;
    this.subscription = new pubsub.Subscription(
      `${name}-subscription`,
      {
        project: args.project,
        name,
        topic: topicOf(spec.topic).id,
        ...(spec.ackDeadlineSeconds === undefined ? {} : { ackDeadlineSeconds: spec.ackDeadlineSeconds }),
        pushConfig: { pushEndpoint: endpoint, oidcToken: { serviceAccountEmail: this.account.email, audience: args.callee.url } },
        ...(spec.deadLetter && deadLetterTopic
          ? { deadLetterPolicy: { deadLetterTopic: deadLetterTopic.id, maxDeliveryAttempts: spec.deadLetter.maxDeliveryAttempts } }
          : {}),
      },
      // Messages start flowing as soon as the subscription exists: not before the grant is in place.
      { parent: this, dependsOn: [this.call.grant] },
    );
    if (spec.deadLetter && deadLetterTopic) {
      const agent = pubsubServiceAgent(args.projectNumber);
      new pubsub.TopicIAMMember(`${name}-dead-letters-publish`, { project: args.project, topic: deadLetterTopic.name, role: "roles/pubsub.publisher", member: agent }, { parent: this });
      new pubsub.SubscriptionIAMMember(`${name}-dead-letters-ack`, { project: args.project, subscription: this.subscription.name, role: "roles/pubsub.subscriber", member: agent }, { parent: this });
    }
    this.registerOutputs({ subscription: this.subscription.name, account: this.account.email });
  }
}
