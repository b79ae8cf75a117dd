// The stack program under Pulumi's mock runtime, with the real prod and staging stack files, in update
// and preview mode: what the engine would receive is checked against pipeline.ts and the stack files,
// read here independently of the components that produced it.
import { RunError } from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import program from "../index";
import { captureProgram, captureStack, type Capture } from "../lib/capture";
import { unknownValue, type EngineResource } from "../lib/resources";
import { readStackFile } from "../lib/stackfile";
import { functions, phases, pushCalls, scheduledCalls, services, topics, workloads, type Workload } from "../pipeline";
import { accountAt, byUrn, grantTarget, inputAt, isUnknown, memberAccount, named, ofType, types } from "./support/engine";

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

function workloadResource(resources: readonly EngineResource[], w: Workload): EngineResource {
  return named(resources, w.kind === "service" ? types.service : types.function, w.name);
}

/** Every call pipeline.ts declares, with the resource that makes it and where its identity is set. */
function declaredCalls(resources: readonly EngineResource[]) {
  const fn = (name: string) => named(resources, types.function, name);
  const jobTo = (callee: EngineResource) =>
    ofType(resources, types.job).filter((j) => (j.propertyDependencies.httpTarget ?? []).includes(callee.urn));
  return [
    ...functions.flatMap((f) =>
      f.calls.map((c) => ({ what: `${f.name} → ${c.callee} (env ${c.env})`, caller: fn(f.name), identity: "serviceConfig.serviceAccountEmail", callee: c.callee })),
    ),
    ...functions.map((f) => {
      if ("topic" in f.trigger) return { what: `event trigger → ${f.name}`, caller: fn(f.name), identity: "eventTrigger.serviceAccountEmail", callee: f.name };
      const jobs = jobTo(fn(f.name));
      expect(jobs, `one scheduler job calls ${f.name}`).toHaveLength(1);
      return { what: `scheduler → ${f.name}`, caller: jobs[0], identity: "httpTarget.oidcToken.serviceAccountEmail", callee: f.name };
    }),
    ...pushCalls.map((p) => ({
      what: `push ${p.name} → ${p.callee}`,
      caller: named(resources, types.subscription, p.name),
      identity: "pushConfig.oidcToken.serviceAccountEmail",
      callee: p.callee,
    })),
    ...scheduledCalls.map((j) => ({
      what: `scheduler ${j.name} → ${j.callee}`,
      caller: named(resources, types.job, j.name),
      identity: "httpTarget.oidcToken.serviceAccountEmail",
      callee: j.callee,
    })),
  ];
}

