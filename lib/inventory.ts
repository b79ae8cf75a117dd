// Reading Cloud Asset Inventory (CAI) exports of the live project: the one reader `npm run audit --
// --inventory` and `npm run adopt` share. It reads both dialects gcloud writes, merges resources with their
// IAM policies (they come in separate files), and gives
//
//   - `readInventory(files)`: every asset of the types read here, normalized into plain live facts
//     (services, functions, subscriptions, jobs, triggers, accounts, topics, the project's IAM policy);
//   - `inventoryResources(inventory)`: the same facts as the resources the policy pack reads (the Pulumi
//     types and property names policies/callgraph.ts reads), so the audit runs the one pack through the one
//     harness it runs over `pulumi stack export`.
//
// Formats (cited, not copied):
//   - The Asset message: name, asset_type / assetType, resource {version, discovery_document_uri,
//     discovery_name, parent, data, location}, iam_policy / iamPolicy {version, bindings[{role, members,
//     condition}], etag}, ancestors, update_time (https://cloud.google.com/asset-inventory/docs/reference/rest/v1/Asset).
//     `gcloud asset export --content-type=resource|iam-policy` writes one Asset a line with the proto field
//     names (snake_case), as in the export line in Checkmk/checkmk
//     tests/unit/cmk/base/plugins/agent_based/test_gcp_run.py; `gcloud asset list --content-type=…
//     --format=json` prints a JSON array of the same Assets with their JSON names (camelCase).
//   - `resource.data` is the resource as its own API returns it (camelCase, numbers may come as 1.0):
//     run.googleapis.com/Service in the Knative shape of the Cloud Run Admin API v1 (apiVersion
//     serving.knative.dev/v1: metadata.{name, namespace = project number, labels, annotations},
//     spec.template.{metadata.labels, spec.{serviceAccountName, containers[].{image, env[]}}}, status.{url,
//     address.url}; https://cloud.google.com/run/docs/reference/rest/v1/namespaces.services, and the line in
//     the Checkmk test above), or the v2 shape (name, labels, template.{labels, serviceAccount,
//     containers[].{image, env[]}}, uri, urls, invokerIamDisabled;
//     https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.services): both are read.
//   - cloudfunctions.googleapis.com/Function: the Cloud Functions v2 API's Function (environment GEN_1 |
//     GEN_2, buildConfig, serviceConfig.{service, uri, serviceAccountEmail, environmentVariables,
//     secretEnvironmentVariables}, eventTrigger.{trigger, triggerRegion, eventType, pubsubTopic,
//     serviceAccountEmail, retryPolicy}, url, labels; https://cloud.google.com/functions/docs/reference/rest/v2/projects.locations.functions).
//     cloudfunctions.googleapis.com/CloudFunction: the v1 API's CloudFunction (serviceAccountEmail,
//     environmentVariables, httpsTrigger.url, eventTrigger.{eventType, resource}, sourceArchiveUrl;
//     https://cloud.google.com/functions/docs/reference/rest/v1/projects.locations.functions; the export
//     line in Checkmk/checkmk tests/unit/cmk/base/plugins/agent_based/test_gcp_gcf.py). A gen2 function runs
//     on a Cloud Run service of its own (serviceConfig.service) labelled goog-managed-by: cloudfunctions, and
//     its invokers are that service's IAM policy (https://cloud.google.com/functions/docs/securing/authenticating).
//   - pubsub.googleapis.com/Subscription (name, topic, pushConfig.{pushEndpoint, oidcToken.{serviceAccountEmail,
//     audience}}, ackDeadlineSeconds, deadLetterPolicy; https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions)
//     and Topic (name, labels; …/projects.topics).
//   - cloudscheduler.googleapis.com/Job (name, schedule, timeZone, state, httpTarget.{uri, httpMethod, body,
//     headers, oidcToken, oauthToken}, pubsubTarget.{topicName, data}; https://cloud.google.com/scheduler/docs/reference/rest/v1/projects.locations.jobs).
//   - eventarc.googleapis.com/Trigger (name, eventFilters[{attribute, value, operator}], serviceAccount,
//     destination.{cloudRun.{service, path, region}, cloudFunction}, transport.pubsub.{topic, subscription},
//     labels; https://cloud.google.com/eventarc/docs/reference/rest/v1/projects.locations.triggers).
//   - iam.googleapis.com/ServiceAccount (name, projectId, uniqueId, email, displayName, description,
//     disabled; https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts).
//   - cloudresourcemanager.googleapis.com/Project: v1 (projectNumber, projectId) or v3 (name
//     projects/NUMBER, projectId) (https://cloud.google.com/resource-manager/reference/rest/v1/projects), whose
//     IAM policy is the project's.
// Every other asset type is skipped. A line that is not JSON, or not an Asset, is an InputError naming
// `file:line`, and nothing is judged until every file has been read.
import { InputError, readInputFile } from "./cli";
import { isObject, type EngineResource } from "./resources";

// ---------------------------------------------------------------------------------------------------
// The live facts.

/** One IAM binding: a role for members. Conditional bindings are kept with their condition's title. */
export interface Binding {
  readonly role: string;
  readonly members: readonly string[];
  readonly condition?: string;
}

/** An env var of a live revision: a plain value or a Secret Manager reference. */
export interface LiveEnv {
  readonly name: string;
  readonly value?: string;
  readonly secret?: { readonly secret: string; readonly version: string };
}

interface LiveBase {
  /** `file:line` of the asset, for messages. */
  readonly where: string;
  /** The full resource name, `//run.googleapis.com/projects/P/locations/L/services/S`. */
  readonly assetName: string;
  readonly assetType: string;
  /** The resource's short name. */
  readonly name: string;
  /** The project ID (a project number in the asset is mapped to its ID when the inventory says which). */
  readonly project: string;
}

export interface LiveService extends LiveBase {
  readonly location: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly templateLabels: Readonly<Record<string, string>>;
  /** The runtime account: as the API returns it, else the default compute account GCP runs it as. */
  readonly serviceAccount?: string;
  readonly containers: readonly { readonly image?: string; readonly env: readonly LiveEnv[] }[];
  readonly urls: readonly string[];
  readonly invokerIamDisabled: boolean;
  /** Built and owned by Cloud Functions (a gen2 function's service): label goog-managed-by=cloudfunctions. */
  readonly managedByFunctions: boolean;
  /** The Cloud Run IAM policy, when the inventory has it. */
  readonly iam?: readonly Binding[];
  readonly shape: "v1" | "v2";
}

