// Bringing the live project under the stack: which resources the program declares already exist live (by
// the provider's ID), the `pulumi import --file` document that puts them into state under exactly the URNs
// the program registers, what stays unmanaged, and what the first `pulumi up` then changes on each adopted
// resource. Pure: tools/adopt.ts reads the inventory and captures the program, this decides.
//
// IDs are written in the formats @pulumi/gcp documents in the `## Import` section of each resource's .d.ts
// (read from the installed package, so a provider upgrade that changes them is followed, not copied): the
// first (fullest) format whose every placeholder the resource fills. IAM members use the documented
// space-delimited form `RESOURCE ROLE MEMBER`. A type whose .d.ts documents no format is never imported.
//
// The import file (https://www.pulumi.com/docs/iac/cli/commands/pulumi_import/, and pkg/cmd/pulumi/
// operations/import.go in pulumi/pulumi, parseImportFile): `resources[]` of {type, name, id, parent,
// version, logicalName, component}; `name` keys an entry within the file and `logicalName` (default: name)
// is the resource's name in its URN; `parent` names another entry (or a nameTable entry), and the URN is
// urn:pulumi:STACK::PROJECT::PARENT_QUALIFIED_TYPE$TYPE::LOGICAL_NAME. Components the imported resources
// sit in are entries with `component: true` and no id, which the engine creates empty.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { commitOf } from "../policies/labels";
import type { Topology } from "../topology";
import { assetTypes, type Binding, type Inventory, type LiveEnv, type LiveFunction, type LiveService } from "./inventory";
import type { EngineResource } from "./resources";
import { looksLikeSecret } from "./secrets";

// ---------------------------------------------------------------------------------------------------
// Documented import formats.

export interface ImportFormat {
  readonly type: string;
  /** The .d.ts the formats were read from. */
  readonly file: string;
  /** The accepted ID forms, fullest first: `projects/{{project}}/topics/{{name}}`, … (for IAM types: the resource's forms). */
  readonly forms: readonly string[];
  /** An IAM member: the ID is the resource, the role and the member, space-delimited. */
  readonly iamMember: boolean;
}

const gcpDir = dirname(require.resolve("@pulumi/gcp/package.json"));
const formatCache = new Map<string, ImportFormat | undefined>();

/** The installed @pulumi/gcp's version: imported resources use that provider, as the program's do. */
export function gcpVersion(): string {
  return (JSON.parse(readFileSync(join(gcpDir, "package.json"), "utf8")) as { version: string }).version;
}

/** The .d.ts of a resource type token (`gcp:cloudrunv2/service:Service` → cloudrunv2/service.d.ts). */
export function declarationFileOf(type: string): string | undefined {
  const m = /^gcp:([^/]+)\/([^:]+):[A-Za-z0-9]+$/.exec(type);
  if (!m) return undefined;
  const dir = join(gcpDir, m[1]);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return undefined;
  }
  const file = entries.find((f) => f.toLowerCase() === `${m[2].toLowerCase()}.d.ts`);
  return file ? join(dir, file) : undefined;
}

