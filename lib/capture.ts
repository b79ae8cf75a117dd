// Runs the stack program (index.ts) offline under Pulumi's mock runtime and captures what the engine would
// receive: every registered resource with its type, inputs, parent, dependencies and property
// dependencies, in registration order, plus the stack outputs. The mocks play the GCP provider as
// lib/planned.ts describes: in a preview of a fresh stack, every field the provider computes and the
// program left unset is unknown, as `pulumi preview` sends it; after `up`, those fields hold what GCP puts
// there (URLs, account emails, the default compute account, the provider's project and region, ids).
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import program from "../index";
import { InputError } from "./cli";
import { checkedInputs, plannedState } from "./planned";
import type { EngineResource, ProviderResource } from "./resources";
import { projectName } from "./stackfile";

export interface Capture {
  resources: EngineResource[];
  outputs: Record<string, unknown>;
}

export interface CaptureOptions {
  /** Stack name, e.g. "prod". */
  stack: string;
  /** The `config:` map of the stack file, keys as written (`readStackFile(path).raw`). */
  config: Record<string, unknown>;
  /** true: a `pulumi preview` of a fresh stack; false: `pulumi up`. */
  preview: boolean;
  /** Pulumi project name; defaults to the name in Pulumi.yaml. */
  project?: string;
  /**
   * The GCP project number, which names run.app URLs (`NAME-NUMBER.REGION.run.app`) and the default compute
   * account after `up`; defaults to `nba-pipeline:projectNumber` of the config. Without it, URLs are the
   * hashed form and the default compute account is not filled in.
   */
  projectNumber?: string;
  /** Config keys the engine would hand the program as secrets. */
  secretKeys?: readonly string[];
}

const rootStackType = "pulumi:pulumi:Stack";

// The SDK's runtime state is process-wide: captures run one at a time, in call order.
let queue: Promise<unknown> = Promise.resolve();

/** Runs the stack program once under mocks. Rejects with the program's own error (its RunError on bad config). */
export function captureStack(opts: CaptureOptions): Promise<Capture> {
  return captureProgram(program, opts);
}

/** Runs any Pulumi program function under the same mocks (tests use it to exercise one component). */
export function captureProgram(run: () => Promise<unknown>, opts: CaptureOptions): Promise<Capture> {
  const result = queue.then(() => runOnce(run, opts));
  queue = result.catch(() => undefined);
  return result;
}

