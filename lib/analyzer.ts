// Plays the Pulumi engine's part towards the policy pack: starts the pack exactly as the engine does
// (`node run-policy-pack <engine> .` in the pack directory, port on stdout's first line) and speaks the
// Analyzer gRPC protocol: Handshake, ConfigureStack, GetAnalyzerInfo, Configure (policy config reconciled
// with each policy's schema defaults, as the engine does), Analyze per resource (inputs), AnalyzeStack
// (outputs with parents and dependencies). Every verdict a test, `check` or `audit` reports is the pack's own.
//
// Surface: readPolicyConfig(file), startPolicyPack(options) → session { info, configure(config),
// analyze(resources), analyzeStack(resources), close() }, encodeResource(resource) to encode a resource
// once and let it go (lib/analyzerWire.ts writes the bytes), and toPlainResources(resources) for the
// call graph. Bad policy config is an InputError; a pack that cannot start or fails a request is a
// PolicyPackError carrying the pack's stderr.
import { spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { z } from "zod";
import { InputError, readInputFile } from "./cli";
import { providerDefaults, type PlainResource } from "../policies/callgraph";
import { analyzeStackRequestSize, encodeAnalyzeRequest, encodeAnalyzerResource, encodeAnalyzeStackRequest, stateOf, toWire } from "./analyzerWire";
import { connectUnary, UnaryCallError } from "./grpcUnary";
import { isObject, type EngineResource } from "./resources";

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";
export type Severity = "low" | "medium" | "high" | "critical";

export interface Violation {
  readonly policyName: string;
  readonly enforcementLevel: EnforcementLevel;
  /** The resource in violation; "" for a violation of the stack as a whole. */
  readonly urn: string;
  readonly message: string;
  readonly description?: string;
}

export interface PolicyInfo {
  readonly name: string;
  readonly description: string;
  readonly enforcementLevel: EnforcementLevel;
  readonly severity?: Severity;
  readonly remediationSteps?: string;
  readonly configSchema?: { readonly properties: Record<string, unknown>; readonly required?: readonly string[] };
}

export interface PolicyPackInfo {
  readonly name: string;
  readonly version: string;
  readonly policies: readonly PolicyInfo[];
}

/** A policy config document as `--policy-pack-config` takes it, and where it came from (for messages). */
export interface PolicyConfig {
  /** `{ "policy-name": level | { enforcementLevel?, ...settings }, "all"?: level }`. */
  readonly values: unknown;
  /** A file path, or what else names the document in messages. */
  readonly source: string;
}

export interface PolicyPackOptions {
  readonly project: string;
  readonly stack: string;
  readonly organization?: string;
  /** true for `pulumi preview`, false for `pulumi up` and for deployed state. */
  readonly dryRun: boolean;
  readonly policyConfig?: PolicyConfig;
  /** The policy pack directory; defaults to this repository's `policies/`. */
  readonly packDir?: string;
}

/** A resource as the two requests about it carry it, encoded once (encodeResource). */
export interface EncodedResource {
  readonly urn: string;
  /** AnalyzeRequest: its inputs. */
  readonly analyzeRequest: Uint8Array;
  /** AnalyzerResource: its state, one of AnalyzeStack's resources. */
  readonly stackResource: Uint8Array;
}

export type AnalyzedResource = EngineResource | EncodedResource;

export interface PolicyPackSession {
  readonly info: PolicyPackInfo;
  /** Reconciles and sends policy config (replacing any earlier); InputError naming every problem. */
  configure(policyConfig?: PolicyConfig): Promise<void>;
  /** What `pulumi preview`/`up` runs: Analyze for each resource's inputs, then AnalyzeStack. */
  analyze(resources: readonly AnalyzedResource[]): Promise<Violation[]>;
  /** AnalyzeStack alone (the stack policies). */
  analyzeStack(resources: readonly AnalyzedResource[]): Promise<Violation[]>;
  close(): Promise<void>;
}

/** The policy pack failed to start or to answer: a problem with the pack, not with the user's input. */
export class PolicyPackError extends Error {
  override name = "PolicyPackError";
}

export const defaultPackDir = path.resolve(__dirname, "..", "policies");
const repoRoot = path.resolve(__dirname, "..");
const startTimeoutMs = 120_000;
const maxMessageBytes = 400 * 1024 * 1024; // what the Node policy server accepts
/** Analyze requests in flight at once: enough that neither process waits on the other. */
const analyzeConcurrency = 64;

export async function startPolicyPack(options: PolicyPackOptions): Promise<PolicyPackSession> {
  const packDir = options.packDir ?? defaultPackDir;
  const pack = await spawnPack(packDir, options);
  const client = new AnalyzerClient(`127.0.0.1:${pack.port}`, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_send_message_length": maxMessageBytes,
  });
  const call = <Req, Res>(method: string, fn: Unary<Req, Res>, request: Req): Promise<Res> =>
    new Promise((resolve, reject) =>
      fn.call(client, request, (error, response) => {
        if (error) reject(Object.assign(new PolicyPackError(`policy pack ${method} failed: ${error.details || error.message}${pack.stderrTail()}`), { code: error.code }));
        else resolve(response);
      }),
    );
  // Analyze and AnalyzeStack, the calls that scale with the stack: their requests are already bytes
  // (lib/analyzerWire.ts) and go over a connection of their own (lib/grpcUnary.ts).
  const unary = connectUnary(`127.0.0.1:${pack.port}`);
  const callEncoded = async (method: "Analyze" | "AnalyzeStack", request: Uint8Array): Promise<pb.AnalyzeResponse> => {
    try {
      return pb.AnalyzeResponse.deserializeBinary(await unary.call(`/pulumirpc.Analyzer/${method}`, request));
    } catch (error) {
      if (!(error instanceof UnaryCallError)) throw error;
      throw Object.assign(new PolicyPackError(`policy pack ${method} failed: ${error.message}${pack.stderrTail()}`), { code: error.code });
    }
  };
  const close = async () => {
    client.close();
    unary.close();
    await pack.stop();
  };

  try {
    const handshake = new pb.AnalyzerHandshakeRequest();
    handshake.setEngineAddress(engineAddress);
    handshake.setRootDirectory(repoRoot);
    handshake.setProgramDirectory(packDir);
    // The Node SDK does not implement Handshake; the engine carries on, and so do we.
    await call<pb.AnalyzerHandshakeRequest, pb.AnalyzerHandshakeResponse>("Handshake", client.handshake, handshake).catch((error: { code?: number }) => {
      if (error.code !== grpc.status.UNIMPLEMENTED) throw error;
    });

    const stack = new pb.AnalyzerStackConfigureRequest();
    stack.setProject(options.project);
    stack.setStack(options.stack);
    stack.setOrganization(options.organization ?? "organization");
    stack.setDryRun(options.dryRun);
    await call<pb.AnalyzerStackConfigureRequest, pb.AnalyzerStackConfigureResponse>("ConfigureStack", client.configureStack, stack);

    const info = toPackInfo(await call<Empty, pb.AnalyzerInfo>("GetAnalyzerInfo", client.getAnalyzerInfo, new Empty()));

    const configure = async (policyConfig?: PolicyConfig) => {
      const request = new pb.ConfigureAnalyzerRequest();
      for (const [name, config] of reconcilePolicyConfig(info.policies, policyConfig)) {
        const message = new pb.PolicyConfig();
        message.setEnforcementlevel(enforcementLevelToProto[config.enforcementLevel]);
        message.setProperties(Struct.fromJavaScript(config.properties as Record<string, never>));
        request.getPolicyconfigMap().set(name, message);
      }
      await call<pb.ConfigureAnalyzerRequest, Empty>("Configure", client.configure, request);
    };
    await configure(options.policyConfig);

    const analyzeStack = async (resources: readonly AnalyzedResource[]) => {
      const encoded = resources.map((r) => ("stackResource" in r ? r.stackResource : encodeAnalyzerResource(r)));
      const size = analyzeStackRequestSize(encoded);
      if (size > maxMessageBytes) {
        throw new PolicyPackError(
          `the AnalyzeStack request for these ${resources.length} resources is ${Math.ceil(size / 2 ** 20)} MiB, more than the ` +
            `${maxMessageBytes / 2 ** 20} MiB a Node policy pack accepts: the engine could not send it either`,
        );
      }
      return toViolations(await callEncoded("AnalyzeStack", encodeAnalyzeStackRequest(encoded)), "");
    };
    // A window of requests in flight, each answered in the order of the resources.
    const analyzeEach = async (resources: readonly AnalyzedResource[]) => {
      const answers: Violation[][] = new Array(resources.length);
      let next = 0;
      const worker = async () => {
        while (next < resources.length) {
          const i = next++;
          const r = resources[i];
          const response = await callEncoded("Analyze", "analyzeRequest" in r ? r.analyzeRequest : encodeAnalyzeRequest(r));
          answers[i] = toViolations(response, r.urn);
        }
      };
      await Promise.all(Array.from({ length: Math.min(analyzeConcurrency, resources.length) }, worker));
      return answers.flat();
    };

    return {
      info,
      configure,
      analyze: async (resources) => [...(await analyzeEach(resources)), ...(await analyzeStack(resources))],
      analyzeStack,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------
// Starting the pack as the engine does.

type Unary<Req, Res> = (request: Req, callback: (error: grpc.ServiceError | null, response: Res) => void) => grpc.ClientUnaryCall;

/** The engine passes its own address first; the Node policy runner drops it, and nothing here listens there. */
const engineAddress = "127.0.0.1:0";

interface RunningPack {
  readonly port: number;
  stderrTail(): string;
  stop(): Promise<void>;
}

function spawnPack(packDir: string, options: PolicyPackOptions): Promise<RunningPack> {
  let runPolicyPack: string;
  try {
    // Resolved from the pack directory, as the engine's Node language host does.
    runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
  } catch {
    return Promise.reject(new PolicyPackError(`cannot find @pulumi/pulumi from the policy pack in ${packDir}: run \`npm ci\` in the repository`));
  }
  const organization = options.organization ?? "organization";
  const dryRun = String(options.dryRun);
  const child = spawn(process.execPath, [runPolicyPack, engineAddress, "."], {
    cwd: packDir,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      PULUMI_PROJECT: options.project,
      PULUMI_STACK: options.stack,
      PULUMI_ORGANIZATION: organization,
      PULUMI_DRY_RUN: dryRun,
      PULUMI_NODEJS_PROJECT: options.project,
      PULUMI_NODEJS_STACK: options.stack,
      PULUMI_NODEJS_ORGANIZATION: organization,
      PULUMI_NODEJS_DRY_RUN: dryRun,
      // ts-node compiles the pack; its cache lives in the repository (git-ignored), not in /tmp.
      TS_NODE_CACHE_DIRECTORY: path.join(repoRoot, ".cache", "ts-node"),
    },
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const stderrTail = () => (stderr.trim() === "" ? "" : `\npolicy pack stderr:\n${stderr.trimEnd()}`);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };

  return new Promise((resolve, reject) => {
    let stdout = "";
    const fail = (message: string) => {
      clearTimeout(timer);
      void stop().then(() => reject(new PolicyPackError(`${message}${stderrTail()}`)));
    };
    const timer = setTimeout(() => fail(`policy pack in ${packDir} printed no port within ${startTimeoutMs / 1000} s`), startTimeoutMs);
    child.once("error", (error) => fail(`cannot start the policy pack in ${packDir}: ${error.message}`));
    const exitedEarly = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`policy pack in ${packDir} exited (${signal ?? `code ${code}`}) before it was ready${code === 32 ? " (a compile or load error)" : ""}`);
    child.once("exit", exitedEarly);
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", function onData(chunk: string) {
      stdout += chunk;
      const newline = stdout.indexOf("\n");
      if (newline < 0) return;
      child.stdout.off("data", onData);
      child.stdout.resume(); // anything else the pack prints is not ours to read
      child.off("exit", exitedEarly); // keep `exited`: stop() waits on it
      clearTimeout(timer);
      const port = Number(stdout.slice(0, newline).trim());
      if (!Number.isInteger(port) || port <= 0) {
        fail(`policy pack in ${packDir} printed ${JSON.stringify(stdout.slice(0, newline))} where its port was expected`);
        return;
      }
      resolve({ port, stderrTail, stop });
    });
  });
}

