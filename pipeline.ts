// The NBA pipeline as its application repository runs it: every Cloud Run service, gen2 function, topic,
// push subscription, Eventarc trigger and scheduler job that the app's deploy path creates, with what each
// workload calls, publishes and reads. Every entry cites its evidence as `path:line` in the app repository
// at `appRepository.commit`; where the app's scripts and the operations log disagree, the repository wins.
// Names the app's own scripts disagree on keep their alternatives beside the chosen one (the name of the
// deploy path that runs today: Cloud Build triggers running cloudbuild.yaml, cloudbuild-nba-phase2.yaml and
// cloudbuild-functions.yaml). What is left out, and why, is `leftOut` at the end.
//
// Plain data, no Pulumi: `program.ts` deploys it, and check, calls, drift and release read it.
import { dataAccess } from "./data-access";
import type { DataAccess, FunctionSpec, PublishJobSpec, SchedulerJobSpec, ServiceSpec, Topology } from "./topology";

/** The app repository this file models, read at its newest main. */
export const appRepository = {
  url: "https://github.com/najicham/nba-stats-scraper",
  commit: "18f6ecfee0e93e61e3ef16604e9958670a4256f1",
} as const;

/** Pipeline phases in deploy order, then `ops` (monitors, self-heal and backfill, which call phases 1–6). */
const phases = [
  { phase: "1", name: "scrapers" },
  { phase: "2", name: "raw" },
  { phase: "3", name: "analytics" },
  { phase: "4", name: "precompute" },
  { phase: "5", name: "predictions" },
  { phase: "5b", name: "grading" },
  { phase: "6", name: "export" },
  { phase: "ops", name: "monitoring" },
] as const;

/**
 * Deploy groups: everything in a group runs one commit and ships together. `pipeline` is phases 2–5 with
 * the orchestrators between them: the seed's validation gap came from moving them apart.
 */
const deployGroups = ["scrapers", "pipeline", "grading", "export", "ops"] as const;

/**
 * What cloudbuild-functions.yaml packages for a function (cloudbuild-functions.yaml:34-45): the function's
 * main.py and requirements.txt, and the whole data_processors/, shared/, predictions/, backfill_jobs/, ml/
 * and bin/monitoring/ trees. A change under any of them changes the function.
 */
function cloudBuildPackage(dir: string): string[] {
  return [`${dir}/main.py`, `${dir}/requirements.txt`, "data_processors/", "shared/", "predictions/", "backfill_jobs/", "ml/", "bin/monitoring/"];
}

/** Env every Cloud Build–deployed function gets (cloudbuild-functions.yaml:126), for this stack's project. */
const cloudBuildEnv = { GCP_PROJECT: "{project}" } as const;

const topicNames = [
  ["nba-phase1-scrapers-complete", "bin/pubsub/create_topics.sh:29"],
  ["nba-phase2-raw-complete", "bin/pubsub/create_topics.sh:32"],
  ["nba-phase2-raw-complete-dlq", "bin/infrastructure/create_phase2_phase3_topics.sh:71"],
  ["nba-phase3-trigger", "bin/pubsub/create_topics.sh:35"],
  ["nba-phase3-analytics-complete", "bin/pubsub/create_topics.sh:38"],
  ["nba-phase4-trigger", "bin/pubsub/create_topics.sh:41"],
  ["nba-phase4-precompute-complete", "bin/pubsub/create_topics.sh:45"],
  ["nba-predictions-trigger", "bin/orchestrators/deploy_phase4_to_phase5.sh:113"],
  ["prediction-request-prod", "bin/predictions/deploy/deploy_prediction_worker.sh:227"],
  ["prediction-request-dlq", "bin/alerts/check_system_health.sh:93"],
  ["prediction-ready-prod", "predictions/worker/env.template:21"],
  ["nba-phase5-predictions-complete", "bin/pubsub/create_topics.sh:48"],
  ["nba-grading-trigger", "bin/deploy/deploy_grading_function.sh:116"],
  ["nba-grading-complete", "bin/deploy/deploy_grading_function.sh:128"],
  ["nba-phase6-export-trigger", "bin/deploy/deploy_phase6_scheduler.sh:66"],
  ["nba-phase6-export-complete", "bin/orchestrators/deploy_phase5_to_phase6.sh:114"],
  ["nba-phase2-fallback-trigger", "bin/infrastructure/create_all_fallback_triggers.sh:77"],
  ["nba-phase3-fallback-trigger", "bin/infrastructure/create_all_fallback_triggers.sh:84"],
  ["nba-phase4-fallback-trigger", "bin/infrastructure/create_all_fallback_triggers.sh:91"],
  ["nba-scraper-trigger", "data_processors/analytics/main_analytics_service.py:420"],
  ["auto-retry-trigger", "bin/orchestrators/deploy_auto_retry_processor.sh:86"],
  ["nba-backfill-trigger", "orchestration/cloud_functions/gap_detector/deploy.sh:18"],
  ["boxscore-gaps-detected", "orchestration/cloud_functions/backfill_trigger/main.py:36"],
  ["phase-transition-monitor-trigger", "bin/monitoring/setup_phase_monitor_scheduler.sh:56"],
] as const;

const services: ServiceSpec[] = [
  {
    kind: "service",
    name: "nba-scrapers",
    alternatives: [
      { name: "nba-phase1-scrapers", evidence: "bin/deploy-service.sh:95" },
      { name: "nba-phase1-scrapers (default of the app's URL helper)", evidence: "shared/config/service_urls.py:34" },
    ],
    phase: "1",
    group: "scrapers",
    image: "nba-scrapers",
    dockerfile: "scrapers/Dockerfile",
    // scrapers/Dockerfile COPY lines: the image holds orchestration/ and config/ as well.
    sourcePaths: ["scrapers/", "shared/", "orchestration/", "config/"],
    env: { GCP_PROJECT_ID: "{project}" },
    // Set by the hand deploys before cloudbuild.yaml, which only updates env (cloudbuild.yaml:99-102): every
    // revision since keeps them, so the stack must too.
    secrets: [
      { env: "ODDS_API_KEY", secret: "ODDS_API_KEY", evidence: "bin/scrapers/deploy/deploy_scrapers_simple.sh:123" },
      { env: "AWS_SES_ACCESS_KEY_ID", secret: "aws-ses-access-key-id", evidence: "bin/scrapers/deploy/deploy_scrapers_simple.sh:123" },
      { env: "AWS_SES_SECRET_ACCESS_KEY", secret: "aws-ses-secret-access-key", evidence: "bin/scrapers/deploy/deploy_scrapers_simple.sh:123" },
      { env: "SLACK_WEBHOOK_URL", secret: "slack-webhook-url", evidence: "bin/scrapers/deploy/deploy_scrapers_simple.sh:123" },
      { env: "BREVO_SMTP_PASSWORD", secret: "brevo-smtp-password", evidence: "bin/scrapers/deploy/deploy_scrapers_simple.sh:123" },
      { env: "DECODO_PROXY_CREDENTIALS", secret: "DECODO_PROXY_CREDENTIALS", evidence: "bin/scrapers/deploy/deploy_scrapers_simple.sh:123" },
    ],
    publishes: [{ topic: "nba-phase1-scrapers-complete", evidence: "scrapers/utils/pubsub_utils.py:74" }],
    access: access("nba-scrapers"),
    evidence: ["cloudbuild.yaml:55-106", "scrapers/Dockerfile:89-97", "bin/deploy-service.sh:95-97"],
  },
  {
    kind: "service",
    name: "nba-phase2-raw-processors",
    alternatives: [{ name: "raw-processor", evidence: "bin/deploy-service.sh:85" }],
    phase: "2",
    group: "pipeline",
    image: "nba-phase2-raw-processors",
    dockerfile: "data_processors/raw/Dockerfile",
    sourcePaths: ["data_processors/raw/", "shared/", "scrapers/__init__.py", "scrapers/utils/"],
    env: { GCP_PROJECT_ID: "{project}" },
    secrets: [
      { env: "AWS_SES_ACCESS_KEY_ID", secret: "aws-ses-access-key-id", evidence: "bin/raw/deploy/deploy_processors_simple.sh:120" },
      { env: "AWS_SES_SECRET_ACCESS_KEY", secret: "aws-ses-secret-access-key", evidence: "bin/raw/deploy/deploy_processors_simple.sh:120" },
      { env: "BREVO_SMTP_PASSWORD", secret: "brevo-smtp-password", evidence: "bin/raw/deploy/deploy_processors_simple.sh:120" },
      { env: "SENTRY_DSN", secret: "sentry-dsn", evidence: "bin/deploy_phase1_phase2.sh:64" },
    ],
    publishes: [{ topic: "nba-phase2-raw-complete", evidence: "data_processors/raw/processor_base.py:1804" }],
    access: access("nba-phase2-raw-processors"),
    evidence: ["cloudbuild-nba-phase2.yaml:11-56", "data_processors/raw/Dockerfile:65-66"],
  },
  {
    kind: "service",
    name: "nba-phase3-analytics-processors",
    alternatives: [{ name: "analytics-processor", evidence: "bin/deploy-service.sh:89" }],
    phase: "3",
    group: "pipeline",
    image: "nba-phase3-analytics-processors",
    dockerfile: "data_processors/analytics/Dockerfile",
    sourcePaths: ["data_processors/analytics/", "shared/"],
    env: { GCP_PROJECT_ID: "{project}" },
    secrets: [
      { env: "AWS_SES_ACCESS_KEY_ID", secret: "aws-ses-access-key-id", evidence: "bin/analytics/deploy/deploy_analytics_processors.sh:155" },
      { env: "AWS_SES_SECRET_ACCESS_KEY", secret: "aws-ses-secret-access-key", evidence: "bin/analytics/deploy/deploy_analytics_processors.sh:155" },
      { env: "SLACK_WEBHOOK_URL", secret: "slack-webhook-url", evidence: "bin/analytics/deploy/deploy_analytics_processors.sh:155" },
      { env: "BREVO_SMTP_PASSWORD", secret: "brevo-smtp-password", evidence: "bin/analytics/deploy/deploy_analytics_processors.sh:155" },
    ],
    publishes: [
      { topic: "nba-phase3-analytics-complete", evidence: "data_processors/analytics/analytics_base.py:1639" },
      // A re-scrape request when box scores are incomplete.
      { topic: "nba-scraper-trigger", evidence: "data_processors/analytics/main_analytics_service.py:420" },
    ],
    access: access("nba-phase3-analytics-processors"),
    evidence: ["cloudbuild.yaml:55-106", "data_processors/analytics/Dockerfile:61-62"],
  },
  {
    kind: "service",
    name: "nba-phase4-precompute-processors",
    alternatives: [{ name: "precompute-processor", evidence: "bin/deploy-service.sh:93" }],
    phase: "4",
    group: "pipeline",
    image: "nba-phase4-precompute-processors",
    dockerfile: "data_processors/precompute/Dockerfile",
    // data_processors/precompute/Dockerfile also copies the raw and analytics processors.
    sourcePaths: ["data_processors/precompute/", "data_processors/raw/", "data_processors/analytics/", "shared/"],
    env: { GCP_PROJECT_ID: "{project}" },
    publishes: [{ topic: "nba-phase4-precompute-complete", evidence: "data_processors/precompute/base/precompute_base.py:640" }],
    access: access("nba-phase4-precompute-processors"),
    evidence: ["cloudbuild.yaml:55-106", "data_processors/precompute/Dockerfile:64-65"],
  },
  {
    kind: "service",
    name: "prediction-coordinator",
    phase: "5",
    group: "pipeline",
    image: "prediction-coordinator",
    dockerfile: "predictions/coordinator/Dockerfile",
    sourcePaths: ["predictions/coordinator/", "predictions/worker/", "predictions/shared/", "predictions/__init__.py", "shared/"],
    // GCP_PROJECT_ID is required at start-up (validate_required_env_vars).
    env: { GCP_PROJECT_ID: "{project}" },
    publishes: [
      { topic: "prediction-request-prod", env: "PREDICTION_REQUEST_TOPIC", evidence: "predictions/coordinator/coordinator.py:186" },
      { topic: "nba-phase5-predictions-complete", evidence: "predictions/coordinator/coordinator.py:3942" },
    ],
    calls: [
      // Through the app's URL helper: get_service_url(Services.PHASE4_PRECOMPUTE) reads PHASE4_PRECOMPUTE_URL.
      { callee: "nba-phase4-precompute-processors", env: "PHASE4_PRECOMPUTE_URL", path: "/process-date", evidence: "predictions/coordinator/quality_healer.py:158" },
    ],
    access: access("prediction-coordinator"),
    evidence: ["cloudbuild.yaml:55-106", "bin/deploy-service.sh:75-78"],
  },
  {
    kind: "service",
    name: "prediction-worker",
    alternatives: [{ name: "predictions-worker (image)", evidence: "bin/predictions/deploy/deploy_prediction_worker.sh:76" }],
    phase: "5",
    group: "pipeline",
    image: "prediction-worker",
    dockerfile: "predictions/worker/Dockerfile",
    sourcePaths: ["predictions/worker/", "predictions/shared/", "predictions/__init__.py", "shared/", "ml/", "models/"],
    // The model paths bin/deploy-service.sh requires (and validates) and their env.template values.
    env: {
      GCP_PROJECT_ID: "{project}",
      CATBOOST_V8_MODEL_PATH: "gs://nba-props-platform-models/catboost/v8/catboost_v8_33features_20260201.cbm",
      CATBOOST_V9_MODEL_PATH: "gs://nba-props-platform-models/catboost/v9/catboost_v9_feb_02_retrain.cbm",
    },
    publishes: [{ topic: "prediction-ready-prod", env: "PUBSUB_READY_TOPIC", evidence: "predictions/worker/worker.py:171" }],
    access: access("prediction-worker"),
    evidence: ["cloudbuild.yaml:19-106", "predictions/worker/env.template:9-21", "bin/deploy-service.sh:313-422"],
  },
  {
    kind: "service",
    name: "nba-grading-service",
    alternatives: [{ name: "nba_grading_service", evidence: "bin/deploy-service.sh:105" }],
    phase: "5b",
    group: "grading",
    image: "nba-grading-service",
    dockerfile: "data_processors/grading/nba/Dockerfile",
    sourcePaths: ["data_processors/grading/", "data_processors/__init__.py", "predictions/shared/", "predictions/__init__.py", "shared/"],
    env: { GCP_PROJECT_ID: "{project}" },
    access: access("nba-grading-service"),
    evidence: [".github/workflows/auto-deploy.yml:199-206", "bin/deploy-service.sh:103-106"],
  },
];