async function runOnce(run: () => Promise<unknown>, opts: CaptureOptions): Promise<Capture> {
  const project = opts.project ?? projectName();
  const provider = new MockProvider(opts.config, opts.preview, project, opts.stack, opts.projectNumber);
  await pulumi.runtime.setMocks(
    { newResource: (args) => provider.newResource(args), call: (args) => provider.call(args) },
    project,
    opts.stack,
    opts.preview,
  );
  // Values as the engine hands them to a program: strings, with objects and lists as JSON.
  pulumi.runtime.setAllConfig(
    Object.fromEntries(Object.entries(opts.config).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)])),
    [...(opts.secretKeys ?? [])],
  );

  const captured: MutableResource[] = [];
  const byUrn = new Map<string, MutableResource>();
  // The engine refuses a second registration of one URN and stops the deployment there
  // (pkg/resource/deploy/step_generator.go at v3.248.0, generateURN, with the message of
  // sdk/go/common/diag/errors.go, GetDuplicateResourceURNError). The mock monitor answers it, so it is
  // refused here, naming both registrations, once the program has run: failing the RPC would leave the
  // SDK's promises rejected with no handler.
  const registered = new Map<string, MutableResource>();
  const providerRefs = new Map<RegisterResourceRequest, string>();
  const explicitProviders = new Map<MutableResource, string>();
  const duplicates = new Map<string, string>();
  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitorInternals;
  monitor.newUrn = (parent, type, name) => engineUrn(project, opts.stack, parent, type, name);
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    if (req.getProvider()) providerRefs.set(req, req.getProvider());
    const record: MutableResource = {
      urn: "",
      type: req.getType(),
      name: req.getName(),
      custom: req.getCustom(),
      ...(req.getParent() ? { parent: req.getParent() } : {}),
      // What the engine analyzes is the provider's checked inputs (auto-names filled in).
      inputs: checkedInputs(req.getType(), req.getName(), req.getObject()?.toJavaScript() ?? {}),
      outputs: {},
      dependencies: req.getDependenciesList(),
      propertyDependencies: propertyDependenciesOf(req),
    };
    captured.push(record);
    const ref = providerRefs.get(req);
    if (ref) explicitProviders.set(record, ref);
    const urn = engineUrn(project, opts.stack, record.parent, record.type, record.name);
    const first = registered.get(urn);
    // The children of a component registered twice collide too: the component says it all.
    if (first) duplicates.set(urn, record.parent !== undefined && duplicates.has(record.parent) ? "" : duplicateUrnMessage(urn, first, record));
    else registered.set(urn, record);
    register(req, (error, response) => {
      if (response) {
        record.urn = response.getUrn();
        record.outputs = response.getObject()?.toJavaScript() ?? {};
        byUrn.set(record.urn, record);
      }
      callback(error, response);
    });
  };
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, callback) => {
    const record = byUrn.get(req.getUrn());
    if (record) record.outputs = req.getOutputs()?.toJavaScript() ?? {};
    registerOutputs(req, callback);
  };

  // The root Stack resource is the parent of everything, as in a real run. The program's own error is
  // caught inside the stack and rethrown once RPCs have drained: letting it reject the Stack resource
  // would leave the SDK's derived promises rejected with no handler (the real CLI swallows those).
  let failure: { error: unknown } | undefined;
  // The SDK records a stack trace on every promise it makes (runtime/debuggable.js, for its leak report)
  // and on every resource it registers (the source position the engine shows); under tsx each trace is
  // mapped through source maps. Nothing here reads them, and they were half the time of a capture of
  // prod's 700 resources, so none are taken while the program runs. The program's own errors are
  // reported by message (RunError, InputError), which is all the tools print; an error of a component's
  // own then shows its message without frames (run `pulumi preview` for those).
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    await pulumi.runtime.runInPulumiStack(async () => {
      try {
        return await run();
      } catch (error) {
        failure = { error };
        return undefined;
      }
    });
    await waitForRPCs();
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  if (duplicates.size > 0) throw new InputError([...duplicates.values()].filter(Boolean).join("\n"));
  // The program stops with a RunError on bad config or topology: bad input, which the tools report as such.
  if (failure) throw failure.error instanceof pulumi.RunError ? new InputError(failure.error.message) : failure.error;
  const stack = captured.find((r) => r.type === rootStackType);
  for (const r of captured) {
    const provider = providerOf(r, explicitProviders.get(r), byUrn, opts.config, project, opts.stack);
    if (provider) r.provider = provider;
  }
  return { resources: captured, outputs: stack?.outputs ?? {} };
}

type MutableResource = { -readonly [K in keyof EngineResource]: EngineResource[K] };

/**
 * The provider resource of a custom resource, as the engine hands it to a policy pack: the one the program
 * passed (`{ provider }`, a reference `URN::ID`), else the package's default provider, whose inputs are the
 * package's stack config (`gcp:project` → `project`; pkg/resource/deploy/providers/registry.go).
 */
function providerOf(
  r: MutableResource,
  reference: string | undefined,
  byUrn: ReadonlyMap<string, MutableResource>,
  config: Record<string, unknown>,
  project: string,
  stack: string,
): ProviderResource | undefined {
  const pkg = r.type.split(":")[0];
  if (!r.custom || pkg === "pulumi") return undefined;
  if (reference) {
    const urn = reference.slice(0, reference.lastIndexOf("::"));
    const explicit = byUrn.get(urn);
    return { urn, type: explicit?.type ?? `pulumi:providers:${pkg}`, name: urn.split("::").pop() ?? "", properties: explicit?.inputs ?? {} };
  }
  const name = `default_${packageVersion(pkg).replace(/\./g, "_")}`;
  const properties = Object.fromEntries(Object.entries(config).filter(([key]) => key.startsWith(`${pkg}:`)).map(([key, value]) => [key.slice(pkg.length + 1), value]));
  return { urn: engineUrn(project, stack, undefined, `pulumi:providers:${pkg}`, name), type: `pulumi:providers:${pkg}`, name, properties };
}

/** The version of the program's @pulumi/PKG, which names its default provider (`default_9_37_0`). */
function packageVersion(pkg: string): string {
  try {
    return (require(`@pulumi/${pkg}/package.json`) as { version: string }).version;
  } catch {
    return "0_0_0";
  }
}

