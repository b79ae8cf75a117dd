// The components' decisions as pure functions, and the components themselves under mocks, run over a
// small topology of the tests' own (test/fixtures/topology.ts): a call wires its URL and its grant
// together, data access becomes exactly the listed grants, and every caller kind gets its own identity.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parseConfig, type StackConfig } from "../config";
import { InputError } from "../lib/cli";
import { captureProgram } from "../lib/capture";
import { readStackFile } from "../lib/stackfile";
import { pipeline } from "../pipeline";
import { pipelineProgram } from "../program";
import { workloadsOf } from "../topology";
import { dataGrantsFor } from "../components/access";
import { runbookFor, unauthorizedFilterFor } from "../components/alert";
import { endpointFor, grantNameFor } from "../components/call";
import { sourceObjectFor } from "../components/function";
import { accountIdFor, serviceAccountMember } from "../components/identity";
import { labelsFor, pinFor } from "../components/pin";
import { schedulerCallerFor } from "../components/schedule";
import { imageFor } from "../components/service";
import { envValue } from "../components/workload";
import { fixtureConfig, fixtureTopology } from "./fixtures/topology";
import { inputAt, named, ofType, types } from "./support/engine";

const workloads = workloadsOf(pipeline);

const accountIdPattern = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

function stackConfig(file: string): StackConfig {
  const result = parseConfig(readStackFile(file).raw);
  if (!result.ok) throw new Error(`${file} does not parse`);
  return result.config;
}

describe("accountIdFor", () => {
  it("given a name that fits GCP's 6–30 characters, when made an account id, then it is kept as is", () => {
    expect(accountIdFor("phase3-to-grading")).toBe("phase3-to-grading");
    expect(accountIdFor("grading")).toBe("grading");
  });

  it("given nba-phase4-precompute-processors (32 characters), when made an account id, then it is a valid id of at most 30 characters, the same every time", () => {
    const id = accountIdFor("nba-phase4-precompute-processors");
    expect(id).toMatch(accountIdPattern);
    expect(id.startsWith("nba-phase4-precompute-p")).toBe(true);
    expect(id).toBe(accountIdFor("nba-phase4-precompute-processors"));
  });

  it("given two long names that share their first 23 characters, when made account ids, then the ids differ", () => {
    const a = accountIdFor("nba-phase4-precompute-processors");
    const b = accountIdFor("nba-phase4-precompute-processors-trigger");
    expect(a).not.toBe(b);
    expect(b).toMatch(accountIdPattern);
  });

  it("given a name shorter than 6 characters, when made an account id, then it is lengthened to a valid id", () => {
    expect(accountIdFor("etl")).toBe("etl-account");
    expect(accountIdFor("a")).toMatch(accountIdPattern);
  });

  it("given a name GCP cannot take, when made an account id, then the error names it and the rule", () => {
    expect(() => accountIdFor("Grading")).toThrow(/"Grading": the name must be lowercase letters, digits and hyphens/);
    expect(() => accountIdFor("grading-")).toThrow(/not ending with a hyphen/);
    expect(() => accountIdFor("3-to-4")).toThrow(/starting with a letter/);
  });

  it("given every caller in the prod topology, when made account ids, then all are valid and distinct", () => {
    const callers = [
      ...workloads.map((w) => w.name),
      ...pipeline.functions.filter((f) => "topic" in f.trigger).map((f) => `${f.name}-trigger`),
      ...pipeline.subscriptions.map((p) => p.name),
      ...pipeline.eventarcTriggers.map((e) => e.name),
      ...[...new Set(pipeline.schedulerJobs.map((j) => j.callee))].map(schedulerCallerFor),
    ];
    const ids = callers.map(accountIdFor);
    for (const id of ids) expect(id).toMatch(accountIdPattern);
    expect(new Set(ids).size).toBe(callers.length);
  });
});

describe("serviceAccountMember", () => {
  it("given a user-managed account email, when made an IAM member, then it is serviceAccount:EMAIL", () => {
    expect(serviceAccountMember("phase3-to-grading@nba-props-platform.iam.gserviceaccount.com")).toBe(
      "serviceAccount:phase3-to-grading@nba-props-platform.iam.gserviceaccount.com",
    );
  });

  it("given the default compute or App Engine account, when made an IAM member, then it is refused", () => {
    expect(() => serviceAccountMember("756957797294-compute@developer.gserviceaccount.com")).toThrow(/is a default service account; give the caller its own account/);
    expect(() => serviceAccountMember("nba-props-platform@appspot.gserviceaccount.com")).toThrow(/is a default service account/);
  });

  it("given something that is not a service account email, when made an IAM member, then it is refused", () => {
    expect(() => serviceAccountMember("allUsers")).toThrow(/"allUsers" is not a service account email/);
    expect(() => serviceAccountMember("someone@example.com")).toThrow(/is not a service account email/);
  });
});