export interface LiveFunction extends LiveBase {
  readonly generation: 1 | 2;
  readonly location: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly runtime?: string;
  readonly entryPoint?: string;
  readonly source?: { readonly bucket: string; readonly object: string };
  readonly serviceAccount?: string;
  readonly env: readonly LiveEnv[];
  readonly eventTrigger?: {
    /** `projects/P/locations/L/triggers/ID`: the Eventarc trigger Cloud Functions made for it (gen2). */
    readonly trigger?: string;
    readonly triggerRegion?: string;
    readonly eventType?: string;
    readonly pubsubTopic?: string;
    readonly serviceAccount?: string;
    readonly retryPolicy?: string;
  };
  readonly url?: string;
  /** Gen2: the Cloud Run service it runs on, `projects/P/locations/L/services/S`, and that service's URI. */
  readonly runService?: string;
  readonly runUri?: string;
  readonly availableMemory?: string;
  readonly timeoutSeconds?: number;
  /** The Cloud Functions IAM policy (gen1: its invokers; gen2: not what lets a caller in). */
  readonly iam?: readonly Binding[];
  /** Gen2: the IAM policy of its Cloud Run service, which is what lets a caller in. */
  readonly runIam?: readonly Binding[];
}

export interface LiveSubscription extends LiveBase {
  readonly topic?: string;
  readonly pushEndpoint?: string;
  readonly oidc?: { readonly serviceAccountEmail?: string; readonly audience?: string };
  readonly ackDeadlineSeconds?: number;
  readonly deadLetter?: { readonly topic?: string; readonly maxDeliveryAttempts?: number };
  readonly labels: Readonly<Record<string, string>>;
}

export interface LiveJob extends LiveBase {
  readonly location: string;
  readonly schedule?: string;
  readonly timeZone?: string;
  readonly paused: boolean;
  readonly http?: {
    readonly uri?: string;
    readonly method?: string;
    readonly body?: string;
    readonly headers?: Readonly<Record<string, string>>;
    readonly oidc?: { readonly serviceAccountEmail?: string; readonly audience?: string };
    readonly oauth?: { readonly serviceAccountEmail?: string; readonly scope?: string };
  };
  readonly pubsub?: { readonly topicName?: string; readonly data?: string };
}

export interface LiveTrigger extends LiveBase {
  readonly location: string;
  readonly eventFilters: readonly { readonly attribute: string; readonly value: string; readonly operator?: string }[];
  /** As the API returns it, else the default compute account Eventarc delivers as. */
  readonly serviceAccount?: string;
  readonly destination: { readonly run?: { readonly service?: string; readonly region?: string; readonly path?: string }; readonly cloudFunction?: string };
  readonly transport?: { readonly topic?: string; readonly subscription?: string };
  readonly labels: Readonly<Record<string, string>>;
  /** The gen2 function this trigger belongs to (its eventTrigger.trigger names it): judged as that function's trigger. */
  readonly ownedBy?: string;
}

export interface LiveAccount extends LiveBase {
  readonly email: string;
  readonly accountId: string;
  readonly displayName?: string;
  readonly description?: string;
  readonly disabled: boolean;
  readonly uniqueId?: string;
}

export interface LiveTopic extends LiveBase {
  readonly iam?: readonly Binding[];
}

export interface Inventory {
  readonly files: readonly string[];
  /** The project most assets belong to, and its number when the inventory says it. */
  readonly projectId: string;
  readonly projectNumber?: string;
  /** The project's own IAM policy (its bindings apply to every service and function in it). */
  readonly projectIam?: { readonly project: string; readonly bindings: readonly Binding[]; readonly where: string };
  readonly services: readonly LiveService[];
  readonly functions: readonly LiveFunction[];
  readonly subscriptions: readonly LiveSubscription[];
  readonly jobs: readonly LiveJob[];
  readonly triggers: readonly LiveTrigger[];
  readonly accounts: readonly LiveAccount[];
  readonly topics: readonly LiveTopic[];
  /** How many assets were read, of every type, and how many of those are of the types read here. */
  readonly assetCount: number;
  readonly readCount: number;
}

// ---------------------------------------------------------------------------------------------------
// Reading files: both dialects, each record with its file:line.

/** An Asset as read, before its type-specific data is looked at. */
export interface RawAsset {
  readonly name: string;
  readonly assetType: string;
  readonly data?: Record<string, unknown>;
  readonly location?: string;
  readonly ancestors: readonly string[];
  readonly iamPolicy?: readonly Binding[];
  readonly where: string;
}

export const assetTypes = {
  runService: "run.googleapis.com/Service",
  function: "cloudfunctions.googleapis.com/Function",
  cloudFunction: "cloudfunctions.googleapis.com/CloudFunction",
  subscription: "pubsub.googleapis.com/Subscription",
  topic: "pubsub.googleapis.com/Topic",
  job: "cloudscheduler.googleapis.com/Job",
  trigger: "eventarc.googleapis.com/Trigger",
  account: "iam.googleapis.com/ServiceAccount",
  project: "cloudresourcemanager.googleapis.com/Project",
} as const;
const readTypes: ReadonlySet<string> = new Set(Object.values(assetTypes));

/**
 * The Assets in one file's text: a JSON array (`gcloud asset list --format=json`) when its first character
 * is `[`, else one JSON object a line (`gcloud asset export`). Every Asset, of any type, must be well
 * formed; those of other types are then left out.
 */
export function parseInventoryText(text: string, file: string): { assets: RawAsset[]; total: number } {
  const records = isJsonArray(text) ? arrayRecords(text, file) : lineRecords(text, file);
  const assets: RawAsset[] = [];
  for (const { value, line } of records) {
    const asset = toRawAsset(value, `${file}:${line}`);
    if (readTypes.has(asset.assetType)) assets.push(asset);
  }
  return { assets, total: records.length };
}

/**
 * Whether the text is one JSON array (`gcloud asset list --format=json`) rather than one value a line:
 * it starts with `[`, and its first line is not a whole JSON value followed by more lines.
 */
function isJsonArray(text: string): boolean {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith("[")) return false;
  const newline = trimmed.indexOf("\n");
  if (newline < 0 || trimmed.slice(newline).trim() === "") return true;
  try {
    JSON.parse(trimmed.slice(0, newline));
    return false;
  } catch {
    return true;
  }
}

interface JsonRecord {
  readonly value: unknown;
  readonly line: number;
}

function lineRecords(text: string, file: string): JsonRecord[] {
  const records: JsonRecord[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    try {
      records.push({ value: JSON.parse(line), line: i + 1 });
    } catch (error) {
      throw new InputError(`${file}:${i + 1}: not JSON (${(error as Error).message}); expected one Cloud Asset Inventory asset a line, as \`gcloud asset export\` writes them`);
    }
  }
  return records;
}

/**
 * The elements of a top-level JSON array with the line each starts on. Text that is not JSON is named by
 * the line of its first mistake; otherwise the elements are cut at the array's own commas (outside strings
 * and nested values), each with the line it starts on.
 */