/** The parts of the SDK's MockMonitor and its protobuf messages this module touches. */
interface MockMonitorInternals {
  newUrn(parent: string, type: string, name: string): string;
  registerResource(req: RegisterResourceRequest, callback: (error: unknown, response?: RegisterResourceResponse) => void): void;
  registerResourceOutputs(req: RegisterResourceOutputsRequest, callback: (error: unknown, response?: unknown) => void): void;
}
interface ProtoStruct {
  toJavaScript(): Record<string, unknown>;
}
interface RegisterResourceRequest {
  getType(): string;
  getProvider(): string;
  getName(): string;
  getCustom(): boolean;
  getParent(): string;
  getObject(): ProtoStruct | undefined;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(fn: (value: { getUrnsList(): string[] }, key: string) => void): void };
}
interface RegisterResourceResponse {
  getUrn(): string;
  getObject(): ProtoStruct | undefined;
}
interface RegisterResourceOutputsRequest {
  getUrn(): string;
  getOutputs(): ProtoStruct | undefined;
}

function propertyDependenciesOf(req: RegisterResourceRequest): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((value, key) => {
    result[key] = value.getUrnsList();
  });
  return result;
}

/** The engine's refusal of a URN registered twice, and which two registrations it was (a URN names its parent's type, not the parent). */
function duplicateUrnMessage(urn: string, first: MutableResource, second: MutableResource): string {
  const registration = (r: MutableResource) => `${r.type} ${JSON.stringify(r.name)} under ${r.parent ?? "no parent"}`;
  return `Duplicate resource URN '${urn}'; try giving it a unique name: registered twice, first as ${registration(first)}, then as ${registration(second)}`;
}

