// Runs the stack program (index.ts) offline under Pulumi's mock runtime and captures what the engine would
// receive: every registered resource with its type, inputs, parent, dependencies and property
// dependencies, in registration order, plus the stack outputs. The mocks play the GCP provider: after
// `up` they return the outputs GCP would (URLs, account emails, ids); during a preview of a fresh stack
// those provider-computed outputs are unknown, exactly as `pulumi preview` sees them.
// See ../shared/OFFLINE-PULUMI.md for why each step is done this way.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import program from "../index";
import { unknownValue, type EngineResource } from "./resources";
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
  const provider = new MockProvider(opts.config, opts.preview);
  await pulumi.runtime.setMocks(
    { newResource: (args) => provider.newResource(args), call: (args) => args.inputs },
    project,
    opts.stack,
    opts.preview,
  );
  // Values as the engine hands them to a program: strings, with objects and lists as JSON.
  pulumi.runtime.setAllConfig(
    Object.fromEntries(Object.entries(opts.config).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)])),
  );

  const captured: MutableResource[] = [];
  const byUrn = new Map<string, MutableResource>();
  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitorInternals;
  monitor.newUrn = (parent, type, name) => engineUrn(project, opts.stack, parent, type, name);
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const record: MutableResource = {
      urn: "",
      type: req.getType(),
      name: req.getName(),
      custom: req.getCustom(),
      ...(req.getParent() ? { parent: req.getParent() } : {}),
      inputs: req.getObject()?.toJavaScript() ?? {},
      outputs: {},
      dependencies: req.getDependenciesList(),
      propertyDependencies: propertyDependenciesOf(req),
    };
    captured.push(record);
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
  await pulumi.runtime.runInPulumiStack(async () => {
    try {
      return await run();
    } catch (error) {
      failure = { error };
      return undefined;
    }
  });
  await waitForRPCs();
  if (failure) throw failure.error;
  const stack = captured.find((r) => r.type === rootStackType);
  return { resources: captured, outputs: stack?.outputs ?? {} };
}

type MutableResource = { -readonly [K in keyof EngineResource]: EngineResource[K] };

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

/** The engine's URN: the parent's qualified type chain, leaving out the root Stack. */
export function engineUrn(project: string, stack: string, parent: string | undefined, type: string, name: string): string {
  const parentType = parent ? parent.split("::")[2] : undefined;
  const qualified = parentType && parentType !== rootStackType ? `${parentType}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/** Drains the SDK's pending RPCs (internal module; see OFFLINE-PULUMI.md). */
async function waitForRPCs(): Promise<void> {
  const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
  await settings.waitForRPCs();
}

/**
 * Plays the GCP provider. Returns the inputs as state plus what GCP computes; in preview, what GCP
 * computes is unknown (and so is the id), as for resources a fresh stack has not created yet.
 */
class MockProvider {
  private readonly projectNumber: string;

  constructor(
    config: Record<string, unknown>,
    private readonly preview: boolean,
  ) {
    this.projectNumber = String(config["nba-pipeline:projectNumber"] ?? "000000000000");
  }

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
    const inputs = args.inputs as Record<string, unknown>;
    const { id, ...computed } = this.computed(args.type, inputs);
    if (this.preview) return { id: undefined, state: merged(inputs, unknownLeaves(computed)) };
    return { id, state: merged(inputs, computed) };
  }

  /** What GCP fills in for a resource of `type`, id included (nested objects hold only the computed fields). */
  private computed(type: string, inputs: Record<string, unknown>): Record<string, unknown> & { id: string } {
    const project = String(inputs.project ?? "");
    const location = String(inputs.location ?? inputs.region ?? "");
    const name = String(inputs.name ?? "");
    switch (type) {
      case "gcp:serviceaccount/account:Account": {
        const email = `${String(inputs.accountId)}@${project}.iam.gserviceaccount.com`;
        const id = `projects/${project}/serviceAccounts/${email}`;
        return { id, email, member: `serviceAccount:${email}`, name: id, uniqueId: digitsOf(email, 21) };
      }
      case "gcp:cloudrunv2/service:Service": {
        const uri = runUrl(name, this.projectNumber, location);
        return { id: `projects/${project}/locations/${location}/services/${name}`, uri, urls: [uri], uid: uuidOf(name) };
      }
      case "gcp:cloudfunctionsv2/function:Function":
        return {
          id: `projects/${project}/locations/${location}/functions/${name}`,
          url: `https://${location}-${project}.cloudfunctions.net/${name}`,
          state: "ACTIVE",
          serviceConfig: { uri: runUrl(name, this.projectNumber, location), service: `projects/${project}/locations/${location}/services/${name}` },
        };
      case "gcp:artifactregistry/repository:Repository":
        return { id: `projects/${project}/locations/${location}/repositories/${String(inputs.repositoryId)}`, name: String(inputs.repositoryId) };
      case "gcp:pubsub/topic:Topic":
        return { id: `projects/${project}/topics/${name}` };
      case "gcp:pubsub/subscription:Subscription":
        return { id: `projects/${project}/subscriptions/${name}` };
      case "gcp:cloudscheduler/job:Job":
        return { id: `projects/${project}/locations/${location}/jobs/${name}`, state: "ENABLED" };
      case "gcp:cloudrunv2/serviceIamMember:ServiceIamMember":
        return { id: `projects/${project}/locations/${location}/services/${name}/${String(inputs.role)}/${String(inputs.member)}`, etag: etagOf(inputs) };
      case "gcp:pubsub/topicIAMMember:TopicIAMMember":
        return { id: `${String(inputs.topic)}/${String(inputs.role)}/${String(inputs.member)}`, etag: etagOf(inputs) };
      case "gcp:logging/metric:Metric":
        return { id: name };
      case "gcp:monitoring/alertPolicy:AlertPolicy": {
        const policy = `projects/${project}/alertPolicies/${digitsOf(JSON.stringify(inputs.displayName), 19)}`;
        return { id: policy, name: policy };
      }
      default:
        return { id: `${name || type}-id` };
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** `inputs` with `computed` laid over it, nested objects merged field by field. */
function merged(inputs: Record<string, unknown>, computed: Record<string, unknown>): Record<string, unknown> {
  const result = { ...inputs };
  for (const [key, value] of Object.entries(computed)) {
    const input = inputs[key];
    result[key] = isObject(value) && isObject(input) ? merged(input, value) : value;
  }
  return result;
}

/** The same shape with every leaf unknown: what a preview knows of values GCP has not computed yet. */
function unknownLeaves(computed: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(computed).map(([key, value]) => [key, isObject(value) ? unknownLeaves(value) : unknownValue]));
}

function runUrl(service: string, projectNumber: string, region: string): string {
  return `https://${service}-${projectNumber}.${region}.run.app`;
}

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