describe("imageFor and sourceObjectFor", () => {
  it("given a registry, image and commit, when the artifact is named, then it is REGISTRY/IMAGE:SHORT_SHA (the build's 7-character tag) or NAME/COMMIT.zip", () => {
    expect(imageFor("us-west2-docker.pkg.dev/nba-props-platform/nba-props", "prediction-worker", "ede3ab89")).toBe(
      "us-west2-docker.pkg.dev/nba-props-platform/nba-props/prediction-worker:ede3ab8",
    );
    expect(imageFor("us-west2-docker.pkg.dev/p/r", "x", "18f6ecfee0e93e61e3ef16604e9958670a4256f1")).toBe("us-west2-docker.pkg.dev/p/r/x:18f6ecf");
    expect(sourceObjectFor("phase3-to-grading", "ede3ab89")).toBe("phase3-to-grading/ede3ab89.zip");
  });

  it("given a mutable tag instead of a commit, when the artifact is named, then the error names the workload and the expected format", () => {
    expect(() => imageFor("us-west2-docker.pkg.dev/p/r", "grading", "latest")).toThrow(
      'grading: commit "latest" is not a git commit SHA, 7–40 lowercase hex characters',
    );
    expect(() => sourceObjectFor("phase3-to-grading", "main")).toThrow(/phase3-to-grading: commit "main" is not a git commit SHA/);
  });

  it("given a registry that is not a repository path, when the image is named, then the error says what a registry looks like", () => {
    expect(() => imageFor("https://us-west2-docker.pkg.dev/p/r", "grading", "ede3ab89")).toThrow(/such as us-west2-docker.pkg.dev\/PROJECT\/REPO/);
  });
});

describe("pinFor and labelsFor", () => {
  it("given the staging config, when pins are read, then a workload with an override runs its commit with the reason, and the others their group's", () => {
    const config = stackConfig("Pulumi.staging.yaml");
    const [name, override] = Object.entries(config.overrides)[0];
    const pinnedApart = workloads.find((w) => w.name === name)!;
    expect(pinFor(config, pinnedApart)).toEqual({ commit: override!.commit, deployGroup: pinnedApart.group, phase: pinnedApart.phase, overrideReason: override!.reason });
    const other = workloads.find((w) => w.group === pinnedApart.group && w.name !== name)!;
    expect(pinFor(config, other)).toEqual({ commit: config.deployGroups[other.group], deployGroup: other.group, phase: other.phase });
  });

  it("given a pin, when labelled, then commit-sha (the name the app's scripts read) carries the commit, and commit-override appears only for an override", () => {
    expect(labelsFor("x", { commit: "ede3ab89", deployGroup: "grading", phase: "5b" })).toEqual({ "commit-sha": "ede3ab89", "deploy-group": "grading", phase: "5b" });
    expect(labelsFor("x", { commit: "19722f5c", deployGroup: "grading", phase: "5b", overrideReason: "why" })).toEqual({
      "commit-sha": "19722f5c",
      "deploy-group": "grading",
      phase: "5b",
      "commit-override": "true",
    });
  });
});

describe("dataGrantsFor and envValue", () => {
  it("given data access, when made grants, then write wins over read, jobUser and Firestore are project roles, and every secret, listed or in env, is read exactly", () => {
    const grants = dataGrantsFor(
      {
        bigquery: { read: ["nba_raw", "nba_reference"], write: ["nba_raw"], jobs: true },
        buckets: { read: ["models", "landing"], write: ["landing"] },
        firestore: true,
        secrets: ["coordinator-api-key"],
        projectRoles: ["roles/monitoring.metricWriter"],
        evidence: [],
      },
      ["slack-webhook-url", "coordinator-api-key"],
    );
    expect(grants.map((g) => `${g.role} on ${g.on.kind} ${g.on.name}`)).toEqual([
      "roles/bigquery.dataEditor on dataset nba_raw",
      "roles/bigquery.dataViewer on dataset nba_reference",
      "roles/bigquery.jobUser on project project",
      "roles/storage.objectUser on bucket landing",
      "roles/storage.objectViewer on bucket models",
      "roles/datastore.user on project project",
      "roles/monitoring.metricWriter on project project",
      "roles/secretmanager.secretAccessor on secret coordinator-api-key",
      "roles/secretmanager.secretAccessor on secret slack-webhook-url",
    ]);
  });

  it("given an env value with {project}, {region} and {projectNumber}, when filled for a stack, then each is that stack's", () => {
    expect(envValue("{project}/{region}/{projectNumber}/{other}", { project: "p", region: "r", projectNumber: "1" })).toBe("p/r/1/{other}");
  });
});