/** Every function runs python311, the runtime every deploy path passes (cloudbuild-functions.yaml:117). */
const runtime = "python311";

/**
 * A function that cloudbuild-functions.yaml deploys, built from `dir`, with its defaults of 1Gi and 300 s
 * (cloudbuild-functions.yaml:20-21) unless its trigger sets others.
 */
function cloudBuilt(dir: string, spec: Omit<FunctionSpec, "kind" | "runtime" | "sourcePaths">): FunctionSpec {
  return { kind: "function", runtime, sourcePaths: cloudBuildPackage(dir), memory: "1Gi", timeoutSeconds: 300, ...spec, env: { ...cloudBuildEnv, ...spec.env } };
}

/** A function deployed by its own script, which uploads `dir` (and shared/ when `withShared`). */
function scripted(dir: string, withShared: boolean, spec: Omit<FunctionSpec, "kind" | "runtime" | "sourcePaths">): FunctionSpec {
  return { kind: "function", runtime, sourcePaths: withShared ? [`${dir}/`, "shared/"] : [`${dir}/`], ...spec };
}

const functions: FunctionSpec[] = [
  // Orchestrators between phases.
  cloudBuilt("orchestration/cloud_functions/phase3_to_phase4", {
    name: "phase3-to-phase4-orchestrator",
    alternatives: [{ name: "phase3-to-phase4", evidence: "bin/check-cloud-function-drift.sh:36" }],
    phase: "4",
    group: "pipeline",
    entryPoint: "orchestrate_phase3_to_phase4",
    trigger: { topic: "nba-phase3-analytics-complete" },
    publishes: [{ topic: "nba-phase4-trigger", evidence: "orchestration/cloud_functions/phase3_to_phase4/main.py:77" }],
    access: access("phase3-to-phase4-orchestrator"),
    evidence: ["bin/deploy-function.sh:82-88", "orchestration/cloud_functions/phase3_to_phase4/main.py:1287-1288"],
  }),
  cloudBuilt("orchestration/cloud_functions/phase4_to_phase5", {
    name: "phase4-to-phase5-orchestrator",
    alternatives: [{ name: "phase4-to-phase5", evidence: "bin/check-cloud-function-drift.sh:37" }],
    phase: "5",
    group: "pipeline",
    entryPoint: "orchestrate_phase4_to_phase5",
    trigger: { topic: "nba-phase4-precompute-complete" },
    publishes: [{ topic: "nba-predictions-trigger", evidence: "orchestration/cloud_functions/phase4_to_phase5/main.py:85" }],
    calls: [{ callee: "prediction-coordinator", env: "PREDICTION_COORDINATOR_URL", path: "/start", evidence: "orchestration/cloud_functions/phase4_to_phase5/main.py:137-139" }],
    access: access("phase4-to-phase5-orchestrator"),
    evidence: ["bin/deploy-function.sh:89-95", "orchestration/cloud_functions/phase4_to_phase5/main.py:1044-1045"],
  }),
  scripted("orchestration/cloud_functions/phase4_timeout_check", false, {
    name: "phase4-timeout-check",
    phase: "5",
    group: "pipeline",
    entryPoint: "check_phase4_timeouts",
    trigger: { http: true },
    env: { GCP_PROJECT: "{project}" },
    secrets: [{ env: "SLACK_WEBHOOK_URL", secret: "slack-webhook-url", evidence: "bin/orchestrators/deploy_phase4_timeout_check.sh:129" }],
    publishes: [{ topic: "nba-predictions-trigger", evidence: "orchestration/cloud_functions/phase4_timeout_check/main.py:61" }],
    calls: [{ callee: "prediction-coordinator", env: "PREDICTION_COORDINATOR_URL", path: "/start", evidence: "orchestration/cloud_functions/phase4_timeout_check/main.py:57-59" }],
    access: access("phase4-timeout-check"),
    evidence: ["bin/orchestrators/deploy_phase4_timeout_check.sh:120-130"],
  }),
  cloudBuilt("orchestration/cloud_functions/phase5_to_phase6", {
    name: "phase5-to-phase6-orchestrator",
    alternatives: [{ name: "phase5-to-phase6", evidence: "bin/check-cloud-function-drift.sh:38" }],
    phase: "6",
    group: "export",
    entryPoint: "orchestrate_phase5_to_phase6",
    trigger: { topic: "nba-phase5-predictions-complete" },
    publishes: [{ topic: "nba-phase6-export-trigger", evidence: "orchestration/cloud_functions/phase5_to_phase6/main.py:69" }],
    access: access("phase5-to-phase6-orchestrator"),
    evidence: ["bin/deploy-function.sh:96-102", "orchestration/cloud_functions/phase5_to_phase6/main.py:153-154"],
  }),

  // Grading (phase 5b).
  scripted("orchestration/cloud_functions/phase3_to_grading", false, {
    name: "phase3-to-grading",
    phase: "5b",
    group: "grading",
    entryPoint: "main",
    trigger: { topic: "nba-phase3-analytics-complete" },
    env: { GCP_PROJECT_ID: "{project}" },
    publishes: [{ topic: "nba-grading-trigger", evidence: "orchestration/cloud_functions/phase3_to_grading/main.py:61" }],
    access: access("phase3-to-grading"),
    evidence: ["orchestration/cloud_functions/phase3_to_grading/README.md:79-89", "orchestration/cloud_functions/phase3_to_grading/main.py:624-625"],
  }),
  cloudBuilt("orchestration/cloud_functions/grading", {
    name: "phase5b-grading",
    alternatives: [{ name: "grading", evidence: "bin/check-cloud-function-drift.sh" }],
    phase: "5b",
    group: "grading",
    entryPoint: "main",
    trigger: { topic: "nba-grading-trigger" },
    publishes: [{ topic: "nba-grading-complete", evidence: "orchestration/cloud_functions/grading/main.py:90" }],
    // A run.app URL written into the code: the stack can grant the call, not hand over the URL.
    calls: [
      {
        callee: "nba-phase3-analytics-processors",
        url: "https://nba-phase3-analytics-processors-f7p3g7f6ya-wl.a.run.app",
        path: "/process-date-range",
        evidence: "orchestration/cloud_functions/grading/main.py:524-525",
      },
    ],
    access: access("phase5b-grading"),
    evidence: ["bin/deploy-function.sh:103-109", "orchestration/cloud_functions/grading/main.py:1134-1135"],
  }),
  cloudBuilt("orchestration/cloud_functions/grading_readiness_monitor", {
    name: "grading-readiness-monitor",
    phase: "5b",
    group: "grading",
    entryPoint: "main",
    trigger: { http: true },
    publishes: [{ topic: "nba-grading-trigger", evidence: "orchestration/cloud_functions/grading_readiness_monitor/main.py:42" }],
    access: access("grading-readiness-monitor"),
    evidence: ["cloudbuild-functions.yaml:11"],
  }),
  cloudBuilt("orchestration/cloud_functions/nba_grading_alerts", {
    name: "nba-grading-alerts",
    phase: "5b",
    group: "grading",
    entryPoint: "main",
    trigger: { http: true },
    env: { ALERT_THRESHOLD_ACCURACY_MIN: "55", ALERT_THRESHOLD_UNGRADEABLE_MAX: "20", ALERT_THRESHOLD_DAYS: "7", SEND_DAILY_SUMMARY: "false" },
    secrets: [{ env: "SLACK_WEBHOOK_URL", secret: "nba-grading-slack-webhook", evidence: "bin/alerts/deploy_nba_grading_alerts.sh:66" }],
    access: access("nba-grading-alerts"),
    evidence: ["cloudbuild-functions.yaml:10", "bin/alerts/deploy_nba_grading_alerts.sh:60-70"],
  }),
  scripted("orchestration/cloud_functions/grading_alert", false, {
    name: "grading-delay-alert",
    alternatives: [{ name: "grading-alert", evidence: "bin/check-cloud-function-drift.sh:58" }],
    phase: "5b",
    group: "grading",
    entryPoint: "check_grading_status",
    trigger: { http: true },
    env: { GCP_PROJECT: "{project}" },
    access: access("grading-delay-alert"),
    evidence: ["orchestration/cloud_functions/grading_alert/main.py:11-19", "orchestration/cloud_functions/grading_alert/main.py:384-385"],
  }),

  // Phase 6: export.
  cloudBuilt("orchestration/cloud_functions/phase6_export", {
    name: "phase6-export",
    phase: "6",
    group: "export",
    entryPoint: "main",
    trigger: { topic: "nba-phase6-export-trigger" },
    env: { GCS_BUCKET: "nba-props-platform-api" },
    publishes: [{ topic: "nba-phase6-export-complete", evidence: "orchestration/cloud_functions/phase6_export/main.py:54" }],
    access: access("phase6-export"),
    evidence: ["cloudbuild-functions.yaml:8", "orchestration/cloud_functions/phase6_export/main.py:325-326", "bin/deploy/deploy_phase6_function.sh:119"],
  }),
  cloudBuilt("orchestration/cloud_functions/post_grading_export", {
    name: "post-grading-export",
    phase: "6",
    group: "export",
    entryPoint: "main",
    trigger: { topic: "nba-grading-complete" },
    secrets: [{ env: "SLACK_WEBHOOK_URL_ALERTS", secret: "slack-webhook-monitoring-warning", evidence: "cloudbuild-functions.yaml:111-114" }],
    access: access("post-grading-export"),
    evidence: ["cloudbuild-functions.yaml:12", "orchestration/cloud_functions/post_grading_export/main.py:310-311"],
  }),

  // Ops: self-heal, retries and backfill, which call back into phases 1–6.
  cloudBuilt("orchestration/cloud_functions/self_heal", {
    name: "self-heal-predictions",
    alternatives: [{ name: "self-heal", evidence: "bin/check-cloud-function-drift.sh:50" }],
    phase: "ops",
    group: "ops",
    entryPoint: "self_heal_check",
    trigger: { http: true },
    memory: "512Mi",
    timeoutSeconds: 540,
    // Through the app's URL helper (shared/config/service_urls.py): each env var overrides a default URL.
    calls: [
      { callee: "nba-phase3-analytics-processors", env: "PHASE3_ANALYTICS_URL", path: "/process-date-range", evidence: "orchestration/cloud_functions/self_heal/main.py:60" },
      { callee: "nba-phase4-precompute-processors", env: "PHASE4_PRECOMPUTE_URL", path: "/process-date", evidence: "orchestration/cloud_functions/self_heal/main.py:61" },
      { callee: "prediction-coordinator", env: "PREDICTION_COORDINATOR_URL", path: "/start", evidence: "orchestration/cloud_functions/self_heal/main.py:62" },
    ],
    access: access("self-heal-predictions"),
    evidence: ["bin/infrastructure/create_monitoring_function_triggers.sh:177-186", "bin/deploy-function.sh:154-159"],
  }),
  scripted("orchestration/cloud_functions/auto_retry_processor", false, {
    name: "auto-retry-processor",
    phase: "ops",
    group: "ops",
    entryPoint: "auto_retry_processors",
    trigger: { topic: "auto-retry-trigger" },
    memory: "256M",
    timeoutSeconds: 120,
    env: { GCP_PROJECT: "{project}" },
    calls: [
      { callee: "nba-phase2-raw-processors", env: "PHASE2_PROCESSORS_URL", path: "/process", evidence: "orchestration/cloud_functions/auto_retry_processor/main.py:51" },
      { callee: "nba-phase3-analytics-processors", env: "PHASE3_ANALYTICS_URL", path: "/process", evidence: "orchestration/cloud_functions/auto_retry_processor/main.py:52" },
      { callee: "nba-phase4-precompute-processors", env: "PHASE4_PRECOMPUTE_URL", path: "/process-date", evidence: "orchestration/cloud_functions/auto_retry_processor/main.py:53" },
      // The coordinator has no /predict route (a 404, not an auth gap); the call still needs its grant.
      { callee: "prediction-coordinator", env: "PREDICTION_COORDINATOR_URL", path: "/predict", evidence: "orchestration/cloud_functions/auto_retry_processor/main.py:54" },
    ],
    access: access("auto-retry-processor"),
    evidence: ["bin/orchestrators/deploy_auto_retry_processor.sh:97-106"],
  }),
  scripted("orchestration/cloud_functions/backfill_trigger", false, {
    name: "backfill-trigger",
    phase: "ops",
    group: "ops",
    entryPoint: "handle_gaps_detected",
    trigger: { topic: "boxscore-gaps-detected" },
    env: { GCP_PROJECT: "{project}" },
    calls: [
      { callee: "nba-phase2-raw-processors", env: "PHASE2_RAW_URL", path: "/process-date-range", evidence: "orchestration/cloud_functions/backfill_trigger/main.py:71-73" },
      { callee: "nba-phase3-analytics-processors", env: "PHASE3_ANALYTICS_URL", path: "/process-date-range", evidence: "orchestration/cloud_functions/backfill_trigger/main.py:75-77" },
    ],
    access: access("backfill-trigger"),
    evidence: ["orchestration/cloud_functions/backfill_trigger/main.py:30-37", "orchestration/cloud_functions/backfill_trigger/main.py:474-475"],
  }),
  scripted("orchestration/cloud_functions/scraper_gap_backfiller", false, {
    name: "scraper-gap-backfiller",
    phase: "ops",
    group: "ops",
    entryPoint: "scraper_gap_backfiller",
    trigger: { http: true },
    memory: "512M",
    timeoutSeconds: 540,
    env: { GCP_PROJECT: "{project}" },
    publishes: [{ topic: "nba-phase6-export-trigger", env: "PHASE6_TOPIC", evidence: "orchestration/cloud_functions/scraper_gap_backfiller/main.py:86" }],
    calls: [
      { callee: "nba-scrapers", env: "SCRAPER_SERVICE_URL", path: "/scrape", evidence: "orchestration/cloud_functions/scraper_gap_backfiller/main.py:60-62" },
      { callee: "nba-phase3-analytics-processors", env: "PHASE3_SERVICE_URL", path: "/process-date-range", evidence: "orchestration/cloud_functions/scraper_gap_backfiller/main.py:74-76" },
      { callee: "nba-phase4-precompute-processors", env: "PHASE4_SERVICE_URL", path: "/process-date", evidence: "orchestration/cloud_functions/scraper_gap_backfiller/main.py:78-80" },
      { callee: "prediction-coordinator", env: "PHASE5_SERVICE_URL", path: "/start", evidence: "orchestration/cloud_functions/scraper_gap_backfiller/main.py:82-84" },
    ],
    access: access("scraper-gap-backfiller"),
    evidence: ["bin/orchestrators/deploy_scraper_gap_backfiller.sh:143-153", "orchestration/cloud_functions/scraper_gap_backfiller/main.py:886-887"],
  }),
  scripted("orchestration/cloud_functions/scraper_gap_backfiller", true, {
    name: "backfill-pubsub-subscriber",
    phase: "ops",
    group: "ops",
    entryPoint: "pubsub_subscriber",
    trigger: { topic: "nba-backfill-trigger" },
    memory: "1Gi",
    timeoutSeconds: 540,
    env: { GCP_PROJECT_ID: "{project}" },
    publishes: [{ topic: "nba-phase6-export-trigger", env: "PHASE6_TOPIC", evidence: "orchestration/cloud_functions/scraper_gap_backfiller/main.py:86" }],
    calls: [
      { callee: "nba-scrapers", env: "SCRAPER_SERVICE_URL", path: "/scrape", evidence: "orchestration/cloud_functions/scraper_gap_backfiller/main.py:60-62" },
      { callee: "nba-phase3-analytics-processors", env: "PHASE3_SERVICE_URL", path: "/process-date-range", evidence: "orchestration/cloud_functions/scraper_gap_backfiller/main.py:74-76" },
      { callee: "nba-phase4-precompute-processors", env: "PHASE4_SERVICE_URL", path: "/process-date", evidence: "orchestration/cloud_functions/scraper_gap_backfiller/main.py:78-80" },
      { callee: "prediction-coordinator", env: "PHASE5_SERVICE_URL", path: "/start", evidence: "orchestration/cloud_functions/scraper_gap_backfiller/main.py:82-84" },
    ],
    access: access("backfill-pubsub-subscriber"),
    evidence: ["orchestration/cloud_functions/scraper_gap_backfiller/deploy-pubsub-subscriber.sh:48-55", "orchestration/cloud_functions/scraper_gap_backfiller/main.py:729-730"],
  }),
  scripted("orchestration/cloud_functions/gap_detector", true, {
    name: "gap-detector",
    phase: "ops",
    group: "ops",
    entryPoint: "main",
    trigger: { http: true },
    memory: "512Mi",
    timeoutSeconds: 300,
    env: { GCP_PROJECT_ID: "{project}", MAX_BACKFILL_ATTEMPTS: "3", MAX_PUBLISHES_PER_RUN: "50" },
    publishes: [{ topic: "nba-backfill-trigger", env: "BACKFILL_TOPIC", evidence: "orchestration/cloud_functions/gap_detector/main.py:38" }],
    access: access("gap-detector"),
    evidence: ["orchestration/cloud_functions/gap_detector/deploy.sh:34-40", "orchestration/cloud_functions/gap_detector/main.py:139-140"],
  }),
  scripted("orchestration/cloud_functions/line_quality_self_heal", false, {
    name: "line-quality-self-heal",
    phase: "ops",
    group: "ops",
    entryPoint: "check_line_quality",
    trigger: { http: true },
    memory: "512M",
    timeoutSeconds: 300,
    env: { GCP_PROJECT: "{project}" },
    calls: [{ callee: "prediction-coordinator", env: "COORDINATOR_URL", path: "/start", evidence: "orchestration/cloud_functions/line_quality_self_heal/main.py:63-65" }],
    access: access("line-quality-self-heal"),
    evidence: ["orchestration/cloud_functions/line_quality_self_heal/main.py:21-31", "orchestration/cloud_functions/line_quality_self_heal/main.py:449-450"],
  }),
  cloudBuilt("orchestration/cloud_functions/enrichment_trigger", {
    name: "enrichment-trigger",
    phase: "ops",
    group: "ops",
    entryPoint: "trigger_enrichment",
    trigger: { http: true },
    calls: [{ callee: "prediction-coordinator", env: "COORDINATOR_URL", path: "/line-update", evidence: "orchestration/cloud_functions/enrichment_trigger/main.py:65-67" }],
    access: access("enrichment-trigger"),
    evidence: ["bin/deploy-function.sh:166-171", "orchestration/cloud_functions/enrichment_trigger/main.py:152-153"],
  }),
  cloudBuilt("orchestration/cloud_functions/grading-gap-detector", {
    name: "grading-gap-detector",
    phase: "ops",
    group: "ops",
    entryPoint: "main",
    trigger: { http: true },
    memory: "512Mi",
    timeoutSeconds: 300,
    access: access("grading-gap-detector"),
    evidence: ["bin/infrastructure/create_monitoring_function_triggers.sh:199-208", "orchestration/cloud_functions/grading-gap-detector/main.py:216-217"],
  }),

  // Ops: model monitoring and retraining.
  cloudBuilt("orchestration/cloud_functions/decay_detection", {
    name: "decay-detection",
    phase: "ops",
    group: "ops",
    entryPoint: "decay_detection",
    trigger: { http: true },
    memory: "512Mi",
    timeoutSeconds: 300,
    // Called only when RETRAIN_ON_BLOCKED=true; the URL comes from env.
    calls: [{ callee: "weekly-retrain", env: "WEEKLY_RETRAIN_URL", path: "/", evidence: "orchestration/cloud_functions/decay_detection/main.py:79" }],
    access: access("decay-detection"),
    evidence: ["orchestration/cloud_functions/decay_detection/main.py:1459-1460"],
  }),
  scripted("orchestration/cloud_functions/weekly_retrain", false, {
    name: "weekly-retrain",
    phase: "ops",
    group: "ops",
    entryPoint: "weekly_retrain",
    trigger: { http: true },
    memory: "4Gi",
    timeoutSeconds: 1800,
    env: { GCP_PROJECT_ID: "{project}" },
    secrets: [{ env: "SLACK_WEBHOOK_URL", secret: "slack-webhook-url", evidence: "orchestration/cloud_functions/weekly_retrain/deploy.sh:51-52" }],
    access: access("weekly-retrain"),
    evidence: ["orchestration/cloud_functions/weekly_retrain/deploy.sh:16-52", "orchestration/cloud_functions/weekly_retrain/main.py:959-960"],
  }),
  cloudBuilt("orchestration/cloud_functions/filter_counterfactual_evaluator", {
    name: "filter-counterfactual-evaluator",
    phase: "ops",
    group: "ops",
    entryPoint: "main",
    trigger: { http: true },
    secrets: [{ env: "SLACK_WEBHOOK_URL_ALERTS", secret: "slack-webhook-monitoring-warning", evidence: "docs/09-handoff/2026-05-15-obs-audit-dr-drill-slack-secrets.md" }],
    access: access("filter-counterfactual-evaluator"),
    evidence: ["cloudbuild-functions.yaml:12"],
  }),
  ...(["data_source_health_canary", "signal_decay_monitor", "signal_weight_report", "bias_decay_monitor"] as const).map((monitor) =>
    // Thin wrappers around bin/monitoring/<monitor>.py, which cloudbuild-functions.yaml copies in as <monitor>_impl.py.
    cloudBuilt(`orchestration/cloud_functions/${monitor}`, {
      name: monitor.replace(/_/g, "-"),
      phase: "ops",
      group: "ops",
      entryPoint: monitor,
      trigger: { http: true },
      access: access(monitor.replace(/_/g, "-")),
      evidence: [`orchestration/cloud_functions/${monitor}/main.py`, "cloudbuild-functions.yaml:49-55"],
    }),
  ),
  scripted("orchestration/cloud_functions/nba_monitoring_alerts", false, {
    name: "nba-monitoring-alerts",
    phase: "ops",
    group: "ops",
    entryPoint: "run_all_checks",
    trigger: { http: true },
    memory: "512M",
    timeoutSeconds: 300,
    secrets: [{ env: "SLACK_WEBHOOK_URL", secret: "slack-webhook-url", evidence: "docs/09-handoff/2026-05-15-obs-audit-dr-drill-slack-secrets.md" }],
    access: access("nba-monitoring-alerts"),
    evidence: ["orchestration/cloud_functions/nba_monitoring_alerts/deploy.sh:26-35", "orchestration/cloud_functions/nba_monitoring_alerts/main.py:371"],
  }),

  // Ops: pipeline health and data-quality monitors.
  cloudBuilt("orchestration/cloud_functions/daily_health_check", {
    name: "daily-health-check",
    phase: "ops",
    group: "ops",
    entryPoint: "daily_health_check",
    trigger: { http: true },
    secrets: [
      { env: "SLACK_WEBHOOK_URL", secret: "slack-webhook-url", evidence: "orchestration/cloud_functions/daily_health_check/main.py:41" },
      { env: "SLACK_WEBHOOK_URL_ERROR", secret: "slack-webhook-monitoring-error", evidence: "orchestration/cloud_functions/daily_health_check/main.py:42" },
      { env: "SLACK_WEBHOOK_URL_WARNING", secret: "slack-webhook-monitoring-warning", evidence: "orchestration/cloud_functions/daily_health_check/main.py:43" },
    ],
    access: access("daily-health-check"),
    evidence: ["bin/deploy-function.sh:118-123", "orchestration/cloud_functions/daily_health_check/main.py:985-986"],
  }),
  cloudBuilt("orchestration/cloud_functions/validation_runner", {
    name: "validation-runner",
    phase: "ops",
    group: "ops",
    entryPoint: "run_validation",
    trigger: { http: true },
    secrets: [{ env: "SLACK_WEBHOOK_URL", secret: "slack-webhook-url", evidence: "bin/deploy/deploy_validation_runner.sh:168-169" }],
    access: access("validation-runner"),
    evidence: ["bin/deploy-function.sh:124-129", "orchestration/cloud_functions/validation_runner/main.py:88-89"],
  }),
  cloudBuilt("monitoring/health_summary", {
    name: "pipeline-health-summary",
    phase: "ops",
    group: "ops",
    entryPoint: "pipeline_health_summary",
    trigger: { http: true },
    memory: "512Mi",
    timeoutSeconds: 300,
    env: { AWS_SES_REGION: "us-west-2", SLACK_ALERTS_ENABLED: "true" },
    secrets: [
      { env: "AWS_SES_ACCESS_KEY_ID", secret: "aws-ses-access-key-id", evidence: "bin/monitoring/deploy/deploy_health_summary.sh:136" },
      { env: "AWS_SES_SECRET_ACCESS_KEY", secret: "aws-ses-secret-access-key", evidence: "bin/monitoring/deploy/deploy_health_summary.sh:136" },
      { env: "SLACK_WEBHOOK_URL_INFO", secret: "slack-webhook-url-info", evidence: "bin/monitoring/deploy/deploy_health_summary.sh:136" },
    ],
    access: access("pipeline-health-summary"),
    evidence: ["bin/infrastructure/create_monitoring_function_triggers.sh:144-153", "bin/deploy-function.sh:142-147"],
  }),
  cloudBuilt("orchestration/cloud_functions/transition_monitor", {
    name: "transition-monitor",
    phase: "ops",
    group: "ops",
    entryPoint: "monitor_transitions",
    trigger: { http: true },
    memory: "512Mi",
    timeoutSeconds: 300,
    access: access("transition-monitor"),
    evidence: ["bin/infrastructure/create_monitoring_function_triggers.sh:133-142", "orchestration/cloud_functions/transition_monitor/main.py:1081"],
  }),
  cloudBuilt("functions/monitoring/morning_deployment_check", {
    name: "morning-deployment-check",
    phase: "ops",
    group: "ops",
    entryPoint: "run_check",
    trigger: { http: true },
    secrets: [{ env: "SLACK_WEBHOOK_URL_WARNING", secret: "slack-webhook-monitoring-warning", evidence: "docs/09-handoff/2026-05-15-obs-audit-dr-drill-slack-secrets.md" }],
    access: access("morning-deployment-check"),
    evidence: ["bin/deploy-function.sh:172-177"],
  }),
  ...(
    [
      ["expected_outputs_planner", "expected-outputs-planner", "main", "512Mi", 540, "orchestration/cloud_functions/expected_outputs_planner/deploy.sh:34-47"],
      ["phase_completion_reconciler", "phase-completion-reconciler", "main", "1Gi", 540, "orchestration/cloud_functions/phase_completion_reconciler/deploy.sh:24-30"],
      ["halt_state_writer", "halt-state-writer", "main", "512Mi", 300, "orchestration/cloud_functions/halt_state_writer/deploy.sh:47-61"],
    ] as const
  ).map(([dir, name, entryPoint, memory, timeoutSeconds, evidence]) =>
    // Each deploy.sh uploads main.py, requirements.txt and shared/, and sets only GCP_PROJECT_ID.
    scripted(`orchestration/cloud_functions/${dir}`, true, {
      name,
      phase: "ops",
      group: "ops",
      entryPoint,
      trigger: { http: true },
      memory,
      timeoutSeconds,
      env: { GCP_PROJECT_ID: "{project}" },
      access: access(name),
      evidence: [evidence],
    }),
  ),
  scripted("orchestration/cloud_functions/daily_health_summary", true, {
    name: "daily-health-summary",
    phase: "ops",
    group: "ops",
    entryPoint: "check_and_send_summary",
    trigger: { http: true },
    memory: "512M",
    timeoutSeconds: 120,
    env: { GCP_PROJECT: "{project}" },
    access: access("daily-health-summary"),
    evidence: ["bin/deploy/deploy_daily_health_summary.sh:160-171", "orchestration/cloud_functions/daily_health_summary/main.py:689-690"],
  }),
  scripted("orchestration/cloud_functions/data_quality_alerts", false, {
    name: "data-quality-alerts",
    phase: "ops",
    group: "ops",
    entryPoint: "check_data_quality",
    trigger: { http: true },
    memory: "512M",
    timeoutSeconds: 540,
    env: { GCP_PROJECT_ID: "{project}" },
    secrets: [
      { env: "SLACK_WEBHOOK_URL_ERROR", secret: "slack-webhook-monitoring-error", evidence: "orchestration/cloud_functions/data_quality_alerts/deploy.sh:72-83" },
      { env: "SLACK_WEBHOOK_URL_WARNING", secret: "slack-webhook-monitoring-warning", evidence: "orchestration/cloud_functions/data_quality_alerts/deploy.sh:72-83" },
    ],
    access: access("data-quality-alerts"),
    evidence: ["orchestration/cloud_functions/data_quality_alerts/deploy.sh:72-83", "orchestration/cloud_functions/data_quality_alerts/main.py:772-773"],
  }),
  scripted("orchestration/cloud_functions/scraper_availability_monitor", false, {
    name: "scraper-availability-monitor",
    phase: "ops",
    group: "ops",
    entryPoint: "check_scraper_availability_handler",
    trigger: { http: true },
    memory: "256M",
    timeoutSeconds: 120,
    env: { GCP_PROJECT: "{project}" },
    access: access("scraper-availability-monitor"),
    evidence: ["orchestration/cloud_functions/scraper_availability_monitor/deploy.sh:15-33", "orchestration/cloud_functions/scraper_availability_monitor/main.py:275-276"],
  }),
  scripted("orchestration/cloud_functions/stale_running_cleanup", false, {
    name: "stale-running-cleanup",
    phase: "ops",
    group: "ops",
    entryPoint: "cleanup_stale_running",
    trigger: { http: true },
    memory: "256M",
    timeoutSeconds: 120,
    env: { GCP_PROJECT: "{project}" },
    secrets: [{ env: "SLACK_WEBHOOK_URL", secret: "slack-webhook-url", evidence: "bin/deploy/deploy_stale_cleanup.sh:125" }],
    access: access("stale-running-cleanup"),
    evidence: ["bin/deploy/deploy_stale_cleanup.sh:114-127", "orchestration/cloud_functions/stale_running_cleanup/main.py:109-110"],
  }),
  ...(
    [
      ["prediction_health_alert", "prediction-health-alert", "check_prediction_health", "orchestration/cloud_functions/prediction_health_alert/main.py:17-25"],
      ["dlq_monitor", "dlq-monitor", "monitor_dlqs", "orchestration/cloud_functions/dlq_monitor/main.py:18-26"],
      ["shadow_performance_report", "shadow-performance-report", "send_shadow_report", "orchestration/cloud_functions/shadow_performance_report/main.py:15-23"],
      ["pipeline_reconciliation", "pipeline-reconciliation", "reconcile_pipeline", "orchestration/cloud_functions/pipeline_reconciliation/main.py:21-31"],
    ] as const
  ).map(([dir, name, entryPoint, evidence]) =>
    // Deployed by the `gcloud functions deploy` in their own docstring, with GCP_PROJECT only.
    scripted(`orchestration/cloud_functions/${dir}`, false, {
      name,
      phase: "ops",
      group: "ops",
      entryPoint,
      trigger: { http: true },
      env: { GCP_PROJECT: "{project}" },
      access: access(name),
      evidence: [evidence],
    }),
  ),
];