/** The engine's URN: the parent's qualified type chain, leaving out the root Stack (pkg/resource/deploy/deployment.go, generateURN). */
export function engineUrn(project: string, stack: string, parent: string | undefined, type: string, name: string): string {
  const parentType = parent ? parent.split("::")[2] : undefined;
  const qualified = parentType && parentType !== rootStackType ? `${parentType}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/** Drains the SDK's pending RPCs: an internal module, but the only way to know every registration has been answered. */
async function waitForRPCs(): Promise<void> {
  const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
  await settings.waitForRPCs();
}

/**
 * Plays the GCP provider (see lib/planned.ts): the state of a new resource is its checked inputs plus the
 * fields the provider computes, each unknown in preview (and so is the id) and, after `up`, what GCP puts
 * there, as far as this runtime can tell: the provider's project and region, the project's default compute
 * account where GCP runs a workload or trigger that sets none, URLs, emails and ids. A computed field not
 * imitated here stays unset after `up`.
 */
class MockProvider {
  /** Names the run.app URLs and the default compute account; without it, those stay unset after `up`. */
  private readonly projectNumber: string | undefined;
  private readonly provider: { readonly project?: string; readonly region?: string };

  constructor(
    config: Record<string, unknown>,
    private readonly preview: boolean,
    private readonly project: string,
    private readonly stack: string,
    projectNumber?: string,
  ) {
    const setting = (key: string) => (typeof config[key] === "string" ? (config[key] as string) : undefined);
    this.projectNumber = projectNumber ?? setting("nba-pipeline:projectNumber");
    this.provider = { project: setting("gcp:project"), region: setting("gcp:region") };
  }

  /** Explicit provider resources by URN: a resource given one gets its project and region from it. */
  private readonly explicit = new Map<string, { readonly project?: string; readonly region?: string }>();

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
    const inputs = args.inputs as Record<string, unknown>;
    if (args.type.startsWith("pulumi:providers:")) {
      const urn = engineUrn(this.project, this.stack, undefined, args.type, args.name);
      const known = (v: unknown) => (typeof v === "string" ? v : undefined);
      this.explicit.set(urn, { project: known(inputs.project), region: known(inputs.region) });
      return { id: this.preview ? undefined : `${args.name}-id`, state: inputs };
    }
    const explicit = args.provider ? this.explicit.get(args.provider.slice(0, args.provider.lastIndexOf("::"))) : undefined;
    const options = { logicalName: args.name, provider: explicit ? { ...this.provider, ...explicit } : this.provider };
    // GCP's values are worked out from the state as the provider fills it (its project, region and auto-name).
    const { id, ...values } = this.gcpValues(args.type, plannedState(args.type, inputs, { ...options, preview: false }));
    return { id: this.preview ? undefined : id, state: plannedState(args.type, inputs, { ...options, preview: this.preview, values }) };
  }

  /**
   * What the provider's functions answer (`gcp.organizations.getIAMPolicy` and the like): the data sources
   * whose answers decide verdicts. getIAMPolicy renders its bindings as the provider does, into the
   * `policyData` an IAM policy resource takes; getProject and getDefaultServiceAccount name the project
   * number and its default compute account when this runtime knows the number. Others echo their inputs.
   */
  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    const inputs = (args.inputs ?? {}) as Record<string, unknown>;
    const project = typeof inputs.project === "string" ? inputs.project : this.provider.project;
    switch (args.token) {
      case "gcp:organizations/getIAMPolicy:getIAMPolicy": {
        const bindings = Array.isArray(inputs.bindings) ? inputs.bindings : [];
        const auditConfigs = Array.isArray(inputs.auditConfigs) ? inputs.auditConfigs : [];
        const policy = {
          ...(auditConfigs.length > 0 ? { auditConfigs } : {}),
          bindings: bindings.map((b: Record<string, unknown>) => ({ ...(b.condition ? { condition: b.condition } : {}), members: [...((b.members as string[]) ?? [])].sort(), role: b.role })),
        };
        return { ...inputs, id: digest(JSON.stringify(policy)).slice(0, 10), policyData: JSON.stringify(policy) };
      }
      case "gcp:organizations/getProject:getProject":
        return { ...inputs, projectId: project, name: project, id: `projects/${project}`, ...(this.projectNumber ? { number: this.projectNumber } : {}) };
      case "gcp:compute/getDefaultServiceAccount:getDefaultServiceAccount": {
        if (this.projectNumber === undefined) return { ...inputs, project };
        const email = `${this.projectNumber}-compute@developer.gserviceaccount.com`;
        return { ...inputs, project, email, member: `serviceAccount:${email}`, name: `projects/${project}/serviceAccounts/${email}`, id: `projects/${project}/serviceAccounts/${email}` };
      }
      default:
        return inputs;
    }
  }

  /** What GCP puts in the computed fields of a resource of `type` after `up`, id included (nested objects hold only computed fields). */
  private gcpValues(type: string, state: Record<string, unknown>): Record<string, unknown> & { id: string } {
    const project = String(state.project ?? "");
    const location = String(state.location ?? state.region ?? "");
    const name = String(state.name ?? "");
    const number = this.projectNumber;
    // Cloud Run and Cloud Functions run a workload, and deliver a gen2 function's events, as this account when none is set.
    const defaultCompute = number === undefined ? undefined : `${number}-compute@developer.gserviceaccount.com`;
    switch (type) {
      case "gcp:serviceaccount/account:Account": {
        if (typeof state.accountId !== "string" || project === "") return { id: `${name || type}-id` };
        const email = `${state.accountId}@${project}.iam.gserviceaccount.com`;
        const id = `projects/${project}/serviceAccounts/${email}`;
        return { id, email, member: `serviceAccount:${email}`, name: id, uniqueId: digitsOf(email, 21) };
      }
      case "gcp:cloudrunv2/service:Service": {
        // With the project number, the deterministic URL this repository's stack wires; without it, the hashed one.
        const uri = number === undefined ? hashedRunUrl(name, project, location) : runUrl(name, number, location);
        return {
          id: `projects/${project}/locations/${location}/services/${name}`,
          uid: uuidOf(name),
          uri,
          urls: [uri],
          ...(defaultCompute ? { template: { serviceAccount: defaultCompute } } : {}),
        };
      }
      case "gcp:cloudrun/service:Service": {
        // The v1 API answers with the hashed URL in status.url (statuses[0].url in Pulumi's schema).
        const url = hashedRunUrl(name, project, location);
        return {
          id: `locations/${location}/namespaces/${project}/services/${name}`,
          statuses: [{ url, latestReadyRevisionName: `${name}-00001-abc`, latestCreatedRevisionName: `${name}-00001-abc`, observedGeneration: 1, conditions: [], traffics: [] }],
          metadata: { namespace: project, uid: uuidOf(name), generation: 1, resourceVersion: "1", selfLink: `/apis/serving.knative.dev/v1/namespaces/${project}/services/${name}` },
          ...(defaultCompute ? { template: { spec: { serviceAccountName: defaultCompute } } } : {}),
        };
      }
      case "gcp:cloudfunctionsv2/function:Function":
        return {
          id: `projects/${project}/locations/${location}/functions/${name}`,
          url: `https://${location}-${project}.cloudfunctions.net/${name}`,
          state: "ACTIVE",
          serviceConfig: {
            service: `projects/${project}/locations/${location}/services/${name}`,
            uri: number === undefined ? hashedRunUrl(name, project, location) : runUrl(name, number, location),
            ...(defaultCompute ? { serviceAccountEmail: defaultCompute } : {}),
          },
          ...(defaultCompute ? { eventTrigger: { serviceAccountEmail: defaultCompute } } : {}),
        };
      case "gcp:workflows/workflow:Workflow":
        // Workflows runs a workflow that sets no account as the default compute account, and answers with the account's id.
        return {
          id: `projects/${project}/locations/${location}/workflows/${name}`,
          state: "ACTIVE",
          ...(defaultCompute ? { serviceAccount: `projects/${project}/serviceAccounts/${defaultCompute}` } : {}),
        };
      case "gcp:eventarc/pipeline:Pipeline": {
        const pipeline = `projects/${project}/locations/${location}/pipelines/${String(state.pipelineId)}`;
        return { id: pipeline, name: pipeline, uid: uuidOf(pipeline), etag: etagOf(state) };
      }
      case "gcp:artifactregistry/repository:Repository":
        return { id: `projects/${project}/locations/${location}/repositories/${String(state.repositoryId)}`, name: String(state.repositoryId) };
      case "gcp:pubsub/topic:Topic":
        return { id: `projects/${project}/topics/${name}` };
      case "gcp:pubsub/subscription:Subscription":
        return { id: `projects/${project}/subscriptions/${name}` };
      case "gcp:cloudscheduler/job:Job":
        return { id: `projects/${project}/locations/${location}/jobs/${name}`, state: "ENABLED" };
      case "gcp:cloudrunv2/serviceIamMember:ServiceIamMember":
        return { id: `projects/${project}/locations/${location}/services/${name}/${String(state.role)}/${String(state.member)}`, etag: etagOf(state) };
      case "gcp:pubsub/topicIAMMember:TopicIAMMember":
        return { id: `${String(state.topic)}/${String(state.role)}/${String(state.member)}`, etag: etagOf(state) };
      case "gcp:logging/metric:Metric":
        return { id: name };
      case "gcp:monitoring/alertPolicy:AlertPolicy": {
        const policy = `projects/${project}/alertPolicies/${digitsOf(JSON.stringify(state.displayName), 19)}`;
        return { id: policy, name: policy };
      }
      default:
        return { id: `${name || type}-id` };
    }
  }
}