function arrayRecords(text: string, file: string): JsonRecord[] {
  try {
    JSON.parse(text);
  } catch (error) {
    const at = jsonErrorOffset(text);
    const line = text.slice(0, at < 0 ? text.length : at).split("\n").length;
    throw new InputError(`${file}:${line}: not JSON (${(error as Error).message.split("\n")[0]}); expected the output of \`gcloud asset list --format=json\``);
  }
  return splitArray(text, file);
}

/** Where JSON.parse would stop: the offset of the first syntax error in `text`, or -1 when there is none. */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw new RangeError(String(i));
  };
  const ws = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };
  const string = () => {
    i++;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i++;
        return;
      }
      if (c === "\\") i += 2;
      else if (c < " ") fail();
      else i++;
    }
    fail();
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === "{") {
          ws();
          if (text[i] !== '"') fail();
          string();
          ws();
          if (text[i] !== ":") fail();
          i++;
        }
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === close) {
          i++;
          return;
        } else fail();
      }
    }
    if (c === '"') return string();
    const literal = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 64));
    if (!literal) fail();
    i += literal?.[0].length ?? 0;
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return -1;
  } catch (error) {
    if (error instanceof RangeError && /^\d+$/.test(error.message)) return Number(error.message);
    throw error;
  }
}

function splitArray(text: string, file: string): JsonRecord[] {
  const records: JsonRecord[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let start = -1;
  let startLine = 0;
  let closed = false;
  const flush = (end: number, at: number) => {
    const slice = text.slice(start, end);
    if (slice.trim() === "") {
      if (records.length > 0 || at !== -1) throw new InputError(`${file}:${startLine}: an empty element in the JSON array; expected the output of \`gcloud asset list --format=json\``);
      return;
    }
    try {
      records.push({ value: JSON.parse(slice), line: startLine + leadingNewlines(slice) });
    } catch (error) {
      throw new InputError(`${file}:${startLine + leadingNewlines(slice)}: not JSON (${(error as Error).message}); expected the output of \`gcloud asset list --format=json\``);
    }
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n") line++;
    if (closed) {
      if (!/\s/.test(c)) throw new InputError(`${file}:${line}: text after the end of the JSON array`);
      continue;
    }
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
    } else if (c === "[" || c === "{") {
      if (depth === 0 && c === "[") {
        start = i + 1;
        startLine = line;
      }
      depth++;
    } else if (c === "]" || c === "}") {
      depth--;
      if (depth < 0) throw new InputError(`${file}:${line}: unbalanced ${c} in the JSON array`);
      if (depth === 0) {
        flush(i, records.length === 0 ? -1 : i);
        closed = true;
      }
    } else if (c === "," && depth === 1) {
      flush(i, i);
      start = i + 1;
      startLine = line;
    } else if (depth === 0 && !/\s/.test(c)) {
      throw new InputError(`${file}:${line}: expected a JSON array of assets (the output of \`gcloud asset list --format=json\`)`);
    }
  }
  if (!closed) throw new InputError(`${file}:${line}: the JSON array is not closed${inString ? " (a string is left open)" : ""}; the file is cut short`);
  return records;
}

function leadingNewlines(slice: string): number {
  const lead = /^\s*/.exec(slice)?.[0] ?? "";
  return lead.split("\n").length - 1;
}

/** The field under its proto name (export) or its JSON name (list), whichever the record uses. */
function field(o: Record<string, unknown>, snake: string, camel: string): unknown {
  return o[snake] !== undefined ? o[snake] : o[camel];
}

function toRawAsset(value: unknown, where: string): RawAsset {
  if (!isObject(value)) throw new InputError(`${where}: expected a Cloud Asset Inventory asset (a JSON object with name and asset_type)`);
  const name = value.name;
  const assetType = field(value, "asset_type", "assetType");
  if (typeof name !== "string" || !name.startsWith("//")) throw new InputError(`${where}: name: expected the asset's full resource name (//SERVICE/…), got ${describe(name)}`);
  if (typeof assetType !== "string" || !/^[a-z0-9.-]+\/[A-Za-z0-9]+$/.test(assetType)) {
    throw new InputError(`${where}: asset_type: expected an asset type such as run.googleapis.com/Service, got ${describe(assetType)}`);
  }
  const resource = value.resource;
  if (resource !== undefined && resource !== null && !isObject(resource)) throw new InputError(`${where}: resource: expected an object`);
  const data = isObject(resource) ? resource.data : undefined;
  if (data !== undefined && data !== null && !isObject(data)) throw new InputError(`${where}: resource.data: expected an object`);
  const location = isObject(resource) ? resource.location : undefined;
  if (location !== undefined && location !== null && typeof location !== "string") throw new InputError(`${where}: resource.location: expected a string`);
  const ancestors = value.ancestors ?? [];
  if (!Array.isArray(ancestors) || !ancestors.every((a) => typeof a === "string")) throw new InputError(`${where}: ancestors: expected a list of strings`);
  const policy = field(value, "iam_policy", "iamPolicy");
  let iamPolicy: Binding[] | undefined;
  if (policy !== undefined && policy !== null) {
    if (!isObject(policy)) throw new InputError(`${where}: iam_policy: expected an IAM policy object`);
    const bindings = policy.bindings ?? [];
    if (!Array.isArray(bindings)) throw new InputError(`${where}: iam_policy.bindings: expected a list`);
    iamPolicy = bindings.map((b, i) => toBinding(b, `${where}: iam_policy.bindings[${i}]`));
  }
  if (!isObject(data) && iamPolicy === undefined) {
    throw new InputError(`${where}: ${name} has neither resource.data nor iam_policy; export with --content-type=resource or --content-type=iam-policy`);
  }
  return {
    name,
    assetType,
    ...(isObject(data) ? { data } : {}),
    ...(typeof location === "string" && location !== "" ? { location } : {}),
    ancestors,
    ...(iamPolicy ? { iamPolicy } : {}),
    where,
  };
}