/** The import formats the type's .d.ts documents, or undefined when it documents none. */
export function documentedImportFormat(type: string): ImportFormat | undefined {
  if (formatCache.has(type)) return formatCache.get(type);
  const file = declarationFileOf(type);
  let format: ImportFormat | undefined;
  if (file) {
    const text = readFileSync(file, "utf8");
    const at = text.indexOf("## Import");
    const section = at < 0 ? "" : text.slice(at, text.indexOf("*/", at));
    // Bullet items: ` * * \`projects/{{project}}/topics/{{name}}\`` (resources) or ` * * projects/{{project}}/…` (IAM).
    const forms = [...section.matchAll(/^\s*\*\s+\*\s+`?([^`\s]+)`?\s*$/gm)].map((m) => m[1]).filter((f) => f.includes("{{"));
    const iamMember = /IAM member imports use space-delimited identifiers: the resource in question, the role, and the member identity/.test(section);
    if (forms.length > 0) format = { type, file, forms, iamMember };
  }
  formatCache.set(type, format);
  return format;
}

/** The ID in the first documented form whose placeholders `values` fill; undefined when none is filled or none is documented. */
export function importIdFor(type: string, values: Readonly<Record<string, string | undefined>>, iam?: { role: string; member: string }): string | undefined {
  const format = documentedImportFormat(type);
  if (!format) return undefined;
  for (const form of format.forms) {
    let complete = true;
    const id = form.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
      const value = values[key];
      if (value === undefined || value === "") complete = false;
      return value ?? "";
    });
    if (!complete) continue;
    if (format.iamMember) return iam ? `${id} ${iam.role} ${iam.member}` : undefined;
    return id;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// The plan.

export interface ImportEntry {
  readonly type: string;
  readonly name: string;
  readonly id?: string;
  readonly parent?: string;
  readonly version?: string;
  readonly logicalName?: string;
  readonly component?: boolean;
}

export interface ImportFile {
  readonly nameTable: Record<string, string>;
  readonly resources: readonly ImportEntry[];
}

export interface Adopted {
  readonly urn: string;
  readonly type: string;
  readonly id: string;
}

export interface ToCreate {
  readonly urn: string;
  readonly type: string;
  /** Why creating it will not simply work, or what else to know. */
  readonly note?: string;
}

export interface Unmanaged {
  readonly assetType: string;
  readonly name: string;
  /** The workload of pipeline.ts this is under another name. */
  readonly alternativeOf?: string;
  readonly note: string;
}

export interface Change {
  readonly urn: string;
  readonly field: string;
  readonly live: string | null;
  readonly declared: string | null;
}

export interface AdoptionPlan {
  readonly adopt: readonly Adopted[];
  readonly create: readonly ToCreate[];
  readonly unmanaged: readonly Unmanaged[];
  readonly changes: readonly Change[];
  readonly importFile: ImportFile;
  /** What must be done before `pulumi up` will work, each with what to do; none: adoption can go ahead. */
  readonly blockers: readonly string[];
}

export interface PlanOptions {
  /** The program's resources for the stack, as captured in update mode (every value known). */
  readonly resources: readonly EngineResource[];
  readonly inventory: Inventory;
  readonly topology: Topology;
  /** The stack's `nba-pipeline:adoptedFunctions`. */
  readonly adoptedFunctions: readonly string[];
  readonly stackFile: string;
  /** @pulumi/gcp's version, written on every imported resource; defaults to the installed one. */
  readonly version?: string;
}

const rootStackType = "pulumi:pulumi:Stack";
const invokerRole = "roles/run.invoker";

export const types = {
  topic: "gcp:pubsub/topic:Topic",
  service: "gcp:cloudrunv2/service:Service",
  function: "gcp:cloudfunctionsv2/function:Function",
  subscription: "gcp:pubsub/subscription:Subscription",
  job: "gcp:cloudscheduler/job:Job",
  trigger: "gcp:eventarc/trigger:Trigger",
  account: "gcp:serviceaccount/account:Account",
  runInvoker: "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
  topicMember: "gcp:pubsub/topicIAMMember:TopicIAMMember",
} as const;

/** What a live thing is, by the declared type it would be and the ID it would have. */
interface LiveThing {
  readonly type: string;
  readonly id: string;
  readonly assetType: string;
  readonly name: string;
  readonly service?: LiveService;
  readonly fn?: LiveFunction;
}

const short = (value: unknown) => (typeof value === "string" ? value.slice(value.lastIndexOf("/") + 1) : undefined);
const str = (value: unknown) => (typeof value === "string" ? value : undefined);

/** The placeholders of a declared resource's import ID, from its inputs. */
function declaredValues(r: EngineResource): Record<string, string | undefined> {
  const i = r.inputs;
  const name = r.type === types.topicMember ? short(i.topic) : str(i.name);
  return { project: str(i.project), location: str(i.location), region: str(i.region), name, service: name, topic: name };
}

export function planAdoption(options: PlanOptions): AdoptionPlan {
  const { resources, inventory, topology } = options;
  const version = options.version ?? gcpVersion();
  const byUrn = new Map(resources.map((r) => [r.urn, r]));

  // Every live thing of the kinds the stack declares, keyed by the declared type and the ID it would have.
  const live = new Map<string, LiveThing>();
  const put = (thing: LiveThing) => live.set(`${thing.type} ${thing.id}`, thing);
  const idOf = (type: string, values: Record<string, string | undefined>, iam?: { role: string; member: string }) => importIdFor(type, values, iam);
  const members = (bindings: readonly Binding[] | undefined) => (bindings ?? []).filter((b) => b.condition === undefined);
  for (const t of inventory.topics) {
    const id = idOf(types.topic, { project: t.project, name: t.name });
    if (id) put({ type: types.topic, id, assetType: t.assetType, name: t.name });
    for (const b of members(t.iam)) {
      for (const m of b.members) {
        const memberId = idOf(types.topicMember, { project: t.project, name: t.name }, { role: b.role, member: m });
        if (memberId) put({ type: types.topicMember, id: memberId, assetType: t.assetType, name: `${t.name} ${b.role} ${m}` });
      }
    }
  }
  const runMembers = (project: string, location: string, name: string, assetType: string, bindings: readonly Binding[] | undefined) => {
    for (const b of members(bindings)) {
      for (const m of b.members) {
        const id = idOf(types.runInvoker, { project, location, name }, { role: b.role, member: m });
        if (id) put({ type: types.runInvoker, id, assetType, name: `${name} ${b.role} ${m}` });
      }
    }
  };
  for (const s of inventory.services) {
    if (s.managedByFunctions) continue;
    const id = idOf(types.service, { project: s.project, location: s.location, name: s.name });
    if (id) put({ type: types.service, id, assetType: s.assetType, name: s.name, service: s });
    runMembers(s.project, s.location, s.name, s.assetType, s.iam);
  }
  for (const f of inventory.functions) {
    if (f.generation !== 2) continue;
    const id = idOf(types.function, { project: f.project, location: f.location, name: f.name });
    if (id) put({ type: types.function, id, assetType: f.assetType, name: f.name, fn: f });
    runMembers(f.project, f.location, f.name, assetTypes.runService, f.runIam);
  }
  const eventarcSubscriptions = new Set(inventory.triggers.flatMap((t) => (t.transport?.subscription ? [t.transport.subscription] : [])));
  for (const s of inventory.subscriptions) {
    if (eventarcSubscriptions.has(`projects/${s.project}/subscriptions/${s.name}`)) continue;
    const id = idOf(types.subscription, { project: s.project, name: s.name });
    if (id) put({ type: types.subscription, id, assetType: s.assetType, name: s.name });
  }
  for (const j of inventory.jobs) {
    const id = idOf(types.job, { project: j.project, region: j.location, name: j.name });
    if (id) put({ type: types.job, id, assetType: j.assetType, name: j.name });
  }
  for (const t of inventory.triggers) {
    if (t.ownedBy) continue;
    const id = idOf(types.trigger, { project: t.project, location: t.location, name: t.name });
    if (id) put({ type: types.trigger, id, assetType: t.assetType, name: t.name });
  }
  const liveAccounts = new Map(inventory.accounts.map((a) => [a.email, a]));

  // Declared resources against live ones.
  const adopt: Adopted[] = [];
  const create: ToCreate[] = [];
  const blockers: string[] = [];
  const matched = new Set<string>();
  const adoptedUrns = new Set<string>();
  const liveFunctions = new Map(inventory.functions.map((f) => [`${f.project}/${f.location}/${f.name}`, f]));
  const liveServices = new Map(inventory.services.map((s) => [`${s.project}/${s.location}/${s.name}`, s]));
  for (const r of resources) {
    if (!r.custom) continue;
    const values = declaredValues(r);
    const iam = typeof r.inputs.role === "string" && typeof r.inputs.member === "string" ? { role: r.inputs.role, member: r.inputs.member } : undefined;
    const id = idOf(r.type, values, iam);
    const found = id === undefined ? undefined : live.get(`${r.type} ${id}`);
    if (found && id) {
      adopt.push({ urn: r.urn, type: r.type, id });
      adoptedUrns.add(r.urn);
      matched.add(`${found.type} ${found.id}`);
      continue;
    }
    const where = `${values.project ?? ""}/${values.location ?? ""}/${values.name ?? ""}`;
    let note: string | undefined;
    if (r.type === types.account) {
      const email = `${String(r.inputs.accountId)}@${String(r.inputs.project)}.iam.gserviceaccount.com`;
      if (liveAccounts.has(email)) {
        note =
          `service account ${email} already exists live, and @pulumi/gcp ${version} documents no import format for accounts: creating it will fail (409). ` +
          `Find what runs as it (npm run audit -- --inventory …), then delete it (gcloud iam service-accounts delete ${email}) so the stack creates it, or give the workload another name`;
        liveAccounts.delete(email);
        blockers.push(note);
      }
    } else if (r.type === types.function) {
      const other = liveFunctions.get(where);
      if (other && other.generation === 1) note = `a 1st-gen function ${other.name} runs under this name (${other.where}); a gen2 function cannot be created beside it: delete it first (gcloud functions delete ${other.name} --region ${other.location})`;
      else if (liveServices.get(where) && !liveServices.get(where)?.managedByFunctions) note = `a Cloud Run service ${values.name} (not a function's) already has this name; a gen2 function's service cannot be created beside it`;
      if (note) blockers.push(note);
    } else if (r.type === types.service) {
      const other = liveServices.get(where);
      if (other?.managedByFunctions) {
        note = `the Cloud Run service ${values.name} is a function's (goog-managed-by: cloudfunctions); the stack declares a service of that name: delete the function or rename one of them`;
        blockers.push(note);
      }
    }
    create.push({ urn: r.urn, type: r.type, ...(note ? { note } : {}) });
  }

  // Event-triggered functions adopted without nba-pipeline:adoptedFunctions would switch their trigger's account before its grant exists.
  const adoptedTriggered = resources
    .filter((r) => r.type === types.function && adoptedUrns.has(r.urn) && r.inputs.eventTrigger)
    .map((r) => String(r.inputs.name));
  const missing = adoptedTriggered.filter((name) => !options.adoptedFunctions.includes(name));
  if (missing.length > 0) {
    blockers.push(
      `${missing.join(", ")} ${missing.length === 1 ? "runs" : "run"} live with an event trigger: list ${missing.length === 1 ? "it" : "them"} in ${options.stackFile} so each trigger's new account is granted run.invoker before the function switches to it:\n` +
        `  nba-pipeline:adoptedFunctions:\n${[...new Set([...options.adoptedFunctions, ...missing])].map((n) => `    - ${n}`).join("\n")}`,
    );
  }

  // What stays live and unmanaged.
  const unmanaged: Unmanaged[] = [];
  const alternatives = new Map<string, { workload: string; evidence: string }>();
  for (const w of [...topology.services, ...topology.functions]) {
    for (const a of w.alternatives ?? []) alternatives.set(a.name.split(" ")[0], { workload: w.name, evidence: a.evidence });
  }
  const leftOutWhy = (name: string) =>
    topology.leftOut.find((l) => l.name === name || (l.name.endsWith("*") && name.startsWith(l.name.slice(0, -1))))?.why;
  const declaredWorkloads = new Map([...topology.services, ...topology.functions].map((w) => [w.name, w]));
  const describeUnmanaged = (assetType: string, name: string, location: string | undefined, kind: "service" | "function" | "other"): Unmanaged => {
    const why = leftOutWhy(name);
    if (why) return { assetType, name, note: `left out on purpose (pipeline.ts leftOut): ${why}; stays as it is, unmanaged` };
    const declared = kind === "other" ? undefined : declaredWorkloads.get(name);
    if (declared) {
      return { assetType, name, note: `pipeline.ts declares ${name} as a ${declared.kind === "function" ? "gen2 function" : "Cloud Run service"}, which this is not, so it cannot be imported; see ${name} under create` };
    }
    const alternative = kind === "other" ? undefined : alternatives.get(name);
    if (alternative) {
      const w = declaredWorkloads.get(alternative.workload);
      const trigger = w?.kind === "function" && "topic" in w.trigger ? w.trigger.topic : undefined;
      const remove = kind === "function" ? `gcloud functions delete ${name} --region ${location ?? "REGION"}` : `gcloud run services delete ${name} --region ${location ?? "REGION"}`;
      return {
        assetType,
        name,
        alternativeOf: alternative.workload,
        note:
          `${alternative.workload} under another name (${alternative.evidence}); a resource cannot be imported under another name: ` +
          `the first \`pulumi up\` creates ${alternative.workload} beside it. Once ${alternative.workload} serves and nothing calls ${name} ` +
          `(npm run audit -- --inventory on a fresh export shows its callers), delete it: ${remove}` +
          (trigger ? `; until then both receive every message on ${trigger}` : ""),
      };
    }
    return { assetType, name, note: "not declared in pipeline.ts: stays as it is; pulumi neither changes nor deletes it" };
  };
  for (const thing of live.values()) {
    if (matched.has(`${thing.type} ${thing.id}`) || thing.type === types.runInvoker || thing.type === types.topicMember) continue;
    const kind = thing.type === types.service ? "service" : thing.type === types.function ? "function" : "other";
    unmanaged.push(describeUnmanaged(thing.assetType, thing.name, thing.service?.location ?? thing.fn?.location, kind));
  }
  for (const f of inventory.functions) if (f.generation === 1) unmanaged.push(describeUnmanaged(f.assetType, f.name, f.location, "function"));
  for (const a of liveAccounts.values()) {
    const note = /-compute@developer\.gserviceaccount\.com$|@appspot\.gserviceaccount\.com$/.test(a.email)
      ? "the project's default account: stays; after the first `pulumi up` nothing the stack deploys runs as it, and its grants can be removed once `npm run audit -- --inventory` shows nothing live uses them"
      : "not an account of the stack: stays as it is";
    unmanaged.push({ assetType: a.assetType, name: a.email, note });
  }
  unmanaged.sort((a, b) => a.assetType.localeCompare(b.assetType) || a.name.localeCompare(b.name));

  return {
    adopt,
    create,
    unmanaged,
    changes: changesOf(resources, adoptedUrns, live, inventory),
    importFile: importFileOf(adopt, byUrn, version),
    blockers,
  };
}

