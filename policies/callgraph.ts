// The call graph of a stack: who calls which Cloud Run service or gen2 function, as which identity, and
// which roles/run.invoker grants let it. One pure module (no Pulumi imports) so the policies and the
// operator reports judge exactly the same graph.
//
// It reads resources as the engine hands them over, during `up` (every value known) and during preview
// (values of new resources unknown). It never guesses an unknown value: an unknown account email or
// service name is identified by the resource it came from (propertyDependencies), and whatever cannot be
// identified that way counts as NOT granted. An unknown IAM member never grants: the engine sends any
// string made from an unknown email wholly unknown, so its dependency says which account it came from but
// not whether it reads `serviceAccount:EMAIL`, `user:EMAIL` or the bare email. Missing values are
// provider defaults and say so.

import { parse as parseYaml } from "yaml";

/** A resource as the call graph reads it: the engine's view with plain (unproxied) property values. */
export interface PlainResource {
  readonly urn: string;
  readonly type: string;
  /** The logical name given to the resource constructor. */
  readonly name: string;
  readonly props: Readonly<Record<string, unknown>>;
  /** For each top-level property, the URNs of the resources its value came from. */
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
  /** The settings of the provider that manages it (the engine sends its provider resource's inputs). */
  readonly provider?: ProviderDefaults;
}

/** What a GCP provider fills in for a resource that leaves its project or region to it. */
export interface ProviderDefaults {
  readonly project?: string;
  readonly region?: string;
}

/** The project and region of a provider resource's inputs, when known (the default provider's are `gcp:project` and `gcp:region`). */
export function providerDefaults(properties: Record<string, unknown>): ProviderDefaults {
  const known = (v: unknown) => (typeof v === "string" && v !== "" && !isUnknown(v) ? v : undefined);
  const project = known(properties.project);
  const region = known(properties.region);
  return { ...(project ? { project } : {}), ...(region ? { region } : {}) };
}

/** One caller reaching one callee. */
export interface Call {
  /** The caller as a person names it: the workload, subscription, job or trigger name. */
  readonly caller: string;
  /** The resource whose configuration makes the call. */
  readonly callerUrn: string;
  /** The Cloud Run service or gen2 function called. */
  readonly callee: string;
  readonly calleeUrn: string;
  /** How the call was found: `env GRADING_URL`, `push subscription`, `scheduler job`, `eventarc trigger`, `event trigger`. */
  readonly via: string;
  /** The identity the call is made as, in words (an email, a new account, the default compute account…). */
  readonly identity: string;
  /** The IAM member of that identity when it is known (`serviceAccount:EMAIL`). */
  readonly member?: string;
  readonly granted: boolean;
  /** URNs of the grants (or of the callee, for invokerIamDisabled) that let this call through. */
  readonly grants: readonly string[];
  /** The exact grant to add when not granted; why each near-miss grant does not count. */
  readonly fix: string;
  /**
   * Not granted only because it cannot be shown before deploy: a grant on the callee names the caller's
   * own account through a member not known until deploy. Says which grant.
   */
  readonly notKnownUntilDeploy?: string;
}

/** An identity a workload or trigger runs as. */
export interface Runtime {
  readonly urn: string;
  /** `grading (service)`, `phase3-to-grading (event trigger)`, `nightly (scheduler job)`… */
  readonly who: string;
  readonly identity: string;
  /** Runs as the project's default compute or App Engine account. */
  readonly isDefaultAccount: boolean;
  /**
   * Its account is not known until deploy and comes from no account in this stack, where GCP runs it as the
   * default compute account when none is set: what a preview shows for a workload or event trigger that
   * sets no account, since the provider computes that field.
   */
  readonly mayBeDefaultAccount: boolean;
}

/** One member of one roles/run.invoker grant, in every form the graph reads. */
export interface InvokerGrantMember {
  readonly grantUrn: string;
  /** `cloudrunv2.ServiceIamMember grading-invoker`. */
  readonly grant: string;
  readonly scope: "service" | "project";
  /** `grading (us-west2)`, or `project nba-props-platform`. */
  readonly target: string;
  /**
   * Names of the services the grant applies to: those of this stack it covers, else the name it is written
   * with; none when that name is not known until deploy and does not come from a service of this stack.
   */
  readonly targetNames: readonly string[];
  /** The services of this stack the grant covers, by every name a config may use for them. */
  readonly targets: readonly WorkloadNames[];
  /** `serviceAccount:…`, `allUsers`, or a description of an account not known until deploy. */
  readonly member: string;
  readonly isPublic: boolean;
}

/** A service or function by every name a person may know it by: its service name, its logical name, its URN. */
export interface WorkloadNames {
  readonly urn: string;
  readonly logicalName: string;
  /** Its service name (auto-named ones included), or its logical name while that is not known. */
  readonly name: string;
}

export interface UnusedGrant {
  readonly grantUrn: string;
  readonly grant: string;
  readonly target: string;
  readonly member: string;
}

export interface CallGraph {
  readonly calls: readonly Call[];
  readonly runtimes: readonly Runtime[];
  readonly invokerGrants: readonly InvokerGrantMember[];
  /** Services and functions that set invokerIamDisabled: anyone can call them. */
  readonly invokerIamDisabled: readonly WorkloadNames[];
  /** Invoker grant members no call in the stack is made as. */
  readonly unusedGrants: readonly UnusedGrant[];
}

export interface CallGraphOptions {
  /** The project number, for naming the default compute account when no known value in the stack gives it. */
  readonly projectNumber?: string;
  /**
   * Read an IAM member not known until deploy that is made from one service account of this stack alone as
   * that account's `serviceAccount:` member (what `` pulumi.interpolate`serviceAccount:${account.email}` `` becomes),
   * instead of as no grant. Off by default: `user:${account.email}` looks the same in preview.
   */
  readonly assumeServiceAccountMembers?: boolean;
}

/** A member not known until deploy, made from one account of the stack: that account's `serviceAccount:` member, when the setting allows. */
function assumedMember(member: GrantMember): GrantMember {
  const [account] = member.accounts;
  if (member.value !== undefined || member.accounts.length !== 1 || account.email === undefined) return member;
  return { ...member, value: `serviceAccount:${account.email}`, assumed: true };
}

export const invokerRole = "roles/run.invoker";

export const types = {
  service: "gcp:cloudrunv2/service:Service",
  /** The older Cloud Run Admin API v1 (Knative) form of a service: `template.spec`, `statuses[0].url`. */
  serviceV1: "gcp:cloudrun/service:Service",
  function: "gcp:cloudfunctionsv2/function:Function",
  account: "gcp:serviceaccount/account:Account",
  subscription: "gcp:pubsub/subscription:Subscription",
  schedulerJob: "gcp:cloudscheduler/job:Job",
  eventarcTrigger: "gcp:eventarc/trigger:Trigger",
  eventarcPipeline: "gcp:eventarc/pipeline:Pipeline",
  workflow: "gcp:workflows/workflow:Workflow",
} as const;

// ---------------------------------------------------------------------------------------------------
// Reading values: unknown (preview) and missing (provider default) are kept apart everywhere.

/** The engine's unknown-value sentinels (one per kind of value). */
const unknownSentinels = new Set([
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
  "030794c1-ac77-496b-92df-f27374a8bd58",
  "e48ece36-62e2-4504-bad9-02848725956a",
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

/** A value not known until deploy. */
export const unknown: unique symbol = Symbol("unknown until deploy");
type Unknown = typeof unknown;

export function isUnknown(value: unknown): boolean {
  return typeof value === "string" && unknownSentinels.has(value);
}

/** The value at `path`: `unknown` if it or anything on the way is not known yet, undefined if missing. */
function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === unknown || isUnknown(current)) return unknown;
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return isUnknown(current) ? unknown : current;
}

/** A string at `path`; "" and null are missing, like the provider treats them. */
function text(value: unknown, ...path: (string | number)[]): string | Unknown | undefined {
  const v = at(value, ...path);
  if (v === unknown) return unknown;
  return typeof v === "string" && v !== "" ? v : undefined;
}

function list(value: unknown, ...path: (string | number)[]): unknown[] | Unknown {
  const v = at(value, ...path);
  if (v === unknown) return unknown;
  return Array.isArray(v) ? v : [];
}