function toBinding(value: unknown, where: string): Binding {
  if (!isObject(value)) throw new InputError(`${where}: expected a binding {role, members}`);
  if (typeof value.role !== "string" || value.role === "") throw new InputError(`${where}.role: expected a role such as roles/run.invoker`);
  const members = value.members ?? [];
  if (!Array.isArray(members) || !members.every((m) => typeof m === "string")) throw new InputError(`${where}.members: expected a list of member strings`);
  const condition = value.condition;
  if (condition !== undefined && condition !== null && !isObject(condition)) throw new InputError(`${where}.condition: expected an object`);
  const title = isObject(condition) ? (typeof condition.title === "string" && condition.title !== "" ? condition.title : String(condition.expression ?? "a condition")) : undefined;
  return { role: value.role, members, ...(title === undefined ? {} : { condition: title }) };
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  return typeof value === "object" ? (Array.isArray(value) ? "a list" : "an object") : JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------------
// The inventory: every file read, resources merged with their IAM policies, then normalized.

/** Reads every file before anything is judged; the first problem is an InputError naming `file:line`. */
export function readInventory(files: readonly string[]): Inventory {
  if (files.length === 0) throw new InputError("--inventory FILE is required: a Cloud Asset Inventory export (gcloud asset export or gcloud asset list --format=json)");
  const raws: RawAsset[] = [];
  let total = 0;
  for (const file of files) {
    const parsed = parseInventoryText(readInputFile(file, "inventory file"), file);
    raws.push(...parsed.assets);
    total += parsed.total;
  }
  return buildInventory(raws, files, total);
}

/** An asset's resource record and IAM record, merged. */
interface Merged {
  name: string;
  assetType: string;
  data?: Record<string, unknown>;
  location?: string;
  ancestors: readonly string[];
  iamPolicy?: readonly Binding[];
  where: string;
}

export function buildInventory(raws: readonly RawAsset[], files: readonly string[], total = raws.length): Inventory {
  const merged = new Map<string, Merged>();
  for (const raw of raws) {
    const key = `${raw.assetType} ${raw.name}`;
    const found = merged.get(key);
    if (!found) {
      merged.set(key, { ...raw });
      continue;
    }
    if (raw.data && found.data) throw new InputError(`${raw.where}: ${raw.name} was already read at ${found.where}; pass each export once`);
    if (raw.iamPolicy && found.iamPolicy) throw new InputError(`${raw.where}: the IAM policy of ${raw.name} was already read at ${found.where}; pass each export once`);
    if (raw.data) {
      found.data = raw.data;
      found.where = raw.where;
      if (raw.location) found.location = raw.location;
    }
    if (raw.iamPolicy) found.iamPolicy = raw.iamPolicy;
    if (raw.ancestors.length > 0 && found.ancestors.length === 0) found.ancestors = raw.ancestors;
  }
  const assets = [...merged.values()];
  if (!assets.some((a) => a.data)) {
    throw new InputError(`${files.join(", ")}: no resources of the types the audit reads; export them with \`gcloud asset export --content-type=resource\` and pass that file too`);
  }
  if (!assets.some((a) => a.iamPolicy)) {
    throw new InputError(`${files.join(", ")}: no IAM policies; without them every call would look ungranted: export them with \`gcloud asset export --content-type=iam-policy\` and pass that file too`);
  }
  const projects = projectsOf(assets);
  return normalize(assets, projects, files, total);
}

/** Project numbers and IDs: from Project assets, and from assets whose name has the ID and whose ancestors the number. */
interface Projects {
  readonly idOf: ReadonlyMap<string, string>;
  readonly numberOf: ReadonlyMap<string, string>;
  readonly main: string;
}

function projectsOf(assets: readonly Merged[]): Projects {
  const idOf = new Map<string, string>();
  const numberOf = new Map<string, string>();
  const learn = (number: string | undefined, id: string | undefined) => {
    if (!number || !id || !/^\d+$/.test(number) || /^\d+$/.test(id)) return;
    idOf.set(number, id);
    numberOf.set(id, number);
  };
  const counts = new Map<string, number>();
  for (const a of assets) {
    if (a.assetType === assetTypes.project && a.data) {
      const number = typeof a.data.projectNumber === "string" || typeof a.data.projectNumber === "number" ? String(a.data.projectNumber) : /^projects\/(\d+)$/.exec(String(a.data.name))?.[1];
      learn(number, typeof a.data.projectId === "string" ? a.data.projectId : undefined);
    }
    const named = /\/projects\/([^/]+)/.exec(a.name)?.[1];
    learn(ancestorProject(a.ancestors), named);
    if (named) counts.set(named, (counts.get(named) ?? 0) + 1);
  }
  const ids = [...counts].map(([p, n]) => [idOf.get(p) ?? p, n] as const);
  const totals = new Map<string, number>();
  for (const [p, n] of ids) totals.set(p, (totals.get(p) ?? 0) + n);
  const main = [...totals].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? "unknown";
  return { idOf, numberOf, main };
}

function ancestorProject(ancestors: readonly string[]): string | undefined {
  return ancestors.map((a) => /^projects\/(\d+)$/.exec(a)?.[1]).find((n) => n !== undefined);
}

function normalize(assets: readonly Merged[], projects: Projects, files: readonly string[], total: number): Inventory {
  const services: LiveService[] = [];
  const functions: LiveFunction[] = [];
  const subscriptions: LiveSubscription[] = [];
  const jobs: LiveJob[] = [];
  const triggers: LiveTrigger[] = [];
  const accounts: LiveAccount[] = [];
  const topics: LiveTopic[] = [];
  let projectIam: Inventory["projectIam"];
  // IAM policies whose resource is not in the inventory (an IAM export without the resource export of that type).
  const runIamOnly = new Map<string, Merged>();
  const functionIamOnly = new Map<string, Merged>();

  for (const a of assets) {
    const r = new Reader(a, projects);
    switch (a.assetType) {
      case assetTypes.runService:
        if (a.data) services.push(runService(r));
        else runIamOnly.set(r.fullPath("services"), a);
        break;
      case assetTypes.function:
      case assetTypes.cloudFunction:
        if (a.data) functions.push(a.assetType === assetTypes.function ? functionV2(r) : functionV1(r));
        else functionIamOnly.set(r.fullPath("functions"), a);
        break;
      case assetTypes.subscription:
        if (a.data) subscriptions.push(subscription(r));
        break;
      case assetTypes.topic:
        topics.push({ ...r.base(), ...(a.iamPolicy ? { iam: a.iamPolicy } : {}) });
        break;
      case assetTypes.job:
        if (a.data) jobs.push(job(r));
        break;
      case assetTypes.trigger:
        if (a.data) triggers.push(trigger(r));
        break;
      case assetTypes.account:
        if (a.data) accounts.push(account(r));
        break;
      case assetTypes.project:
        if (a.iamPolicy) projectIam = { project: r.project, bindings: a.iamPolicy, where: a.where };
        break;
    }
  }

  // One function asset per function: the v2 API's, when both APIs' assets are present.
  const byPath = new Map<string, LiveFunction>();
  for (const f of functions) {
    const path = `projects/${f.project}/locations/${f.location}/functions/${f.name}`;
    const other = byPath.get(path);
    if (!other || (other.assetType === assetTypes.cloudFunction && f.assetType === assetTypes.function)) byPath.set(path, f);
  }
  const fns = [...byPath.values()].map((f) => {
    const iamOnly = functionIamOnly.get(`projects/${f.project}/locations/${f.location}/functions/${f.name}`);
    return iamOnly?.iamPolicy && !f.iam ? { ...f, iam: iamOnly.iamPolicy } : f;
  });

  // A gen2 function and the Cloud Run service it runs on are one workload: the service's IAM policy is the
  // function's invoker policy, and the service itself (its image is the platform's build) is not judged.
  const runByPath = new Map(services.map((s) => [`projects/${s.project}/locations/${s.location}/services/${s.name}`, s]));
  const owned = new Set<LiveService>();
  const withRun = fns.map((f) => {
    if (f.generation !== 2) return f;
    const path = f.runService ? normalizePath(f.runService, projects) : `projects/${f.project}/locations/${f.location}/services/${f.name}`;
    const service = runByPath.get(path);
    if (service) owned.add(service);
    const runIam = service?.iam ?? runIamOnly.get(path)?.iamPolicy;
    return { ...f, ...(runIam ? { runIam } : {}), ...(service && !f.runUri && service.urls[0] ? { runUri: service.urls[0] } : {}) };
  });
  // A platform-built service whose function the inventory lacks cannot be judged as the workload it is.
  const orphan = services.find((s) => s.managedByFunctions && !owned.has(s));
  if (orphan) {
    throw new InputError(
      `${orphan.where}: Cloud Run service ${orphan.name} is built by Cloud Functions (goog-managed-by: cloudfunctions) but its function is not in the inventory; ` +
        `export ${assetTypes.function} too, so the function is judged once, under its own name`,
    );
  }
  // Eventarc triggers Cloud Functions made for a gen2 function are that function's event trigger.
  const ownerOfTrigger = new Map<string, string>();
  for (const f of withRun) if (f.eventTrigger?.trigger) ownerOfTrigger.set(normalizePath(f.eventTrigger.trigger, projects), f.name);
  const ownedTriggers = triggers.map((t) => {
    const owner = ownerOfTrigger.get(`projects/${t.project}/locations/${t.location}/triggers/${t.name}`);
    return owner ? { ...t, ownedBy: owner } : t;
  });

  return {
    files,
    projectId: projects.main,
    ...(projects.numberOf.get(projects.main) ? { projectNumber: projects.numberOf.get(projects.main) } : {}),
    ...(projectIam ? { projectIam } : {}),
    services: services.map((s) => (owned.has(s) ? { ...s, managedByFunctions: true } : s)),
    functions: withRun,
    subscriptions,
    jobs,
    triggers: ownedTriggers,
    accounts,
    topics,
    assetCount: total,
    readCount: assets.length,
  };
}

/** `projects/NUMBER/…` → `projects/ID/…` when the inventory knows the ID. */
function normalizePath(path: string, projects: Projects): string {
  return path.replace(/^projects\/(\d+)\//, (whole, n: string) => (projects.idOf.has(n) ? `projects/${projects.idOf.get(n)}/` : whole));
}

/** Typed reads of one asset's data, each naming `file:line` and the field when it has the wrong type. */
class Reader {
  readonly project: string;
  readonly projectNumber?: string;
  private readonly segments: Record<string, string>;

  constructor(
    readonly asset: Merged,
    private readonly projects: Projects,
  ) {
    // //SERVICE/projects/P/locations/L/services/S → { projects: P, locations: L, services: S }
    const parts = asset.name.replace(/^\/\/[^/]+\//, "").split("/");
    const segments: Record<string, string> = {};
    for (let i = 0; i + 1 < parts.length; i += 2) segments[parts[i]] = decodeURIComponent(parts[i + 1]);
    this.segments = segments;
    const named = segments.projects ?? "";
    this.project = projects.idOf.get(named) ?? named;
    this.projectNumber = ancestorProject(asset.ancestors) ?? (/^\d+$/.test(named) ? named : projects.numberOf.get(this.project));
  }

  get data(): Record<string, unknown> {
    return this.asset.data ?? {};
  }

  /** The segment after `collection` in the asset's name. */
  segment(collection: string): string | undefined {
    return this.segments[collection];
  }

  fullPath(collection: string): string {
    const location = this.segments.locations;
    return `projects/${this.project}/${location ? `locations/${location}/` : ""}${collection}/${this.segments[collection] ?? ""}`;
  }

  base(): LiveBase {
    const last = this.asset.name.slice(this.asset.name.lastIndexOf("/") + 1);
    return { where: this.asset.where, assetName: this.asset.name, assetType: this.asset.assetType, name: decodeURIComponent(last), project: this.project };
  }

  fail(path: string, expected: string): never {
    throw new InputError(`${this.asset.where}: ${this.asset.name}: resource.data.${path}: expected ${expected}`);
  }

  at(path: string, from: unknown = this.data): unknown {
    let value = from;
    for (const key of path.split(".")) {
      if (!isObject(value)) return undefined;
      value = value[key];
    }
    return value;
  }

  str(path: string, from?: unknown): string | undefined {
    const value = this.at(path, from);
    if (value === undefined || value === null || value === "") return undefined;
    if (typeof value !== "string") this.fail(path, "a string");
    return value;
  }

  num(path: string, from?: unknown): number | undefined {
    const value = this.at(path, from);
    if (value === undefined || value === null) return undefined;
    const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
    if (typeof n !== "number" || !Number.isFinite(n)) this.fail(path, "a number");
    return n;
  }

  bool(path: string, from?: unknown): boolean {
    const value = this.at(path, from);
    if (value === undefined || value === null) return false;
    if (typeof value !== "boolean") this.fail(path, "true or false");
    return value;
  }

  obj(path: string, from?: unknown): Record<string, unknown> | undefined {
    const value = this.at(path, from);
    if (value === undefined || value === null) return undefined;
    if (!isObject(value)) this.fail(path, "an object");
    return value;
  }

  list(path: string, from?: unknown): unknown[] {
    const value = this.at(path, from);
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) this.fail(path, "a list");
    return value;
  }

  strings(path: string, from?: unknown): Record<string, string> {
    const value = this.obj(path, from) ?? {};
    for (const [k, v] of Object.entries(value)) if (typeof v !== "string") this.fail(`${path}.${k}`, "a string");
    return value as Record<string, string>;
  }

  /** The project's default compute account, which GCP runs a workload (and delivers events) as when none is set. */
  defaultCompute(): string | undefined {
    return this.projectNumber ? `${this.projectNumber}-compute@developer.gserviceaccount.com` : undefined;
  }

  /** A short name from a full one (`projects/P/…/services/S` → S). */
  short(value: string | undefined): string | undefined {
    return value === undefined ? undefined : value.slice(value.lastIndexOf("/") + 1);
  }

  normalize(path: string | undefined): string | undefined {
    return path === undefined ? undefined : normalizePath(path, this.projects);
  }
}

/** Labels Cloud Run v1 adds for itself (cloud.googleapis.com/location…), which v2 does not show as labels. */
function userLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([k]) => !k.startsWith("cloud.googleapis.com/") && !k.startsWith("serving.knative.dev/") && !k.startsWith("run.googleapis.com/")));
}