// ---------------------------------------------------------------------------------------------------
// The import file.

function importFileOf(adopt: readonly Adopted[], byUrn: ReadonlyMap<string, EngineResource>, version: string): ImportFile {
  // The components every adopted resource sits in, outermost first, then the resources in registration order.
  const components: EngineResource[] = [];
  const seen = new Set<string>();
  for (const a of adopt) {
    const chain: EngineResource[] = [];
    for (let p = byUrn.get(a.urn)?.parent; p; p = byUrn.get(p)?.parent) {
      const parent = byUrn.get(p);
      if (!parent || parent.type === rootStackType) break;
      chain.unshift(parent);
    }
    for (const c of chain) {
      if (seen.has(c.urn)) continue;
      seen.add(c.urn);
      components.push(c);
    }
  }
  // Entry names are unique within the file: the logical name, or with the type when two entries share it.
  const all = [...components, ...adopt.map((a) => byUrn.get(a.urn)).filter((r): r is EngineResource => r !== undefined)];
  const counts = new Map<string, number>();
  for (const r of all) counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
  const keyOf = new Map(all.map((r) => [r.urn, (counts.get(r.name) ?? 0) > 1 ? `${r.name}-${r.type.slice(r.type.lastIndexOf(":") + 1)}` : r.name]));
  const ids = new Map(adopt.map((a) => [a.urn, a.id]));
  const entries = all.map((r): ImportEntry => {
    const key = keyOf.get(r.urn) ?? r.name;
    const parent = r.parent && byUrn.get(r.parent)?.type !== rootStackType ? keyOf.get(r.parent) : undefined;
    return {
      type: r.type,
      name: key,
      ...(r.custom ? { id: ids.get(r.urn) } : { component: true }),
      ...(parent ? { parent } : {}),
      ...(r.custom ? { version } : {}),
      ...(key !== r.name ? { logicalName: r.name } : {}),
    };
  });
  return { nameTable: {}, resources: entries };
}

