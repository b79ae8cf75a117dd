// The stack program under Pulumi's mock runtime, with the real prod and staging stack files, in update
// and preview mode: what the engine would receive is checked against pipeline.ts and the stack files,
// read here independently of the components that produced it.
import { RunError } from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import program from "../index";
import { captureProgram, captureStack, type Capture } from "../lib/capture";
import { unknownValue, type EngineResource } from "../lib/resources";
import { readStackFile } from "../lib/stackfile";
import { pipeline } from "../pipeline";
import { declaredCalls as topologyCalls, workloadsOf, type Workload } from "../topology";
import { commitLabel } from "../policies/labels";
import { accountAt, byUrn, grantTarget, inputAt, isUnknown, memberAccount, named, ofType, types } from "./support/engine";

const { services, functions, subscriptions, eventarcTriggers, schedulerJobs } = pipeline;
const workloads = workloadsOf(pipeline);
const phaseIndex = (phase: string) => pipeline.phases.findIndex((p) => p.phase === phase);

const stackFiles = { prod: readStackFile("Pulumi.prod.yaml").raw, staging: readStackFile("Pulumi.staging.yaml").raw };
type StackName = keyof typeof stackFiles;

const captures: Record<string, Capture> = {};
const modes = [
  { stack: "prod", preview: false },
  { stack: "prod", preview: true },
  { stack: "staging", preview: false },
  { stack: "staging", preview: true },
] as const;
const label = (m: { stack: string; preview: boolean }) => `${m.stack} ${m.preview ? "preview" : "update"}`;

beforeAll(async () => {
  for (const m of modes) captures[label(m)] = await captureStack({ stack: m.stack, config: stackFiles[m.stack], preview: m.preview });
});

/** The commit a workload should run, read straight from the stack file. */
function expectedCommit(stack: StackName, w: Workload): string {
  const raw = stackFiles[stack] as Record<string, Record<string, unknown>>;
  const override = raw["nba-pipeline:overrides"]?.[w.name] as { commit: string } | undefined;
  return override?.commit ?? (raw["nba-pipeline:deployGroups"][w.group] as string);
}

function workloadResource(resources: readonly EngineResource[], name: string): EngineResource {
  const w = workloads.find((x) => x.name === name);
  if (!w) throw new Error(`${name} is not a workload of pipeline.ts`);
  return named(resources, w.kind === "service" ? types.service : types.function, name);
}

/** Every invoker call pipeline.ts declares, with the resource that makes it and where its identity is set. */
function declaredCalls(resources: readonly EngineResource[]) {
  const runtime = (name: string) => {
    const resource = workloadResource(resources, name);
    return { resource, identity: resource.type === types.service ? "template.serviceAccount" : "serviceConfig.serviceAccountEmail" };
  };
  return [
    ...workloads.flatMap((w) => (w.calls ?? []).map((c) => ({ what: `${w.name} → ${c.callee}`, ...runtime(w.name), callee: c.callee }))),
    ...functions.flatMap((f) =>
      "topic" in f.trigger ? [{ what: `event trigger → ${f.name}`, resource: workloadResource(resources, f.name), identity: "eventTrigger.serviceAccountEmail", callee: f.name }] : [],
    ),
    ...subscriptions.map((p) => ({ what: `push ${p.name} → ${p.callee}`, resource: named(resources, types.subscription, p.name), identity: "pushConfig.oidcToken.serviceAccountEmail", callee: p.callee })),
    ...eventarcTriggers.map((e) => ({ what: `eventarc ${e.name} → ${e.callee}`, resource: named(resources, types.eventarcTrigger, e.name), identity: "serviceAccount", callee: e.callee })),
    ...schedulerJobs.map((j) => ({ what: `scheduler ${j.name} → ${j.callee}`, resource: named(resources, types.job, j.name), identity: "httpTarget.oidcToken.serviceAccountEmail", callee: j.callee })),
  ];
}

