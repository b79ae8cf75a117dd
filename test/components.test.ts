// The components' decisions as pure functions, and two behaviours of the components themselves under
// mocks: a call declared on a service wires its URL and its grant together, and a scheduled function is
// called by a job whose own account may invoke it.
import * as pulumi from "@pulumi/pulumi";
import * as pubsub from "@pulumi/gcp/pubsub";
import { describe, expect, it } from "vitest";
import { parseConfig, type StackConfig } from "../config";
import { captureProgram } from "../lib/capture";
import { readStackFile } from "../lib/stackfile";
import { functions, phases, pushCalls, scheduledCalls, workloads } from "../pipeline";
import { runbookFor, unauthorizedFilterFor } from "../components/alert";
import { FunctionBuilder } from "../components/builder";
import { endpointFor, grantNameFor } from "../components/call";
import { OrchestratorFunction, sourceObjectFor } from "../components/function";
import { accountIdFor, serviceAccountMember } from "../components/identity";
import { calleeFor, phaseOf, phasePlan } from "../components/phase";
import { labelsFor, pinFor } from "../components/pin";
import { imageFor, PinnedService, topicEnvFor } from "../components/service";
import { inputAt, named, ofType, types } from "./support/engine";

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
      ...functions.filter((f) => "topic" in f.trigger).map((f) => `${f.name}-trigger`),
      ...functions.filter((f) => "schedule" in f.trigger).map((f) => `${f.name}-schedule`),
      ...pushCalls.map((p) => p.name),
      ...scheduledCalls.map((j) => j.name),
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
  it("given a registry, name and commit, when the artifact is named, then it is REGISTRY/NAME:COMMIT or NAME/COMMIT.zip", () => {
    expect(imageFor("us-west2-docker.pkg.dev/nba-props-platform/nba-pipeline", "grading", "ede3ab89")).toBe(
      "us-west2-docker.pkg.dev/nba-props-platform/nba-pipeline/grading:ede3ab89",
    );
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
  it("given the staging config, when pins are read, then only grading-coverage-monitor is pinned apart, with its reason", () => {
    const config = stackConfig("Pulumi.staging.yaml");
    const monitor = pinFor(config, workloads.find((w) => w.name === "grading-coverage-monitor")!);
    expect(monitor).toEqual({
      commit: "19722f5c",
      deployGroup: "grading",
      phase: 6,
      overrideReason: "keep the first coverage monitor while the new thresholds are tuned in staging",
    });
    expect(pinFor(config, workloads.find((w) => w.name === "phase3-to-grading")!)).toEqual({ commit: "5a498759", deployGroup: "grading", phase: 6 });
  });

  it("given a pin, when labelled, then the values are strings and commit-override appears only for an override", () => {
    expect(labelsFor("grading", { commit: "ede3ab89", deployGroup: "grading", phase: 6 })).toEqual({ commit: "ede3ab89", "deploy-group": "grading", phase: "6" });
    expect(labelsFor("grading", { commit: "19722f5c", deployGroup: "grading", phase: 6, overrideReason: "why" })).toEqual({
      commit: "19722f5c",
      "deploy-group": "grading",
      phase: "6",
      "commit-override": "true",
    });
  });
});

describe("small naming decisions", () => {
  it("given topic keys, when made env var names, then they are upper snake case ending in _TOPIC", () => {
    expect(topicEnvFor("analyticsComplete")).toBe("ANALYTICS_COMPLETE_TOPIC");
    expect(topicEnvFor("predictionRequests")).toBe("PREDICTION_REQUESTS_TOPIC");
  });

  it("given a caller and callee, when the grant is named, then it reads caller-invokes-callee", () => {
    expect(grantNameFor("phase3-to-grading", "grading")).toBe("phase3-to-grading-invokes-grading");
  });

  it("given a path without a leading slash, when an endpoint is built, then the error names the caller", () => {
    expect(() => endpointFor(pulumi.output("https://nba-phase3-analytics-processors-1.us-central1.run.app"), "process", "nba-phase3-analytics-trigger")).toThrow(
      'nba-phase3-analytics-trigger: path "process" must be empty or start with "/"',
    );
  });
});