function runUrl(service: string, projectNumber: string, region: string): string {
  return `https://${service}-${projectNumber}.${region}.run.app`;
}

/**
 * The URL GCP gives every Cloud Run service, `https://NAME-HASH-REGIONCODE.a.run.app`: the hash is the
 * project's (stable per project), the code the region's. Needs no project number.
 */
export function hashedRunUrl(service: string, project: string, region: string): string {
  const hash = BigInt(`0x${digest(project)}`).toString(36).slice(0, 10);
  return `https://${service}-${hash}-${regionCodes[region] ?? region.replace(/[^a-z]/g, "").slice(0, 2)}.a.run.app`;
}

/** The region codes of run.app URLs GCP documents for the common regions (others: the region's first letters). */
const regionCodes: Readonly<Record<string, string>> = {
  "us-central1": "uc",
  "us-east1": "ue",
  "us-east4": "uk",
  "us-west1": "uw",
  "us-west2": "wl",
  "us-west3": "wm",
  "us-west4": "wn",
  "europe-west1": "ew",
  "europe-west2": "nw",
  "europe-west3": "ey",
  "europe-west4": "ez",
  "asia-northeast1": "an",
  "asia-southeast1": "as",
  "asia-east1": "de",
  "australia-southeast1": "ts",
};

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function digitsOf(text: string, length: number): string {
  return BigInt(`0x${digest(text)}`).toString().slice(0, length);
}

function uuidOf(text: string): string {
  const h = digest(text);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function etagOf(inputs: Record<string, unknown>): string {
  return `BwY${digest(JSON.stringify(inputs)).slice(0, 9)}=`;
}
