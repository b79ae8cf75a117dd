// A Cloud Run service pinned to a commit: its own runtime account, the image built from that commit, the
// labels that say what is deployed, publisher rights on the topics it hands over through, and the calls
// it makes.
import * as pulumi from "@pulumi/pulumi";
import * as cloudrunv2 from "@pulumi/gcp/cloudrunv2";
import * as pubsub from "@pulumi/gcp/pubsub";
import type * as serviceaccount from "@pulumi/gcp/serviceaccount";
import { declareEnvCalls, type Call, type Callee, type EnvCallTo } from "./call";
import { accountMember, callerAccount } from "./identity";
import { assertCommit, labelsFor, type Pin } from "./pin";
import { topics as topicNames, type TopicKey } from "../pipeline";

/** `REGISTRY/NAME:COMMIT`: an image tag that names the commit it was built from, never a mutable tag. */
export function imageFor(registry: string, name: string, commit: string): string {
  if (!/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)+$/.test(registry)) {
    throw new Error(`${name}: registry ${JSON.stringify(registry)} is not a Docker repository path such as us-west2-docker.pkg.dev/PROJECT/REPO`);
  }
  return `${registry}/${name}:${assertCommit(commit, name)}`;
}

/** The env var that tells a service which topic to publish to: `analyticsComplete` → `ANALYTICS_COMPLETE_TOPIC`. */
export function topicEnvFor(topicKey: TopicKey): string {
  return `${topicKey.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}_TOPIC`;
}

/** A topic the service publishes to, by its key in pipeline.ts. */
export interface Publication {
  readonly key: TopicKey;
  readonly topic: pubsub.Topic;
}

export interface PinnedServiceArgs {
  /** The GCP project the service and its account live in. */
  readonly project: string;
  /** The region the service runs in. */
  readonly region: string;
  /** The Artifact Registry repository images are pulled from (REGISTRY in REGISTRY/NAME:COMMIT). */
  readonly registry: string;
  /** The commit the service runs, its deploy group and phase. */
  readonly pin: Pin;
  /** Topics the service publishes to when it finishes; it gets roles/pubsub.publisher on each. */
  readonly publishes: readonly Publication[];
  /** Services this service calls, each with the env var that carries the callee's URL. */
  readonly calls?: readonly EnvCallTo[];
  /** Earlier deploy phases: a new revision rolls out only after everything in them is deployed. */
  readonly after: readonly pulumi.Resource[];
}

export class PinnedService extends pulumi.ComponentResource {
  public readonly account: serviceaccount.Account;
  public readonly service: cloudrunv2.Service;
  public readonly image: string;
  public readonly url: pulumi.Output<string>;
  /** This service as the target of calls. */
  public readonly callee: Callee;
  public readonly calls: readonly Call[];

  constructor(name: string, args: PinnedServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nba:pipeline:Service", name, {}, opts);
    this.image = imageFor(args.registry, name, args.pin.commit);
    const labels = labelsFor(name, args.pin);

    this.account = callerAccount(`${name}-runtime`, name, { project: args.project, purpose: "Cloud Run service runtime" }, { parent: this });
    const caller = { name, account: this.account };
    const outgoing = declareEnvCalls(this, caller, args.calls ?? []);

    const publisher = accountMember(this.account);
    const publishGrants = args.publishes.map(
      ({ key, topic }) =>
        new pubsub.TopicIAMMember(
          `${name}-publishes-${topicNames[key]}`,
          { project: args.project, topic: topic.name, role: "roles/pubsub.publisher", member: publisher },
          { parent: this },
        ),
    );
    const topicEnv = args.publishes.map(({ key, topic }) => ({ name: topicEnvFor(key), value: topic.name }));
    const callEnv = Object.entries(outgoing.env).map(([envName, url]) => ({ name: envName, value: url }));

    this.service = new cloudrunv2.Service(
      `${name}-service`,
      {
        project: args.project,
        location: args.region,
        name,
        labels,
        template: {
          // Revision labels too, so each revision in the console says which commit it ran.
          labels,
          serviceAccount: this.account.email,
          containers: [{ image: this.image, envs: [...topicEnv, ...callEnv] }],
        },
      },
      // After the earlier phases, and after its own grants: never running without the right to call or publish.
      { parent: this, dependsOn: [...args.after, ...outgoing.calls.map((c) => c.grant), ...publishGrants] },
    );
    this.url = this.service.uri;
    this.callee = {
      name,
      service: this.service.name,
      location: this.service.location,
      project: this.service.project,
      url: this.service.uri,
    };
    this.calls = outgoing.calls;
    this.registerOutputs({ url: this.url, image: this.image, account: this.account.email });
  }
}
