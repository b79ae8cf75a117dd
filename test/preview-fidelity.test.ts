// The capture answers as the GCP provider does (lib/planned.ts): in a preview of new resources, a field the
// provider computes and the program left unset is unknown, as `pulumi preview` sends it to AnalyzeStack;
// after `up` it holds what GCP puts there. Small fixture programs run under the capture and are judged by
// the policy pack, so what `npm run check` says in each mode is what the engine would say.
import * as pulumi from "@pulumi/pulumi";
import * as cloudfunctionsv2 from "@pulumi/gcp/cloudfunctionsv2";
import * as cloudrun from "@pulumi/gcp/cloudrun";
import * as gcp from "@pulumi/gcp";
import * as cloudrunv2 from "@pulumi/gcp/cloudrunv2";
import * as pubsub from "@pulumi/gcp/pubsub";
import * as serviceaccount from "@pulumi/gcp/serviceaccount";
import { describe, expect, it } from "vitest";
import { captureProgram } from "../lib/capture";
import { unknownValue, type EngineResource } from "../lib/resources";
import { usePolicyPack } from "./fixtures/pack";
import { inputAt } from "./support/engine";

const project = "nba-props-platform";
const region = "us-west2";
const projectNumber = "756957797294";
const config = { "gcp:project": project, "gcp:region": region, "nba-pipeline:projectNumber": projectNumber };
const defaultCompute = `${projectNumber}-compute@developer.gserviceaccount.com`;
const modes = [
  { mode: "preview", preview: true },
  { mode: "update", preview: false },
] as const;

// The policy config the README recommends: it names the default compute account whenever the stack
// leaves an account unset, so only what the engine sends decides the verdicts below.
const pack = usePolicyPack({ source: "test", values: { "caller-has-run-invoker": { projectNumber } } });

function capture(program: () => void, preview: boolean): Promise<EngineResource[]> {
  return captureProgram(async () => program(), { stack: "prod", config, preview }).then((c) => c.resources);
}

function find(resources: readonly EngineResource[], name: string): EngineResource {
  const found = resources.find((r) => r.name === name);
  if (!found) throw new Error(`no resource ${name}`);
  return found;
}

/** The state AnalyzeStack is sent for a resource: its outputs. */
function stateAt(r: EngineResource, path: string): unknown {
  return inputAt({ ...r, inputs: r.outputs }, path);
}

async function mandatoryGaps(resources: readonly EngineResource[]): Promise<string[]> {
  const violations = await pack().analyze(resources);
  // A message is the policy's description, then the violation itself.
  return violations.filter((v) => v.enforcementLevel === "mandatory" && v.policyName === "caller-has-run-invoker").map((v) => v.message.split("\n").pop()!);
}

function gradingService(): cloudrunv2.Service {
  const account = new serviceaccount.Account("grading-runtime", { project, accountId: "grading-runtime" });
  return new cloudrunv2.Service("grading-service", {
    project,
    location: region,
    name: "grading",
    template: { serviceAccount: account.email, containers: [{ image: `us-west2-docker.pkg.dev/${project}/nba-pipeline/grading:ede3ab89` }] },
  });
}

function orchestrator(name: string, extra: Partial<cloudfunctionsv2.FunctionArgs> = {}): cloudfunctionsv2.Function {
  return new cloudfunctionsv2.Function(`${name}-function`, {
    project,
    location: region,
    name,
    buildConfig: { runtime: "python312", entryPoint: "orchestrate", source: { storageSource: { bucket: `${project}-function-source`, object: `${name}/ede3ab89.zip` } } },
    ...extra,
  });
}

const defaultComputeGrant = (callee: { name: pulumi.Input<string>; location: pulumi.Input<string>; project: pulumi.Input<string> }, name: string) =>
  new cloudrunv2.ServiceIamMember(name, { ...callee, role: "roles/run.invoker", member: `serviceAccount:${defaultCompute}` });

describe.each(modes)("a function that sets no runtime account, in $mode mode", ({ preview }) => {
  const program = () => {
    const grading = gradingService();
    orchestrator("phase3-to-grading", { serviceConfig: { environmentVariables: { GRADING_URL: grading.uri } } });
    defaultComputeGrant({ name: grading.name, location: grading.location, project: grading.project }, "default-compute-invokes-grading");
  };

  it("when captured, then serviceConfig.serviceAccountEmail is unknown in preview and the default compute account after up", async () => {
    const fn = find(await capture(program, preview), "phase3-to-grading-function");
    expect(fn.inputs.serviceConfig).not.toHaveProperty("serviceAccountEmail");
    expect(stateAt(fn, "serviceConfig.serviceAccountEmail")).toBe(preview ? unknownValue : defaultCompute);
  });

  it("when judged, then a grant to the default compute account lets the call through only once that account is known (after up)", async () => {
    const gaps = await mandatoryGaps(await capture(program, preview));
    if (preview) {
      expect(gaps).toHaveLength(1);
      expect(gaps[0]).toContain("phase3-to-grading calls grading (found by env GRADING_URL) as an account not known until deploy");
    } else {
      expect(gaps).toEqual([]);
    }
  });
});