describe.each(modes)("given the $stack stack file (preview: $preview)", (m) => {
  const capture = () => captures[label(m)];
  const resources = () => capture().resources;

  it("when the program runs, then every service runs the image its deploy group's commit was tagged with, with commit-sha, deploy-group and phase labels", () => {
    const registry = stackFiles[m.stack]["nba-pipeline:registry"];
    for (const s of services) {
      const service = named(resources(), types.service, s.name);
      const commit = expectedCommit(m.stack, s);
      // The app's Cloud Build trigger tags images with $SHORT_SHA, the commit's first 7 characters.
      expect(inputAt(service, "template.containers.0.image")).toBe(`${registry}/${s.image}:${commit.slice(0, 7)}`);
      expect(service.inputs.labels).toEqual({ [commitLabel]: commit, "deploy-group": s.group, phase: s.phase });
      expect(service.inputs.project).toBe(stackFiles[m.stack]["gcp:project"]);
      expect(service.inputs.location).toBe(stackFiles[m.stack]["gcp:region"]);
    }
  });

  it("when the program runs, then every function deploys gs://BUCKET/NAME/COMMIT.zip with its runtime and entry point, the same labels, and only an overridden one is marked commit-override", () => {
    const bucket = stackFiles[m.stack]["nba-pipeline:functionSourceBucket"];
    const overrides = Object.keys((stackFiles[m.stack]["nba-pipeline:overrides"] ?? {}) as object);
    for (const f of functions) {
      const fn = named(resources(), types.function, f.name);
      const commit = expectedCommit(m.stack, f);
      expect(inputAt(fn, "buildConfig.source.storageSource")).toEqual({ bucket, object: `${f.name}/${commit}.zip` });
      expect(inputAt(fn, "buildConfig.runtime")).toBe(f.runtime);
      expect(inputAt(fn, "buildConfig.entryPoint")).toBe(f.entryPoint);
      const overridden = overrides.includes(f.name);
      expect(fn.inputs.labels).toEqual({ [commitLabel]: commit, "deploy-group": f.group, phase: f.phase, ...(overridden ? { "commit-override": "true" } : {}) });
      if ("topic" in f.trigger) expect(inputAt(fn, "eventTrigger.pubsubTopic"), f.name).toBe(m.preview ? unknownValue : `projects/${String(stackFiles[m.stack]["gcp:project"])}/topics/${f.trigger.topic}`);
      else expect(fn.inputs.eventTrigger, f.name).toBeUndefined();
    }
    if (m.stack === "staging") expect(overrides.length).toBeGreaterThan(0);
  });

  it("when the program runs, then every declared call has exactly one run.invoker grant, for exactly the caller's account on exactly the callee, and there are no others", () => {
    const calls = declaredCalls(resources());
    expect(calls.length).toBe(topologyCalls(pipeline).filter((c) => c.kind !== "publish").length);
    const grants = ofType(resources(), types.runInvoker);
    for (const g of grants) expect(g.inputs.role, g.name).toBe("roles/run.invoker");
    const granted = new Set(grants.map((g) => `${memberAccount(resources(), g)} -> ${grantTarget(resources(), g, m.preview)}`));
    const needed = new Set(calls.map((c) => `${accountAt(resources(), c.resource, c.identity)} -> ${workloadResource(resources(), c.callee).urn}`));
    expect([...granted].sort()).toEqual([...needed].sort());
    // One grant per (account, callee): the scheduler jobs calling one workload share one account and one grant.
    expect(grants).toHaveLength(granted.size);
  });

  it("when the program runs, then no two callers share an account, except the scheduler jobs calling one workload", () => {
    const calls = declaredCalls(resources());
    const callerOf = (c: (typeof calls)[number]) => (c.resource.type === types.job ? `scheduler → ${c.callee}` : `${c.resource.urn}#${c.identity}`);
    const accounts = new Map<string, Set<string>>();
    for (const c of calls) {
      const account = accountAt(resources(), c.resource, c.identity);
      accounts.set(account, (accounts.get(account) ?? new Set()).add(callerOf(c)));
    }
    for (const [account, callers] of accounts) expect([...callers], account).toHaveLength(1);
  });

  it("when a workload calls another through an env var, then that env var carries the callee's URL; a URL written in code gets its grant and no env var", () => {
    for (const w of workloads) {
      const resource = workloadResource(resources(), w.name);
      for (const c of w.calls ?? []) {
        const callee = workloadResource(resources(), c.callee);
        const value =
          w.kind === "service"
            ? (inputAt(resource, "template.containers.0.envs") as { name: string; value?: string }[]).find((e) => e.name === c.env)?.value
            : inputAt(resource, `serviceConfig.environmentVariables.${c.env}`);
        if (c.env === undefined) {
          expect(value, `${w.name} → ${c.callee}`).toBeUndefined();
        } else if (m.preview) {
          expect(value).toBe(unknownValue);
          expect(resource.propertyDependencies[w.kind === "service" ? "template" : "serviceConfig"]).toContain(callee.urn);
        } else {
          expect(value).toBe(callee.outputs[callee.type === types.service ? "uri" : "url"]);
        }
      }
    }
  });

  it("when push subscriptions, Eventarc triggers and scheduler jobs call, then they reach the callee's URL and path with it as the OIDC audience", () => {
    for (const p of subscriptions) {
      const sub = named(resources(), types.subscription, p.name);
      const callee = workloadResource(resources(), p.callee);
      if (m.preview) expect(sub.propertyDependencies.pushConfig).toContain(callee.urn);
      else {
        expect(inputAt(sub, "pushConfig.pushEndpoint")).toBe(`${String(callee.outputs.uri)}${p.path}`);
        expect(inputAt(sub, "pushConfig.oidcToken.audience")).toBe(callee.outputs.uri);
      }
      expect(inputAt(sub, "deadLetterPolicy.maxDeliveryAttempts")).toBe(p.deadLetter?.maxDeliveryAttempts);
    }
    for (const e of eventarcTriggers) {
      const trigger = named(resources(), types.eventarcTrigger, e.name);
      expect(inputAt(trigger, "destination.cloudRunService.path")).toBe(e.path);
      expect(trigger.propertyDependencies.destination).toContain(workloadResource(resources(), e.callee).urn);
    }
    for (const j of schedulerJobs) {
      const job = named(resources(), types.job, j.name);
      const callee = workloadResource(resources(), j.callee);
      const url = callee.outputs[callee.type === types.service ? "uri" : "url"];
      expect(job.inputs).toMatchObject({ schedule: j.schedule, timeZone: j.timeZone });
      expect(inputAt(job, "httpTarget.httpMethod")).toBe(j.method);
      expect(inputAt(job, "httpTarget.body")).toBe(j.body === undefined ? undefined : Buffer.from(j.body).toString("base64"));
      if (m.preview) expect(job.propertyDependencies.httpTarget).toContain(callee.urn);
      else expect(inputAt(job, "httpTarget.uri")).toBe(`${String(url)}${j.path}`);
    }
  });

  it("when the program runs, then no service or function runs as a default account: each runs as an account of its own in this stack", () => {
    const runtime = workloads.map((w) =>
      accountAt(resources(), workloadResource(resources(), w.name), w.kind === "service" ? "template.serviceAccount" : "serviceConfig.serviceAccountEmail"),
    );
    expect(new Set(runtime).size).toBe(workloads.length);
    const text = JSON.stringify(resources().map((r) => r.inputs));
    expect(text).not.toMatch(/-compute@developer\.gserviceaccount\.com|@appspot\.gserviceaccount\.com/);
    const ids = ofType(resources(), types.account).map((a) => a.inputs.accountId as string);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("when the program runs, then nothing is public: no allUsers or allAuthenticatedUsers member and no invoker check disabled", () => {
    for (const r of resources()) {
      expect(JSON.stringify(r.inputs), r.urn).not.toMatch(/allUsers|allAuthenticatedUsers/);
      expect(r.inputs.invokerIamDisabled, r.urn).not.toBe(true);
    }
  });

  it("when the program runs, then every service and function depends on every workload of all earlier phases", () => {
    for (const w of workloads) {
      const resource = workloadResource(resources(), w.name);
      const earlier = workloads.filter((e) => phaseIndex(e.phase) < phaseIndex(w.phase)).map((e) => workloadResource(resources(), e.name).urn);
      expect(earlier.filter((urn) => !resource.dependencies.includes(urn)), `${w.name} (phase ${w.phase})`).toEqual([]);
    }
    const first = workloadResource(resources(), workloads[0].name);
    expect(first.dependencies.filter((urn) => urn.includes("cloudrunv2/service:Service") || urn.includes("cloudfunctionsv2"))).toEqual([]);
  });

  it("when the program runs, then each workload publishes with its own account on exactly its topics, deploys after it may, and finds a topic it reads from env there", () => {
    for (const w of workloads) {
      const resource = workloadResource(resources(), w.name);
      const account = accountAt(resources(), resource, w.kind === "service" ? "template.serviceAccount" : "serviceConfig.serviceAccountEmail");
      const publishers = ofType(resources(), types.topicMember).filter((t) => t.inputs.role === "roles/pubsub.publisher" && !String(t.inputs.member).includes("gcp-sa-pubsub") && memberAccount(resources(), t) === account);
      const topicOf = (p: EngineResource) => (m.preview ? byUrn(resources(), p.propertyDependencies.topic[0]).inputs.name : p.inputs.topic);
      expect(publishers.map(topicOf).sort(), w.name).toEqual((w.publishes ?? []).map((p) => p.topic).sort());
      for (const p of publishers) expect(resource.dependencies, `${w.name} deploys after it may publish`).toContain(p.urn);
      for (const p of w.publishes ?? []) {
        if (p.env === undefined) continue;
        const value =
          w.kind === "service"
            ? (inputAt(resource, "template.containers.0.envs") as { name: string; value?: string }[]).find((e) => e.name === p.env)?.value
            : inputAt(resource, `serviceConfig.environmentVariables.${p.env}`);
        expect(value, `${w.name} ${p.env}`).toBe(p.topic);
      }
    }
  });

  it("when the program runs, then 401/403s on every pipeline service and function are counted and alert the configured channels", () => {
    const metric = ofType(resources(), types.metric)[0];
    for (const w of workloads) expect(metric.inputs.filter).toContain(`"${w.name}"`);
    expect(metric.inputs.filter).toContain("httpRequest.status=(401 OR 403)");
    expect(metric.inputs.labelExtractors).toEqual({ service_name: "EXTRACT(resource.labels.service_name)" });
    const policy = ofType(resources(), types.alertPolicy)[0];
    expect(policy.inputs.notificationChannels).toEqual(stackFiles[m.stack]["nba-pipeline:alertNotificationChannels"] ?? []);
    expect(policy.propertyDependencies.conditions).toContain(metric.urn);
    expect(inputAt(policy, "documentation.content")).toContain(`gcloud run services get-iam-policy SERVICE --region ${stackFiles[m.stack]["gcp:region"]}`);
  });

  it("when the program runs, then the stack outputs list every workload's commit, phase, group and artifact, and every call with its grant", () => {
    const outputs = capture().outputs as {
      workloads: Record<string, Record<string, unknown>>;
      calls: { caller: string; callee: string; identity: string; grant: string }[];
    };
    expect(Object.keys(outputs.workloads).sort()).toEqual(workloads.map((w) => w.name).sort());
    for (const s of services) {
      expect(outputs.workloads[s.name]).toMatchObject({ kind: "service", commit: expectedCommit(m.stack, s), phase: s.phase, deployGroup: s.group });
      expect(outputs.workloads[s.name].image).toBe(`${String(stackFiles[m.stack]["nba-pipeline:registry"])}/${s.image}:${expectedCommit(m.stack, s).slice(0, 7)}`);
    }
    expect(outputs.calls).toHaveLength(declaredCalls(resources()).length);
    const grants = new Set(ofType(resources(), types.runInvoker).map((g) => g.urn));
    for (const c of outputs.calls) expect(grants.has(c.grant), `${c.caller} → ${c.callee}`).toBe(true);
    const worker = outputs.workloads["prediction-worker"];
    if (m.preview) expect(isUnknown(worker.url)).toBe(true);
    else expect(worker.url).toBe(named(resources(), types.service, "prediction-worker").outputs.uri);
  });
});

describe("given the staging stack", () => {
  // The app's code names some buckets and model paths of prod outright (nba-props-platform-api, …); those
  // are the app's to parameterise, and pipeline.ts passes them on as written.
  const appLiterals = [
    ...workloads.flatMap((w) => [...(w.access.buckets?.read ?? []), ...(w.access.buckets?.write ?? []), ...Object.values(w.env ?? {})]),
    ...workloads.flatMap((w) => (w.calls ?? []).flatMap((c) => (c.url === undefined ? [] : [c.url]))),
  ].filter((value) => !value.includes("{"));

  it("when its resources are captured, then no prod project, project number or region appears in any input or output, but in names the app's own code writes", () => {
    const prodValues = [stackFiles.prod["gcp:project"], stackFiles.prod["nba-pipeline:projectNumber"], stackFiles.prod["gcp:region"]] as string[];
    for (const mode of ["staging update", "staging preview"]) {
      let text = JSON.stringify(captures[mode].resources.map((r) => [r.urn, r.inputs, r.outputs]));
      for (const literal of appLiterals) text = text.split(literal).join("");
      for (const value of prodValues) expect(text, `${mode}: ${value}`).not.toContain(value);
    }
  });
});

describe("given prod, staging and prod again in one process", () => {
  it("when captured again, then the results are the same as the first time, and preview registers the same resources as update", async () => {
    const again = await captureStack({ stack: "prod", config: stackFiles.prod, preview: false });
    expect(again).toEqual(captures["prod update"]);
    // Registration order follows when each resource's inputs resolve, so compare the sets of resources.
    const shape = (c: Capture) => c.resources.map((r) => [r.urn, r.type, r.parent ?? "", r.dependencies.length]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(shape(captures["prod preview"])).toEqual(shape(captures["prod update"]));
    expect(captures["prod update"].resources[0]).toMatchObject({ type: "pulumi:pulumi:Stack", name: "nba-pipeline-prod", urn: "urn:pulumi:prod::nba-pipeline::pulumi:pulumi:Stack::nba-pipeline-prod" });
    const grading = named(captures["prod update"].resources, types.service, "nba-grading-service");
    expect(grading.urn).toBe("urn:pulumi:prod::nba-pipeline::nba:pipeline:Phase$nba:pipeline:Service$gcp:cloudrunv2/service:Service::nba-grading-service-service");
  });
});

describe("given a bad stack config", () => {
  const staging = stackFiles.staging;
  const groups = staging["nba-pipeline:deployGroups"] as Record<string, string>;
  const bad = { ...staging, "nba-pipeline:deployGroups": { ...groups, scrapers: "latest" } };

  it("when the stack is captured, then it fails with the program's message naming the stack file, line and key", async () => {
    const line = readStackFile("Pulumi.staging.yaml").lineOf(["nba-pipeline:deployGroups", "scrapers"]);
    await expect(captureStack({ stack: "staging", config: bad, preview: true })).rejects.toThrow(
      `Pulumi.staging.yaml:${line}: nba-pipeline:deployGroups.scrapers: expected a git commit SHA, 7–40 lowercase hex characters, got "latest"`,
    );
  });

  it("when a key is missing and the stack file is not in the directory, then the message names the key and file without a line", async () => {
    const { ["gcp:project"]: _, ...missing } = staging;
    await expect(captureStack({ stack: "qa", config: missing, preview: false })).rejects.toThrow(/Pulumi\.qa\.yaml: gcp:project: missing; expected a GCP project ID/);
  });

  it("when the program runs, then it throws a RunError (no stack trace) before registering any resource", async () => {
    let error: unknown;
    const capture = await captureProgram(
      () => program().catch((e: unknown) => {
        error = e;
      }),
      { stack: "staging", config: bad, preview: false },
    );
    expect(error).toBeInstanceOf(RunError);
    expect(capture.resources.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);
  });
});
