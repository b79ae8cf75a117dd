// The shape of a pipeline topology, and the pure rules every consumer shares: which calls it declares,
// which phase each piece deploys in, and whether it is consistent at all. `pipeline.ts` is the one real
// topology (the NBA pipeline as its app repository runs it); tests pass small topologies of their own.
// No Pulumi imports: the offline tools load this in milliseconds.
import { InputError } from "./lib/cli";

/** Where a fact comes from in the app repository: `path:line`, or `path` for a whole file. */
export type Evidence = string;

/** The app repository a topology was read from, and the commit it was read at. */
export interface AppRepositorySpec {
  readonly url: string;
  /** Full SHA of the commit every `evidence` path and line refers to. */
  readonly commit: string;
}

export interface PhaseSpec {
  /** The value of the `phase` label: "1", "2", …, "5b". */
  readonly phase: string;
  readonly name: string;
}

export interface TopicSpec {
  readonly name: string;
  readonly evidence: Evidence;
}

/** Another name the app's own scripts use for a workload; adopt reconciles them with what runs. */
export interface Alternative {
  readonly name: string;
  readonly evidence: Evidence;
}

/** Publishing to a topic; the publisher gets roles/pubsub.publisher on exactly this topic. */
export interface Publication {
  readonly topic: string;
  /** The env var the code reads the topic name from, when it reads one. */
  readonly env?: string;
  readonly evidence: Evidence;
}

/**
 * An authenticated HTTP call to another workload, with an ID token for the callee's URL. `env`: the stack
 * sets this env var to the callee's URL (the code reads it, e.g. through the app's URL helper). `url`:
 * the code calls a URL written into it; the stack can only grant the call.
 */
export interface HttpCall {
  readonly callee: string;
  readonly env?: string;
  readonly url?: string;
  /** The path the caller posts to, for people and the diagram. */
  readonly path?: string;
  readonly evidence: Evidence;
}

/** A Secret Manager secret handed to the workload as an env var; its account may read exactly that secret. */
export interface SecretEnv {
  readonly env: string;
  readonly secret: string;
  readonly evidence: Evidence;
}

/**
 * The data a workload's own code reads and writes, as least-privilege grants on its account:
 * BigQuery datasets (read: dataViewer, write: dataEditor) and jobUser when it runs queries or loads,
 * buckets (read: objectViewer, write: objectUser), Firestore (datastore.user), `secrets` read in code, and
 * the few project-level roles that have no narrower resource.
 */
export interface DataAccess {
  readonly bigquery?: { readonly read?: readonly string[]; readonly write?: readonly string[]; readonly jobs: boolean };
  readonly buckets?: { readonly read?: readonly string[]; readonly write?: readonly string[] };
  readonly firestore?: boolean;
  /** Secrets the code reads through the Secret Manager API (not through env). */
  readonly secrets?: readonly string[];
  /** Project-level roles for what has no narrower resource: custom metrics, reading Cloud Run or logs. */
  readonly projectRoles?: readonly string[];
  readonly evidence: readonly Evidence[];
}

interface WorkloadBase {
  /** The Cloud Run service or function name, as it runs in GCP. */
  readonly name: string;
  readonly alternatives?: readonly Alternative[];
  readonly phase: string;
  readonly group: string;
  /** App repository paths the image or source package contains; drift counts commits touching them. */
  readonly sourcePaths: readonly string[];
  /**
   * Plain env the code needs (no secrets: those go in `secrets`). `{project}`, `{region}` and
   * `{projectNumber}` in a value are the stack's, so the same topology deploys to any project.
   */
  readonly env?: Readonly<Record<string, string>>;
  readonly secrets?: readonly SecretEnv[];
  readonly publishes?: readonly Publication[];
  readonly calls?: readonly HttpCall[];
  readonly access: DataAccess;
  readonly evidence: readonly Evidence[];
}

export interface ServiceSpec extends WorkloadBase {
  readonly kind: "service";
  /** The image's name in the registry: REGISTRY/IMAGE:COMMIT. */
  readonly image: string;
  readonly dockerfile: string;
}

export interface FunctionSpec extends WorkloadBase {
  readonly kind: "function";
  readonly runtime: string;
  /** The Python function the runtime calls. */
  readonly entryPoint: string;
  /** Gen2 event trigger on a topic (an Eventarc trigger), or HTTP (called by scheduler jobs or workloads). */
  readonly trigger: { readonly topic: string } | { readonly http: true };
  readonly memory?: string;
  readonly timeoutSeconds?: number;
}