describe("small naming decisions", () => {
  it("given a caller and callee, when the grant is named, then it reads caller-invokes-callee", () => {
    expect(grantNameFor("phase3-to-grading", "grading")).toBe("phase3-to-grading-invokes-grading");
  });

  it("given a path without a leading slash, when an endpoint is built, then the error names the caller", () => {
    expect(() => endpointFor(pulumi.output("https://nba-phase3-analytics-processors-1.us-central1.run.app"), "process", "nba-phase3-analytics-trigger")).toThrow(
      'nba-phase3-analytics-trigger: path "process" must be empty or start with "/" or "?"',
    );
  });
});

describe("the unauthorized-call alert", () => {
  it("given the pipeline's services, when the log filter is built, then it selects 401/403 request logs of exactly those services", () => {
    expect(unauthorizedFilterFor(["grading", "phase3-to-grading"])).toBe(
      'resource.type="cloud_run_revision" AND log_id("run.googleapis.com/requests") AND httpRequest.status=(401 OR 403) AND resource.labels.service_name=("grading" OR "phase3-to-grading")',
    );
    expect(() => unauthorizedFilterFor([])).toThrow(/no services to watch/);
  });

  it("given a project and region, when the runbook is written, then its commands name them and point to the fix in code", () => {
    const runbook = runbookFor("nba-props-staging", "us-central1", "m");
    expect(runbook).toContain("--project nba-props-staging");
    expect(runbook).toContain("gcloud run services get-iam-policy SERVICE --region us-central1 --project nba-props-staging");
    expect(runbook).toContain("declare the call in pipeline.ts");
  });
});