function runService(r: Reader): LiveService {
  const base = r.base();
  const knative = r.data.apiVersion !== undefined || r.data.spec !== undefined || r.data.metadata !== undefined;
  if (knative) {
    // Cloud Run Admin API v1 (Knative): metadata, spec.template, status.
    const labels = r.strings("metadata.labels");
    const annotations = r.strings("metadata.annotations");
    const spec = r.obj("spec.template.spec") ?? {};
    const urls = [r.str("status.url"), r.str("status.address.url"), ...annotationUrls(annotations["run.googleapis.com/urls"])].filter((u): u is string => u !== undefined);
    return {
      ...base,
      name: r.str("metadata.name") ?? base.name,
      location: r.asset.location ?? r.segment("locations") ?? labels["cloud.googleapis.com/location"] ?? "",
      labels: userLabels(labels),
      templateLabels: userLabels(r.strings("spec.template.metadata.labels")),
      ...optional("serviceAccount", r.str("serviceAccountName", spec) ?? r.defaultCompute()),
      containers: r.list("containers", spec).map((c, i) => ({
        ...optional("image", r.str("image", c)),
        env: r.list("env", c).map((e, j) => {
          const name = r.str("name", e) ?? r.fail(`spec.template.spec.containers[${i}].env[${j}].name`, "a string");
          const ref = r.obj("valueFrom.secretKeyRef", e);
          if (ref) return { name, secret: { secret: r.short(r.str("name", ref)) ?? "", version: r.str("key", ref) ?? "latest" } };
          return { name, ...optional("value", r.str("value", e)) };
        }),
      })),
      urls: [...new Set(urls)],
      invokerIamDisabled: annotations["run.googleapis.com/invoker-iam-disabled"] === "true",
      managedByFunctions: labels["goog-managed-by"] === "cloudfunctions",
      ...(r.asset.iamPolicy ? { iam: r.asset.iamPolicy } : {}),
      shape: "v1",
    };
  }
  const labels = r.strings("labels");
  return {
    ...base,
    name: r.short(r.str("name")) ?? base.name,
    location: r.asset.location ?? r.segment("locations") ?? "",
    labels,
    templateLabels: r.strings("template.labels"),
    ...optional("serviceAccount", r.str("template.serviceAccount") ?? r.defaultCompute()),
    containers: r.list("template.containers").map((c, i) => ({
      ...optional("image", r.str("image", c)),
      env: r.list("env", c).map((e, j) => {
        const name = r.str("name", e) ?? r.fail(`template.containers[${i}].env[${j}].name`, "a string");
        const ref = r.obj("valueSource.secretKeyRef", e);
        if (ref) return { name, secret: { secret: r.short(r.str("secret", ref)) ?? "", version: r.str("version", ref) ?? "latest" } };
        return { name, ...optional("value", r.str("value", e)) };
      }),
    })),
    urls: [...new Set([r.str("uri"), ...r.list("urls").filter((u): u is string => typeof u === "string")].filter((u): u is string => u !== undefined))],
    invokerIamDisabled: r.bool("invokerIamDisabled"),
    managedByFunctions: labels["goog-managed-by"] === "cloudfunctions",
    ...(r.asset.iamPolicy ? { iam: r.asset.iamPolicy } : {}),
    shape: "v2",
  };
}