/** Cloud Scheduler jobs calling a workload over HTTP, as the app's scripts create them. */
const schedulerJobs: SchedulerJobSpec[] = [
  { name: "same-day-phase3", callee: "nba-phase3-analytics-processors", path: "/process-date-range", schedule: "30 10 * * *", timeZone: "America/New_York", method: "POST", body: "{\"start_date\": \"TODAY\", \"end_date\": \"TODAY\", \"processors\": [\"UpcomingPlayerGameContextProcessor\"], \"backfill_mode\": true}", headers: { "Content-Type": "application/json" }, evidence: "bin/orchestrators/setup_same_day_schedulers.sh:36-45" },
  { name: "same-day-phase4", callee: "nba-phase4-precompute-processors", path: "/process-date", schedule: "0 11 * * *", timeZone: "America/New_York", method: "POST", body: "{\"analysis_date\": \"TODAY\", \"processors\": [\"MLFeatureStoreProcessor\"], \"backfill_mode\": false, \"strict_mode\": false, \"skip_dependency_check\": true}", headers: { "Content-Type": "application/json" }, evidence: "bin/orchestrators/setup_same_day_schedulers.sh:50-59" },
  { name: "same-day-predictions", callee: "prediction-coordinator", path: "/start", schedule: "30 11 * * *", timeZone: "America/New_York", method: "POST", body: "{\"force\": true}", headers: { "Content-Type": "application/json" }, evidence: "bin/orchestrators/setup_same_day_schedulers.sh:64-73" },
  { name: "predictions-early", callee: "prediction-coordinator", path: "/start", schedule: "30 2 * * *", timeZone: "America/New_York", method: "POST", body: "{\"game_date\": \"TODAY\", \"require_real_lines\": true, \"force\": true}", headers: { "Content-Type": "application/json" }, evidence: "bin/orchestrators/setup_early_predictions_scheduler.sh:41-50" },
  { name: "evening-analytics-6pm-et", callee: "nba-phase3-analytics-processors", path: "/process-date-range", schedule: "0 18 * * 0,6", timeZone: "America/New_York", method: "POST", body: "{\"start_date\":\"TODAY\",\"end_date\":\"TODAY\",\"processors\":[\"PlayerGameSummaryProcessor\"],\"backfill_mode\":true}", headers: { "Content-Type": "application/json" }, evidence: "bin/orchestrators/setup_evening_analytics_schedulers.sh:103" },
  { name: "evening-analytics-10pm-et", callee: "nba-phase3-analytics-processors", path: "/process-date-range", schedule: "0 22 * * *", timeZone: "America/New_York", method: "POST", body: "{\"start_date\":\"TODAY\",\"end_date\":\"TODAY\",\"processors\":[\"PlayerGameSummaryProcessor\"],\"backfill_mode\":true}", headers: { "Content-Type": "application/json" }, evidence: "bin/orchestrators/setup_evening_analytics_schedulers.sh:111" },
  { name: "evening-analytics-1am-et", callee: "nba-phase3-analytics-processors", path: "/process-date-range", schedule: "15 1 * * *", timeZone: "America/New_York", method: "POST", body: "{\"start_date\":\"YESTERDAY\",\"end_date\":\"YESTERDAY\",\"processors\":[\"PlayerGameSummaryProcessor\"],\"backfill_mode\":true}", headers: { "Content-Type": "application/json" }, evidence: "bin/orchestrators/setup_evening_analytics_schedulers.sh:120" },
  { name: "morning-analytics-catchup-9am-et", callee: "nba-phase3-analytics-processors", path: "/process-date-range", schedule: "0 9 * * *", timeZone: "America/New_York", method: "POST", body: "{\"start_date\":\"YESTERDAY\",\"end_date\":\"YESTERDAY\",\"processors\":[\"PlayerGameSummaryProcessor\"],\"backfill_mode\":true}", headers: { "Content-Type": "application/json" }, evidence: "bin/orchestrators/setup_evening_analytics_schedulers.sh:128" },
  { name: "line-check-hourly", callee: "prediction-coordinator", path: "/check-lines", schedule: "0 8-18 * * *", timeZone: "America/New_York", method: "POST", body: "{\"game_date\": \"TODAY\"}", headers: { "Content-Type": "application/json" }, evidence: "bin/orchestrators/setup_line_check_scheduler.sh:36-45" },
  { name: "morning-summary", callee: "prediction-coordinator", path: "/morning-summary", schedule: "30 7 * * *", timeZone: "America/New_York", method: "POST", body: "{\"game_date\": \"TODAY\"}", headers: { "Content-Type": "application/json" }, evidence: "bin/orchestrators/setup_line_check_scheduler.sh:56-65" },
  { name: "daily-yesterday-analytics", callee: "nba-phase3-analytics-processors", path: "/process-date-range", schedule: "30 6 * * *", timeZone: "America/New_York", method: "POST", body: "{\"start_date\": \"YESTERDAY\", \"end_date\": \"YESTERDAY\", \"processors\": [\"PlayerGameSummaryProcessor\", \"TeamDefenseGameSummaryProcessor\", \"TeamOffenseGameSummaryProcessor\"], \"backfill_mode\": true}", headers: { "Content-Type": "application/json" }, evidence: "bin/orchestrators/setup_yesterday_analytics_scheduler.sh:47-57" },
  { name: "nba-assists-props-morning", callee: "nba-scrapers", path: "/scrape", schedule: "0 10 * * *", timeZone: "America/New_York", method: "POST", body: "{\"scraper\": \"bp_player_props\", \"market_type\": \"assists\", \"date\": \"TODAY\"}", headers: { "Content-Type": "application/json" }, evidence: "bin/schedulers/setup_nba_player_props_schedulers.sh:81" },
  { name: "nba-assists-props-pregame", callee: "nba-scrapers", path: "/scrape", schedule: "0 16 * * *", timeZone: "America/New_York", method: "POST", body: "{\"scraper\": \"bp_player_props\", \"market_type\": \"assists\", \"date\": \"TODAY\"}", headers: { "Content-Type": "application/json" }, evidence: "bin/schedulers/setup_nba_player_props_schedulers.sh:87" },
  { name: "nba-rebounds-props-morning", callee: "nba-scrapers", path: "/scrape", schedule: "0 10 * * *", timeZone: "America/New_York", method: "POST", body: "{\"scraper\": \"bp_player_props\", \"market_type\": \"rebounds\", \"date\": \"TODAY\"}", headers: { "Content-Type": "application/json" }, evidence: "bin/schedulers/setup_nba_player_props_schedulers.sh:95" },
  { name: "nba-rebounds-props-pregame", callee: "nba-scrapers", path: "/scrape", schedule: "0 16 * * *", timeZone: "America/New_York", method: "POST", body: "{\"scraper\": \"bp_player_props\", \"market_type\": \"rebounds\", \"date\": \"TODAY\"}", headers: { "Content-Type": "application/json" }, evidence: "bin/schedulers/setup_nba_player_props_schedulers.sh:101" },
  { name: "fix-stale-schedule", callee: "nba-scrapers", path: "/fix-stale-schedule", schedule: "0 */4 * * *", timeZone: "America/New_York", method: "POST", body: "{}", headers: { "Content-Type": "application/json" }, evidence: "bin/schedulers/setup_stale_schedule_job.sh:115-128" },
  // The script looks up the URL of nba-phase1-scrapers, a legacy name; nba-scrapers is the live service serving /catchup.
  { name: "bdl-catchup-midday", callee: "nba-scrapers", path: "/catchup", schedule: "0 10 * * *", timeZone: "America/New_York", method: "POST", body: "{\"scraper_name\": \"bdl_box_scores\", \"lookback_days\": 3, \"workflow\": \"bdl-catchup-midday\"}", headers: { "Content-Type": "application/json" }, evidence: "bin/deploy/deploy_catchup_schedulers.sh:108" },
  // The script looks up the URL of nba-phase1-scrapers, a legacy name; nba-scrapers is the live service serving /catchup.
  { name: "bdl-catchup-afternoon", callee: "nba-scrapers", path: "/catchup", schedule: "0 14 * * *", timeZone: "America/New_York", method: "POST", body: "{\"scraper_name\": \"bdl_box_scores\", \"lookback_days\": 3, \"workflow\": \"bdl-catchup-afternoon\"}", headers: { "Content-Type": "application/json" }, evidence: "bin/deploy/deploy_catchup_schedulers.sh:116" },
  // The script looks up the URL of nba-phase1-scrapers, a legacy name; nba-scrapers is the live service serving /catchup.
  { name: "bdl-catchup-evening", callee: "nba-scrapers", path: "/catchup", schedule: "0 18 * * *", timeZone: "America/New_York", method: "POST", body: "{\"scraper_name\": \"bdl_box_scores\", \"lookback_days\": 3, \"workflow\": \"bdl-catchup-evening\"}", headers: { "Content-Type": "application/json" }, evidence: "bin/deploy/deploy_catchup_schedulers.sh:124" },
  // The script looks up the URL of nba-phase1-scrapers, a legacy name; nba-scrapers is the live service serving /catchup.
  { name: "gamebook-catchup-morning", callee: "nba-scrapers", path: "/catchup", schedule: "0 8 * * *", timeZone: "America/New_York", method: "POST", body: "{\"scraper_name\": \"nbac_gamebook_pdf\", \"lookback_days\": 1, \"workflow\": \"gamebook-catchup-morning\"}", headers: { "Content-Type": "application/json" }, evidence: "bin/deploy/deploy_catchup_schedulers.sh:137" },
  // The script looks up the URL of nba-phase1-scrapers, a legacy name; nba-scrapers is the live service serving /catchup.
  { name: "gamebook-catchup-late-morning", callee: "nba-scrapers", path: "/catchup", schedule: "0 11 * * *", timeZone: "America/New_York", method: "POST", body: "{\"scraper_name\": \"nbac_gamebook_pdf\", \"lookback_days\": 1, \"workflow\": \"gamebook-catchup-late-morning\"}", headers: { "Content-Type": "application/json" }, evidence: "bin/deploy/deploy_catchup_schedulers.sh:145" },
  // The script looks up the URL of nba-phase1-scrapers, a legacy name; nba-scrapers is the live service serving /catchup.
  { name: "odds-catchup-noon", callee: "nba-scrapers", path: "/catchup", schedule: "0 12 * * *", timeZone: "America/New_York", method: "POST", body: "{\"scraper_name\": \"oddsa_player_props\", \"lookback_days\": 1, \"workflow\": \"odds-catchup-noon\"}", headers: { "Content-Type": "application/json" }, evidence: "bin/deploy/deploy_catchup_schedulers.sh:158" },
  // The script looks up the URL of nba-phase1-scrapers, a legacy name; nba-scrapers is the live service serving /catchup.
  { name: "odds-catchup-afternoon", callee: "nba-scrapers", path: "/catchup", schedule: "0 15 * * *", timeZone: "America/New_York", method: "POST", body: "{\"scraper_name\": \"oddsa_player_props\", \"lookback_days\": 1, \"workflow\": \"odds-catchup-afternoon\"}", headers: { "Content-Type": "application/json" }, evidence: "bin/deploy/deploy_catchup_schedulers.sh:166" },
  // The script looks up the URL of nba-phase1-scrapers, a legacy name; nba-scrapers is the live service serving /catchup.
  { name: "odds-catchup-evening", callee: "nba-scrapers", path: "/catchup", schedule: "0 19 * * *", timeZone: "America/New_York", method: "POST", body: "{\"scraper_name\": \"oddsa_player_props\", \"lookback_days\": 1, \"workflow\": \"odds-catchup-evening\"}", headers: { "Content-Type": "application/json" }, evidence: "bin/deploy/deploy_catchup_schedulers.sh:174" },
  { name: "nba-closing-lines-sweep", callee: "nba-scrapers", path: "/closing-line-sweep", schedule: "0,30 12-23 * * *", timeZone: "America/New_York", method: "POST", body: "{}", headers: { "Content-Type": "application/json" }, evidence: "bin/deploy/deploy_closing_lines_scheduler.sh:68-80" },
  { name: "dknetwork-betting-splits-daily", callee: "nba-scrapers", path: "/scrape", schedule: "0 14 * * *", timeZone: "America/New_York", method: "POST", body: "{\"scraper\": \"dknetwork_betting_splits\", \"date\": \"TODAY\"}", headers: { "Content-Type": "application/json" }, evidence: "bin/deploy/deploy_dknetwork_scheduler.sh:63-75" },
  { name: "espn-injuries-hourly", callee: "nba-scrapers", path: "/scrape", schedule: "0 10-20 * * *", timeZone: "America/New_York", method: "POST", body: "{\"scraper\": \"espn_injuries\", \"date\": \"TODAY\"}", headers: { "Content-Type": "application/json" }, evidence: "bin/deploy/deploy_espn_injuries_scheduler.sh:52-64" },
  { name: "rotowire-nba-news-frequent", callee: "nba-scrapers", path: "/scrape", schedule: "*/10 10-22 * * *", timeZone: "America/New_York", method: "POST", body: "{\"scraper\": \"rotowire_nba_news\", \"date\": \"TODAY\"}", headers: { "Content-Type": "application/json" }, evidence: "bin/deploy/deploy_rotowire_news_scheduler.sh:92" },
  { name: "rotowire-nba-news-daily", callee: "nba-scrapers", path: "/scrape", schedule: "0 12 * 5-9 *", timeZone: "America/New_York", method: "POST", body: "{\"scraper\": \"rotowire_nba_news\", \"date\": \"TODAY\"}", headers: { "Content-Type": "application/json" }, evidence: "bin/deploy/deploy_rotowire_news_scheduler.sh:98" },
  { name: "boxscore-completeness-daily", callee: "nba-phase2-raw-processors", path: "/monitoring/boxscore-completeness", schedule: "0 6 * * *", timeZone: "America/New_York", method: "POST", body: "{\"check_days\": 1, \"alert_on_gaps\": true}", headers: { "Content-Type": "application/json" }, evidence: "bin/monitoring/setup_boxscore_completeness_scheduler.sh:52-63" },
  { name: "nba-signal-anomaly-check", callee: "prediction-coordinator", path: "/check-signal", schedule: "0 13 * * *", timeZone: "UTC", method: "POST", evidence: "bin/monitoring/setup_signal_alert_scheduler.sh:68-78" },
  { name: "nba-staging-table-cleanup", callee: "prediction-coordinator", path: "/cleanup-staging", schedule: "0 8 * * *", timeZone: "UTC", method: "POST", evidence: "bin/monitoring/setup_staging_cleanup_scheduler.sh:70-80" },
  { name: "daily-schedule-locker", callee: "nba-scrapers", path: "/generate-daily-schedule", schedule: "0 10 * * *", timeZone: "America/New_York", method: "POST", evidence: "bin/orchestration/add_scheduler_jobs_v2.sh:27-36" },
  { name: "master-controller-hourly", callee: "nba-scrapers", path: "/evaluate", schedule: "0 6-23 * * *", timeZone: "America/New_York", method: "POST", evidence: "bin/orchestration/add_scheduler_jobs_v2.sh:49-58" },
  { name: "cleanup-processor", callee: "nba-scrapers", path: "/cleanup", schedule: "*/15 * * * *", timeZone: "America/New_York", method: "POST", evidence: "bin/orchestration/add_scheduler_jobs_v2.sh:93-102" },
  // Live box scores every 3 minutes during games; the script names the scrapers by their legacy URL.
  ...(
    [
      ["bdl-live-boxscores-evening", "*/3 19-23 * * *", "bin/scrapers/setup_live_boxscores_scheduler.sh:24-36"],
      ["bdl-live-boxscores-late", "*/3 0-1 * * *", "bin/scrapers/setup_live_boxscores_scheduler.sh:40-52"],
    ] as const
  ).map(([name, schedule, evidence]) => ({
    name,
    callee: "nba-scrapers",
    path: "/scrape",
    schedule,
    timeZone: "America/New_York",
    method: "POST" as const,
    body: '{"scraper": "bdl_live_box_scores", "group": "gcs"}',
    headers: { "Content-Type": "application/json" },
    evidence,
  })),
];

