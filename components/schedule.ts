// The Cloud Scheduler jobs that call one workload over HTTP, with an OIDC token of one account that is
// granted roles/run.invoker on exactly that workload. The jobs share the account because they hold the
// same single right: an account per job would add no separation and would spend the project's service
// account quota (100 by default) on ~50 identical identities.
import * as pulumi from "@pulumi/pulumi";
import * as cloudscheduler from "@pulumi/gcp/cloudscheduler";
import type * as serviceaccount from "@pulumi/gcp/serviceaccount";
import type * as pubsub from "@pulumi/gcp/pubsub";
import type { PublishJobSpec, SchedulerJobSpec } from "../topology";
import { declareCall, endpointFor, type Call, type Callee } from "./call";
import { callerAccount } from "./identity";

export interface ScheduledCallsArgs {
  /** The GCP project the jobs and their account live in. */
  readonly project: string;
  /** The region the jobs run in. */
  readonly region: string;
  /** What the jobs call. */
  readonly callee: Callee;
  /** The jobs' entries in pipeline.ts; all call `callee`. */
  readonly jobs: readonly SchedulerJobSpec[];
}

/** The caller name of the scheduler jobs calling `callee`, and their account's: `sched-CALLEE`. */
export function schedulerCallerFor(callee: string): string {
  return `sched-${callee}`;
}

export class ScheduledCalls extends pulumi.ComponentResource {
  public readonly account: serviceaccount.Account;
  public readonly jobs: readonly cloudscheduler.Job[];
  /** One call per job, all through the one grant. */
  public readonly calls: readonly Call[];

  constructor(name: string, args: ScheduledCallsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nba:pipeline:ScheduledCalls", name, {}, opts);
    const caller = schedulerCallerFor(args.callee.name);
    this.account = callerAccount(`${name}-identity`, caller, { project: args.project, purpose: `Cloud Scheduler OIDC identity calling ${args.callee.name}` }, { parent: this });
    const call = declareCall(this, { name: caller, account: this.account }, args.callee, "scheduler job");
    this.jobs = args.jobs.map((job) => {
      if (job.callee !== args.callee.name) throw new Error(`${name}: job ${job.name} calls ${job.callee}, not ${args.callee.name}`);
      return new cloudscheduler.Job(
        `${job.name}-job`,
        {
          project: args.project,
          region: args.region,
          name: job.name,
          schedule: job.schedule,
          timeZone: job.timeZone,
          httpTarget: {
            httpMethod: job.method,
            uri: endpointFor(args.callee.url, job.path, job.name),
            // The API takes the body base64-encoded; headers exactly as the app's scripts set them.
            ...(job.body === undefined ? {} : { body: Buffer.from(job.body).toString("base64") }),
            ...(job.headers === undefined ? {} : { headers: { ...job.headers } }),
            oidcToken: { serviceAccountEmail: this.account.email, audience: args.callee.url },
          },
        },
        // A job's first run must not race its grant and meet a 403.
        { parent: this, dependsOn: [call.grant] },
      );
    });
    this.calls = args.jobs.map((job) => ({ ...call, caller: job.name }));
    this.registerOutputs({ jobs: args.jobs.map((j) => j.name), account: this.account.email });
  }
}

/**
 * A Cloud Scheduler job that publishes its message to a topic. Cloud Scheduler's own service agent
 * publishes, so no account of the stack's is involved.
 */
export function publishJob(spec: PublishJobSpec, args: { project: string; region: string; topic: pubsub.Topic }, opts: pulumi.CustomResourceOptions): cloudscheduler.Job {
  return new cloudscheduler.Job(
    `${spec.name}-job`,
    {
      project: args.project,
      region: args.region,
      name: spec.name,
      schedule: spec.schedule,
      timeZone: spec.timeZone,
      // The API takes the message base64-encoded.
      pubsubTarget: { topicName: args.topic.id, data: Buffer.from(spec.message).toString("base64") },
    },
    opts,
  );
}