describe.each(modes)("given the $stack stack file (preview: $preview)", (m) => {
  const capture = () => captures[label(m)];
  const resources = () => capture().resources;

  it("when the program runs, then every service runs the image of its deploy group's commit, with commit, deploy-group and phase labels", () => {
    const registry = stackFiles[m.stack]["nba-pipeline:registry"];
    for (const s of services) {
      const service = named(resources(), types.service, s.name);
      const commit = expectedCommit(m.stack, s);
      expect(inputAt(service, "template.containers.0.image")).toBe(`${registry}/${s.name}:${commit}`);
      expect(service.inputs.labels).toEqual({ commit, "deploy-group": s.group, phase: String(s.phase) });
      expect(service.inputs.project).toBe(stackFiles[m.stack]["gcp:project"]);
      expect(service.inputs.location).toBe(stackFiles[m.stack]["gcp:region"]);
    }
  });

  it("when the program runs, then every function deploys gs://BUCKET/NAME/COMMIT.zip with the same labels, and only an overridden one is marked commit-override", () => {
    const bucket = stackFiles[m.stack]["nba-pipeline:functionSourceBucket"];
    for (const f of functions) {
      const fn = named(resources(), types.function, f.name);
      const commit = expectedCommit(m.stack, f);
      expect(inputAt(fn, "buildConfig.source.storageSource")).toEqual({ bucket, object: `${f.name}/${commit}.zip` });
      expect(inputAt(fn, "buildConfig.runtime")).toBe("python312");
      const overridden = m.stack === "staging" && f.name === "grading-coverage-monitor";
      expect(fn.inputs.labels).toEqual({ commit, "deploy-group": f.group, phase: String(f.phase), ...(overridden ? { "commit-override": "true" } : {}) });
    }
    if (m.stack === "staging") {
      expect(inputAt(named(resources(), types.function, "grading-coverage-monitor"), "buildConfig.source.storageSource.object")).toBe("grading-coverage-monitor/19722f5c.zip");
      expect(inputAt(named(resources(), types.function, "phase3-to-grading"), "buildConfig.source.storageSource.object")).toBe("phase3-to-grading/5a498759.zip");
    }
  });

  it("when the program runs, then every declared call has exactly one run.invoker grant, for exactly the caller's account on exactly the callee, and there are no others", () => {
    const calls = declaredCalls(resources());
    expect(calls).toHaveLength(13);
    const grants = ofType(resources(), types.runInvoker);
    for (const g of grants) expect(g.inputs.role, g.name).toBe("roles/run.invoker");
    const granted = grants.map((g) => `${memberAccount(resources(), g)} -> ${grantTarget(resources(), g, m.preview)}`).sort();
    const needed = calls
      .map((c) => {
        const callee = workloadResource(resources(), workloads.find((w) => w.name === c.callee)!);
        return `${accountAt(resources(), c.caller, c.identity)} -> ${callee.urn}`;
      })
      .sort();
    expect(granted).toEqual(needed);
    // No two callers share an account: as many distinct accounts as distinct (caller, identity) pairs.
    const callers = new Set(calls.map((c) => `${c.caller.urn}#${c.identity}`));
    expect(new Set(needed.map((n) => n.split(" -> ")[0])).size).toBe(callers.size);
  });

  it("when a function calls a service, then the env var pipeline.ts names carries the callee's URL", () => {
    for (const f of functions) {
      const fn = named(resources(), types.function, f.name);
      for (const c of f.calls) {
        const callee = named(resources(), types.service, c.callee);
        const value = inputAt(fn, `serviceConfig.environmentVariables.${c.env}`);
        if (m.preview) {
          expect(value).toBe(unknownValue);
          expect(fn.propertyDependencies.serviceConfig).toContain(callee.urn);
        } else {
          expect(value).toBe(callee.outputs.uri);
          expect(value).toMatch(new RegExp(`^https://${c.callee}-${stackFiles[m.stack]["nba-pipeline:projectNumber"]}\\.${stackFiles[m.stack]["gcp:region"]}\\.run\\.app$`));
        }
      }
    }
  });

  it("when push subscriptions and scheduler jobs call, then they post to the callee's URL with it as the OIDC audience", () => {
    const targets = [
      ...pushCalls.map((p) => ({ caller: named(resources(), types.subscription, p.name), at: "pushConfig", url: "pushEndpoint", token: "pushConfig.oidcToken", callee: p.callee, path: p.path })),
      ...scheduledCalls.map((j) => ({ caller: named(resources(), types.job, j.name), at: "httpTarget", url: "uri", token: "httpTarget.oidcToken", callee: j.callee, path: j.path })),
    ];
    for (const t of targets) {
      const callee = named(resources(), types.service, t.callee);
      if (m.preview) {
        expect(t.caller.propertyDependencies[t.at]).toContain(callee.urn);
      } else {
        expect(inputAt(t.caller, `${t.at}.${t.url}`)).toBe(`${callee.outputs.uri as string}${t.path}`);
        expect(inputAt(t.caller, `${t.token}.audience`)).toBe(callee.outputs.uri);
      }
    }
    for (const j of scheduledCalls) expect(named(resources(), types.job, j.name).inputs).toMatchObject({ schedule: j.schedule, timeZone: "America/New_York" });
  });

  it("when the program runs, then no service or function runs as a default account: each runs as an account of its own in this stack", () => {
    const runtime = workloads.map((w) =>
      accountAt(resources(), workloadResource(resources(), w), w.kind === "service" ? "template.serviceAccount" : "serviceConfig.serviceAccountEmail"),
    );
    expect(new Set(runtime).size).toBe(workloads.length);
    const text = JSON.stringify(resources().map((r) => r.inputs));
    expect(text).not.toMatch(/-compute@developer\.gserviceaccount\.com|@appspot\.gserviceaccount\.com/);
    for (const account of ofType(resources(), types.account)) {
      expect(account.inputs.accountId).toMatch(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/);
    }
    const ids = ofType(resources(), types.account).map((a) => a.inputs.accountId);
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
      const resource = workloadResource(resources(), w);
      const earlier = workloads.filter((e) => e.phase < w.phase).map((e) => workloadResource(resources(), e).urn);
      expect(earlier.filter((urn) => !resource.dependencies.includes(urn)), `${w.name} (phase ${w.phase})`).toEqual([]);
    }
    // The ordering is real: phase 5 is not deployed before phase 3, and phase 6 comes last.
    expect(phases.map((p) => p.phase)).toEqual([1, 3, 4, 5, 6]);
    const first = workloadResource(resources(), workloads[0]);
    expect(first.dependencies.filter((urn) => urn.includes("cloudrunv2/service:Service") || urn.includes("cloudfunctionsv2"))).toEqual([]);
  });

  it("when the program runs, then each service publishes through its topics with its own account and finds the topic name in an env var", () => {
    for (const s of services) {
      const service = named(resources(), types.service, s.name);
      const account = accountAt(resources(), service, "template.serviceAccount");
      const publishers = ofType(resources(), types.topicMember).filter((t) => memberAccount(resources(), t) === account);
      expect(publishers.map((p) => p.inputs.topic).sort(), s.name).toEqual(s.publishes.map((k) => named(resources(), types.topic, topics[k]).inputs.name).sort());
      for (const p of publishers) {
        expect(p.inputs.role).toBe("roles/pubsub.publisher");
        expect(service.dependencies, `${s.name} deploys after it may publish`).toContain(p.urn);
      }
      const envs = inputAt(service, "template.containers.0.envs") as { name: string; value: string }[];
      expect(envs.map((e) => e.value).sort()).toEqual(s.publishes.map((k) => topics[k]).sort());
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
    const workerSpec = services.find((s) => s.name === "prediction-worker")!;
    const worker = outputs.workloads["prediction-worker"];
    expect(worker).toMatchObject({ kind: "service", commit: expectedCommit(m.stack, workerSpec), phase: 5, deployGroup: "pipeline" });
    expect(worker.image).toBe(`${stackFiles[m.stack]["nba-pipeline:registry"]}/prediction-worker:${expectedCommit(m.stack, workerSpec)}`);
    expect(outputs.calls).toHaveLength(13);
    expect(outputs.calls).toContainEqual(expect.objectContaining({ caller: "phase3-to-grading", callee: "grading", grant: "phase3-to-grading-invokes-grading" }));
    if (m.preview) {
      expect(isUnknown(worker.url)).toBe(true);
    } else {
      expect(worker.url).toBe(named(resources(), types.service, "prediction-worker").outputs.uri);
      const call = outputs.calls.find((c) => c.caller === "phase3-to-grading")!;
      expect(call.identity).toBe(`serviceAccount:${String(byUrn(resources(), accountAt(resources(), named(resources(), types.function, "phase3-to-grading"), "serviceConfig.serviceAccountEmail")).outputs.email)}`);
    }
    if (m.stack === "staging") expect(outputs.workloads["grading-coverage-monitor"].commitOverride).toContain("thresholds");
  });
});