/** Cloud Scheduler jobs calling the HTTP functions, each created by its function's deploy script. */
const functionJobs: SchedulerJobSpec[] = (
  [
    ["nba-grading-alerts-daily", "nba-grading-alerts", "", "30 20 * * *", "America/Los_Angeles", "POST", "bin/alerts/deploy_nba_grading_alerts.sh:100-106"],
    ["daily-health-summary-job", "daily-health-summary", "", "0 7 * * *", "America/New_York", "GET", "bin/deploy/deploy_daily_health_summary.sh:209-215"],
    ["self-heal-predictions", "self-heal-predictions", "", "45 12 * * *", "America/New_York", "POST", "bin/deploy/deploy_self_heal_function.sh:193-199"],
    ["stale-running-cleanup-job", "stale-running-cleanup", "", "*/30 * * * *", "America/New_York", "GET", "bin/deploy/deploy_stale_cleanup.sh:166-172"],
    ["validation-post-overnight", "validation-runner", "?schedule=post_overnight", "0 6 * * *", "America/New_York", "GET", "bin/deploy/deploy_validation_runner.sh:44"],
    ["validation-pre-game-prep", "validation-runner", "?schedule=pre_game_prep", "0 8 * * *", "America/New_York", "GET", "bin/deploy/deploy_validation_runner.sh:45"],
    ["validation-pre-game-final", "validation-runner", "?schedule=pre_game_final", "0 18 * * *", "America/New_York", "GET", "bin/deploy/deploy_validation_runner.sh:46"],
    ["daily-pipeline-health-summary", "pipeline-health-summary", "", "0 6 * * *", "America/Los_Angeles", "POST", "bin/monitoring/deploy/deploy_health_summary.sh:169-175"],
    ["enrichment-daily", "enrichment-trigger", "", "40 18 * * *", "UTC", "GET", "bin/orchestrators/deploy_enrichment_trigger.sh:92-98"],
    ["phase4-timeout-check-job", "phase4-timeout-check", "", "*/30 * * * *", "America/New_York", "GET", "bin/orchestrators/deploy_phase4_timeout_check.sh:169-175"],
    ["scraper-gap-backfiller-trigger", "scraper-gap-backfiller", "", "0 */4 * * *", "America/New_York", "POST", "bin/orchestrators/deploy_scraper_gap_backfiller.sh:189-195"],
    ["expected-outputs-planner-nightly", "expected-outputs-planner", "/?lookahead_days=14&sport=all", "0 4 * * *", "America/New_York", "GET", "orchestration/cloud_functions/expected_outputs_planner/deploy.sh:71-76"],
    ["gap-detector-30min", "gap-detector", "/", "15,45 * * * *", "America/New_York", "GET", "orchestration/cloud_functions/gap_detector/deploy.sh:57-60"],
    ["halt-state-writer-daily", "halt-state-writer", "/?sport=all", "0 5 * * *", "America/New_York", "GET", "orchestration/cloud_functions/halt_state_writer/deploy.sh:93-98"],
    ["phase-completion-reconciler-30min", "phase-completion-reconciler", "/", "*/30 * * * *", "America/New_York", "GET", "orchestration/cloud_functions/phase_completion_reconciler/deploy.sh:47-50"],
  ] as const
).map(([name, callee, path, schedule, timeZone, method, evidence]) => ({ name, callee, path, schedule, timeZone, method, evidence }));

