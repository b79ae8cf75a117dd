// A Cloud Scheduler job that calls a Cloud Run service (or gen2 function) over HTTP on a cron, with an
// OIDC token of an account of its own that is granted roles/run.invoker on exactly its target.
import * as pulumi from "@pulumi/pulumi";
import * as cloudscheduler from "@pulumi/gcp/cloudscheduler";
import type * as serviceaccount from "@pulumi/gcp/serviceaccount";
import { declareCall, endpointFor, type Call, type Callee } from "./call";
import { callerAccount } from "./identity";

export interface ScheduledCallArgs {
  /** The GCP project the job and its account live in. */
  readonly project: string;
  /** The region the job runs in. */
  readonly region: string;
  /** Unix cron, e.g. "0 8 * * *". */
  readonly schedule: string;
  /** IANA time zone the schedule is read in. */
  readonly timeZone: string;
  /** What the job calls. */
  readonly callee: Callee;
  /** Path and query appended to the callee's URL: "" or starting with "/". */
  readonly path: string;
}

export class ScheduledCall extends pulumi.ComponentResource {
  public readonly account: serviceaccount.Account;
  public readonly job: cloudscheduler.Job;
  public readonly call: Call;

  constructor(name: string, args: ScheduledCallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nba:pipeline:ScheduledCall", name, {}, opts);
    const endpoint = endpointFor(args.callee.url, args.path, name);
    this.account = callerAccount(`${name}-identity`, name, { project: args.project, purpose: `Cloud Scheduler OIDC identity calling ${args.callee.name}` }, { parent: this });
    this.call = declareCall(this, { name, account: this.account }, args.callee, "scheduler job");
    this.job = new cloudscheduler.Job(
      `${name}-job`,
      {
        project: args.project,
        region: args.region,
        name,
        schedule: args.schedule,
        timeZone: args.timeZone,
        httpTarget: {
          httpMethod: "POST",
          uri: endpoint,
          oidcToken: { serviceAccountEmail: this.account.email, audience: args.callee.url },
        },
      },
      // The job's first run must not race its grant and meet a 403.
      { parent: this, dependsOn: [this.call.grant] },
    );
    this.registerOutputs({ job: this.job.name, account: this.account.email });
  }
}