// ---------------------------------------------------------------------------------------------------
// The stack, indexed once.

interface Workload {
  readonly resource: PlainResource;
  readonly kind: "service" | "function";
  /** How this workload's resource is read: its account setting, env vars, URLs. */
  readonly reader: WorkloadReader;
  /** The Cloud Run service name (a gen2 function's service has the function's name). */
  readonly name: string | Unknown | undefined;
  /** A person's name for it: its service name, or the logical name while that is not known. */
  readonly label: string;
  readonly location: string | Unknown | undefined;
  readonly project: string | Unknown | undefined;
  /** Known URLs it answers at. */
  readonly urls: readonly string[];
  readonly invokerIamDisabled: boolean;
}

/** An env var of a workload: a literal, or not known until deploy. */
interface EnvVar {
  readonly name: string;
  readonly value: unknown;
}

/**
 * One reader per kind of workload resource: where it keeps the account it runs as, its env vars and the
 * URLs GCP gives it. Everything else (calls, grants, messages) is read the same way for every kind.
 */
interface WorkloadReader {
  readonly kind: "service" | "function";
  /** The top-level property holding the runtime account and the env vars (its dependencies name their sources). */
  readonly key: string;
  /** The setting a program writes the runtime account in, for messages. */
  readonly accountSetting: string;
  /** The invoker grant a fix writes for this kind of callee: its class and the key naming the service. */
  readonly grant: { readonly className: string; readonly nameKey: string };
  account(props: unknown): string | Unknown | undefined;
  envs(props: unknown): EnvVar[];
  urls(props: unknown): unknown[];
  invokerIamDisabled(props: unknown): boolean;
}

/** Env vars of a list of containers with `envs: [{name, value}]` (Cloud Run v1 and v2 alike). */
function containerEnvs(containers: unknown[] | Unknown): EnvVar[] {
  const envs: EnvVar[] = [];
  for (const c of containers === unknown ? [] : containers) {
    const vars = list(c, "envs");
    for (const e of vars === unknown ? [] : vars) {
      const name = text(e, "name");
      if (typeof name === "string") envs.push({ name, value: at(e, "value") });
    }
  }
  return envs;
}

const workloadReaders: Readonly<Record<string, WorkloadReader>> = {
  [types.service]: {
    kind: "service",
    key: "template",
    accountSetting: "template.serviceAccount",
    grant: { className: "gcp.cloudrunv2.ServiceIamMember", nameKey: "name" },
    account: (props) => text(props, "template", "serviceAccount"),
    envs: (props) => containerEnvs(list(props, "template", "containers")),
    urls: (props) => [at(props, "uri"), ...asArray(at(props, "urls"))],
    // Only a known `true` opens the service; unknown during preview is not taken as open (fail closed).
    invokerIamDisabled: (props) => at(props, "invokerIamDisabled") === true,
  },
  [types.serviceV1]: {
    kind: "service",
    key: "template",
    accountSetting: "template.spec.serviceAccountName",
    grant: { className: "gcp.cloudrun.IamMember", nameKey: "service" },
    account: (props) => text(props, "template", "spec", "serviceAccountName"),
    envs: (props) => containerEnvs(list(props, "template", "spec", "containers")),
    // `statuses[0].url` is the service's URL; each traffic target with a tag has a URL of its own.
    urls: (props) => [...asArray(at(props, "statuses")), ...asArray(at(props, "traffics"))].map((s) => at(s, "url")),
    // v1 has no field for it: the annotation the console and gcloud set when "allow unauthenticated" is chosen without IAM.
    invokerIamDisabled: (props) => at(props, "metadata", "annotations", "run.googleapis.com/invoker-iam-disabled") === "true",
  },
  [types.function]: {
    kind: "function",
    key: "serviceConfig",
    accountSetting: "serviceConfig.serviceAccountEmail",
    // A gen2 function is served by the Cloud Run service of the same name: run.invoker is granted there.
    grant: { className: "gcp.cloudrunv2.ServiceIamMember", nameKey: "name" },
    account: (props) => text(props, "serviceConfig", "serviceAccountEmail"),
    envs: (props) => {
      const vars = at(props, "serviceConfig", "environmentVariables");
      if (vars === null || typeof vars !== "object") return [];
      return Object.entries(vars).map(([name, value]) => ({ name, value: isUnknown(value) ? unknown : value }));
    },
    urls: (props) => [at(props, "url"), at(props, "serviceConfig", "uri")],
    invokerIamDisabled: () => false,
  },
};

interface Account {
  readonly label: string;
  /** The logical name of its gcp.serviceaccount.Account, which messages name it by. */
  readonly logicalName: string;
  /** Its project is known (set by the program, or filled in after `up`): `${account.project}` is then known in preview too. */
  readonly projectKnown: boolean;
  readonly accountId?: string;
  /** Known, or computed from accountId and project (the email is `ID@PROJECT.iam.gserviceaccount.com`). */
  readonly email?: string;
}

interface Index {
  readonly workloads: Map<string, Workload>;
  readonly workloadsByName: Map<string, Workload[]>;
  readonly workloadsByUrl: Map<string, Workload>;
  readonly accounts: Map<string, Account>;
  readonly accountsByEmail: Map<string, Account>;
}

function indexStack(resources: readonly PlainResource[]): Index {
  const index: Index = {
    workloads: new Map(),
    workloadsByName: new Map(),
    workloadsByUrl: new Map(),
    accounts: new Map(),
    accountsByEmail: new Map(),
  };
  for (const r of resources) {
    const reader = workloadReaders[r.type];
    if (reader) {
      const w = workloadOf(r, reader);
      index.workloads.set(r.urn, w);
      if (typeof w.name === "string") push(index.workloadsByName, w.name, w);
      for (const url of w.urls) index.workloadsByUrl.set(urlKey(url), w);
    } else if (r.type === types.account) {
      const account = accountOf(r);
      index.accounts.set(r.urn, account);
      if (account.email) index.accountsByEmail.set(account.email, account);
    }
  }
  return index;
}

/**
 * A top-level value the program left to the provider: not known in preview and made from no resource. The
 * provider fills it in from its own settings, which the engine sends with the resource, so it is read
 * from there; without them it stays not known (and nothing unknown is ever granted).
 */
function leftToProviderOr(value: string | Unknown | undefined, r: PlainResource, key: string, setting: keyof ProviderDefaults): string | Unknown | undefined {
  if (value !== unknown || (r.propertyDependencies[key]?.length ?? 0) > 0) return value;
  return r.provider?.[setting] ?? unknown;
}

function workloadOf(r: PlainResource, reader: WorkloadReader): Workload {
  const name = resourceName(text(r.props, "name"));
  const urls = reader.urls(r.props).filter((u): u is string => typeof u === "string" && u !== "" && !isUnknown(u));
  return {
    resource: r,
    kind: reader.kind,
    reader,
    name,
    label: typeof name === "string" ? name : r.name,
    location: leftToProviderOr(text(r.props, "location"), r, "location", "region"),
    project: leftToProviderOr(text(r.props, "project"), r, "project", "project"),
    urls,
    invokerIamDisabled: reader.invokerIamDisabled(r.props),
  };
}

function accountOf(r: PlainResource): Account {
  const accountId = text(r.props, "accountId");
  const ownProject = text(r.props, "project");
  const project = leftToProviderOr(ownProject, r, "project", "project");
  const known = text(r.props, "email");
  const email =
    typeof known === "string"
      ? known.toLowerCase()
      : typeof accountId === "string" && typeof project === "string"
        ? `${accountId}@${project}.iam.gserviceaccount.com`
        : undefined;
  return {
    label: typeof accountId === "string" ? accountId : r.name,
    logicalName: r.name,
    // `${account.project}` in a program is known in preview only when the account sets it.
    projectKnown: typeof ownProject === "string",
    ...(typeof accountId === "string" ? { accountId } : {}),
    ...(email ? { email } : {}),
  };
}

/** `projects/P/locations/L/services/NAME` (or any id ending in the name) → NAME. */
function resourceName(value: string | Unknown | undefined): string | Unknown | undefined {
  return typeof value === "string" ? value.slice(value.lastIndexOf("/") + 1) : value;
}