const scraperAvailabilityJob: SchedulerJobSpec = {
  name: "scraper-availability-daily",
  callee: "scraper-availability-monitor",
  path: "",
  schedule: "0 13 * * *",
  timeZone: "UTC",
  method: "POST",
  body: "{}",
  headers: { "Content-Type": "application/json" },
  evidence: "orchestration/cloud_functions/scraper_availability_monitor/deploy.sh:60-68",
};

/** Cloud Scheduler jobs that publish to a topic (Cloud Scheduler's own service agent publishes). */
const publishJobs: PublishJobSpec[] = [
  { name: "auto-retry-processor-trigger", topic: "auto-retry-trigger", schedule: "*/15 * * * *", timeZone: "America/New_York", message: '{"action":"retry"}', evidence: "bin/orchestrators/deploy_auto_retry_processor.sh:123-128" },
  {
    name: "grading-daily",
    topic: "nba-grading-trigger",
    schedule: "30 12 * * *",
    timeZone: "America/New_York",
    message: '{"target_date": "yesterday", "trigger_source": "scheduler", "run_aggregation": true}',
    evidence: "bin/deploy/deploy_grading_function.sh:232-237",
  },
  { name: "phase6-daily-results", topic: "nba-phase6-export-trigger", schedule: "0 5 * * *", timeZone: "America/New_York", message: "{\"export_types\": [\"results\", \"performance\", \"best-bets\", \"predictions\", \"admin-dashboard\", \"admin-picks\"], \"target_date\": \"yesterday\", \"update_latest\": true}", evidence: "bin/deploy/deploy_phase6_scheduler.sh:163" },
  { name: "phase6-tonight-picks", topic: "nba-phase6-export-trigger", schedule: "0 13 * * *", timeZone: "America/New_York", message: "{\"export_types\": [\"tonight\", \"tonight-players\", \"best-bets-all\", \"best-bets-today\"], \"target_date\": \"today\"}", evidence: "bin/deploy/deploy_phase6_scheduler.sh:170" },
  { name: "phase6-player-profiles", topic: "nba-phase6-export-trigger", schedule: "0 6 * * 0", timeZone: "America/New_York", message: "{\"players\": true, \"min_games\": 5}", evidence: "bin/deploy/deploy_phase6_scheduler.sh:177" },
  { name: "phase6-hourly-trends", topic: "nba-phase6-export-trigger", schedule: "0 6-23 * * *", timeZone: "America/New_York", message: "{\"export_types\": [\"trends-hot-cold\", \"trends-bounce-back\", \"tonight-trend-plays\"], \"target_date\": \"today\"}", evidence: "bin/deploy/deploy_phase6_scheduler.sh:185" },
  { name: "phase6-season-game-counts", topic: "nba-phase6-export-trigger", schedule: "0 6 * * *", timeZone: "America/New_York", message: "{\"export_types\": [\"season-game-counts\"]}", evidence: "bin/deploy/deploy_phase6_scheduler.sh:192" },
  { name: "phase6-clv-reexport", topic: "nba-phase6-export-trigger", schedule: "30 16 * * *", timeZone: "America/New_York", message: "{\"export_types\": [\"signal-best-bets\"], \"target_date\": \"today\"}", evidence: "bin/deploy/deploy_phase6_scheduler.sh:203" },
  { name: "phase6-clv-reexport-late", topic: "nba-phase6-export-trigger", schedule: "30 19 * * *", timeZone: "America/New_York", message: "{\"export_types\": [\"signal-best-bets\"], \"target_date\": \"today\"}", evidence: "bin/deploy/deploy_phase6_scheduler.sh:215" },
  { name: "phase-transition-monitor", topic: "phase-transition-monitor-trigger", schedule: "*/10 * * * *", timeZone: "America/New_York", message: "{\"action\": \"run_phase_monitor\", \"alert\": true}", evidence: "bin/monitoring/setup_phase_monitor_scheduler.sh:64-70" },
];