// ---------------------------------------------------------------------------------------------------
// Policy config, reconciled as the engine does (pkg/resource/analyzer/config.go): each policy starts
// from its default enforcement level and its schema's defaults, then "all", then its own entry, then
// the result is validated against its schema. Stricter than the engine in one way: an unknown policy
// name or setting is an error here, since a typo would otherwise silently leave a policy unconfigured.

const enforcementLevels = ["advisory", "mandatory", "remediate", "disabled"] as const;

export interface ReconciledPolicyConfig {
  readonly enforcementLevel: EnforcementLevel;
  readonly properties: Record<string, unknown>;
}

/** Reads a policy config file (JSON); InputError naming the file when it cannot. Checked against the pack on configure. */
export function readPolicyConfig(file: string): PolicyConfig {
  const text = readInputFile(file, "policy config");
  try {
    return { source: file, values: JSON.parse(text) };
  } catch (error) {
    throw new InputError(`${file}: not JSON (${(error as Error).message}); expected a policy config object such as {"no-public-invoker": {"publicServices": ["NAME"]}}`);
  }
}

export function reconcilePolicyConfig(policies: readonly PolicyInfo[], config: PolicyConfig | undefined): Map<string, ReconciledPolicyConfig> {
  const problems: string[] = [];
  const source = config?.source ?? "policy config";
  const given = config?.values ?? {};
  if (!isObject(given)) {
    throw new InputError(`${source}: expected a JSON object of policy name to enforcement level or settings, got ${describe(given)}`);
  }
  const byName = new Map(policies.map((p) => [p.name, p]));
  const levels = new Map(policies.map((p) => [p.name, p.enforcementLevel]));
  const settings = new Map<string, Record<string, unknown>>(policies.map((p) => [p.name, {}]));

  const levelOf = (value: unknown, key: string): EnforcementLevel | undefined => {
    if ((enforcementLevels as readonly unknown[]).includes(value)) return value as EnforcementLevel;
    problems.push(`${key}: ${describe(value)} is not an enforcement level; expected one of ${enforcementLevels.join(", ")}`);
    return undefined;
  };
  const entries = Object.entries(given);
  // "all" sets every policy's level first; a policy's own entry wins over it.
  for (const [name, value] of [...entries.filter(([n]) => n === "all"), ...entries.filter(([n]) => n !== "all")]) {
    if (name !== "all" && !byName.has(name)) {
      problems.push(`${name}: no such policy in this pack; its policies are ${[...byName.keys()].join(", ")} (or "all")`);
      continue;
    }
    if (typeof value === "string") {
      const level = levelOf(value, name);
      if (level) for (const target of name === "all" ? byName.keys() : [name]) levels.set(target, level);
      continue;
    }
    if (!isObject(value)) {
      problems.push(`${name}: expected an enforcement level or an object of settings, got ${describe(value)}`);
      continue;
    }
    const { enforcementLevel, ...rest } = value;
    if (enforcementLevel !== undefined) {
      const level = levelOf(enforcementLevel, `${name}.enforcementLevel`);
      if (level) for (const target of name === "all" ? byName.keys() : [name]) levels.set(target, level);
    }
    if (name === "all") {
      for (const key of Object.keys(rest)) problems.push(`all.${key}: "all" takes only an enforcementLevel`);
      continue;
    }
    const known = Object.keys(byName.get(name)?.configSchema?.properties ?? {});
    for (const key of Object.keys(rest).filter((k) => !known.includes(k))) {
      problems.push(`${name}.${key}: unknown setting; ${name} takes ${known.length === 0 ? "only enforcementLevel" : `enforcementLevel, ${known.join(", ")}`}`);
      delete rest[key];
    }
    settings.set(name, rest);
  }

  const result = new Map<string, ReconciledPolicyConfig>();
  for (const policy of policies) {
    let properties: Record<string, unknown> = settings.get(policy.name) ?? {};
    if (policy.configSchema) {
      const schema = z.fromJSONSchema({
        type: "object",
        properties: policy.configSchema.properties as Record<string, z.core.JSONSchema.JSONSchema>,
        ...(policy.configSchema.required ? { required: [...policy.configSchema.required] } : {}),
      });
      const parsed = schema.safeParse(properties);
      if (parsed.success) properties = parsed.data as Record<string, unknown>;
      else for (const issue of parsed.error.issues) problems.push(`${[policy.name, ...issue.path.map(String)].join(".")}: ${issue.message}`);
      problems.push(...regexProblems(policy, properties));
    }
    result.set(policy.name, { enforcementLevel: levels.get(policy.name) ?? policy.enforcementLevel, properties });
  }
  if (problems.length > 0) {
    throw new InputError(
      `invalid policy config in ${source} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  ${source}: ${p}`).join("\n")}`,
    );
  }
  return result;
}

/** Settings whose schema says `format: "regex"` must compile, as the engine's JSON Schema validator requires (zod does not check formats). */
function regexProblems(policy: PolicyInfo, properties: Record<string, unknown>): string[] {
  return Object.entries(policy.configSchema?.properties ?? {}).flatMap(([key, schema]) => {
    const value = properties[key];
    if (!isObject(schema) || schema.format !== "regex" || typeof value !== "string") return [];
    try {
      new RegExp(value);
      return [];
    } catch (error) {
      return [`${policy.name}.${key}: ${JSON.stringify(value)} is not a regular expression (${(error as Error).message})`];
    }
  });
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------------
// Messages, as the engine builds them.

const enforcementLevelToProto: Record<EnforcementLevel, pb.EnforcementLevel> = {
  advisory: pb.EnforcementLevel.ADVISORY,
  mandatory: pb.EnforcementLevel.MANDATORY,
  remediate: pb.EnforcementLevel.REMEDIATE,
  disabled: pb.EnforcementLevel.DISABLED,
};

function enforcementLevelFromProto(level: pb.EnforcementLevel): EnforcementLevel {
  const found = enforcementLevels.find((l) => enforcementLevelToProto[l] === level);
  if (!found) throw new PolicyPackError(`policy pack answered with unknown enforcement level ${level}`);
  return found;
}

const severities: Record<number, Severity> = {
  [pb.PolicySeverity.POLICY_SEVERITY_LOW]: "low",
  [pb.PolicySeverity.POLICY_SEVERITY_MEDIUM]: "medium",
  [pb.PolicySeverity.POLICY_SEVERITY_HIGH]: "high",
  [pb.PolicySeverity.POLICY_SEVERITY_CRITICAL]: "critical",
};

function toPackInfo(info: pb.AnalyzerInfo): PolicyPackInfo {
  return {
    name: info.getName(),
    version: info.getVersion(),
    policies: info.getPoliciesList().map((p): PolicyInfo => {
      const schema = p.getConfigschema();
      const severity = severities[p.getSeverity()];
      return {
        name: p.getName(),
        description: p.getDescription(),
        enforcementLevel: enforcementLevelFromProto(p.getEnforcementlevel()),
        ...(severity ? { severity } : {}),
        ...(p.getRemediationSteps() ? { remediationSteps: p.getRemediationSteps() } : {}),
        ...(schema
          ? {
              configSchema: {
                properties: (schema.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown>,
                ...(schema.getRequiredList().length > 0 ? { required: schema.getRequiredList() } : {}),
              },
            }
          : {}),
      };
    }),
  };
}

function toViolations(response: pb.AnalyzeResponse, urn: string): Violation[] {
  return response.getDiagnosticsList().map((d) => ({
    policyName: d.getPolicyname(),
    enforcementLevel: enforcementLevelFromProto(d.getEnforcementlevel()),
    urn: d.getUrn() || urn,
    message: d.getMessage(),
    ...(d.getDescription() ? { description: d.getDescription() } : {}),
  }));
}

/** A resource encoded once for both requests about it, so the caller need not keep the resource. */
export function encodeResource(r: EngineResource): EncodedResource {
  return { urn: r.urn, analyzeRequest: encodeAnalyzeRequest(r), stackResource: encodeAnalyzerResource(r) };
}

/** The resources as the call graph reads them: the state AnalyzeStack sends, with property dependencies. */
export function toPlainResources(resources: readonly EngineResource[]): PlainResource[] {
  return resources.map((r) => ({
    urn: r.urn,
    type: r.type,
    name: r.name,
    props: toWire(stateOf(r)) as Record<string, unknown>,
    propertyDependencies: r.propertyDependencies,
    ...(r.provider ? { provider: providerDefaults(r.provider.properties) } : {}),
  }));
}