/** The `locations/L` segment of a full resource id, if the value is one. */
function locationInId(value: string | Unknown | undefined): string | undefined {
  return typeof value === "string" ? /(?:^|\/)locations\/([^/]+)\//.exec(value)?.[1] : undefined;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const values = map.get(key);
  if (values) values.push(value);
  else map.set(key, [value]);
}

// ---------------------------------------------------------------------------------------------------
// Cloud Run URLs (policies/README.md): https://NAME-PROJECTNUMBER.REGION.run.app, https://NAME-HASH-REGIONCODE.a.run.app,
// and for gen2 functions https://REGION-PROJECT.cloudfunctions.net/NAME.

/** What identifies the service behind a URL: its origin, plus the function name on cloudfunctions.net. */
function urlKey(url: string): string {
  const parsed = parseUrl(url);
  if (!parsed) return url;
  const first = parsed.pathname.split("/")[1] ?? "";
  return parsed.hostname.endsWith(".cloudfunctions.net") ? `${parsed.origin}/${first}` : parsed.origin;
}

function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

interface UrlFacts {
  readonly name: string;
  readonly region?: string;
  readonly projectNumber?: string;
}

function urlFacts(url: string): UrlFacts | undefined {
  const parsed = parseUrl(url);
  if (!parsed || parsed.protocol !== "https:") return undefined;
  const host = parsed.hostname;
  const deterministic = /^(.+)-(\d+)\.([a-z0-9-]+)\.run\.app$/.exec(host);
  if (deterministic) return { name: deterministic[1], projectNumber: deterministic[2], region: deterministic[3] };
  const hashed = /^(.+)-[a-z0-9]+-[a-z]{2,4}\.a\.run\.app$/.exec(host);
  if (hashed) return { name: hashed[1] };
  const fn = /^([a-z]+-[a-z]+\d+)-.+\.cloudfunctions\.net$/.exec(host);
  const fnName = parsed.pathname.split("/")[1];
  if (fn && fnName) return { name: fnName, region: fn[1] };
  return undefined;
}

/** The service or function a known URL points at, if it is in this stack. */
function workloadAtUrl(url: string, index: Index): Workload | undefined {
  const exact = index.workloadsByUrl.get(urlKey(url));
  if (exact) return exact;
  const facts = urlFacts(url);
  if (!facts) return undefined;
  const candidates = (index.workloadsByName.get(facts.name) ?? []).filter(
    (w) => facts.region === undefined || typeof w.location !== "string" || w.location === facts.region,
  );
  return candidates.length === 1 ? candidates[0] : undefined;
}

