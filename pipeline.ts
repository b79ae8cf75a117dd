// The pipeline's topology as plain data: which workloads exist, the phase and deploy group each belongs
// to, what triggers it and what it calls. `index.ts` turns this into resources; the operator tools (check,
// drift, release) read it directly, so a person and the stack always agree on what the pipeline is.
// No Pulumi imports here: this module must load in milliseconds and stay pure.

/** Deploy groups: everything in one group runs one git commit and ships together. */
export const deployGroups = ["scrapers", "pipeline", "grading"] as const;
export type DeployGroup = (typeof deployGroups)[number];

/** Phases in the order they deploy; a phase's workloads depend on every earlier phase's. */
export const phases = [
  { phase: 1, name: "scrapers" },
  { phase: 3, name: "analytics" },
  { phase: 4, name: "precompute" },
  { phase: 5, name: "predictions" },
  { phase: 6, name: "grading" },
] as const;
export type Phase = (typeof phases)[number]["phase"];

/** Pub/Sub topics the phases hand over through. */
export const topics = {
  scrapersComplete: "nba-phase1-scrapers-complete",
  analyticsComplete: "nba-phase3-analytics-complete",
  precomputeComplete: "nba-phase4-precompute-complete",
  predictionRequests: "prediction-requests",
  predictionsComplete: "nba-phase5-predictions-complete",
} as const;
export type TopicKey = keyof typeof topics;

interface WorkloadSpec {
  /** The Cloud Run service or function name; also the image and source object name. */
  readonly name: string;
  readonly phase: Phase;
  readonly group: DeployGroup;
  /** Paths in the app repository whose changes change this workload (drift counts commits touching them). */
  readonly sourcePaths: readonly string[];
}

export interface ServiceSpec extends WorkloadSpec {
  readonly kind: "service";
  /** Topics the service publishes to when it finishes (it gets roles/pubsub.publisher on each). */
  readonly publishes: readonly TopicKey[];
}

/** A call from a workload to a Cloud Run service, made with the URL in env var `env`. */
export interface EnvCall {
  readonly callee: ServiceName;
  readonly env: string;
}

export interface FunctionSpec extends WorkloadSpec {
  readonly kind: "function";
  /** Python entry point in the function's source. */
  readonly entryPoint: string;
  /** What starts the function: a Pub/Sub topic (gen2 event trigger) or a Cloud Scheduler cron (HTTP, OIDC). */
  readonly trigger: { readonly topic: TopicKey } | { readonly schedule: string };
  readonly calls: readonly EnvCall[];
}

export const services = [
  {
    kind: "service",
    name: "nba-scrapers",
    phase: 1,
    group: "scrapers",
    sourcePaths: ["scrapers/", "shared/"],
    publishes: ["scrapersComplete"],
  },
  {
    kind: "service",
    name: "nba-phase3-analytics-processors",
    phase: 3,
    group: "pipeline",
    sourcePaths: ["data_processors/analytics/", "shared/"],
    publishes: ["analyticsComplete"],
  },
  {
    kind: "service",
    name: "nba-phase4-precompute-processors",
    phase: 4,
    group: "pipeline",
    sourcePaths: ["data_processors/precompute/", "shared/"],
    publishes: ["precomputeComplete"],
  },
  {
    kind: "service",
    name: "prediction-coordinator",
    phase: 5,
    group: "pipeline",
    sourcePaths: ["predictions/coordinator/", "predictions/shared/", "shared/"],
    publishes: ["predictionRequests"],
  },
  {
    kind: "service",
    name: "prediction-worker",
    phase: 5,
    group: "pipeline",
    sourcePaths: ["predictions/worker/", "predictions/shared/", "shared/"],
    publishes: ["predictionsComplete"],
  },
  {
    kind: "service",
    name: "grading",
    phase: 6,
    group: "grading",
    sourcePaths: ["grading/", "shared/"],
    publishes: [],
  },
] as const satisfies readonly ServiceSpec[];
export type ServiceName = (typeof services)[number]["name"];

export const functions = [
  {
    kind: "function",
    name: "phase3-to-phase4",
    phase: 4,
    group: "pipeline",
    sourcePaths: ["orchestration/cloud_functions/phase3_to_phase4/", "shared/"],
    entryPoint: "orchestrate",
    trigger: { topic: "analyticsComplete" },
    calls: [{ callee: "nba-phase4-precompute-processors", env: "PHASE4_URL" }],
  },
  {
    kind: "function",
    name: "phase4-to-phase5",
    phase: 5,
    group: "pipeline",
    sourcePaths: ["orchestration/cloud_functions/phase4_to_phase5/", "shared/"],
    entryPoint: "orchestrate",
    trigger: { topic: "precomputeComplete" },
    calls: [{ callee: "prediction-coordinator", env: "COORDINATOR_URL" }],
  },
  {
    kind: "function",
    name: "phase3-to-grading",
    phase: 6,
    group: "grading",
    sourcePaths: ["orchestration/cloud_functions/grading/", "shared/"],
    entryPoint: "orchestrate",
    trigger: { topic: "analyticsComplete" },
    calls: [{ callee: "grading", env: "GRADING_URL" }],
  },
  {
    kind: "function",
    name: "grading-coverage-monitor",
    phase: 6,
    group: "grading",
    sourcePaths: ["orchestration/cloud_functions/grading_coverage_monitor/", "shared/"],
    entryPoint: "check_coverage",
    trigger: { schedule: "0 11 * * *" },
    calls: [{ callee: "grading", env: "GRADING_URL" }],
  },
] as const satisfies readonly FunctionSpec[];
export type FunctionName = (typeof functions)[number]["name"];

/** Calls made by Pub/Sub push: every message on `topic` is POSTed to `callee` with an OIDC token. */
export const pushCalls = [
  { name: "nba-phase3-analytics-trigger", topic: "scrapersComplete", callee: "nba-phase3-analytics-processors", path: "/process" },
  { name: "prediction-worker-requests", topic: "predictionRequests", callee: "prediction-worker", path: "/predict" },
] as const satisfies readonly { name: string; topic: TopicKey; callee: ServiceName; path: string }[];

/** Calls made by Cloud Scheduler on a cron (America/New_York), with an OIDC token. */
export const scheduledCalls = [
  { name: "nba-scrapers-morning", callee: "nba-scrapers", schedule: "0 8 * * *", path: "/scrape?workflow=morning" },
  { name: "nba-scrapers-pregame", callee: "nba-scrapers", schedule: "0 17 * * *", path: "/scrape?workflow=pregame" },
  { name: "nba-scrapers-postgame", callee: "nba-scrapers", schedule: "30 1 * * *", path: "/scrape?workflow=postgame" },
] as const satisfies readonly { name: string; callee: ServiceName; schedule: string; path: string }[];

export const scheduleTimeZone = "America/New_York";

export type Workload = ServiceSpec | FunctionSpec;
export type WorkloadName = ServiceName | FunctionName;

/** Every service and function, phase by phase (services before functions within a phase). */
export const workloads: readonly Workload[] = phases.flatMap(({ phase }) => [
  ...services.filter((s) => s.phase === phase),
  ...functions.filter((f) => f.phase === phase),
]);

export const workloadNames = workloads.map((w) => w.name) as readonly WorkloadName[];