function annotationUrls(value: string | undefined): string[] {
  if (value === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.filter((u): u is string => typeof u === "string") : [];
  } catch {
    return [];
  }
}

function functionV2(r: Reader): LiveFunction {
  const base = r.base();
  const generation = r.str("environment") === "GEN_1" ? 1 : 2;
  const sc = r.obj("serviceConfig") ?? {};
  const et = r.obj("eventTrigger");
  const storage = r.obj("buildConfig.source.storageSource");
  const secretEnv = r.list("secretEnvironmentVariables", sc).map((s) => ({
    name: r.str("key", s) ?? "",
    secret: { secret: r.short(r.str("secret", s)) ?? "", version: r.str("version", s) ?? "latest" },
  }));
  return {
    ...base,
    name: r.short(r.str("name")) ?? base.name,
    generation,
    location: r.asset.location ?? r.segment("locations") ?? "",
    labels: r.strings("labels"),
    ...optional("runtime", r.str("buildConfig.runtime")),
    ...optional("entryPoint", r.str("buildConfig.entryPoint")),
    ...(storage ? { source: { bucket: r.str("bucket", storage) ?? "", object: r.str("object", storage) ?? "" } } : {}),
    ...optional("serviceAccount", r.str("serviceAccountEmail", sc) ?? r.defaultCompute()),
    env: [...Object.entries(r.strings("environmentVariables", sc)).map(([name, value]) => ({ name, value })), ...secretEnv],
    ...(et
      ? {
          eventTrigger: {
            ...optional("trigger", r.normalize(r.str("trigger", et))),
            ...optional("triggerRegion", r.str("triggerRegion", et)),
            ...optional("eventType", r.str("eventType", et)),
            ...optional("pubsubTopic", r.str("pubsubTopic", et)),
            // Unset: the default compute account (the v2 API's eventTrigger.serviceAccountEmail).
            ...optional("serviceAccount", r.str("serviceAccountEmail", et) ?? r.defaultCompute()),
            ...optional("retryPolicy", r.str("retryPolicy", et)),
          },
        }
      : {}),
    ...optional("url", r.str("url")),
    ...optional("runService", r.normalize(r.str("service", sc))),
    ...optional("runUri", r.str("uri", sc)),
    ...optional("availableMemory", r.str("availableMemory", sc)),
    ...optional("timeoutSeconds", r.num("timeoutSeconds", sc)),
    ...(r.asset.iamPolicy ? { iam: r.asset.iamPolicy } : {}),
  };
}