function projectNumberFromUrls(urls: readonly string[]): string | undefined {
  for (const url of urls) {
    const n = urlFacts(url)?.projectNumber;
    if (n) return n;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Identities.

interface Principal {
  readonly email?: string;
  readonly account?: Account;
}

interface Identity {
  readonly kind: "account" | "default" | "unauthenticated" | "unidentified";
  /** The call is granted only if every principal is (several when preview cannot tell which account it is). */
  readonly principals: readonly Principal[];
  readonly description: string;
  readonly member?: string;
  readonly isDefaultAccount: boolean;
  /** For an identity that cannot be read before deploy: how to write the caller so it can be. */
  readonly fix?: string;
  /** For a request sent without a token by a caller that has an account (a workflow step without auth): who it is made as once it sends one. */
  readonly onceAuthenticated?: Identity;
}

const defaultAccountPattern = /^[0-9]+-compute@developer\.gserviceaccount\.com$|@appspot\.gserviceaccount\.com$/;

/**
 * The identity in `value` (an account email property) of `r`, whose top-level property `key` carries its
 * dependencies. `whenMissing` is the provider default when no account is set.
 */
function identityAt(
  value: string | Unknown | undefined,
  r: PlainResource,
  key: string,
  index: Index,
  whenMissing: () => Identity,
): Identity {
  if (typeof value === "string") {
    const email = value.toLowerCase();
    const account = index.accountsByEmail.get(email);
    return {
      kind: "account",
      principals: [{ email, ...(account ? { account } : {}) }],
      description: `serviceAccount:${email}`,
      member: `serviceAccount:${email}`,
      isDefaultAccount: defaultAccountPattern.test(email),
    };
  }
  if (value === undefined) return whenMissing();
  // Not known until deploy: the account is whichever service account in this stack the value came from.
  const accounts = (r.propertyDependencies[key] ?? []).flatMap((urn) => index.accounts.get(urn) ?? []);
  if (accounts.length === 0) {
    return {
      kind: "unidentified",
      principals: [],
      description: `an account not known until deploy and not from a service account in this stack (${key})`,
      isDefaultAccount: false,
    };
  }
  const described = accounts.map((a) => (a.email ? `new service account ${a.email}` : `new service account ${a.label} (email known after deploy)`));
  return {
    kind: "account",
    principals: accounts.map((account) => ({ ...(account.email ? { email: account.email } : {}), account })),
    description: described.length === 1 ? described[0] : `one of ${described.join(", ")}`,
    ...(accounts.length === 1 && accounts[0].email ? { member: `serviceAccount:${accounts[0].email}` } : {}),
    isDefaultAccount: false,
  };
}

/**
 * The project's default compute account, which GCP uses when a workload or trigger sets no account. Its
 * email needs the project number: from a known URL of the caller or callee, else from policy config.
 */
function defaultComputeIdentity(urlsToTry: readonly string[], options: CallGraphOptions): Identity {
  const fromUrl = projectNumberFromUrls(urlsToTry);
  const number = fromUrl ?? options.projectNumber;
  if (number === undefined) {
    return {
      kind: "default",
      principals: [],
      description:
        "the default compute account (no service account set; its project number is not known: set projectNumber in the policy config)",
      isDefaultAccount: true,
    };
  }
  const email = `${number}-compute@developer.gserviceaccount.com`;
  return {
    kind: "default",
    principals: [{ email }],
    description: `default compute account ${email} (no service account set; project number from ${fromUrl ? "a Cloud Run URL in the stack" : "policy config projectNumber"})`,
    member: `serviceAccount:${email}`,
    isDefaultAccount: true,
  };
}

const unauthenticated: Identity = {
  kind: "unauthenticated",
  principals: [],
  description: "no identity (no OIDC token: the request is unauthenticated)",
  isDefaultAccount: false,
};

// ---------------------------------------------------------------------------------------------------
// Grants: every form policies/README.md lists, matched by service name and location, not by resource type.

interface GrantMember {
  /** Known member string, e.g. `serviceAccount:a@p.iam.gserviceaccount.com` or `allUsers`. */
  readonly value?: string;
  /**
   * Not known until deploy: the accounts its value came from, to name in messages. Such a member grants
   * nothing: whether it will be `serviceAccount:` that account is not known until deploy either.
   */
  readonly accounts: readonly Account[];
  /** Not known until deploy, and read as that one account's `serviceAccount:` member by the assumeServiceAccountMembers setting. */
  readonly assumed?: boolean;
}

interface Grant {
  readonly resource: PlainResource;
  readonly label: string;
  readonly role: string | Unknown | undefined;
  /** Only Cloud Run (v1/v2) and project-level IAM can grant run.routes.invoke on a gen2 function's service. */
  readonly cloudRunIam: boolean;
  readonly scope: "service" | "project";
  readonly name: string | Unknown | undefined;
  readonly location: string | Unknown | undefined;
  readonly project: string | Unknown | undefined;
  /** Resources the grant's name, location and project came from, when those are not known until deploy. */
  readonly nameDeps: ReadonlySet<string>;
  readonly locationDeps: ReadonlySet<string>;
  readonly projectDeps: ReadonlySet<string>;
  readonly members: readonly GrantMember[];
  /** The policy data could not be read (not known until deploy), so roles and members are unknown. */
  readonly unreadable: boolean;
}

type GrantShape =
  | { form: "member" | "binding" | "policy"; scope: "service"; nameKey: string; locationKey: string; cloudRunIam: boolean }
  | { form: "member" | "binding" | "policy"; scope: "project" };

const grantShapes: Record<string, GrantShape> = {
  "gcp:cloudrunv2/serviceIamMember:ServiceIamMember": { form: "member", scope: "service", nameKey: "name", locationKey: "location", cloudRunIam: true },
  "gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding": { form: "binding", scope: "service", nameKey: "name", locationKey: "location", cloudRunIam: true },
  "gcp:cloudrunv2/serviceIamPolicy:ServiceIamPolicy": { form: "policy", scope: "service", nameKey: "name", locationKey: "location", cloudRunIam: true },
  "gcp:cloudrun/iamMember:IamMember": { form: "member", scope: "service", nameKey: "service", locationKey: "location", cloudRunIam: true },
  "gcp:cloudrun/iamBinding:IamBinding": { form: "binding", scope: "service", nameKey: "service", locationKey: "location", cloudRunIam: true },
  "gcp:cloudrun/iamPolicy:IamPolicy": { form: "policy", scope: "service", nameKey: "service", locationKey: "location", cloudRunIam: true },
  "gcp:projects/iAMMember:IAMMember": { form: "member", scope: "project" },
  "gcp:projects/iAMBinding:IAMBinding": { form: "binding", scope: "project" },
  "gcp:projects/iAMPolicy:IAMPolicy": { form: "policy", scope: "project" },
  // Cloud Functions IAM: roles/cloudfunctions.invoker is the 1st-gen role; neither it nor anything set on
  // the function's own IAM policy lets a caller through a gen2 function's Cloud Run service. Read only to
  // explain why such a grant does not count.
  "gcp:cloudfunctionsv2/functionIamMember:FunctionIamMember": { form: "member", scope: "service", nameKey: "cloudFunction", locationKey: "location", cloudRunIam: false },
  "gcp:cloudfunctionsv2/functionIamBinding:FunctionIamBinding": { form: "binding", scope: "service", nameKey: "cloudFunction", locationKey: "location", cloudRunIam: false },
  "gcp:cloudfunctionsv2/functionIamPolicy:FunctionIamPolicy": { form: "policy", scope: "service", nameKey: "cloudFunction", locationKey: "location", cloudRunIam: false },
  "gcp:cloudfunctions/functionIamMember:FunctionIamMember": { form: "member", scope: "service", nameKey: "cloudFunction", locationKey: "region", cloudRunIam: false },
  "gcp:cloudfunctions/functionIamBinding:FunctionIamBinding": { form: "binding", scope: "service", nameKey: "cloudFunction", locationKey: "region", cloudRunIam: false },
  "gcp:cloudfunctions/functionIamPolicy:FunctionIamPolicy": { form: "policy", scope: "service", nameKey: "cloudFunction", locationKey: "region", cloudRunIam: false },
};

/** Every resource type the call graph reads; it ignores all others. */
export const graphTypes: ReadonlySet<string> = new Set([...Object.values(types), ...Object.keys(grantShapes)]);

/** `gcp:cloudrunv2/serviceIamMember:ServiceIamMember` → `cloudrunv2.ServiceIamMember`. */
function shortType(type: string): string {
  const [, module = "", member = type] = /^[^:]+:([^/]+)\/[^:]+:(.+)$/.exec(type) ?? [];
  return module ? `${module}.${member}` : type;
}

function grantsOf(r: PlainResource, shape: GrantShape, index: Index): Grant[] {
  const label = `${shortType(r.type)} ${r.name}`;
  const service: Pick<Grant, "name" | "location" | "nameDeps" | "locationDeps"> =
    shape.scope === "service"
      ? {
          name: resourceName(text(r.props, shape.nameKey)),
          location: leftToProviderOr(text(r.props, shape.locationKey), r, shape.locationKey, "region") ?? locationInId(text(r.props, shape.nameKey)),
          nameDeps: new Set(r.propertyDependencies[shape.nameKey] ?? []),
          locationDeps: new Set(r.propertyDependencies[shape.locationKey] ?? []),
        }
      : { name: undefined, location: undefined, nameDeps: new Set<string>(), locationDeps: new Set<string>() };
  const project = resourceName(leftToProviderOr(text(r.props, "project"), r, "project", "project"));
  const projectDeps = new Set(r.propertyDependencies.project ?? []);
  const base: Omit<Grant, "role" | "members" | "unreadable"> = { resource: r, label, cloudRunIam: shape.scope === "project" || shape.cloudRunIam, scope: shape.scope, project, projectDeps, ...service };
  const accountsOf = (key: string) => (r.propertyDependencies[key] ?? []).flatMap((urn) => index.accounts.get(urn) ?? []);

  if (shape.form === "member") {
    return [{ ...base, role: text(r.props, "role"), members: [memberOf(at(r.props, "member"), accountsOf("member"))], unreadable: false }];
  }
  if (shape.form === "binding") {
    const members = list(r.props, "members");
    const deps = accountsOf("members");
    return [
      {
        ...base,
        role: text(r.props, "role"),
        members: members === unknown ? [{ accounts: deps }] : members.map((m) => memberOf(isUnknown(m) ? unknown : m, deps)),
        unreadable: false,
      },
    ];
  }
  // An IAM policy: a JSON document of bindings.
  const data = text(r.props, "policyData");
  let bindings: unknown;
  try {
    bindings = typeof data === "string" ? at(JSON.parse(data), "bindings") : undefined;
  } catch {
    bindings = undefined;
  }
  if (data === unknown || !Array.isArray(bindings)) {
    return [{ ...base, role: unknown, members: [], unreadable: data === unknown }];
  }
  return bindings.map((b) => ({
    ...base,
    role: text(b, "role"),
    members: asArray(at(b, "members")).map((m) => memberOf(m, [])),
    unreadable: false,
  }));
}

function memberOf(value: unknown, accounts: readonly Account[]): GrantMember {
  if (typeof value === "string" && !isUnknown(value)) return { value: normalizeMember(value), accounts: [] };
  return { accounts: value === unknown || isUnknown(value) ? accounts : [] };
}

/** IAM member types are case-sensitive, emails are not. */
function normalizeMember(member: string): string {
  const colon = member.indexOf(":");
  return colon < 0 ? member : `${member.slice(0, colon)}:${member.slice(colon + 1).toLowerCase()}`;
}

function isPublicMember(member: GrantMember): boolean {
  return member.value === "allUsers" || member.value === "allAuthenticatedUsers";
}

function describeMember(member: GrantMember): string {
  if (member.assumed) return `${member.value} (assumed: not known until deploy)`;
  if (member.value !== undefined) return member.value;
  if (member.accounts.length > 0) return `a member not known until deploy (from ${member.accounts.map((a) => `new service account ${a.label}`).join(" or ")})`;
  return "a member not known until deploy";
}

/** Same value, or the same provider default: a missing location/project is the provider's default. */
function sameOrDefault(a: string | Unknown | undefined, b: string | Unknown | undefined): boolean {
  if (a === unknown || b === unknown) return false;
  return a === undefined || b === undefined || a === b;
}

/**
 * Does the grant's target cover this workload? A value not known until deploy counts only when it came
 * from the workload itself (a dependency); a missing one is the provider default (see sameOrDefault).
 */
function grantCovers(grant: Grant, w: Workload): boolean {
  if (grant.unreadable) return false;
  const urn = w.resource.urn;
  const projectMatches = grant.project === unknown ? grant.projectDeps.has(urn) : sameOrDefault(grant.project, w.project);
  if (!projectMatches) return false;
  if (grant.scope === "project") return true;
  const nameMatches = grant.name === unknown ? grant.nameDeps.has(urn) : typeof grant.name === "string" && grant.name === w.name;
  if (!nameMatches) return false;
  return grant.location === unknown ? grant.locationDeps.has(urn) : sameOrDefault(grant.location, w.location);
}

/** Only a known `serviceAccount:` member names an account (see GrantMember.accounts). */
function memberMatches(member: GrantMember, principal: Principal): boolean {
  if (member.value === undefined || !member.value.startsWith("serviceAccount:")) return false;
  const email = member.value.slice("serviceAccount:".length);
  if (principal.email !== undefined) return email === principal.email;
  // A new account whose project is the provider default: its id is known, its domain is not.
  const id = principal.account?.accountId;
  return id !== undefined && email.startsWith(`${id}@`) && email.endsWith(".iam.gserviceaccount.com");
}

// ---------------------------------------------------------------------------------------------------
// Finding calls.

interface InvokerEntry {
  readonly grant: Grant;
  readonly member: GrantMember;
}

interface FoundCall {
  readonly caller: string;
  readonly callerResource: PlainResource;
  readonly callee: Workload;
  readonly via: string;
  readonly identity: Identity;
  /** The setting of the caller that names the account the call is made as (`eventTrigger.serviceAccountEmail`…). */
  readonly setting: string;
  /** How to make the request carry a token, for a caller that can send none. */
  readonly authFix?: string;
}

/** Env-var calls of a workload: URLs of services in this stack, by literal URL or by dependency. */
function envCalls(w: Workload, index: Index): { callee: Workload; via: string }[] {
  const key = w.reader.key;
  const envs = w.reader.envs(w.resource.props);

  const calls: { callee: Workload; via: string }[] = [];
  const found = new Set<Workload>();
  for (const e of envs) {
    const callee = typeof e.value === "string" ? workloadAtUrl(e.value, index) : undefined;
    if (callee && callee !== w) {
      calls.push({ callee, via: `env ${e.name}` });
      found.add(callee);
    }
  }
  // A value that came from another service or function is taken as its URL. Which env var holds it is
  // certain only when a single env var is not known yet; otherwise every candidate is named.
  const pending = envs.filter((e) => e.value === unknown).map((e) => e.name);
  for (const urn of w.resource.propertyDependencies[key] ?? []) {
    const callee = index.workloads.get(urn);
    if (!callee || callee === w || found.has(callee)) continue;
    found.add(callee);
    calls.push({ callee, via: pending.length === 0 ? `env (a value from ${callee.label})` : `env ${pending.join(" or ")}` });
  }
  return calls;
}

/** The callees of a URL-valued property (push endpoint, scheduler URI): a known URL, or its dependencies. */
function calleesAtUrl(value: string | Unknown | undefined, r: PlainResource, key: string, index: Index): Workload[] {
  if (typeof value === "string") {
    const w = workloadAtUrl(value, index);
    return w ? [w] : [];
  }
  return value === unknown ? dependencyWorkloads(r, key, index) : [];
}

/** The callees named by service name and region (Eventarc destinations). */
function calleesByName(
  name: string | Unknown | undefined,
  region: string | Unknown | undefined,
  r: PlainResource,
  key: string,
  index: Index,
): Workload[] {
  if (name === unknown) return dependencyWorkloads(r, key, index);
  if (name === undefined) return [];
  const deps = new Set(r.propertyDependencies[key] ?? []);
  return (index.workloadsByName.get(name) ?? []).filter((w) => (region === unknown ? deps.has(w.resource.urn) : sameOrDefault(region, w.location)));
}

function dependencyWorkloads(r: PlainResource, key: string, index: Index): Workload[] {
  return (r.propertyDependencies[key] ?? []).flatMap((urn) => index.workloads.get(urn) ?? []);
}

/** The OIDC identity of a push subscription or scheduler job; no token means an unauthenticated request. */
function oidcIdentity(r: PlainResource, key: "pushConfig" | "httpTarget", index: Index): Identity {
  const token = at(r.props, key, "oidcToken");
  if (token === undefined || token === null) return unauthenticated;
  return identityAt(text(token, "serviceAccountEmail"), r, key, index, () => unauthenticated);
}

/** What a caller reader is given: the stack's index, and where to put what it finds. */
interface CallerContext {
  readonly index: Index;
  readonly options: CallGraphOptions;
  /** An identity a workload or trigger runs as; `defaultsToCompute`: GCP uses the default compute account when none is set. */
  addRuntime(r: PlainResource, who: string, identity: Identity, defaultsToCompute?: boolean): void;
  addCalls(r: PlainResource, found: Omit<FoundCall, "callerResource" | "callee" | "identity">, callees: readonly Workload[], identityFor: (callee: Workload) => Identity): void;
}

/**
 * One reader per kind of caller: it finds the calls a resource of its type makes, the identity each is
 * made as, and the exact setting a fix changes. A missing account is the provider default (the default
 * compute account, for the kinds that have one); an account not known until deploy is named by the
 * resource it came from (identityAt).
 */
type CallerReader = (r: PlainResource, ctx: CallerContext) => void;

const callerReaders: Readonly<Record<string, CallerReader>> = {
  [types.service]: workloadCalls,
  [types.serviceV1]: workloadCalls,
  [types.function]: workloadCalls,
  [types.subscription]: (r, ctx) => {
    // A pull subscription (no push endpoint) calls nothing.
    const callees = calleesAtUrl(text(r.props, "pushConfig", "pushEndpoint"), r, "pushConfig", ctx.index);
    const identity = oidcIdentity(r, "pushConfig", ctx.index);
    if (identity.kind !== "unauthenticated") ctx.addRuntime(r, `${displayName(r)} (push subscription)`, identity);
    const setting = "pushConfig.oidcToken.serviceAccountEmail";
    ctx.addCalls(r, { caller: displayName(r), via: "push subscription", setting, authFix: `set ${setting}` }, callees, () => identity);
  },
  [types.schedulerJob]: (r, ctx) => {
    // Pub/Sub and App Engine targets (no httpTarget) call no Cloud Run service directly. An OAuth token
    // is meant for Google APIs: to Cloud Run the request is as unauthenticated as one with no token.
    const callees = calleesAtUrl(text(r.props, "httpTarget", "uri"), r, "httpTarget", ctx.index);
    const identity = oidcIdentity(r, "httpTarget", ctx.index);
    if (identity.kind !== "unauthenticated") ctx.addRuntime(r, `${displayName(r)} (scheduler job)`, identity);
    const setting = "httpTarget.oidcToken.serviceAccountEmail";
    ctx.addCalls(r, { caller: displayName(r), via: "scheduler job", setting, authFix: `set ${setting}` }, callees, () => identity);
  },
  [types.eventarcTrigger]: (r, ctx) => {
    const run = at(r.props, "destination", "cloudRunService");
    const fn = text(r.props, "destination", "cloudFunction");
    const callees =
      run !== undefined && run !== null
        ? calleesByName(text(run, "service"), text(run, "region"), r, "destination", ctx.index)
        : calleesByName(resourceName(fn), locationInId(fn), r, "destination", ctx.index);
    // Missing account: Eventarc delivers to Cloud Run as the default compute account.
    const runsAs = (urls: readonly string[]) =>
      identityAt(text(r.props, "serviceAccount"), r, "serviceAccount", ctx.index, () => defaultComputeIdentity(urls, ctx.options));
    ctx.addRuntime(r, `${displayName(r)} (eventarc trigger)`, runsAs(callees.flatMap((c) => c.urls)));
    ctx.addCalls(r, { caller: displayName(r), via: "eventarc trigger", setting: "serviceAccount" }, callees, (c) => runsAs(c.urls));
  },
  [types.eventarcPipeline]: pipelineCalls,
  [types.workflow]: workflowCalls,
};

/** A service's or function's env-var calls as its runtime account, and a gen2 function's event trigger calling the function itself. */
function workloadCalls(r: PlainResource, ctx: CallerContext): void {
  const w = ctx.index.workloads.get(r.urn);
  if (!w) return;
  // Missing account: Cloud Run and Cloud Functions run as the project's default compute account, whose
  // project number a known URL of the caller or callee can give. The provider computes the field, so
  // during preview a workload that sets none shows it unknown, not missing: never granted.
  const runsAs = (urls: readonly string[]) =>
    identityAt(w.reader.account(r.props), r, w.reader.key, ctx.index, () => defaultComputeIdentity([...w.urls, ...urls], ctx.options));
  ctx.addRuntime(r, `${w.label} (${w.kind})`, runsAs([]), true);
  for (const { callee, via } of envCalls(w, ctx.index)) {
    ctx.addCalls(r, { caller: w.label, via, setting: w.reader.accountSetting }, [callee], (c) => runsAs(c.urls));
  }

  const trigger = at(r.props, "eventTrigger");
  if (w.kind === "function" && trigger !== undefined && trigger !== null) {
    // A gen2 event trigger calls the function's own service; missing account = default compute account.
    const identity = identityAt(text(r.props, "eventTrigger", "serviceAccountEmail"), r, "eventTrigger", ctx.index, () => defaultComputeIdentity(w.urls, ctx.options));
    ctx.addRuntime(r, `${w.label} (event trigger)`, identity, true);
    ctx.addCalls(r, { caller: w.label, via: "event trigger", setting: "eventTrigger.serviceAccountEmail" }, [w], () => identity);
  }
}

/**
 * An Eventarc Advanced pipeline delivers to each destination's `httpEndpoint.uri`, with a Google OIDC token
 * of `authenticationConfig.googleOidc.serviceAccount` when set. An OAuth token is for Google APIs and no
 * token is no identity: to Cloud Run both are unauthenticated. Topic, workflow and message-bus
 * destinations call no Cloud Run service.
 */
function pipelineCalls(r: PlainResource, ctx: CallerContext): void {
  const id = text(r.props, "pipelineId");
  const caller = typeof id === "string" ? id : r.name;
  const destinations = list(r.props, "destinations");
  if (destinations === unknown) {
    // The whole list is not known yet: every service it came from may be called, by an identity not known yet.
    const identity = unidentifiedIdentity(
      "the pipeline's destinations are not known until deploy",
      "write destinations as a list whose httpEndpoint.uri and authenticationConfig are set in the program",
    );
    ctx.addCalls(r, { caller, via: "eventarc pipeline", setting: "destinations[0].authenticationConfig.googleOidc.serviceAccount" }, dependencyWorkloads(r, "destinations", ctx.index), () => identity);
    return;
  }
  destinations.forEach((d, i) => {
    const endpoint = at(d, "httpEndpoint");
    if (endpoint === undefined || endpoint === null) return;
    const callees = calleesAtUrl(text(endpoint, "uri"), r, "destinations", ctx.index);
    const oidc = at(d, "authenticationConfig", "googleOidc");
    const setting = `destinations[${i}].authenticationConfig.googleOidc.serviceAccount`;
    const identity =
      oidc === unknown
        ? identityAt(unknown, r, "destinations", ctx.index, () => unauthenticated)
        : oidc === undefined || oidc === null
          ? unauthenticated
          : identityAt(accountEmailOf(text(oidc, "serviceAccount")), r, "destinations", ctx.index, () => unauthenticated);
    if (identity.kind !== "unauthenticated") ctx.addRuntime(r, `${caller} (eventarc pipeline)`, identity);
    const via = destinations.length === 1 ? "eventarc pipeline" : `eventarc pipeline destination ${i}`;
    ctx.addCalls(r, { caller, via, setting, authFix: `set ${setting}` }, callees, () => identity);
  });
}

/**
 * A Cloud Workflows workflow calls every `http.*` step URL (`call: http.get`, `http.post`…, `args.url`) in its
 * `sourceContents` (YAML or JSON, at any depth: subworkflows, switch, for, parallel, try), as its
 * `serviceAccount` when the step sets `auth: {type: OIDC}` and unauthenticated otherwise (an OAuth2 token
 * is for Google APIs). A URL is a literal or `${sys.get_env("NAME")}` of `userEnvVars`. A workflow with no
 * account runs as the default compute account.
 */
function workflowCalls(r: PlainResource, ctx: CallerContext): void {
  const caller = displayName(r);
  const account = accountEmailOf(text(r.props, "serviceAccount"));
  const runsAs = (urls: readonly string[]) => identityAt(account, r, "serviceAccount", ctx.index, () => defaultComputeIdentity(urls, ctx.options));
  ctx.addRuntime(r, `${caller} (workflow)`, runsAs([]), true);
  const source = text(r.props, "sourceContents");
  if (source === unknown) {
    // Not known until deploy (made from another resource's output): its steps cannot be read, so every
    // service it came from is taken as called, and whether with a token cannot be known: never granted.
    const identity = unidentifiedIdentity(
      "sourceContents is not known until deploy, so which of its steps carry auth: {type: OIDC} is not known either",
      'keep sourceContents a literal and pass each URL in userEnvVars, read as ${sys.get_env("NAME")}',
    );
    const callees = dependencyWorkloads(r, "sourceContents", ctx.index);
    ctx.addCalls(r, { caller, via: "workflow sourceContents", setting: "serviceAccount" }, callees, () => identity);
    return;
  }
  if (source === undefined) return;
  const env = at(r.props, "userEnvVars");
  for (const step of workflowHttpSteps(source)) {
    const fromEnv = /^\$\{\s*sys\.get_env\(\s*["']([^"']+)["']\s*\)/.exec(step.url);
    let callees: Workload[];
    if (fromEnv) {
      const value = env === unknown ? unknown : text(env, fromEnv[1]);
      callees = calleesAtUrl(value, r, "userEnvVars", ctx.index);
    } else {
      callees = step.url.startsWith("https://") ? calleesAtUrl(step.url, r, "sourceContents", ctx.index) : [];
    }
    ctx.addCalls(
      r,
      { caller, via: `workflow step ${step.name}`, setting: "serviceAccount", authFix: `add auth: {type: OIDC} to the args of step ${step.name} in sourceContents` },
      callees,
      (c) => (step.oidc ? runsAs(c.urls) : { ...unauthenticated, onceAuthenticated: runsAs(c.urls) }),
    );
  }
}

/** An HTTP call step of a workflow: its name, URL expression and whether it sends an OIDC token. */
interface WorkflowHttpStep {
  readonly name: string;
  readonly url: string;
  readonly oidc: boolean;
}

/** Every `call: http.*` step with a string `args.url`, wherever it is nested; a source that is not YAML or JSON has none. */
export function workflowHttpSteps(source: string): WorkflowHttpStep[] {
  let doc: unknown;
  try {
    doc = parseYaml(source);
  } catch {
    return [];
  }
  const steps: WorkflowHttpStep[] = [];
  const walk = (node: unknown, name: string): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item, name);
      return;
    }
    if (node === null || typeof node !== "object") return;
    const record = node as Record<string, unknown>;
    const call = record.call;
    const url = at(record, "args", "url");
    if (typeof call === "string" && /^http\.(get|post|put|patch|delete|request)$/.test(call) && typeof url === "string") {
      const auth = at(record, "args", "auth", "type");
      steps.push({ name, url: url.trim(), oidc: typeof auth === "string" && auth.toUpperCase() === "OIDC" });
    }
    // A step is a one-key map `NAME: {call, args…}`: the key names what is inside it.
    for (const [key, value] of Object.entries(record)) walk(value, typeof value === "object" && value !== null && !Array.isArray(value) && "call" in value ? key : name);
  };
  walk(doc, "main");
  return steps;
}

