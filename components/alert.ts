// The runtime net for gaps made outside code: a grant removed by hand, an OIDC audience changed in the
// console. A log-based metric counts 401/403 answers of the pipeline's Cloud Run services (gen2 functions
// are Cloud Run services too) and an alert policy pages when any appear, telling the on-call what to run.
import * as pulumi from "@pulumi/pulumi";
import * as logging from "@pulumi/gcp/logging";
import * as monitoring from "@pulumi/gcp/monitoring";

/** The log filter: request logs of the named Cloud Run services answered with 401 or 403. */
export function unauthorizedFilterFor(services: readonly string[]): string {
  if (services.length === 0) throw new Error("unauthorized-call metric: no services to watch");
  const names = services.map((s) => JSON.stringify(s)).join(" OR ");
  return [
    `resource.type="cloud_run_revision"`,
    `log_id("run.googleapis.com/requests")`,
    `httpRequest.status=(401 OR 403)`,
    `resource.labels.service_name=(${names})`,
  ].join(" AND ");
}

/** What the on-call reads in the incident: what it means, what to run, and where the fix belongs. */
export function runbookFor(project: string, region: string, metricName: string): string {
  return [
    "A Cloud Run service or function of the NBA pipeline answered 401/403: a caller has no `roles/run.invoker` on it,",
    "or calls it with a token for the wrong audience. The `service_name` label of this incident names the callee.",
    "",
    "1. See who was refused:",
    "```",
    `gcloud logging read 'log_id("run.googleapis.com/requests") AND httpRequest.status=(401 OR 403) AND resource.labels.service_name="SERVICE"' --project ${project} --freshness 1h --limit 20`,
    "```",
    "2. Compare the service's invokers with what the stack declares:",
    "```",
    `gcloud run services get-iam-policy SERVICE --region ${region} --project ${project}`,
    "pulumi stack output calls --json",
    "```",
    "3. Fix it in code, never by hand: declare the call in pipeline.ts (that grants the invoker role), then",
    "`pulumi preview --policy-pack policies` and `pulumi up`. A grant removed outside code comes back with `pulumi up`.",
    "",
    `Metric: logging.googleapis.com/user/${metricName}`,
  ].join("\n");
}

export interface UnauthorizedCallAlertArgs {
  /** The GCP project the metric and alert live in. */
  readonly project: string;
  /** The region the pipeline runs in (for the runbook's commands). */
  readonly region: string;
  /** Cloud Run service names to watch: every service and gen2 function of the pipeline. */
  readonly services: readonly string[];
  /** Cloud Monitoring notification channels (projects/P/notificationChannels/ID) the alert goes to. */
  readonly notificationChannels: readonly string[];
}

export class UnauthorizedCallAlert extends pulumi.ComponentResource {
  public readonly metric: logging.Metric;
  public readonly policy: monitoring.AlertPolicy;

  constructor(name: string, args: UnauthorizedCallAlertArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nba:pipeline:UnauthorizedCallAlert", name, {}, opts);
    const metricName = "nba-pipeline-unauthorized-calls";
    this.metric = new logging.Metric(
      `${name}-metric`,
      {
        project: args.project,
        name: metricName,
        description: "401/403 responses of the NBA pipeline's Cloud Run services and gen2 functions, by service.",
        filter: unauthorizedFilterFor(args.services),
        metricDescriptor: {
          metricKind: "DELTA",
          valueType: "INT64",
          unit: "1",
          labels: [{ key: "service_name", valueType: "STRING", description: "The Cloud Run service that refused the call" }],
        },
        labelExtractors: { service_name: "EXTRACT(resource.labels.service_name)" },
      },
      { parent: this },
    );
    this.policy = new monitoring.AlertPolicy(
      `${name}-policy`,
      {
        project: args.project,
        displayName: "NBA pipeline: unauthorized calls (401/403) between services",
        combiner: "OR",
        severity: "ERROR",
        conditions: [
          {
            displayName: "401/403 responses on a pipeline service",
            conditionThreshold: {
              // Interpolating the metric's name orders the policy after the metric. A metric created in
              // the same `pulumi up` can take minutes to become visible to Monitoring; if the policy
              // fails with "Cannot find metric(s)", run `pulumi up` again.
              filter: pulumi.interpolate`metric.type="logging.googleapis.com/user/${this.metric.name}" AND resource.type="cloud_run_revision"`,
              comparison: "COMPARISON_GT",
              thresholdValue: 0,
              duration: "0s",
              aggregations: [
                { alignmentPeriod: "300s", perSeriesAligner: "ALIGN_DELTA", crossSeriesReducer: "REDUCE_SUM", groupByFields: ["metric.label.service_name"] },
              ],
              trigger: { count: 1 },
            },
          },
        ],
        notificationChannels: [...args.notificationChannels],
        alertStrategy: { autoClose: "86400s" },
        documentation: { mimeType: "text/markdown", subject: "NBA pipeline: a service refused a call (401/403)", content: runbookFor(args.project, args.region, metricName) },
      },
      { parent: this },
    );
    this.registerOutputs({ metric: this.metric.name, policy: this.policy.name });
  }
}