describe.each(modes)("a function whose event trigger sets no account, in $mode mode", ({ preview }) => {
  const program = () => {
    const topic = new pubsub.Topic("analytics-complete", { project, name: "nba-phase3-analytics-complete" });
    const fn = orchestrator("phase3-to-grading", {
      serviceConfig: { serviceAccountEmail: new serviceaccount.Account("p3g-runtime", { project, accountId: "phase3-to-grading" }).email },
      eventTrigger: { triggerRegion: region, eventType: "google.cloud.pubsub.topic.v1.messagePublished", pubsubTopic: topic.id },
    });
    defaultComputeGrant({ name: fn.name, location: fn.location, project: fn.project }, "trigger-invokes-p3g");
  };

  it("when captured, then eventTrigger.serviceAccountEmail is unknown in preview and the default compute account after up", async () => {
    const fn = find(await capture(program, preview), "phase3-to-grading-function");
    expect(stateAt(fn, "eventTrigger.serviceAccountEmail")).toBe(preview ? unknownValue : defaultCompute);
  });

  it("when judged, then the trigger's call on the function is granted only once its account is known", async () => {
    const gaps = await mandatoryGaps(await capture(program, preview));
    expect(gaps.map((g) => g.split(" as ")[0])).toEqual(preview ? ["phase3-to-grading calls phase3-to-grading (found by event trigger)"] : []);
  });
});

describe.each(modes)("a Cloud Run service that sets no runtime account, in $mode mode", ({ preview }) => {
  it("when captured, then template.serviceAccount is unknown in preview and the default compute account after up, and its URL is the project-number form", async () => {
    const resources = await capture(() => {
      new cloudrunv2.Service("scrapers", { project, location: region, name: "nba-scrapers", template: { containers: [{ image: "r/nba-scrapers:2de48c04" }] } });
    }, preview);
    const service = find(resources, "scrapers");
    expect(stateAt(service, "template.serviceAccount")).toBe(preview ? unknownValue : defaultCompute);
    expect(stateAt(service, "template.containers.0.image")).toBe("r/nba-scrapers:2de48c04");
    expect(service.outputs.uri).toBe(preview ? unknownValue : `https://nba-scrapers-${projectNumber}.${region}.run.app`);
  });
});

describe.each(modes)("an invoker grant that leaves project and location to the provider, in $mode mode", ({ preview }) => {
  const program = () => {
    const grading = gradingService();
    const caller = new serviceaccount.Account("p3g-runtime", { project, accountId: "phase3-to-grading" });
    orchestrator("phase3-to-grading", { serviceConfig: { serviceAccountEmail: caller.email, environmentVariables: { GRADING_URL: grading.uri } } });
    new cloudrunv2.ServiceIamMember("p3g-invokes-grading", {
      name: grading.name,
      role: "roles/run.invoker",
      member: "serviceAccount:phase3-to-grading@nba-props-platform.iam.gserviceaccount.com",
    });
  };

  it("when captured, then project and location are unknown in preview and the provider's gcp:project and gcp:region after up", async () => {
    const grant = find(await capture(program, preview), "p3g-invokes-grading");
    expect([grant.outputs.project, grant.outputs.location]).toEqual(preview ? [unknownValue, unknownValue] : [project, region]);
  });

  it("when captured, then each resource carries its default provider, whose inputs are the gcp: stack config, as the engine sends it to AnalyzeStack", async () => {
    const grant = find(await capture(program, preview), "p3g-invokes-grading");
    expect(grant.provider).toEqual({
      urn: "urn:pulumi:prod::nba-pipeline::pulumi:providers:gcp::default_9_37_0",
      type: "pulumi:providers:gcp",
      name: "default_9_37_0",
      properties: { project, region },
    });
  });

  it("when judged, then the grant counts in both modes: in preview its project and location are the provider's, which the engine sends with it", async () => {
    expect(await mandatoryGaps(await capture(program, preview))).toEqual([]);
  });

  it("when the callee is managed by an explicit provider of another project, then the grant left to the default provider does not cover it", async () => {
    const resources = await capture(() => {
      const other = new gcp.Provider("other-project", { project: "nba-props-sandbox", region });
      const grading = new cloudrunv2.Service("grading-service", { location: region, name: "grading", template: { containers: [{ image: "r/grading:ede3ab89" }] } }, { provider: other });
      const caller = new serviceaccount.Account("p3g-runtime", { project, accountId: "phase3-to-grading" });
      orchestrator("phase3-to-grading", { serviceConfig: { serviceAccountEmail: caller.email, environmentVariables: { GRADING_URL: grading.uri } } });
      new cloudrunv2.ServiceIamMember("p3g-invokes-grading", { name: "grading", role: "roles/run.invoker", member: "serviceAccount:phase3-to-grading@nba-props-platform.iam.gserviceaccount.com" });
    }, preview);
    expect(find(resources, "grading-service").provider?.properties).toEqual({ project: "nba-props-sandbox", region });
    const gaps = await mandatoryGaps(resources);
    expect(gaps.map((g) => g.split(" as ")[0])).toEqual(["phase3-to-grading calls grading (found by env GRADING_URL)"]);
  });
});