// ---------------------------------------------------------------------------------------------------
// What the first `pulumi up` changes on an adopted resource.

function changesOf(resources: readonly EngineResource[], adopted: ReadonlySet<string>, live: ReadonlyMap<string, LiveThing>, inventory: Inventory): Change[] {
  const changes: Change[] = [];
  const add = (urn: string, field: string, liveValue: string | null | undefined, declared: string | null | undefined) => {
    const l = liveValue ?? null;
    const d = declared ?? null;
    if (l !== d) changes.push({ urn, field, live: l, declared: d });
  };
  const invokersDeclared = new Map<string, string[]>();
  for (const r of resources) {
    if (r.type !== types.runInvoker || r.inputs.role !== invokerRole) continue;
    const key = `${String(r.inputs.project)}/${String(r.inputs.location)}/${String(r.inputs.name)}`;
    invokersDeclared.set(key, [...(invokersDeclared.get(key) ?? []), String(r.inputs.member)]);
  }
  const liveThing = (r: EngineResource) => {
    const id = importIdFor(r.type, declaredValues(r));
    return id === undefined ? undefined : live.get(`${r.type} ${id}`);
  };
  for (const r of resources) {
    if (!adopted.has(r.urn)) continue;
    const thing = liveThing(r);
    const i = r.inputs as Record<string, any>;
    if (r.type === types.service && thing?.service) {
      const s = thing.service;
      const container = i.template?.containers?.[0] ?? {};
      add(r.urn, "image", s.containers[0]?.image, str(container.image));
      add(r.urn, "commit", liveCommit(s.labels, s.containers[0]?.image), commitOf(i.labels));
      add(r.urn, "serviceAccount", s.serviceAccount, str(i.template?.serviceAccount));
      labelChanges(r.urn, s.labels, i.labels, add);
      invokerChanges(r.urn, s.iam, invokersDeclared.get(`${s.project}/${s.location}/${s.name}`), add);
      envChanges(r.urn, s.containers[0]?.env ?? [], declaredRunEnv(container.envs), add);
    } else if (r.type === types.function && thing?.fn) {
      const f = thing.fn;
      const storage = i.buildConfig?.source?.storageSource;
      add(r.urn, "source", f.source ? `gs://${f.source.bucket}/${f.source.object}` : undefined, storage ? `gs://${String(storage.bucket)}/${String(storage.object)}` : undefined);
      add(r.urn, "commit", liveCommit(f.labels), commitOf(i.labels));
      add(r.urn, "serviceAccount", f.serviceAccount, str(i.serviceConfig?.serviceAccountEmail));
      if (f.eventTrigger || i.eventTrigger) {
        add(r.urn, "eventTrigger.pubsubTopic", f.eventTrigger?.pubsubTopic, str(i.eventTrigger?.pubsubTopic));
        add(r.urn, "eventTrigger.serviceAccount", f.eventTrigger?.serviceAccount, str(i.eventTrigger?.serviceAccountEmail));
      }
      labelChanges(r.urn, f.labels, i.labels, add);
      invokerChanges(r.urn, f.runIam, invokersDeclared.get(`${f.project}/${f.location}/${f.name}`), add);
      const declaredEnv: LiveEnv[] = [
        ...Object.entries((i.serviceConfig?.environmentVariables ?? {}) as Record<string, unknown>).map(([name, value]) => ({ name, value: String(value) })),
        ...((i.serviceConfig?.secretEnvironmentVariables ?? []) as { key: string; secret: string; version: string }[]).map((e) => ({ name: e.key, secret: { secret: e.secret, version: e.version } })),
      ];
      envChanges(r.urn, f.env, declaredEnv, add);
    } else if (r.type === types.subscription) {
      const s = inventory.subscriptions.find((x) => x.project === i.project && x.name === i.name);
      add(r.urn, "pushConfig.oidcToken.serviceAccount", s?.oidc?.serviceAccountEmail, str(i.pushConfig?.oidcToken?.serviceAccountEmail));
    } else if (r.type === types.job) {
      const j = inventory.jobs.find((x) => x.project === i.project && x.location === i.region && x.name === i.name);
      add(r.urn, "httpTarget.oidcToken.serviceAccount", j?.http?.oidc?.serviceAccountEmail, str(i.httpTarget?.oidcToken?.serviceAccountEmail));
    } else if (r.type === types.trigger) {
      const t = inventory.triggers.find((x) => x.project === i.project && x.location === i.location && x.name === i.name);
      add(r.urn, "serviceAccount", t?.serviceAccount, str(i.serviceAccount));
    }
  }
  return changes;
}