function functionV1(r: Reader): LiveFunction {
  const base = r.base();
  const et = r.obj("eventTrigger");
  const archive = /^gs:\/\/([^/]+)\/(.+)$/.exec(r.str("sourceArchiveUrl") ?? "");
  const secretEnv = r.list("secretEnvironmentVariables").map((s) => ({
    name: r.str("key", s) ?? "",
    secret: { secret: r.short(r.str("secret", s)) ?? "", version: r.str("version", s) ?? "latest" },
  }));
  return {
    ...base,
    name: r.short(r.str("name")) ?? base.name,
    // The v1 API lists 2nd-gen functions too, with environment GEN_2; without it a function is 1st gen.
    generation: r.str("environment") === "GEN_2" ? 2 : 1,
    location: r.asset.location ?? r.segment("locations") ?? "",
    labels: r.strings("labels"),
    ...optional("runtime", r.str("runtime")),
    ...optional("entryPoint", r.str("entryPoint")),
    ...(archive ? { source: { bucket: archive[1], object: archive[2] } } : {}),
    // Unset: a 1st-gen function runs as the App Engine default account (PROJECT_ID@appspot.gserviceaccount.com).
    ...optional("serviceAccount", r.str("serviceAccountEmail") ?? (r.project ? `${r.project}@appspot.gserviceaccount.com` : undefined)),
    env: [...Object.entries(r.strings("environmentVariables")).map(([name, value]) => ({ name, value })), ...secretEnv],
    ...(et ? { eventTrigger: { ...optional("eventType", r.str("eventType", et)), ...optional("pubsubTopic", r.str("resource", et)) } } : {}),
    ...optional("url", r.str("httpsTrigger.url")),
    ...optional("availableMemory", r.num("availableMemoryMb") === undefined ? undefined : `${r.num("availableMemoryMb")}M`),
    ...(r.asset.iamPolicy ? { iam: r.asset.iamPolicy } : {}),
  };
}

function subscription(r: Reader): LiveSubscription {
  const base = r.base();
  const push = r.obj("pushConfig");
  const oidc = push ? r.obj("oidcToken", push) : undefined;
  const dl = r.obj("deadLetterPolicy");
  return {
    ...base,
    name: r.short(r.str("name")) ?? base.name,
    ...optional("topic", r.normalize(r.str("topic"))),
    ...optional("pushEndpoint", push ? r.str("pushEndpoint", push) : undefined),
    ...(oidc ? { oidc: { ...optional("serviceAccountEmail", r.str("serviceAccountEmail", oidc)), ...optional("audience", r.str("audience", oidc)) } } : {}),
    ...optional("ackDeadlineSeconds", r.num("ackDeadlineSeconds")),
    ...(dl ? { deadLetter: { ...optional("topic", r.normalize(r.str("deadLetterTopic", dl))), ...optional("maxDeliveryAttempts", r.num("maxDeliveryAttempts", dl)) } } : {}),
    labels: r.strings("labels"),
  };
}

function job(r: Reader): LiveJob {
  const base = r.base();
  const http = r.obj("httpTarget");
  const pubsub = r.obj("pubsubTarget");
  const token = (key: string, field: string) => {
    const t = http ? r.obj(key, http) : undefined;
    return t ? { ...optional("serviceAccountEmail", r.str("serviceAccountEmail", t)), ...optional(field, r.str(field, t)) } : undefined;
  };
  const oidc = token("oidcToken", "audience");
  const oauth = token("oauthToken", "scope");
  return {
    ...base,
    name: r.short(r.str("name")) ?? base.name,
    location: r.asset.location ?? r.segment("locations") ?? "",
    ...optional("schedule", r.str("schedule")),
    ...optional("timeZone", r.str("timeZone")),
    paused: r.str("state") === "PAUSED",
    ...(http
      ? {
          http: {
            ...optional("uri", r.str("uri", http)),
            ...optional("method", r.str("httpMethod", http)),
            ...optional("body", r.str("body", http)),
            ...(r.obj("headers", http) ? { headers: r.strings("headers", http) } : {}),
            ...(oidc ? { oidc } : {}),
            ...(oauth ? { oauth } : {}),
          },
        }
      : {}),
    ...(pubsub ? { pubsub: { ...optional("topicName", r.normalize(r.str("topicName", pubsub))), ...optional("data", r.str("data", pubsub)) } } : {}),
  };
}

function trigger(r: Reader): LiveTrigger {
  const base = r.base();
  const run = r.obj("destination.cloudRun");
  const pubsub = r.obj("transport.pubsub");
  return {
    ...base,
    name: r.short(r.str("name")) ?? base.name,
    location: r.asset.location ?? r.segment("locations") ?? "",
    eventFilters: r.list("eventFilters").map((f) => ({ attribute: r.str("attribute", f) ?? "", value: r.str("value", f) ?? "", ...optional("operator", r.str("operator", f)) })),
    // Unset: Eventarc delivers to Cloud Run as the default compute account.
    ...optional("serviceAccount", r.str("serviceAccount") ?? r.defaultCompute()),
    destination: {
      ...(run ? { run: { ...optional("service", r.str("service", run)), ...optional("region", r.str("region", run)), ...optional("path", r.str("path", run)) } } : {}),
      ...optional("cloudFunction", r.normalize(r.str("destination.cloudFunction"))),
    },
    ...(pubsub ? { transport: { ...optional("topic", r.normalize(r.str("topic", pubsub))), ...optional("subscription", r.normalize(r.str("subscription", pubsub))) } } : {}),
    labels: r.strings("labels"),
  };
}