/** Push subscriptions: each POSTs its topic's messages to a workload with an OIDC token. */
const subscriptions = [
  {
    name: "nba-phase2-raw-sub",
    topic: "nba-phase1-scrapers-complete",
    callee: "nba-phase2-raw-processors",
    path: "/process",
    evidence: "docs/08-projects/completed/phase4-phase5-integration/PUBSUB-INFRASTRUCTURE-AUDIT.md:61",
  },
  {
    // The script pushes to the pre-rename service nba-analytics-processors; the handover is phase 3's /process.
    name: "nba-phase3-analytics-sub",
    topic: "nba-phase2-raw-complete",
    callee: "nba-phase3-analytics-processors",
    path: "/process",
    ackDeadlineSeconds: 600,
    deadLetter: { topic: "nba-phase2-raw-complete-dlq", maxDeliveryAttempts: 5 },
    evidence: "bin/infrastructure/create_phase2_phase3_topics.sh:120-128",
  },
  {
    name: "prediction-request-prod",
    topic: "prediction-request-prod",
    callee: "prediction-worker",
    path: "/predict",
    ackDeadlineSeconds: 300,
    // The live subscription dead-letters to prediction-request-dlq, which the script predates.
    deadLetter: { topic: "prediction-request-dlq", maxDeliveryAttempts: 5 },
    evidence: "bin/predictions/deploy/deploy_prediction_worker.sh:225-231",
  },
  {
    name: "prediction-ready-prod-sub",
    topic: "prediction-ready-prod",
    callee: "prediction-coordinator",
    path: "/complete",
    evidence: "docs/08-projects/completed/phase4-phase5-integration/PUBSUB-INFRASTRUCTURE-AUDIT.md:66",
  },
  // Fallbacks reach a phase when its orchestrator fails (bin/orchestrators/setup_fallback_subscriptions.sh).
  ...(
    [
      ["nba-phase2-fallback-sub", "nba-phase2-fallback-trigger", "nba-phase2-raw-processors", "bin/orchestrators/setup_fallback_subscriptions.sh:26-33"],
      ["nba-phase3-fallback-sub", "nba-phase3-fallback-trigger", "nba-phase3-analytics-processors", "bin/orchestrators/setup_fallback_subscriptions.sh:37-44"],
      ["nba-phase4-fallback-sub", "nba-phase4-fallback-trigger", "nba-phase4-precompute-processors", "bin/orchestrators/setup_fallback_subscriptions.sh:48-55"],
    ] as const
  ).map(([name, topic, callee, evidence]) => ({ name, topic, callee, path: "/process", ackDeadlineSeconds: 600, fallback: true, evidence })),
];

