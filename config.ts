// The stack config: one strict zod schema over the keys exactly as they stand in `Pulumi.<stack>.yaml`,
// so every problem is reported at once by the key a person edits. The Pulumi program and the offline
// tools both parse through `parseConfig`; only where the raw keys come from differs.
import { z } from "zod";
import { engineSecretKeys, plainSecrets } from "./lib/secrets";
import { pipeline } from "./pipeline";
import { workloadsOf, type Topology, type Workload } from "./topology";

/** Regions where Cloud Run, Cloud Functions gen2 and Cloud Scheduler all run. */
export const regions = [
  "africa-south1", "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2", "asia-northeast3",
  "asia-south1", "asia-south2", "asia-southeast1", "asia-southeast2", "australia-southeast1",
  "australia-southeast2", "europe-central2", "europe-north1", "europe-southwest1", "europe-west1",
  "europe-west2", "europe-west3", "europe-west4", "europe-west6", "europe-west8", "europe-west9",
  "europe-west10", "europe-west12", "me-central1", "me-central2", "me-west1", "northamerica-northeast1",
  "northamerica-northeast2", "southamerica-east1", "southamerica-west1", "us-central1", "us-east1",
  "us-east4", "us-east5", "us-south1", "us-west1", "us-west2", "us-west3", "us-west4",
] as const;

/** A zod error callback: "missing; expected X" or "expected X, got "latest"". */
function expected(format: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined ? `missing; expected ${format}` : `expected ${format}, got ${JSON.stringify(issue.input)}`;
}

/** A string field that must match `pattern`, described as `format` in every message. */
function formatted(pattern: RegExp, format: string) {
  return z.string({ error: expected(format) }).regex(pattern, { error: expected(format) });
}

export const commitFormat = "a git commit SHA, 7–40 lowercase hex characters";
/** An immutable git SHA as stack config, images and labels write it: never a branch or tag. */
export const commitPattern = /^[0-9a-f]{7,40}$/;
const commit = formatted(commitPattern, commitFormat);

const region = z.string({ error: expected("a GCP region such as us-west2") }).refine(
  (r) => (regions as readonly string[]).includes(r),
  { error: (issue) => `unknown region ${JSON.stringify(issue.input)}${suggestion(String(issue.input), regions)}; expected a GCP region such as us-west2` },
);

/** A record key that must be one of `names`, with a did-you-mean in its message. */
function oneOf(names: readonly string[], what: string) {
  return z.string().refine((key) => names.includes(key), {
    error: (issue) => `unknown ${what} ${JSON.stringify(issue.input)}${suggestion(String(issue.input), names)}; expected one of ${names.join(", ")}`,
  });
}

