// A Pub/Sub push subscription that POSTs every message on a topic to a Cloud Run service, with an OIDC
// token of an account of its own that is granted roles/run.invoker on exactly that service.
import * as pulumi from "@pulumi/pulumi";
import * as pubsub from "@pulumi/gcp/pubsub";
import type * as serviceaccount from "@pulumi/gcp/serviceaccount";
import { declareCall, endpointFor, type Call, type Callee } from "./call";
import { callerAccount } from "./identity";

export interface PushSubscriptionArgs {
  /** The GCP project the subscription and its account live in. */
  readonly project: string;
  /** The topic whose messages are pushed. */
  readonly topic: pubsub.Topic;
  /** The service messages are pushed to. */
  readonly callee: Callee;
  /** Path appended to the callee's URL: "" or starting with "/". */
  readonly path: string;
}

export class PushSubscription extends pulumi.ComponentResource {
  public readonly account: serviceaccount.Account;
  public readonly subscription: pubsub.Subscription;
  public readonly call: Call;

  constructor(name: string, args: PushSubscriptionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nba:pipeline:PushSubscription", name, {}, opts);
    const endpoint = endpointFor(args.callee.url, args.path, name);
    this.account = callerAccount(`${name}-identity`, name, { project: args.project, purpose: `Pub/Sub push OIDC identity calling ${args.callee.name}` }, { parent: this });
    this.call = declareCall(this, { name, account: this.account }, args.callee, "push subscription");
    this.subscription = new pubsub.Subscription(
      `${name}-subscription`,
      {
        project: args.project,
        name,
        topic: args.topic.id,
        pushConfig: {
          pushEndpoint: endpoint,
          oidcToken: { serviceAccountEmail: this.account.email, audience: args.callee.url },
        },
      },
      // Messages start flowing as soon as the subscription exists: not before the grant is in place.
      { parent: this, dependsOn: [this.call.grant] },
    );
    this.registerOutputs({ subscription: this.subscription.name, account: this.account.email });
  }
}