describe("the program over a topology of the tests' own", () => {
  const run = (preview: boolean) => captureProgram(pipelineProgram(fixtureTopology), { stack: "fixture", config: fixtureConfig, preview, project: "fixture" });
  const member = (name: string) => `serviceAccount:${name}@fixture-project.iam.gserviceaccount.com`;

  it("given a service that calls another through an env var, when deployed, then it gets the callee's URL there and one grant for its own account on exactly that callee, before it runs", async () => {
    const { resources } = await run(false);
    const transform = named(resources, types.service, "transform");
    const ingest = named(resources, types.service, "ingest");
    expect(inputAt(transform, "template.containers.0.envs")).toEqual([
      { name: "INGEST_URL", value: "https://ingest-123456789012.us-central1.run.app" },
    ]);
    const grant = ofType(resources, types.runInvoker).find((g) => g.name === "transform-invokes-ingest")!;
    expect(grant.inputs).toEqual({ project: "fixture-project", location: "us-central1", name: "ingest", role: "roles/run.invoker", member: member("transform") });
    expect(transform.dependencies).toContain(grant.urn);
    expect(grant.propertyDependencies.name).toEqual([ingest.urn]);
  });

  it("given a service with plain env, a secret and a topic it reads from env, when deployed, then each is in its env as the stack sets it", async () => {
    const { resources } = await run(false);
    expect(inputAt(named(resources, types.service, "ingest"), "template.containers.0.envs")).toEqual([
      { name: "PROJECT", value: "fixture-project" },
      { name: "DONE_TOPIC", value: "ingest-complete" },
      { name: "API_KEY", valueSource: { secretKeyRef: { secret: "ingest-api-key", version: "latest" } } },
    ]);
  });

  it("given a call with a URL written in code, when deployed, then the caller gets its grant and no env var for it", async () => {
    const { resources } = await run(false);
    const fn = named(resources, types.function, "ingest-to-transform");
    expect(inputAt(fn, "serviceConfig.environmentVariables")).toEqual({});
    const grant = ofType(resources, types.runInvoker).find((g) => g.name === "ingest-to-transform-invokes-transform")!;
    expect(grant.inputs.member).toBe(member("ingest-to-transform"));
  });

  it("given data access, when deployed, then the workload's own account gets exactly the listed grants, and the workload deploys after them", async () => {
    const { resources } = await run(false);
    const ingest = named(resources, types.service, "ingest");
    const granted = resources
      .filter((r) => r.inputs.member === member("ingest") && r.inputs.role !== "roles/run.invoker")
      .map((r) => `${String(r.inputs.role)} ${String(r.inputs.datasetId ?? r.inputs.bucket ?? r.inputs.secretId ?? r.inputs.topic ?? r.inputs.project)}`)
      .sort();
    expect(granted).toEqual([
      "roles/bigquery.dataEditor raw",
      "roles/bigquery.dataViewer ref",
      "roles/bigquery.jobUser fixture-project",
      "roles/pubsub.publisher ingest-complete",
      "roles/secretmanager.secretAccessor ingest-api-key",
      "roles/storage.objectUser landing",
    ]);
    for (const r of resources.filter((x) => x.inputs.member === member("ingest"))) expect(ingest.dependencies).toContain(r.urn);
  });

  it("given scheduler jobs calling one workload, when deployed, then they share one account, granted run.invoker on exactly that workload, and send their body and headers as written", async () => {
    const { resources } = await run(false);
    const jobs = ["ingest-hourly", "ingest-daily"].map((name) => named(resources, types.job, name));
    const emails = jobs.map((j) => inputAt(j, "httpTarget.oidcToken.serviceAccountEmail"));
    expect(new Set(emails)).toEqual(new Set([`${schedulerCallerFor("ingest")}@fixture-project.iam.gserviceaccount.com`]));
    expect(inputAt(jobs[0], "httpTarget")).toMatchObject({
      httpMethod: "POST",
      uri: "https://ingest-123456789012.us-central1.run.app/scrape",
      body: Buffer.from('{"scraper": "a"}').toString("base64"),
      headers: { "Content-Type": "application/json" },
    });
    expect(inputAt(jobs[1], "httpTarget.headers")).toBeUndefined();
    const grants = ofType(resources, types.runInvoker).filter((g) => g.inputs.member === `serviceAccount:${String(emails[0])}`);
    expect(grants.map((g) => g.inputs.name)).toEqual(["ingest"]);
    for (const j of jobs) expect(j.dependencies).toContain(grants[0].urn);
    // A job publishing to a topic needs no account of the stack: Cloud Scheduler's own agent publishes.
    expect(inputAt(named(resources, types.job, "nudge"), "pubsubTarget")).toEqual({
      topicName: "projects/fixture-project/topics/ingest-complete",
      data: Buffer.from('{"nudge": true}').toString("base64"),
    });
  });

  it("given a push subscription with a dead-letter topic, when deployed, then the Pub/Sub service agent may publish there and acknowledge, and nothing else", async () => {
    const { resources } = await run(false);
    const agent = "serviceAccount:service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com";
    expect(resources.filter((r) => r.inputs.member === agent).map((r) => [r.type, r.inputs.role])).toEqual([
      ["gcp:pubsub/topicIAMMember:TopicIAMMember", "roles/pubsub.publisher"],
      ["gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember", "roles/pubsub.subscriber"],
    ]);
    expect(inputAt(named(resources, types.subscription, "transform-sub"), "deadLetterPolicy")).toEqual({
      deadLetterTopic: "projects/fixture-project/topics/transform-dlq",
      maxDeliveryAttempts: 5,
    });
  });

  it("given functions, when deployed, then they build as the builder's own account into its repository with their runtime, entry point, memory and timeout", async () => {
    const { resources } = await run(false);
    const report = named(resources, types.function, "report");
    expect(inputAt(report, "buildConfig")).toMatchObject({
      runtime: "python311",
      entryPoint: "report",
      serviceAccount: "projects/fixture-project/serviceAccounts/function-builder@fixture-project.iam.gserviceaccount.com",
      dockerRepository: "projects/fixture-project/locations/us-central1/repositories/function-builder-images",
    });
    expect(inputAt(report, "serviceConfig")).toMatchObject({ availableMemory: "512Mi", timeoutSeconds: 120 });
    expect(report.inputs.eventTrigger).toBeUndefined();
    const builder = "serviceAccount:function-builder@fixture-project.iam.gserviceaccount.com";
    expect(resources.filter((r) => r.inputs.member === builder).map((r) => r.inputs.role).sort()).toEqual([
      "roles/artifactregistry.writer",
      "roles/logging.logWriter",
      "roles/storage.objectViewer",
    ]);
  });

  it("given a topology mistake, when the program runs, then it stops with a RunError naming the entry, before any resource", async () => {
    const broken = { ...fixtureTopology, schedulerJobs: [{ ...fixtureTopology.schedulerJobs[0], callee: "nowhere" }] };
    let error: unknown;
    const capture = await captureProgram(
      () => pipelineProgram(broken)().catch((e: unknown) => (error = e)),
      { stack: "fixture", config: fixtureConfig, preview: false, project: "fixture" },
    );
    expect(error).toBeInstanceOf(pulumi.RunError);
    expect((error as Error).message).toContain('scheduler job ingest-hourly: calls "nowhere", which is not a service or function in pipeline.ts');
    expect(capture.resources.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);
  });
});

describe("a topology mistake, as the tools see it", () => {
  it("given a call to an unknown workload, when captured, then it is an InputError naming the entry (exit 2, no stack trace)", async () => {
    const broken = { ...fixtureTopology, subscriptions: [{ ...fixtureTopology.subscriptions[0], callee: "nowhere" }] };
    const capture = captureProgram(pipelineProgram(broken), { stack: "fixture", config: fixtureConfig, preview: true, project: "fixture" });
    await expect(capture).rejects.toThrow(InputError);
    await expect(capture).rejects.toThrow('push subscription transform-sub: calls "nowhere", which is not a service or function in pipeline.ts');
  });
});
