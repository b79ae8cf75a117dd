// A Cloud Run service pinned to a commit: the image the app's build pushed for that commit, the labels
// that say what is deployed, and its runtime identity with every right its code needs (workload.ts).
import * as pulumi from "@pulumi/pulumi";
import * as cloudrunv2 from "@pulumi/gcp/cloudrunv2";
import type * as pubsub from "@pulumi/gcp/pubsub";
import type * as serviceaccount from "@pulumi/gcp/serviceaccount";
import type { ServiceSpec } from "../topology";
import type { Call, Callee } from "./call";
import { assertCommit, labelsFor, type Pin } from "./pin";
import { workloadIdentity } from "./workload";

/**
 * `REGISTRY/IMAGE:SHORT_SHA`: the tag the app's Cloud Build trigger pushes for a commit beside `:latest`
 * (cloudbuild.yaml:62-64), `$SHORT_SHA` being the commit's first 7 characters. Never a mutable tag.
 */
export function imageFor(registry: string, image: string, commit: string): string {
  if (!/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)+$/.test(registry)) {
    throw new Error(`${image}: registry ${JSON.stringify(registry)} is not a Docker repository path such as us-west2-docker.pkg.dev/PROJECT/REPO`);
  }
  return `${registry}/${image}:${assertCommit(commit, image).slice(0, 7)}`;
}

export interface PinnedServiceArgs {
  /** The GCP project the service and its account live in. */
  readonly project: string;
  /** The region the service runs in. */
  readonly region: string;
  /** The project number, which env values may name as `{projectNumber}`. */
  readonly projectNumber: string;
  /** The Artifact Registry repository images are pulled from (REGISTRY in REGISTRY/IMAGE:COMMIT). */
  readonly registry: string;
  /** The service's entry in pipeline.ts. */
  readonly spec: ServiceSpec;
  /** The commit the service runs, its deploy group and phase. */
  readonly pin: Pin;
  /** Every topic of the stack, by name. */
  readonly topics: ReadonlyMap<string, pubsub.Topic>;
  /** Workloads it may call, by name. */
  readonly callees: ReadonlyMap<string, Callee>;
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
    this.image = imageFor(args.registry, args.spec.image, args.pin.commit);
    const labels = labelsFor(name, args.pin);
    const identity = workloadIdentity(this, { project: args.project, region: args.region, projectNumber: args.projectNumber, purpose: "Cloud Run service runtime", spec: args.spec, topics: args.topics, callees: args.callees });
    this.account = identity.account;

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
          containers: [
            {
              image: this.image,
              envs: [
                ...identity.env,
                ...identity.secretEnv.map((s) => ({ name: s.name, valueSource: { secretKeyRef: { secret: s.secret, version: "latest" } } })),
              ],
            },
          ],
        },
      },
      // After the earlier phases, and after its own grants: never running without the right to call, publish or read.
      { parent: this, dependsOn: [...args.after, ...identity.grants] },
    );
    this.url = this.service.uri;
    this.callee = { name, service: this.service.name, location: this.service.location, project: this.service.project, url: this.service.uri };
    this.calls = identity.calls;
    this.registerOutputs({ url: this.url, image: this.image, account: this.account.email });
  }
}