/** An account setting may hold the email or the account's id `projects/P/serviceAccounts/EMAIL` (Workflows answers with the id). */
function accountEmailOf(value: string | Unknown | undefined): string | Unknown | undefined {
  return typeof value === "string" ? value.slice(value.lastIndexOf("/") + 1) : value;
}

function unidentifiedIdentity(why: string, fix: string): Identity {
  return { kind: "unidentified", principals: [], description: `an identity not known until deploy (${why})`, isDefaultAccount: false, fix };
}

function findCalls(resources: readonly PlainResource[], index: Index, options: CallGraphOptions): { calls: FoundCall[]; runtimes: Runtime[] } {
  const calls: FoundCall[] = [];
  const runtimes: Runtime[] = [];
  const ctx: CallerContext = {
    index,
    options,
    addRuntime: (r, who, identity, defaultsToCompute = false) =>
      runtimes.push({
        urn: r.urn,
        who,
        identity: identity.description,
        isDefaultAccount: identity.isDefaultAccount,
        mayBeDefaultAccount: defaultsToCompute && identity.kind === "unidentified",
      }),
    addCalls: (r, found, callees, identityFor) => {
      for (const callee of callees) calls.push({ ...found, callerResource: r, callee, identity: identityFor(callee) });
    },
  };
  for (const r of resources) callerReaders[r.type]?.(r, ctx);
  return { calls, runtimes };
}