/** The schema of the stack config keys for a topology: its deploy groups and workload names. */
function schemaFor(topology: Topology) {
  const groups = topology.deployGroups;
  const groupCommits = z.strictObject(Object.fromEntries(groups.map((group) => [group, commit])) as Record<string, typeof commit>, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown deploy group; expected one of ${groups.join(", ")}`
        : expected(`a map of deploy group to commit (${groups.join(", ")})`)(issue),
  });
  const override = z.strictObject({
    commit,
    reason: z.string({ error: expected("the reason this workload is pinned apart from its deploy group") }).trim().min(1, {
      error: expected("the reason this workload is pinned apart from its deploy group"),
    }),
  });
  const overrides = z.record(oneOf(workloadsOf(topology).map((w) => w.name), "service or function"), override, {
    error: expected("a map of service or function name to {commit, reason}"),
  });
  const triggered = topology.functions.filter((f) => "topic" in f.trigger).map((f) => f.name);
  const adoptedFunctions = z.array(oneOf(triggered, "event-triggered function"), { error: expected("a list of event-triggered function names") });
  const fields = {
    "gcp:project": formatted(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "a GCP project ID: 6–30 lowercase letters, digits and hyphens"),
    "gcp:region": region,
    "nba-pipeline:projectNumber": formatted(/^[0-9]{6,20}$/, 'the GCP project number, quoted, such as "756957797294"'),
    "nba-pipeline:registry": formatted(
      /^[a-z0-9-]+-docker\.pkg\.dev\/[a-z][a-z0-9-]+\/[a-z0-9][a-z0-9._-]*$/,
      "an Artifact Registry Docker repository such as us-west2-docker.pkg.dev/PROJECT/REPO",
    ),
    "nba-pipeline:functionSourceBucket": formatted(
      /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/,
      "the GCS bucket of function source zips (NAME/COMMIT.zip): 3–63 lowercase letters, digits, dots, hyphens, underscores",
    ),
    "nba-pipeline:deployGroups": groupCommits,
    "nba-pipeline:overrides": overrides.default({}),
    // Event-triggered functions that ran before the stack took them over (`npm run adopt` lists them): each
    // one's trigger grant names its Cloud Run service directly and is made before the function changes, so
    // switching the trigger to its own account never leaves it without run.invoker. A function the stack
    // creates new must not be listed (its service does not exist before it).
    "nba-pipeline:adoptedFunctions": adoptedFunctions.default([]),
    "nba-pipeline:alertNotificationChannels": z
      .array(formatted(/^projects\/[^/]+\/notificationChannels\/[0-9]+$/, "a notification channel name: projects/PROJECT/notificationChannels/ID"), {
        error: expected("a list of notification channel names"),
      })
      .default([]),
  };
  const keys = Object.keys(fields).join(", ");
  return z.strictObject(fields, { error: (issue) => (issue.code === "unrecognized_keys" ? `unknown config key; this stack reads ${keys}` : undefined) });
}

const schemas = new WeakMap<Topology, ReturnType<typeof schemaFor>>();

/** The stack config keys of the real pipeline, exactly as written under `config:` in the stack file. */
export const stackConfigSchema = schemaFor(pipeline);
schemas.set(pipeline, stackConfigSchema);

export type RawStackConfig = z.input<typeof stackConfigSchema>;

export interface StackConfig {
  readonly project: string;
  readonly region: string;
  readonly projectNumber: string;
  readonly registry: string;
  readonly functionSourceBucket: string;
  readonly deployGroups: Readonly<Record<string, string>>;
  /** Workloads pinned apart from their group, each with the reason a reviewer reads. */
  readonly overrides: Readonly<Partial<Record<string, { readonly commit: string; readonly reason: string }>>>;
  readonly alertNotificationChannels: readonly string[];
  /** Event-triggered functions that existed before the stack: their trigger grants come first. */
  readonly adoptedFunctions: readonly string[];
}

/** One problem in the stack config: the key path as written in the stack file, and what is expected. */
export interface ConfigProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export type ParseResult = { ok: true; config: StackConfig } | { ok: false; problems: ConfigProblem[] };

/**
 * Parses the stack config keys (as written under `config:`; keys of other namespaces such as
 * `gcp:impersonateServiceAccount` are the provider's and are not read), and refuses, in every namespace,
 * a key that looks like a secret's holding a plain value (lib/secrets.ts); `secretKeys` are the keys whose
 * values the engine decrypted before handing them over. Collects every problem, never throws.
 */
export function parseConfig(raw: unknown, topology: Topology = pipeline, secretKeys: ReadonlySet<string> = engineSecretKeys()): ParseResult {
  const ours =
    raw !== null && typeof raw === "object" && !Array.isArray(raw)
      ? Object.fromEntries(Object.entries(raw).filter(([key]) => key.startsWith("nba-pipeline:") || key === "gcp:project" || key === "gcp:region"))
      : raw;
  let schema = schemas.get(topology);
  if (!schema) schemas.set(topology, (schema = schemaFor(topology)));
  const result = schema.safeParse(ours);
  const secrets = plainSecrets(raw, secretKeys);
  if (!result.success || secrets.length > 0) {
    return {
      ok: false,
      problems: [
        ...(result.success ? [] : result.error.issues).flatMap((issue): ConfigProblem[] => {
          const path = issue.path as (string | number)[];
          if (issue.code === "unrecognized_keys") return issue.keys.map((key) => ({ path: [...path, key], message: issue.message }));
          // A bad record key (unknown deploy group or workload) carries its own messages inside.
          if (issue.code === "invalid_key") return issue.issues.map((inner) => ({ path, message: inner.message }));
          return [{ path, message: issue.message }];
        }),
        ...secrets,
      ],
    };
  }
  const c = result.data;
  return {
    ok: true,
    config: {
      project: c["gcp:project"],
      region: c["gcp:region"],
      projectNumber: c["nba-pipeline:projectNumber"],
      registry: c["nba-pipeline:registry"],
      functionSourceBucket: c["nba-pipeline:functionSourceBucket"],
      deployGroups: c["nba-pipeline:deployGroups"],
      overrides: c["nba-pipeline:overrides"],
      alertNotificationChannels: c["nba-pipeline:alertNotificationChannels"],
      adoptedFunctions: c["nba-pipeline:adoptedFunctions"],
    },
  };
}

/** `nba-pipeline:deployGroups.pipeline`: a problem's path as a person finds it in the stack file. */
export function keyPath(path: readonly (string | number)[]): string {
  return path.length === 0 ? "config" : path.map(String).join(".");
}

/**
 * One message for all problems, a line each: `Pulumi.prod.yaml:14: nba-pipeline:deployGroups.pipeline:
 * a git commit SHA, 7–40 lowercase hex characters`. `lineOf` maps a key path to its line when known.
 */
export function formatProblems(
  stackFile: string,
  problems: readonly ConfigProblem[],
  lineOf: (path: readonly (string | number)[]) => number | undefined = () => undefined,
): string {
  const lines = problems.map((p) => {
    const line = lineOf(p.path);
    return `  ${stackFile}${line === undefined ? "" : `:${line}`}: ${keyPath(p.path)}: ${p.message}`;
  });
  return `invalid stack config in ${stackFile} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${lines.join("\n")}`;
}

/** The commit a workload runs: its override if it has one, else its deploy group's. */
export function commitFor(config: StackConfig, workload: Workload): string {
  const commit = config.overrides[workload.name]?.commit ?? config.deployGroups[workload.group];
  if (commit === undefined) throw new Error(`commitFor: ${workload.name}'s deploy group ${workload.group} has no commit in the stack config`);
  return commit;
}

/** ` (did you mean "us-west2"?)` when one candidate is within two edits of the input. */
function suggestion(input: string, candidates: readonly string[]): string {
  const near = candidates.filter((c) => editDistance(input, c) <= 2);
  return near.length === 1 ? ` (did you mean ${JSON.stringify(near[0])}?)` : "";
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