export type Workload = ServiceSpec | FunctionSpec;

/** A Pub/Sub push subscription: every message on `topic` is POSTed to `callee` with an OIDC token. */
export interface PushSubscriptionSpec {
  readonly name: string;
  readonly topic: string;
  readonly callee: string;
  readonly path: string;
  readonly ackDeadlineSeconds?: number;
  /** Undeliverable messages go to this topic after `maxDeliveryAttempts`. */
  readonly deadLetter?: { readonly topic: string; readonly maxDeliveryAttempts: number };
  /** A second subscription that reaches the callee when the primary path (an orchestrator) fails. */
  readonly fallback?: boolean;
  readonly evidence: Evidence;
}

interface JobBase {
  readonly name: string;
  readonly schedule: string;
  readonly timeZone: string;
  readonly evidence: Evidence;
}

/**
 * A Cloud Scheduler job calling a workload over HTTP with an OIDC token. `paused` is never set: pausing
 * jobs for the off-season is operations' call, and the provider leaves an unset `paused` as it is.
 */
export interface SchedulerJobSpec extends JobBase {
  readonly callee: string;
  /** Path and query appended to the callee's URL: "", or starting with "/" or "?". */
  readonly path: string;
  readonly method: "POST" | "GET";
  /** The request body, exactly as the job sends it. */
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A Cloud Scheduler job publishing a message to a topic (Cloud Scheduler's own agent publishes it). */
export interface PublishJobSpec extends JobBase {
  readonly topic: string;
  /** The message, exactly as the job publishes it. */
  readonly message: string;
}

/** A standalone Eventarc trigger delivering a topic's messages to a Cloud Run service. */
export interface EventarcTriggerSpec {
  readonly name: string;
  readonly topic: string;
  readonly callee: string;
  readonly path: string;
  readonly evidence: Evidence;
}

/** Something the topology leaves out on purpose: a name, a `prefix*`, or a file or `path:line` of evidence. */
export interface LeftOutSpec {
  readonly name: string;
  readonly why: string;
  readonly evidence?: Evidence;
}

export interface Topology {
  readonly appRepository: AppRepositorySpec;
  /** Phases in deploy order; a phase's workloads deploy after every earlier phase's. */
  readonly phases: readonly PhaseSpec[];
  readonly deployGroups: readonly string[];
  readonly topics: readonly TopicSpec[];
  readonly services: readonly ServiceSpec[];
  readonly functions: readonly FunctionSpec[];
  readonly subscriptions: readonly PushSubscriptionSpec[];
  readonly eventarcTriggers: readonly EventarcTriggerSpec[];
  readonly schedulerJobs: readonly SchedulerJobSpec[];
  readonly publishJobs: readonly PublishJobSpec[];
  /** What the app repository has and this topology leaves out, each with why. */
  readonly leftOut: readonly LeftOutSpec[];
}

/** A mistake in the topology data, naming the entry: bad input, so the tools exit 2 on it. */
export class TopologyError extends InputError {
  override name = "TopologyError";
}

/** Every service and function, phase by phase (services before functions within a phase). */
export function workloadsOf(t: Topology): Workload[] {
  return t.phases.flatMap(({ phase }) => [...t.services.filter((s) => s.phase === phase), ...t.functions.filter((f) => f.phase === phase)]);
}

/** How a declared call is made. */
export type CallKind = "http" | "push" | "scheduler" | "eventarc" | "publish";

/** A call the topology declares: caller → callee (a workload, or a topic for `publish`). */
export interface DeclaredCall {
  readonly caller: string;
  readonly callee: string;
  readonly kind: CallKind;
  readonly evidence: Evidence;
}

/**
 * Every call the topology declares, in one list: what the program grants and what `npm run calls` holds
 * the app's code against. An event trigger's caller is its topic (the trigger delivers the topic's messages).
 */
export function declaredCalls(t: Topology): DeclaredCall[] {
  const workloads = workloadsOf(t);
  return [
    ...workloads.flatMap((w) => (w.calls ?? []).map((c) => ({ caller: w.name, callee: c.callee, kind: "http" as const, evidence: c.evidence }))),
    ...workloads.flatMap((w) => (w.publishes ?? []).map((p) => ({ caller: w.name, callee: p.topic, kind: "publish" as const, evidence: p.evidence }))),
    ...t.functions.flatMap((f) => ("topic" in f.trigger ? [{ caller: f.trigger.topic, callee: f.name, kind: "eventarc" as const, evidence: f.evidence[0] ?? "" }] : [])),
    ...t.eventarcTriggers.map((e) => ({ caller: e.topic, callee: e.callee, kind: "eventarc" as const, evidence: e.evidence })),
    ...t.subscriptions.map((s) => ({ caller: s.name, callee: s.callee, kind: "push" as const, evidence: s.evidence })),
    ...t.schedulerJobs.map((j) => ({ caller: j.name, callee: j.callee, kind: "scheduler" as const, evidence: j.evidence })),
    ...t.publishJobs.map((j) => ({ caller: j.name, callee: j.topic, kind: "publish" as const, evidence: j.evidence })),
  ];
}

/** What one phase deploys: its workloads, and the push subscriptions and jobs that call them. */
export interface PhasePlan {
  readonly phase: PhaseSpec;
  readonly services: readonly ServiceSpec[];
  readonly functions: readonly FunctionSpec[];
  readonly subscriptions: readonly PushSubscriptionSpec[];
  readonly eventarcTriggers: readonly EventarcTriggerSpec[];
  readonly schedulerJobs: readonly SchedulerJobSpec[];
  /** Jobs publishing to a topic that starts this phase's functions (the rest go with the last phase). */
  readonly publishJobs: readonly PublishJobSpec[];
}

/** The topology cut into phases, in deploy order. Callers of a workload deploy with its phase. */
export function phasePlans(t: Topology): PhasePlan[] {
  const phaseOf = new Map(workloadsOf(t).map((w) => [w.name, w.phase]));
  const triggered = new Map(t.functions.flatMap((f) => ("topic" in f.trigger ? [[f.trigger.topic, f.phase] as const] : [])));
  const last = t.phases[t.phases.length - 1]?.phase;
  return t.phases.map((phase) => ({
    phase,
    services: t.services.filter((s) => s.phase === phase.phase),
    functions: calleesFirst(t.functions.filter((f) => f.phase === phase.phase)),
    subscriptions: t.subscriptions.filter((s) => phaseOf.get(s.callee) === phase.phase),
    eventarcTriggers: t.eventarcTriggers.filter((e) => phaseOf.get(e.callee) === phase.phase),
    schedulerJobs: t.schedulerJobs.filter((j) => phaseOf.get(j.callee) === phase.phase),
    publishJobs: t.publishJobs.filter((j) => (triggered.get(j.topic) ?? last) === phase.phase),
  }));
}

/** A phase's functions with each one after the functions of the phase it calls (a call needs its callee's URL). */
function calleesFirst(functions: readonly FunctionSpec[]): FunctionSpec[] {
  const byName = new Map(functions.map((f) => [f.name, f]));
  const ordered: FunctionSpec[] = [];
  const visit = (f: FunctionSpec, path: readonly string[]) => {
    if (ordered.includes(f)) return;
    if (path.includes(f.name)) throw new TopologyError(`functions ${[...path, f.name].join(" → ")} call each other in a cycle; nothing can deploy first`);
    for (const c of f.calls ?? []) {
      const callee = byName.get(c.callee);
      if (callee) visit(callee, [...path, f.name]);
    }
    ordered.push(f);
  };
  for (const f of functions) visit(f, []);
  return ordered;
}

const namePattern = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const envPattern = /^[A-Z_][A-Z0-9_]*$/;

/**
 * Every way the topology data can be wrong, as one TopologyError naming each entry: duplicate names,
 * unknown phases, groups, topics and callees, a call to a later phase, a duplicate env var, a bad name
 * or path. The program and the tools check this before anything else runs.
 */
export function validateTopology(t: Topology, where = "pipeline.ts"): void {
  const problems: string[] = [];
  const phaseIndex = new Map(t.phases.map((p, i) => [p.phase, i]));
  const topicNames = new Set(t.topics.map((x) => x.name));
  const workloads = [...t.services, ...t.functions];
  const byName = new Map<string, Workload>();

  const unique = (kind: string, names: readonly string[]) => {
    const seen = new Set<string>();
    for (const name of names) {
      if (seen.has(name)) problems.push(`${kind} ${JSON.stringify(name)} is declared twice`);
      seen.add(name);
    }
  };
  unique("phase", t.phases.map((p) => p.phase));
  unique("topic", t.topics.map((x) => x.name));
  // A function is a Cloud Run service of its own name: one name space for both.
  unique("service or function", workloads.map((w) => w.name));
  unique("push subscription", t.subscriptions.map((s) => s.name));
  unique("eventarc trigger", t.eventarcTriggers.map((e) => e.name));
  unique("scheduler job", [...t.schedulerJobs, ...t.publishJobs].map((j) => j.name));
  for (const w of workloads) byName.set(w.name, w);

  const callee = (entry: string, name: string, fromPhase?: string) => {
    const target = byName.get(name);
    if (!target) return problems.push(`${entry}: calls ${JSON.stringify(name)}, which is not a service or function in ${where}`);
    const [from, to] = [phaseIndex.get(fromPhase ?? ""), phaseIndex.get(target.phase)];
    // An unknown phase is reported on its own entry; ordering is judged between known phases only.
    if (from !== undefined && to !== undefined && to > from) {
      problems.push(`${entry}: calls ${name} of phase ${target.phase}, which deploys after phase ${fromPhase}; move the caller to phase ${target.phase} or later`);
    }
    return undefined;
  };
  const topic = (entry: string, name: string) => {
    if (!topicNames.has(name)) problems.push(`${entry}: topic ${JSON.stringify(name)} is not in the topics of ${where}`);
  };
  const name = (entry: string, value: string) => {
    if (!namePattern.test(value)) problems.push(`${entry}: name ${JSON.stringify(value)} must be lowercase letters, digits and hyphens, starting with a letter`);
  };
  const path = (entry: string, value: string) => {
    if (value !== "" && !value.startsWith("/") && !value.startsWith("?")) problems.push(`${entry}: path ${JSON.stringify(value)} must be empty or start with "/" or "?"`);
  };

  for (const w of workloads) {
    const entry = `${w.kind} ${w.name}`;
    name(entry, w.name);
    if (!phaseIndex.has(w.phase)) problems.push(`${entry}: unknown phase ${JSON.stringify(w.phase)}; expected one of ${t.phases.map((p) => p.phase).join(", ")}`);
    if (!t.deployGroups.includes(w.group)) problems.push(`${entry}: unknown deploy group ${JSON.stringify(w.group)}; expected one of ${t.deployGroups.join(", ")}`);
    for (const p of w.publishes ?? []) topic(entry, p.topic);
    for (const c of w.calls ?? []) {
      callee(entry, c.callee, w.phase);
      if ((c.env === undefined) === (c.url === undefined)) problems.push(`${entry}: the call to ${c.callee} needs exactly one of env (the stack sets the URL) or url (written in the code)`);
      if (c.path !== undefined) path(`${entry}: the call to ${c.callee}`, c.path);
    }
    if (w.kind === "function" && "topic" in w.trigger) topic(entry, w.trigger.topic);
    const envs = [
      ...Object.keys(w.env ?? {}),
      ...(w.secrets ?? []).map((s) => s.env),
      ...(w.calls ?? []).flatMap((c) => (c.env === undefined ? [] : [c.env])),
      ...(w.publishes ?? []).flatMap((p) => (p.env === undefined ? [] : [p.env])),
    ];
    for (const env of envs) if (!envPattern.test(env)) problems.push(`${entry}: env var ${JSON.stringify(env)} must be upper-case letters, digits and underscores`);
    const seen = new Set<string>();
    for (const env of envs) {
      if (seen.has(env)) problems.push(`${entry}: env var ${env} is set twice (a call, topic, secret or plain env)`);
      seen.add(env);
    }
  }
  for (const s of t.subscriptions) {
    const entry = `push subscription ${s.name}`;
    name(entry, s.name);
    topic(entry, s.topic);
    if (s.deadLetter) topic(entry, s.deadLetter.topic);
    callee(entry, s.callee);
    path(entry, s.path);
  }
  for (const e of t.eventarcTriggers) {
    const entry = `eventarc trigger ${e.name}`;
    name(entry, e.name);
    topic(entry, e.topic);
    callee(entry, e.callee);
    path(entry, e.path);
  }
  for (const j of t.schedulerJobs) {
    const entry = `scheduler job ${j.name}`;
    name(entry, j.name);
    callee(entry, j.callee);
    path(entry, j.path);
  }
  for (const j of t.publishJobs) {
    const entry = `scheduler job ${j.name}`;
    name(entry, j.name);
    topic(entry, j.topic);
  }
  if (problems.length > 0) {
    throw new TopologyError(`invalid topology in ${where} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
}