/** A resource as a person names it: its `name` property (short form), else its logical name. */
export function displayName(r: PlainResource): string {
  const name = resourceName(text(r.props, "name"));
  return typeof name === "string" ? name : r.name;
}

// ---------------------------------------------------------------------------------------------------
// The graph.

export function buildCallGraph(resources: readonly PlainResource[], options: CallGraphOptions = {}): CallGraph {
  const index = indexStack(resources);
  // Only invoker grants can let a call through; Cloud Functions IAM grants and unreadable policies are
  // kept to explain in a fix why they do not count. Every other grant (a stack has many) is dropped here.
  const grants: Grant[] = [];
  for (const r of resources) {
    const shape = grantShapes[r.type];
    if (!shape) continue;
    for (const g of grantsOf(r, shape, index)) {
      if (!g.unreadable && g.cloudRunIam && g.role !== invokerRole) continue;
      grants.push(options.assumeServiceAccountMembers ? { ...g, members: g.members.map(assumedMember) } : g);
    }
  }
  const isInvoker = (g: Grant) => g.cloudRunIam && g.role === invokerRole;

  // Which workloads each service grant covers, looked up by name or by dependency; project grants cover
  // every workload they share a project with. Invoker members are indexed by who they name, so a call
  // looks up its own identity instead of scanning grants.
  const grantsOnWorkload = new Map<Workload, Grant[]>();
  /** Grants that name a workload but leave the project or location to the provider (not known until deploy). */
  const providerPlaced = new Map<Workload, Grant[]>();
  const projectGrants: Grant[] = [];
  const targetsOf = new Map<Grant, Workload[]>();
  const byEmail = new Map<string, InvokerEntry[]>();
  const byAccountId = new Map<string, InvokerEntry[]>();
  const publicEntries: InvokerEntry[] = [];
  for (const g of grants) {
    if (g.scope === "project") {
      projectGrants.push(g);
    } else {
      const candidates = typeof g.name === "string" ? (index.workloadsByName.get(g.name) ?? []) : [...g.nameDeps].flatMap((urn) => index.workloads.get(urn) ?? []);
      const targets = candidates.filter((w) => grantCovers(g, w));
      targetsOf.set(g, targets);
      for (const w of targets) push(grantsOnWorkload, w, g);
      if (leftToProvider(g).length > 0) for (const w of candidates.filter((c) => !targets.includes(c))) push(providerPlaced, w, g);
    }
    if (!isInvoker(g)) continue;
    for (const member of g.members) {
      const entry = { grant: g, member };
      if (isPublicMember(member)) publicEntries.push(entry);
      else if (member.value?.startsWith("serviceAccount:")) {
        const email = member.value.slice("serviceAccount:".length);
        push(byEmail, email, entry);
        push(byAccountId, email.slice(0, email.indexOf("@")), entry);
      }
    }
  }
  const covering = (entries: readonly InvokerEntry[] | undefined, w: Workload) => (entries ?? []).filter((e) => grantCovers(e.grant, w));
  const entriesFor = (p: Principal): InvokerEntry[] => [
    ...(p.email ? (byEmail.get(p.email) ?? []) : []),
    ...(!p.email && p.account?.accountId ? (byAccountId.get(p.account.accountId) ?? []) : []),
  ];

  const used = new Set<GrantMember>();
  const { calls: found, runtimes } = findCalls(resources, index, options);
  const calls = found.map((c): Call => {
    const satisfying = new Set<string>();
    // Public members let everyone in (allAuthenticatedUsers: every caller that presents a token).
    for (const { grant, member } of covering(publicEntries, c.callee)) {
      if (member.value === "allUsers" || c.identity.kind !== "unauthenticated") satisfying.add(grant.resource.urn);
    }
    if (c.callee.invokerIamDisabled) satisfying.add(c.callee.resource.urn);
    let granted = satisfying.size > 0;
    // Otherwise every account the caller may be (several only while preview cannot tell) needs a grant.
    let everyPrincipal = c.identity.principals.length > 0;
    for (const p of c.identity.principals) {
      const matches = covering(entriesFor(p), c.callee).filter((e) => memberMatches(e.member, p));
      for (const { grant, member } of matches) {
        used.add(member);
        satisfying.add(grant.resource.urn);
      }
      everyPrincipal &&= matches.length > 0;
    }
    granted ||= everyPrincipal;
    const candidates = [...(grantsOnWorkload.get(c.callee) ?? []), ...projectGrants.filter((g) => grantCovers(g, c.callee))];
    const callerAccounts = new Set(c.identity.principals.flatMap((p) => p.account ?? []));
    const pending = granted
      ? undefined
      : candidates.find((g) => isInvoker(g) && g.members.some((m) => m.value === undefined && m.accounts.some((a) => callerAccounts.has(a))));
    return {
      caller: c.caller,
      callerUrn: c.callerResource.urn,
      callee: c.callee.label,
      calleeUrn: c.callee.resource.urn,
      via: c.via,
      identity: c.identity.description,
      ...(c.identity.member ? { member: c.identity.member } : {}),
      granted,
      grants: [...satisfying],
      ...(pending ? { notKnownUntilDeploy: pending.label } : {}),
      fix: granted
        ? ""
        : fixFor(c, candidates, [
            ...(providerPlaced.get(c.callee) ?? []),
            ...projectGrants.filter((g) => leftToProvider(g).length > 0),
          ]),
    };
  });

  const invokerGrants: InvokerGrantMember[] = [];
  const unusedGrants: UnusedGrant[] = [];
  // A default-account member may be used by a caller whose default account cannot be named yet, or whose
  // account the provider fills in only at deploy (a workload or event trigger that sets none).
  const defaultUnnamed = found.some((c) => c.identity.kind === "default" && c.identity.principals.length === 0) || runtimes.some((r) => r.mayBeDefaultAccount);
  for (const g of grants) {
    if (!isInvoker(g)) continue;
    const targets = targetsOf.get(g) ?? [];
    const target = g.scope === "project" ? `project ${typeof g.project === "string" ? g.project : "(provider default)"}` : targetLabel(g, targets);
    for (const m of g.members) {
      const member = describeMember(m);
      const isPublic = isPublicMember(m);
      invokerGrants.push({
        grantUrn: g.resource.urn,
        grant: g.label,
        scope: g.scope,
        target,
        targetNames: targets.length > 0 ? targets.map((w) => w.label) : typeof g.name === "string" ? [g.name] : [],
        targets: targets.map(namesOf),
        member,
        isPublic,
      });
      // Unused: a known member no call is made as. Members not known until deploy, and default-account
      // members while some caller's default account cannot be named, are left out: nothing can be said
      // about them yet.
      const readable = m.value !== undefined;
      const maybeUnnamedDefault = defaultUnnamed && m.value !== undefined && /-compute@developer\.gserviceaccount\.com$/.test(m.value);
      if (!isPublic && readable && !used.has(m) && !maybeUnnamedDefault) unusedGrants.push({ grantUrn: g.resource.urn, grant: g.label, target, member });
    }
  }

  return {
    calls,
    runtimes,
    invokerGrants,
    invokerIamDisabled: [...index.workloads.values()].filter((w) => w.invokerIamDisabled).map(namesOf),
    unusedGrants,
  };
}