/** Eventarc triggers made apart from a function's own trigger. */
const eventarcTriggers = [
  {
    // Created by hand (gcloud eventarc triggers create); phase 4's root route takes the Pub/Sub envelope.
    name: "nba-phase4-trigger-sub",
    topic: "nba-phase4-trigger",
    callee: "nba-phase4-precompute-processors",
    path: "/",
    evidence: "docs/08-projects/current/jan-21-critical-fixes/ROOT-CAUSE-FIXES-JAN-21-2026.md:95-107",
  },
];

/**
 * What the app repository has and this topology leaves out, each with why. `npm run calls` shows calls to or
 * from these as left out on purpose, never as gaps; adopt leaves their live resources unmanaged.
 */
const leftOut = [
  { name: "mlb-*", why: "MLB: a separate sport's pipeline, out of this stack's scope", evidence: "cloudbuild-nba-phase2.yaml:71-100" },
  { name: "unified-dashboard", why: "a read-only dashboard (BigQuery and Firestore reads); nothing in the pipeline calls it", evidence: "services/unified_dashboard/Dockerfile:18-40" },
  { name: "nba-admin-dashboard", why: "the admin UI, deployed by hand and excluded from auto-deploy; not a pipeline stage", evidence: ".pre-commit-hooks/validate_auto_deploy_consistency.py:21-24" },
  { name: "pipeline-dashboard", why: "a dashboard for people, deployed with --allow-unauthenticated; the stack makes nothing public", evidence: "bin/deploy/deploy_new_cloud_functions.sh:47-56" },
  { name: "scraper-dashboard", why: "a dashboard for people, deployed with --allow-unauthenticated; the stack makes nothing public", evidence: "bin/orchestrators/deploy_scraper_dashboard.sh:107-117" },
  {
    name: "live-export",
    why: "live-freshness-monitor calls it with no ID token (it was deployed public); the stack makes nothing public, so both stay unmanaged until the caller sends a token",
    evidence: "orchestration/cloud_functions/live_freshness_monitor/main.py:38",
  },
  { name: "live-freshness-monitor", why: "calls live-export without an ID token; see live-export", evidence: "orchestration/cloud_functions/live_freshness_monitor/main.py:206" },
  {
    name: "game-coverage-alert",
    why: "imports shared.utils.slack_alerting, which does not exist: a deploy from HEAD fails; fix the app first",
    evidence: "orchestration/cloud_functions/game_coverage_alert/main.py:221",
  },
  { name: "stale-processor-monitor", why: "imports the missing shared.utils.slack_alerting; see game-coverage-alert", evidence: "orchestration/cloud_functions/stale_processor_monitor/main.py:250" },
  { name: "auto-backfill-orchestrator", why: "imports the missing shared.utils.slack_alerting; see game-coverage-alert", evidence: "orchestration/cloud_functions/auto_backfill_orchestrator/main.py:496" },
  { name: "phase2-to-phase3-orchestrator", why: "retired in Session 204; the drift script records its removal", evidence: "bin/check-cloud-function-drift.sh:35" },
  { name: "phase2-to-phase3", why: "retired in Session 204 (phase2-to-phase3-orchestrator's old name)", evidence: "bin/check-cloud-function-drift.sh:35" },
  { name: "reconcile", why: "its source (orchestration/cloud_functions/prediction_monitoring) was deleted in c8f4efb7", evidence: "bin/deploy-function.sh:130" },
  { name: "validate-freshness", why: "its source was deleted in c8f4efb7", evidence: "bin/deploy-function.sh:136" },
  { name: "monthly-retrain", why: "replaced by weekly-retrain; its source was deleted in c8f4efb7", evidence: "bin/deploy-function.sh:178" },
  { name: "nba-processors", why: "the pre-rename phase 2 service; nba-phase2-raw-processors replaced it", evidence: "bin/infrastructure/migrate_phase1_topic.sh:42" },
  { name: "nba-analytics-processors", why: "the pre-rename phase 3 service; nba-phase3-analytics-processors replaced it", evidence: "bin/infrastructure/create_phase2_phase3_topics.sh:30" },
  { name: "nba-reference-service", why: "not deployed by any script in the repository; its registry jobs have nothing to call", evidence: "bin/orchestration/add_registry_scheduler_jobs.sh:31" },
  {
    name: "execute-workflows",
    why: "deleted on 2026-07-03 (the scheduler purge) and not restored; the scripts still create it",
    evidence: "bin/orchestration/add_scheduler_jobs_v2.sh:71-80",
  },
  {
    name: "nba-phase5-fallback-sub",
    why: "pushes to prediction-coordinator /predict, a route the coordinator does not have (a 404 on every message)",
    evidence: "bin/orchestrators/setup_fallback_subscriptions.sh:59-66",
  },
  {
    name: "orchestration/cloud_functions/phase6_export/main.py:207",
    why: "phase6-export calls https://self-heal-…run.app, a service no deploy path creates (the function is self-heal-predictions): a 404, not an auth gap; fix the URL in the app",
  },
  {
    name: "orchestration/cloud_functions/grading-gap-detector/main.py:24",
    why: "grading-gap-detector calls a coordinator URL of another project hash with an OAuth access token, not an ID token: it cannot authenticate to Cloud Run; fix the app",
  },
  { name: "bin/deploy_robustness_fixes.sh", why: "a one-off script from an earlier session; the deploy registry and cloudbuild-functions.yaml supersede it" },
  { name: "workflow-executor-hourly", why: "the v1 name of execute-workflows", evidence: "bin/orchestration/add_scheduler_jobs.sh:144-148" },
  {
    name: "bin/infrastructure/monitoring/nba_monitor_scheduler.sh",
    why: "an interactive monitoring script whose nine jobs call `/scrape?scraper=` without an OIDC token, which the private scrapers service refuses; not a deploy path",
  },
  {
    name: "bin/notifications/setup_daily_picks_scheduler.sh",
    why: "its job posts without a token to nba-scrapers /send-daily-picks, a route the service does not have (the script says so: \"TODO: Create dedicated notification service\")",
  },
  { name: "deployment-drift-monitor", why: "a function in no deploy registry (cloud_functions/deployment_drift_monitor); its drift check is this stack's `npm run drift`", evidence: "bin/infrastructure/setup-drift-monitoring.sh:38" },
  { name: "slack-reminder", why: "MLB retraining reminders", evidence: "bin/schedulers/setup_mlb_reminders.sh:69" },
  { name: "deployment-drift-check", why: "the topic of deployment-drift-monitor; see deployment-drift-monitor", evidence: "bin/infrastructure/setup-drift-monitoring.sh:52" },
  { name: "news-fetcher", why: "a 1st-gen function (deployed with --no-gen2) the app marks as likely unused", evidence: "bin/deploy/deploy_news_fetcher.sh:148" },
  { name: "zero-workflow-monitor", why: "its source was deleted in c8f4efb7; the deploy script would fail", evidence: "bin/deploy/deploy_zero_workflow_monitor.sh:205" },
  { name: "bigquery-backup", why: "an operations backup function in no deploy registry, not a pipeline stage", evidence: "bin/operations/deploy_backup_function.sh:64" },
  { name: "nba-snapshot-daily", why: "an operations snapshot function in no deploy registry, not a pipeline stage", evidence: "bin/operations/deploy_nba_snapshot_daily.sh:51" },
  { name: "bin/orchestrators/mlb/", why: "MLB orchestrators" },
  {
    name: "orchestration/cloud_functions/bdb_retry_processor/",
    why: "bdb-retry-processor is in no deploy registry (the scrapers image only carries its folder under orchestration/)",
  },
  { name: "orchestration/cloud_functions/grading_coverage_monitor/", why: "grading-coverage-monitor is in no deploy registry at this commit" },
  { name: "orchestration/cloud_functions/live_export/", why: "live-export is left out; see live-export" },
  { name: "backfill_jobs/", why: "backfill scripts run by hand with a person's credentials; cloudbuild-functions.yaml packages them into every function, none calls them" },
  { name: "orchestration/cloud_functions/transition_monitor/main.py:726", why: "a curl command in an alert's text, not a call" },
  { name: "shared/utils/email_alerting_ses.py:861", why: "a curl command in an email's text, not a call" },
  { name: "predictions/coordinator/coordinator.py:187", why: "PREDICTION_READY_TOPIC is read and never published to; the worker publishes prediction-ready-prod" },
  { name: "infra/", why: "the partly disabled Terraform in infra/ manages its own few resources (the odds-api-key secret, ops datasets, topics nobody publishes to)", evidence: "infra/cloud_run.tf:5-13" },
];

/** The NBA pipeline: everything program.ts deploys, and everything the tools hold the app against. */
export const pipeline: Topology = {
  appRepository,
  phases,
  deployGroups,
  topics: topicNames.map(([name, evidence]) => ({ name, evidence })),
  services,
  functions,
  subscriptions,
  eventarcTriggers,
  schedulerJobs: [...schedulerJobs, ...functionJobs, scraperAvailabilityJob],
  publishJobs,
  leftOut,
};

/** The data access of a workload, from data-access.ts, where every workload has an entry (none: `{ evidence: [] }`). */
function access(name: string): DataAccess {
  const entry = dataAccess[name];
  if (!entry) throw new Error(`data-access.ts has no entry for ${name}: add what its code reads and writes`);
  return entry;
}