type Add = (urn: string, field: string, live: string | null | undefined, declared: string | null | undefined) => void;

/** The commit live: its commit label, else an image tag that is a commit. */
function liveCommit(labels: Readonly<Record<string, string>>, image?: string): string | undefined {
  const label = commitOf(labels);
  if (label) return label;
  const tag = image?.slice(image.lastIndexOf("/") + 1).split("@")[0].split(":")[1];
  return tag && /^[0-9a-f]{7,40}$/.test(tag) ? tag : undefined;
}

/** The labels the stack sets, where live differs. Labels only live stay: the provider manages only the labels it is given. */
function labelChanges(urn: string, live: Readonly<Record<string, string>>, declared: unknown, add: Add): void {
  for (const [key, value] of Object.entries((declared ?? {}) as Record<string, unknown>)) add(urn, `labels.${key}`, live[key], String(value));
}

/** Invoker members: the stack's grants are added beside what is there (ServiceIamMember is not authoritative). */
function invokerChanges(urn: string, bindings: readonly Binding[] | undefined, declared: readonly string[] | undefined, add: Add): void {
  const live = [...new Set((bindings ?? []).filter((b) => b.role === invokerRole && b.condition === undefined).flatMap((b) => b.members))].sort();
  const added = [...new Set(declared ?? [])].filter((m) => !live.includes(m)).sort();
  if (added.length === 0) return;
  add(urn, "invokers", live.length === 0 ? "(none)" : live.join(", "), [...live, ...added].join(", "));
}