function namesOf(w: Workload): WorkloadNames {
  return { urn: w.resource.urn, logicalName: w.resource.name, name: w.label };
}

function targetLabel(g: Grant, targets: readonly Workload[]): string {
  const name = targets.length === 1 ? targets[0].label : typeof g.name === "string" ? g.name : "a service not known until deploy";
  const location = targets.length === 1 ? targets[0].location : g.location;
  return `${name}${typeof location === "string" ? ` (${location})` : ""}`;
}

// ---------------------------------------------------------------------------------------------------
// Fixes a person can paste: literal values where they are known, and where a value is another resource's
// output, that resource's variable, named after its logical name and said which resource it is.

const reservedWords = new Set(
  "break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof let new null return super switch this throw true try typeof var void while with yield".split(" "),
);

/**
 * The variable a program most likely holds a resource in: its logical name in camelCase (`gcf-sa` → `gcfSa`),
 * and a reserved word or a leading digit behind an underscore, as Pulumi's own examples write `_default`.
 */
export function variableFor(logicalName: string): string {
  const words = logicalName.split(/[^A-Za-z0-9_$]+/).filter(Boolean);
  const camel = words.map((w, i) => (i === 0 ? w.charAt(0).toLowerCase() + w.slice(1) : w.charAt(0).toUpperCase() + w.slice(1))).join("") || "resource";
  return reservedWords.has(camel) || /^[0-9]/.test(camel) ? `_${camel}` : camel;
}