describe.each(modes)("resources a program leaves unnamed, in $mode mode", ({ preview }) => {
  it("when captured, then Pulumi auto-names them in both modes (Check runs in preview too): NAME-<7 hex>, in the inputs Analyze gets and in the state", async () => {
    const resources = await capture(() => {
      new pubsub.Topic("handover", { project });
    }, preview);
    const topic = find(resources, "handover");
    expect(topic.inputs.name).toMatch(/^handover-[0-9a-f]{7}$/);
    expect(topic.outputs.name).toBe(topic.inputs.name);
  });
});

describe("gen2 function URLs after up", () => {
  it("given a function, when captured in update mode, then url is https://REGION-PROJECT.cloudfunctions.net/NAME and its service URI the project-number form", async () => {
    const fn = find(await capture(() => orchestrator("grading-coverage-monitor", { serviceConfig: { availableMemory: "256M" } }), false), "grading-coverage-monitor-function");
    expect(fn.outputs.url).toBe(`https://${region}-${project}.cloudfunctions.net/grading-coverage-monitor`);
    expect(stateAt(fn, "serviceConfig.uri")).toBe(`https://grading-coverage-monitor-${projectNumber}.${region}.run.app`);
  });
});

describe.each(modes)("an older-style v1 Cloud Run service (gcp.cloudrun.Service), in $mode mode", ({ preview }) => {
  const program = () => {
    const hello = new cloudrun.Service("hello", { location: region, template: { spec: { containers: [{ image: "r/hello:ede3ab89" }] } } });
    const caller = new serviceaccount.Account("caller-runtime", { project, accountId: "caller" });
    new cloudrun.Service("caller", {
      location: region,
      template: { spec: { serviceAccountName: caller.email, containers: [{ image: "r/caller:ede3ab89", envs: [{ name: "HELLO_URL", value: hello.statuses[0].url }] }] } },
    });
    new cloudrun.IamMember("caller-invokes-hello", { service: hello.name, location: hello.location, project: hello.project, role: "roles/run.invoker", member: pulumi.interpolate`serviceAccount:${caller.accountId}@${caller.project}.iam.gserviceaccount.com` });
  };

  it("when captured, then it is auto-named in both modes, and statuses[0].url (the hashed run.app form) and template.spec.serviceAccountName are unknown in preview and GCP's after up", async () => {
    const hello = find(await capture(program, preview), "hello");
    expect(hello.inputs.name).toMatch(/^hello-[0-9a-f]{7}$/);
    if (preview) expect(stateAt(hello, "statuses")).toBe(unknownValue);
    else expect(stateAt(hello, "statuses.0.url")).toMatch(/^https:\/\/hello-[0-9a-f]{7}-[a-z0-9]{10}-wl\.a\.run\.app$/);
    expect(stateAt(hello, "template.spec.serviceAccountName")).toBe(preview ? unknownValue : defaultCompute);
  });

  it("when judged, then the v1 caller's call on the v1 callee is found by dependency in preview and by URL after up, and the v1 grant counts in both", async () => {
    const resources = await capture(program, preview);
    expect(await mandatoryGaps(resources)).toEqual([]);
    const withoutGrant = resources.filter((r) => r.name !== "caller-invokes-hello");
    const gaps = await mandatoryGaps(withoutGrant);
    expect(gaps.map((g) => g.split(" as ")[0])).toEqual([expect.stringMatching(/^caller-[0-9a-f]{7} calls hello-[0-9a-f]{7} \(found by env HELLO_URL\)$/)]);
  });
});

describe.each(modes)("an IAM policy built with gcp.organizations.getIAMPolicy, in $mode mode", ({ preview }) => {
  const program = () => {
    const grading = gradingService();
    orchestrator("phase3-to-grading", {
      serviceConfig: { serviceAccountEmail: "phase3-to-grading@nba-props-platform.iam.gserviceaccount.com", environmentVariables: { GRADING_URL: grading.uri } },
    });
    const policy = gcp.organizations.getIAMPolicyOutput({
      bindings: [{ role: "roles/run.invoker", members: ["serviceAccount:phase3-to-grading@nba-props-platform.iam.gserviceaccount.com"] }],
    });
    new cloudrunv2.ServiceIamPolicy("grading-policy", { name: grading.name, location: grading.location, project: grading.project, policyData: policy.policyData });
  };

  it("when captured, then the function answers as the provider does: policyData is the bindings' JSON, known in both modes (a data source runs in preview)", async () => {
    const policy = find(await capture(program, preview), "grading-policy");
    expect(JSON.parse(String(policy.inputs.policyData))).toEqual({
      bindings: [{ members: ["serviceAccount:phase3-to-grading@nba-props-platform.iam.gserviceaccount.com"], role: "roles/run.invoker" }],
    });
  });

  it("when judged, then the policy's binding grants the call in both modes", async () => {
    expect(await mandatoryGaps(await capture(program, preview))).toEqual([]);
  });
});