function account(r: Reader): LiveAccount {
  const base = r.base();
  const email = (r.str("email") ?? base.name).toLowerCase();
  return {
    ...base,
    name: email,
    project: r.str("projectId") ?? base.project,
    email,
    accountId: email.slice(0, email.indexOf("@")),
    ...optional("displayName", r.str("displayName")),
    ...optional("description", r.str("description")),
    disabled: r.bool("disabled"),
    ...optional("uniqueId", r.str("uniqueId")),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

// ---------------------------------------------------------------------------------------------------
// The live facts as the resources the policy pack reads.

/** The Pulumi types the inventory becomes: those policies/callgraph.ts and the resource policies read. */
export const packTypes = {
  service: "gcp:cloudrunv2/service:Service",
  function: "gcp:cloudfunctionsv2/function:Function",
  functionGen1: "gcp:cloudfunctions/function:Function",
  serviceIamPolicy: "gcp:cloudrunv2/serviceIamPolicy:ServiceIamPolicy",
  functionIamPolicy: "gcp:cloudfunctionsv2/functionIamPolicy:FunctionIamPolicy",
  functionGen1IamPolicy: "gcp:cloudfunctions/functionIamPolicy:FunctionIamPolicy",
  projectIamPolicy: "gcp:projects/iAMPolicy:IAMPolicy",
  subscription: "gcp:pubsub/subscription:Subscription",
  job: "gcp:cloudscheduler/job:Job",
  trigger: "gcp:eventarc/trigger:Trigger",
  account: "gcp:serviceaccount/account:Account",
} as const;

/** The Pulumi project and stack the inventory's resources are named under: the GCP project, `live`. */
export const inventoryStack = "live";

/**
 * The inventory as the resources the pack reads, with the properties it reads (policies/callgraph.ts and
 * the resource policies; nothing else, so a large export costs no more to send than it must), one per live
 * thing judged: a gen2 function once (its
 * Cloud Run service folded into it, that service's IAM policy as the function's invokers), Eventarc triggers
 * and their push subscriptions that belong to a function or trigger left out (they are the function's event
 * trigger, or the trigger's own delivery), every value known (as after `up`).
 */
export function inventoryResources(inventory: Inventory): EngineResource[] {
  const out: EngineResource[] = [];
  const names = new Map<string, Set<string>>();
  const add = (type: string, base: string, place: string, props: Record<string, unknown>) => {
    const taken = names.get(type) ?? new Set<string>();
    names.set(type, taken);
    // Names are unique per type; the same name in another location or project says where.
    let name = base;
    if (taken.has(name)) name = `${base}@${place}`;
    for (let i = 2; taken.has(name); i++) name = `${base}@${place}#${i}`;
    taken.add(name);
    out.push({
      urn: `urn:pulumi:${inventoryStack}::${inventory.projectId}::${type}::${name}`,
      type,
      name,
      custom: true,
      inputs: props,
      outputs: props,
      dependencies: [],
      propertyDependencies: {},
    });
  };
  const policyData = (bindings: readonly Binding[]) =>
    // IAM Conditions are evaluated per request; the pack cannot evaluate them, so a conditional grant is not
    // counted (fail closed, as the call graph does with anything it cannot know).
    JSON.stringify({ bindings: bindings.filter((b) => b.condition === undefined).map((b) => ({ role: b.role, members: [...b.members] })) });

  for (const s of inventory.services) {
    if (s.managedByFunctions) continue;
    add(packTypes.service, s.name, s.location, {
      name: s.name,
      location: s.location,
      project: s.project,
      labels: { ...s.labels },
      ...(s.urls[0] ? { uri: s.urls[0], urls: [...s.urls] } : {}),
      ...(s.invokerIamDisabled ? { invokerIamDisabled: true } : {}),
      template: {
        labels: { ...s.templateLabels },
        ...optional("serviceAccount", s.serviceAccount),
        containers: s.containers.map((c) => ({ ...optional("image", c.image), envs: c.env.map(runEnv) })),
      },
    });
    if (s.iam) add(packTypes.serviceIamPolicy, s.name, s.location, { name: s.name, location: s.location, project: s.project, policyData: policyData(s.iam) });
  }
  for (const f of inventory.functions) {
    if (f.generation === 2) {
      add(packTypes.function, f.name, f.location, {
        name: f.name,
        location: f.location,
        project: f.project,
        labels: { ...f.labels },
        ...optional("url", f.url),
        ...(f.source ? { buildConfig: { source: { storageSource: { bucket: f.source.bucket, object: f.source.object } } } } : {}),
        serviceConfig: {
          ...optional("uri", f.runUri),
          ...optional("serviceAccountEmail", f.serviceAccount),
          environmentVariables: Object.fromEntries(f.env.filter((e) => e.secret === undefined).map((e) => [e.name, e.value ?? ""])),
        },
        ...(f.eventTrigger ? { eventTrigger: { ...optional("pubsubTopic", f.eventTrigger.pubsubTopic), ...optional("serviceAccountEmail", f.eventTrigger.serviceAccount) } } : {}),
      });
      // Who may invoke it: its Cloud Run service's IAM policy, judged under the function's name.
      if (f.runIam) add(packTypes.serviceIamPolicy, f.name, f.location, { name: f.name, location: f.location, project: f.project, policyData: policyData(f.runIam) });
      // Cloud Functions IAM on a gen2 function lets no caller in; the pack reads it to say so in a fix.
      if (f.iam) add(packTypes.functionIamPolicy, f.name, f.location, { cloudFunction: f.name, location: f.location, project: f.project, policyData: policyData(f.iam) });
    } else {
      // A 1st-gen function is not a Cloud Run service: the pack reads it as the provider describes it,
      // and the call graph (Cloud Run and gen2 calls) does not judge calls to or from it.
      add(packTypes.functionGen1, f.name, f.location, {
        name: f.name,
        region: f.location,
        project: f.project,
        labels: { ...f.labels },
        ...optional("serviceAccountEmail", f.serviceAccount),
        ...optional("httpsTriggerUrl", f.url),
        ...(f.source ? { sourceArchiveBucket: f.source.bucket, sourceArchiveObject: f.source.object } : {}),
      });
      if (f.iam) add(packTypes.functionGen1IamPolicy, f.name, f.location, { cloudFunction: f.name, region: f.location, project: f.project, policyData: policyData(f.iam) });
    }
  }
  // An Eventarc trigger delivers through a push subscription of its own, made and named by Eventarc: it is
  // the trigger's call (or its function's), not a second one.
  const triggerSubscriptions = new Set(inventory.triggers.flatMap((t) => (t.transport?.subscription ? [t.transport.subscription] : [])));
  for (const s of inventory.subscriptions) {
    if (triggerSubscriptions.has(`projects/${s.project}/subscriptions/${s.name}`)) continue;
    add(packTypes.subscription, s.name, s.project, {
      name: s.name,
      project: s.project,
      ...optional("topic", s.topic),
      ...(s.pushEndpoint ? { pushConfig: { pushEndpoint: s.pushEndpoint, ...(s.oidc ? { oidcToken: { ...s.oidc } } : {}) } } : {}),
    });
  }
  for (const j of inventory.jobs) {
    add(packTypes.job, j.name, j.location, {
      name: j.name,
      region: j.location,
      project: j.project,
      ...(j.http
        ? {
            httpTarget: {
              ...optional("uri", j.http.uri),
              ...(j.http.oidc ? { oidcToken: { ...j.http.oidc } } : {}),
              ...(j.http.oauth ? { oauthToken: { ...j.http.oauth } } : {}),
            },
          }
        : {}),
      ...(j.pubsub ? { pubsubTarget: { ...optional("topicName", j.pubsub.topicName), ...optional("data", j.pubsub.data) } } : {}),
    });
  }
  for (const t of inventory.triggers) {
    if (t.ownedBy) continue;
    add(packTypes.trigger, t.name, t.location, {
      name: t.name,
      location: t.location,
      project: t.project,
      ...optional("serviceAccount", t.serviceAccount),
      destination: {
        ...(t.destination.run ? { cloudRunService: { ...t.destination.run } } : {}),
        ...optional("cloudFunction", t.destination.cloudFunction),
      },
    });
  }
  for (const a of inventory.accounts) {
    add(packTypes.account, a.accountId, a.project, {
      accountId: a.accountId,
      project: a.project,
      email: a.email,
    });
  }
  if (inventory.projectIam) {
    add(packTypes.projectIamPolicy, inventory.projectIam.project, inventory.projectIam.project, { project: inventory.projectIam.project, policyData: policyData(inventory.projectIam.bindings) });
  }
  return out;
}

function runEnv(e: LiveEnv): Record<string, unknown> {
  if (e.secret) return { name: e.name, valueSource: { secretKeyRef: { secret: e.secret.secret, version: e.secret.version } } };
  return { name: e.name, ...optional("value", e.value) };
}