/**
 * A member for an account of this stack that is known in preview: its id and project are the account's own
 * inputs, where its email is computed by the provider. When the program leaves the account's project to the
 * provider, `${account.project}` is not known in preview either, so the provider's own project is used.
 */
function knownMemberOf(account: Account): string {
  const v = variableFor(account.logicalName);
  const project = account.projectKnown ? `\${${v}.project}` : "${gcp.config.project}";
  return `pulumi.interpolate\`serviceAccount:\${${v}.accountId}@${project}.iam.gserviceaccount.com\``;
}

/** Which resource a variable in a fix stands for. */
function accountNote(account: Account): string {
  return `${variableFor(account.logicalName)} is the gcp.serviceaccount.Account "${account.logicalName}"${account.accountId ? `, account id ${account.accountId}` : ""}`;
}

/** A new dedicated account for a caller that has none (or runs as a default account): an id GCP accepts (6-30 characters, a letter first). */
function dedicatedAccountId(caller: string): string {
  const base = caller.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^[^a-z]+/, "").slice(0, 22).replace(/-+$/, "");
  return `${base || "caller"}-invoker`;
}

/**
 * Pulumi's auto-name of a resource that sets none: its logical name, `-` and 7 hex characters drawn anew for
 * each new resource. A program cannot write it: it refers to the resource's `name` output instead.
 */
export function isAutoNamed(name: string, logicalName: string): boolean {
  return name.length === logicalName.length + 8 && name.startsWith(`${logicalName}-`) && /^[0-9a-f]{7}$/.test(name.slice(-7));
}

/** A callee's name, location or project as a literal when known, else the callee's output (a dependency, so still matched in preview). */
function calleeValue(callee: Workload, value: string | Unknown | undefined, output: string): string {
  const literal = typeof value === "string" && !(output === "name" && isAutoNamed(value, callee.resource.name));
  return literal ? JSON.stringify(value) : `${variableFor(callee.resource.name)}.${output}`;
}

/** A name for a new resource: a caller's or callee's own name, or its logical name where the name was drawn at random. */
function stableName(name: string, r: PlainResource): string {
  return isAutoNamed(name, r.name) ? r.name : name;
}

/** `new gcp.cloudrunv2.ServiceIamMember("caller-invokes-callee", { name, location, project, role, member })` for this callee's kind. */
function grantCode(c: FoundCall, member: string): string {
  const callee = c.callee;
  const { className, nameKey } = callee.reader.grant;
  return (
    `new ${className}("${stableName(c.caller, c.callerResource)}-invokes-${stableName(callee.label, callee.resource)}", { ${nameKey}: ${calleeValue(callee, callee.name, "name")}, ` +
    `location: ${calleeValue(callee, callee.location, "location")}, project: ${calleeValue(callee, callee.project, "project")}, ` +
    `role: "${invokerRole}", member: ${member} })`
  );
}

/** What a fix that refers to the callee by variable assumes about it. */
function calleeNote(callee: Workload): string | undefined {
  const unknownParts = [callee.name, callee.location, callee.project].some((v) => typeof v !== "string") || (typeof callee.name === "string" && isAutoNamed(callee.name, callee.resource.name));
  return unknownParts ? `${variableFor(callee.resource.name)} is the ${shortType(callee.resource.type)} "${callee.resource.name}"` : undefined;
}

/** The grant that lets the call through, made as `identity`, with whatever the caller must change first. */
function grantFix(c: FoundCall, identity: Identity, where: string): string {
  const account = identity.principals.length === 1 ? identity.principals[0].account : undefined;
  const setAccount = `set ${c.setting} to ${variableFor(dedicatedAccountId(stableName(c.caller, c.callerResource)))}.email`;
  if (identity.kind === "unauthenticated") {
    // A caller that has an account but sent no token: send one, and grant that account.
    if (identity.onceAuthenticated) return `${c.authFix ?? `set ${c.setting}`}, then ${grantFix(c, identity.onceAuthenticated, where)}`;
    return dedicatedAccountFix(c, setAccount);
  }
  if (identity.fix) return `${identity.fix}, so ${c.caller}'s call on ${where} can be judged before deploy`;
  // Never a grant to a default account (every workload that sets no account shares it), nor to one not known until deploy.
  if (identity.kind === "unidentified" || identity.isDefaultAccount || identity.principals.length === 0) return dedicatedAccountFix(c, setAccount);
  // An account of this stack: by its variable, in the form known during preview.
  if (account) return `grant ${invokerRole} on ${where} to the account ${account.label}: ${grantCode(c, knownMemberOf(account))} (where ${accountNote(account)})`;
  const member = identity.member ?? `serviceAccount:${identity.principals[0].email}`;
  return `grant ${invokerRole} on ${where} to ${member}: ${grantCode(c, JSON.stringify(member))}`;
}

/** A caller with no account of its own (none, a default account, or no token): create one, run as it, grant it. */
function dedicatedAccountFix(c: FoundCall, how: string): string {
  const id = dedicatedAccountId(stableName(c.caller, c.callerResource));
  const v = variableFor(id);
  const project = typeof c.callee.project === "string" ? JSON.stringify(c.callee.project) : "gcp.config.project";
  const account: Account = { label: id, logicalName: id, projectKnown: true, accountId: id };
  return (
    `give ${c.caller} an account of its own: const ${v} = new gcp.serviceaccount.Account("${id}", { accountId: "${id}", project: ${project} }); ` +
    `${how}; then ${grantCode(c, knownMemberOf(account))}`
  );
}

/**
 * What of a grant's target (project, location) is not known until deploy and comes from no resource: the
 * provider fills it in from its own configuration then, so during preview it cannot be matched to a callee.
 */
function leftToProvider(g: Grant): string[] {
  return [
    ...(g.project === unknown && g.projectDeps.size === 0 ? ["project"] : []),
    ...(g.scope === "service" && g.location === unknown && g.locationDeps.size === 0 ? ["location"] : []),
  ];
}

/**
 * The exact grant to add, and why each grant that names the callee does not count: `candidates` cover it,
 * `providerPlaced` name it but leave their project or location to the provider.
 */
function fixFor(c: FoundCall, candidates: readonly Grant[], providerPlaced: readonly Grant[]): string {
  const callee = c.callee;
  const location = typeof callee.location === "string" ? callee.location : undefined;
  const where = `${callee.label}${location ? ` (${location})` : ""}`;
  let fix = grantFix(c, c.identity, where);
  const note = calleeNote(callee);
  if (note) fix = `${fix} (where ${note})`;
  const notes = candidates.flatMap((g): string[] => {
    if (g.unreadable) return [`${g.label}'s policyData is not known until deploy, so it cannot be checked during preview`];
    if (!g.cloudRunIam) {
      const role = typeof g.role === "string" ? g.role : "a role";
      const firstGen = g.role === "roles/cloudfunctions.invoker" ? "roles/cloudfunctions.invoker is the 1st-gen role; " : "";
      return [`${g.label} grants ${role} on the Cloud Functions resource (${firstGen}a gen2 function is called through its Cloud Run service, which needs ${invokerRole})`];
    }
    if (g.role !== invokerRole) return [];
    const fromAccounts = g.members.flatMap((m) => (m.value === undefined ? m.accounts : []));
    if (fromAccounts.length > 0) {
      return [
        `${g.label} has a member not known until deploy (from ${fromAccounts.map((a) => `new service account ${a.label}`).join(" or ")}): ` +
          `during preview it could as well be user:EMAIL or the bare email, which grant nothing; write it as member: ${knownMemberOf(fromAccounts[0])} (where ${accountNote(fromAccounts[0])}), which is known before deploy`,
      ];
    }
    if (g.members.some((m) => m.value === undefined)) {
      return [`${g.label} has a member not known until deploy and not from a service account in this stack`];
    }
    return [`${g.label} grants ${invokerRole} on ${where} to ${g.members.map(describeMember).join(", ")}, not to this caller`];
  });
  for (const g of providerPlaced) {
    const fields = leftToProvider(g).join(" and ");
    notes.push(`${g.label} leaves its ${fields} to the provider, which fills ${fields.includes(" and ") ? "them" : "it"} in only at deploy: set ${fields} so the grant can be checked during preview`);
  }
  return notes.length === 0 ? fix : `${fix}. Note: ${notes.join("; ")}`;
}