describe("phasePlan and calleeFor", () => {
  it("given pipeline.ts, when split into phases, then every workload lands in exactly one phase, and each push or scheduled call in its callee's phase", () => {
    const plans = phases.map((p) => ({ phase: p.phase, plan: phasePlan(p.phase) }));
    const names = plans.flatMap(({ plan }) => [...plan.services, ...plan.functions].map((w) => w.name));
    expect(names.sort()).toEqual(workloads.map((w) => w.name).sort());
    for (const { phase, plan } of plans) {
      for (const c of [...plan.pushCalls, ...plan.scheduledCalls]) expect(phaseOf(c.callee)).toBe(phase);
    }
    expect(plans.flatMap(({ plan }) => plan.pushCalls)).toHaveLength(pushCalls.length);
    expect(plans.flatMap(({ plan }) => plan.scheduledCalls)).toHaveLength(scheduledCalls.length);
  });

  it("given a call to a workload not deployed yet, when its callee is looked up, then the error names caller and callee", () => {
    expect(() => calleeFor(new Map(), "phase3-to-phase4", "nba-phase4-precompute-processors")).toThrow(
      "phase3-to-phase4 calls nba-phase4-precompute-processors, which is not deployed before it",
    );
    expect(() => phaseOf("nba-phase2")).toThrow('"nba-phase2" is not a service or function in pipeline.ts');
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

describe("components under mocks", () => {
  const config = { "nba-pipeline:projectNumber": "418273645190" };
  const place = { project: "nba-props-staging", region: "us-central1" };
  const pin = { commit: "5a498759", deployGroup: "pipeline", phase: 5 } as const;
  const registry = "us-central1-docker.pkg.dev/nba-props-staging/nba-pipeline";

  it("given a service that calls another, when deployed, then the caller gets the callee's URL in its env var and one grant for its own account on exactly that callee", async () => {
    const capture = await captureProgram(
      async () => {
        const callee = new PinnedService("prediction-worker", { ...place, registry, pin, publishes: [], after: [] });
        const topic = new pubsub.Topic("prediction-requests", { project: place.project, name: "prediction-requests" });
        new PinnedService("prediction-coordinator", {
          ...place,
          registry,
          pin,
          publishes: [{ key: "predictionRequests", topic }],
          calls: [{ env: "WORKER_URL", callee: callee.callee }],
          after: [],
        });
      },
      { stack: "staging", config, preview: false },
    );
    const coordinator = named(capture.resources, types.service, "prediction-coordinator");
    const worker = named(capture.resources, types.service, "prediction-worker");
    expect(inputAt(coordinator, "template.containers.0.envs")).toEqual([
      { name: "PREDICTION_REQUESTS_TOPIC", value: "prediction-requests" },
      { name: "WORKER_URL", value: "https://prediction-worker-418273645190.us-central1.run.app" },
    ]);
    const grants = ofType(capture.resources, types.runInvoker);
    expect(grants.map((g) => [g.name, g.inputs])).toEqual([
      [
        "prediction-coordinator-invokes-prediction-worker",
        {
          project: "nba-props-staging",
          location: "us-central1",
          name: "prediction-worker",
          role: "roles/run.invoker",
          member: "serviceAccount:prediction-coordinator@nba-props-staging.iam.gserviceaccount.com",
        },
      ],
    ]);
    expect(inputAt(coordinator, "template.serviceAccount")).toBe("prediction-coordinator@nba-props-staging.iam.gserviceaccount.com");
    // The caller is deployed only once it may call: its own grant is among its dependencies.
    expect(coordinator.dependencies).toContain(grants[0].urn);
    expect(grants[0].propertyDependencies.name).toEqual([worker.urn]);
  });

  it("given two calls on the same env var, when the service is declared, then it fails naming the variable", async () => {
    const run = captureProgram(
      async () => {
        const callee = new PinnedService("grading", { ...place, registry, pin, publishes: [], after: [] });
        new PinnedService("prediction-worker", {
          ...place,
          registry,
          pin,
          publishes: [],
          calls: [
            { env: "GRADING_URL", callee: callee.callee },
            { env: "GRADING_URL", callee: callee.callee },
          ],
          after: [],
        });
      },
      { stack: "staging", config, preview: false },
    );
    await expect(run).rejects.toThrow("prediction-worker: two calls use the same environment variable; give each callee its own (GRADING_URL, GRADING_URL)");
  });

  it("given a scheduled function, when deployed in preview, then a job of its own calls it with an OIDC identity granted run.invoker on exactly the function, and it has no event trigger", async () => {
    const capture = await captureProgram(
      async () => {
        const grading = new PinnedService("grading", { ...place, registry, pin: { ...pin, deployGroup: "grading", phase: 6 }, publishes: [], after: [] });
        new OrchestratorFunction("grading-coverage-monitor", {
          ...place,
          sourceBucket: "nba-props-staging-function-source",
          builder: new FunctionBuilder("function-builder", { ...place, sourceBucket: "nba-props-staging-function-source" }),
          entryPoint: "check_coverage",
          pin: { commit: "19722f5c", deployGroup: "grading", phase: 6, overrideReason: "tuning" },
          trigger: { schedule: "0 11 * * *", timeZone: "America/New_York" },
          calls: [{ env: "GRADING_URL", callee: grading.callee }],
          after: [],
        });
      },
      { stack: "staging", config, preview: true },
    );
    const fn = named(capture.resources, types.function, "grading-coverage-monitor");
    expect(fn.inputs.eventTrigger).toBeUndefined();
    expect(fn.inputs.labels).toEqual({ commit: "19722f5c", "deploy-group": "grading", phase: "6", "commit-override": "true" });
    const job = named(capture.resources, types.job, "grading-coverage-monitor-schedule");
    expect(job.inputs).toMatchObject({ schedule: "0 11 * * *", timeZone: "America/New_York", region: "us-central1" });
    expect(job.propertyDependencies.httpTarget).toContain(fn.urn);
    const jobAccount = job.propertyDependencies.httpTarget.filter((urn) => urn.includes("serviceaccount/account:Account"));
    expect(jobAccount).toHaveLength(1);
    const grant = named(capture.resources, types.runInvoker, "grading-coverage-monitor");
    expect(grant.urn.endsWith("::grading-coverage-monitor-schedule-invokes-grading-coverage-monitor")).toBe(true);
    expect(grant.propertyDependencies.name).toEqual([fn.urn]);
    expect(grant.propertyDependencies.member).toEqual(jobAccount);
    expect(job.dependencies).toContain(grant.urn);
  });
  it("given a function, when deployed, then it builds as the builder's own account into the builder's repository, and that account may only read sources, push images there and write logs", async () => {
    const sourceBucket = "nba-props-staging-function-source";
    const capture = await captureProgram(
      async () => {
        const builder = new FunctionBuilder("function-builder", { ...place, sourceBucket });
        const grading = new PinnedService("grading", { ...place, registry, pin: { ...pin, deployGroup: "grading", phase: 6 }, publishes: [], after: [] });
        new OrchestratorFunction("phase3-to-grading", {
          ...place,
          sourceBucket,
          builder,
          entryPoint: "orchestrate",
          pin: { commit: "5a498759", deployGroup: "grading", phase: 6 },
          trigger: { schedule: "0 11 * * *", timeZone: "America/New_York" },
          calls: [{ env: "GRADING_URL", callee: grading.callee }],
          after: [],
        });
      },
      { stack: "staging", config, preview: false },
    );
    const account = capture.resources.find((r) => r.type === types.account && r.inputs.accountId === "function-builder")!;
    const repository = capture.resources.find((r) => r.type === "gcp:artifactregistry/repository:Repository")!;
    const fn = named(capture.resources, types.function, "phase3-to-grading");
    expect(inputAt(fn, "buildConfig.serviceAccount")).toBe("projects/nba-props-staging/serviceAccounts/function-builder@nba-props-staging.iam.gserviceaccount.com");
    expect(inputAt(fn, "buildConfig.dockerRepository")).toBe("projects/nba-props-staging/locations/us-central1/repositories/function-builder-images");
    const member = "serviceAccount:function-builder@nba-props-staging.iam.gserviceaccount.com";
    const grantsToBuilder = capture.resources
      .filter((r) => r.inputs.member === member)
      .map((r) => [r.type, r.inputs.role, r.inputs.bucket ?? r.inputs.repository ?? `project ${String(r.inputs.project)}`])
      .sort();
    expect(grantsToBuilder).toEqual([
      ["gcp:artifactregistry/repositoryIamMember:RepositoryIamMember", "roles/artifactregistry.writer", repository.outputs.name],
      ["gcp:projects/iAMMember:IAMMember", "roles/logging.logWriter", "project nba-props-staging"],
      ["gcp:storage/bucketIAMMember:BucketIAMMember", "roles/storage.objectViewer", sourceBucket],
    ]);
    // The build must not start before its account may read the source and push the image.
    for (const grant of capture.resources.filter((r) => r.inputs.member === member)) expect(fn.dependencies).toContain(grant.urn);
    expect(account.custom).toBe(true);
  });
});