describe("given the staging stack", () => {
  it("when its resources are captured, then no prod project, project number or region appears in any input or output", () => {
    const prodValues = [stackFiles.prod["gcp:project"], stackFiles.prod["nba-pipeline:projectNumber"], stackFiles.prod["gcp:region"]] as string[];
    for (const mode of ["staging update", "staging preview"]) {
      const text = JSON.stringify(captures[mode].resources.map((r) => [r.urn, r.inputs, r.outputs]));
      for (const value of prodValues) expect(text, `${mode}: ${value}`).not.toContain(value);
    }
  });
});

describe("given prod, staging and prod again in one process", () => {
  it("when captured again, then the results are the same as the first time, and preview registers the same resources as update", async () => {
    const again = await captureStack({ stack: "prod", config: stackFiles.prod, preview: false });
    expect(again).toEqual(captures["prod update"]);
    const shape = (c: Capture) => c.resources.map((r) => [r.urn, r.type, r.parent ?? "", r.dependencies.length]);
    expect(shape(captures["prod preview"])).toEqual(shape(captures["prod update"]));
    expect(captures["prod update"].resources[0]).toMatchObject({ type: "pulumi:pulumi:Stack", name: "nba-pipeline-prod", urn: "urn:pulumi:prod::nba-pipeline::pulumi:pulumi:Stack::nba-pipeline-prod" });
    const grading = named(captures["prod update"].resources, types.service, "grading");
    expect(grading.urn).toBe("urn:pulumi:prod::nba-pipeline::nba:pipeline:Phase$nba:pipeline:Service$gcp:cloudrunv2/service:Service::grading-service");
  });
});

describe("given a bad stack config", () => {
  const staging = stackFiles.staging;
  const bad = { ...staging, "nba-pipeline:deployGroups": { scrapers: "latest", pipeline: "5a498759", grading: "5a498759" } };

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