function declaredRunEnv(envs: unknown): LiveEnv[] {
  return ((envs ?? []) as { name: string; value?: unknown; valueSource?: { secretKeyRef?: { secret: string; version: string } } }[]).map((e) =>
    e.valueSource?.secretKeyRef ? { name: e.name, secret: { secret: e.valueSource.secretKeyRef.secret, version: e.valueSource.secretKeyRef.version } } : { name: e.name, value: String(e.value ?? "") },
  );
}

/**
 * Env the live revision has that the stack drops or sets otherwise (a revision the stack writes replaces
 * the whole env). A plain value under a name that looks like a secret's is not shown.
 */
function envChanges(urn: string, live: readonly LiveEnv[], declared: readonly LiveEnv[], add: Add): void {
  const show = (e: LiveEnv | undefined) => {
    if (!e) return undefined;
    if (e.secret) return `secret ${e.secret.secret} (version ${e.secret.version})`;
    return looksLikeSecret(e.name) ? "(a plain value; not shown, its name is a secret's)" : (e.value ?? "");
  };
  const byName = new Map(declared.map((e) => [e.name, e]));
  for (const e of live) {
    const d = byName.get(e.name);
    const same = d !== undefined && (e.secret ? d.secret?.secret === e.secret.secret && d.secret.version === e.secret.version : d.secret === undefined && d.value === e.value);
    if (!same) add(urn, `env.${e.name}`, show(e), d ? show(d) : null);
  }
}
