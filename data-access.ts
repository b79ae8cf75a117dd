// What each workload's own code reads and writes, as data: the stack turns it into least-privilege grants
// on the workload's account (components/access.ts). Derived from the code at appRepository.commit by
// tracing each entry point's imports: BigQuery datasets read and written (and whether it runs jobs), buckets,
// Firestore, secrets read through the Secret Manager API, and the project-level roles for custom metrics,
// log and Cloud Run reads that have no narrower resource. Evidence is `path:line` in the app repository.
import type { DataAccess } from "./topology";

export const dataAccess: Readonly<Record<string, DataAccess>> = {
  "auto-retry-processor": {
    bigquery: { read: ["nba_orchestration"], write: ["nba_orchestration"], jobs: true },
    evidence: ["orchestration/cloud_functions/auto_retry_processor/main.py:87", "orchestration/cloud_functions/auto_retry_processor/main.py:263"],
  },
  "backfill-pubsub-subscriber": {
    bigquery: { read: ["nba_orchestration", "nba_raw"], write: ["nba_orchestration"], jobs: true },
    buckets: { read: ["nba-scraped-data"] },
    secrets: ["analytics-api-keys", "coordinator-api-key"],
    evidence: ["orchestration/cloud_functions/scraper_gap_backfiller/main.py:690", "orchestration/parameter_resolver.py:813", "shared/utils/schedule/gcs_reader.py:89", "orchestration/cloud_functions/scraper_gap_backfiller/main.py:90"],
  },
  "backfill-trigger": {
    firestore: true,
    evidence: ["orchestration/cloud_functions/backfill_trigger/main.py:62"],
  },
  "bias-decay-monitor": {
    bigquery: { read: ["nba_predictions"], jobs: true },
    evidence: ["bin/monitoring/bias_decay_monitor.py:76"],
  },
  "daily-health-check": {
    bigquery: { read: ["nba_orchestration", "nba_predictions", "nba_raw", "nba_reference"], jobs: true },
    buckets: { read: ["nba-props-platform-api"] },
    firestore: true,
    projectRoles: ["roles/logging.privateLogViewer", "roles/cloudscheduler.viewer"],
    evidence: ["orchestration/cloud_functions/daily_health_check/main.py:225", "orchestration/cloud_functions/daily_health_check/main.py:461", "orchestration/cloud_functions/daily_health_check/main.py:47", "orchestration/cloud_functions/daily_health_check/main.py:170", "orchestration/cloud_functions/daily_health_check/main.py:290", "orchestration/cloud_functions/daily_health_check/main.py:421"],
  },
  "daily-health-summary": {
    bigquery: { read: ["nba_analytics", "nba_orchestration", "nba_predictions", "nba_processing", "nba_raw", "nba_reference"], jobs: true },
    evidence: ["orchestration/cloud_functions/daily_health_summary/main.py:124", "orchestration/cloud_functions/daily_health_summary/main.py:151"],
  },
  "data-quality-alerts": {
    bigquery: { read: ["nba_analytics", "nba_predictions", "nba_raw"], write: ["nba_orchestration"], jobs: true },
    secrets: ["slack-webhook-monitoring-error", "slack-webhook-monitoring-warning"],
    evidence: ["orchestration/cloud_functions/data_quality_alerts/main.py:92", "orchestration/cloud_functions/data_quality_alerts/main.py:100", "orchestration/cloud_functions/data_quality_alerts/deploy.sh:32"],
  },
  "data-source-health-canary": {
    bigquery: { read: ["nba_raw", "nba_reference"], jobs: true },
    evidence: ["bin/monitoring/data_source_health_canary.py:38", "bin/monitoring/data_source_health_canary.py:269"],
  },
  "decay-detection": {
    bigquery: { read: ["nba_predictions", "nba_reference"], write: ["nba_orchestration", "nba_predictions"], jobs: true },
    evidence: ["orchestration/cloud_functions/decay_detection/main.py:108", "orchestration/cloud_functions/decay_detection/main.py:275"],
  },
  "dlq-monitor": {
    projectRoles: ["roles/pubsub.subscriber", "roles/monitoring.viewer", "roles/logging.viewer"],
    evidence: ["orchestration/cloud_functions/dlq_monitor/main.py:137", "orchestration/cloud_functions/dlq_monitor/main.py:189", "orchestration/cloud_functions/dlq_monitor/main.py:458"],
  },
  "enrichment-trigger": {
    bigquery: { read: ["nba_predictions", "nba_raw"], write: ["nba_predictions"], jobs: true },
    evidence: ["data_processors/enrichment/prediction_line_enrichment/prediction_line_enrichment_processor.py:112", "data_processors/enrichment/prediction_line_enrichment/prediction_line_enrichment_processor.py:254"],
  },
  "expected-outputs-planner": {
    bigquery: { read: ["nba_orchestration"], write: ["nba_orchestration"], jobs: true },
    evidence: ["orchestration/cloud_functions/expected_outputs_planner/main.py:257", "orchestration/cloud_functions/expected_outputs_planner/main.py:75"],
  },
  "filter-counterfactual-evaluator": {
    bigquery: { read: ["nba_predictions"], write: ["nba_orchestration", "nba_predictions"], jobs: true },
    secrets: ["slack-webhook-monitoring-warning"],
    evidence: ["orchestration/cloud_functions/filter_counterfactual_evaluator/main.py:153", "orchestration/cloud_functions/filter_counterfactual_evaluator/main.py:183"],
  },
  "gap-detector": {
    bigquery: { read: ["nba_orchestration"], write: ["nba_orchestration"], jobs: true },
    projectRoles: ["roles/monitoring.metricWriter"],
    evidence: ["orchestration/cloud_functions/gap_detector/main.py:73", "orchestration/cloud_functions/gap_detector/main.py:123", "orchestration/cloud_functions/gap_detector/main.py:222-223"],
  },
  "grading-delay-alert": {
    bigquery: { read: ["nba_predictions", "nba_raw"], jobs: true },
    evidence: ["orchestration/cloud_functions/grading_alert/main.py:77", "orchestration/cloud_functions/grading_alert/main.py:101"],
  },
  "grading-gap-detector": {
    bigquery: { read: ["nba_predictions", "nba_reference"], jobs: true },
    evidence: ["orchestration/cloud_functions/grading-gap-detector/main.py:41", "orchestration/cloud_functions/grading-gap-detector/main.py:53"],
  },
  "grading-readiness-monitor": {
    bigquery: { read: ["nba_predictions", "nba_raw"], jobs: true },
    evidence: ["orchestration/cloud_functions/grading_readiness_monitor/main.py:94", "orchestration/cloud_functions/grading_readiness_monitor/main.py:124"],
  },
  "halt-state-writer": {
    bigquery: { read: ["mlb_predictions", "mlb_raw", "nba_orchestration", "nba_predictions", "nba_reference"], write: ["nba_orchestration"], jobs: true },
    secrets: ["slack-webhook-url"],
    projectRoles: ["roles/monitoring.metricWriter"],
    evidence: ["orchestration/cloud_functions/halt_state_writer/main.py:66", "orchestration/cloud_functions/halt_state_writer/main.py:214", "orchestration/cloud_functions/halt_state_writer/deploy.sh:20", "orchestration/cloud_functions/halt_state_writer/main.py:917-920"],
  },
  "line-quality-self-heal": {
    bigquery: { read: ["nba_predictions", "nba_raw"], write: ["nba_orchestration", "nba_predictions"], jobs: true },
    secrets: ["coordinator-api-key"],
    evidence: ["orchestration/cloud_functions/line_quality_self_heal/main.py:126", "orchestration/cloud_functions/line_quality_self_heal/main.py:142", "orchestration/cloud_functions/line_quality_self_heal/main.py:94"],
  },
  "live-freshness-monitor": {
    bigquery: { read: ["nba_reference"], jobs: true },
    buckets: { read: ["nba-props-platform-api"] },
    evidence: ["orchestration/cloud_functions/live_freshness_monitor/main.py:173", "orchestration/cloud_functions/live_freshness_monitor/main.py:37"],
  },
  "morning-deployment-check": {
    projectRoles: ["roles/run.viewer"],
    evidence: ["functions/monitoring/morning_deployment_check/main.py:59"],
  },
  "nba-grading-alerts": {
    bigquery: { read: ["nba_predictions"], jobs: true },
    secrets: ["nba-grading-slack-webhook"],
    evidence: ["services/nba_grading_alerts/main.py:51", "services/nba_grading_alerts/main.py:131", "bin/alerts/deploy_nba_grading_alerts.sh:66"],
  },
  "nba-grading-service": {
    bigquery: { read: ["nba_analytics", "nba_predictions", "nba_raw"], write: ["nba_predictions"], jobs: true },
    firestore: true,
    secrets: ["brevo-smtp-password", "slack-webhook-url"],
    evidence: ["data_processors/grading/prediction_accuracy/prediction_accuracy_processor.py:535", "data_processors/grading/prediction_accuracy/prediction_accuracy_processor.py:620", "data_processors/grading/prediction_accuracy/prediction_accuracy_processor.py:1125", "data_processors/grading/prediction_accuracy/prediction_accuracy_processor.py:78"],
  },
  "nba-monitoring-alerts": {
    bigquery: { read: ["nba_precompute", "nba_predictions"], jobs: true },
    secrets: ["slack-webhook-url"],
    projectRoles: ["roles/logging.viewer"],
    evidence: ["orchestration/cloud_functions/nba_monitoring_alerts/main.py:90", "orchestration/cloud_functions/nba_monitoring_alerts/main.py:153", "orchestration/cloud_functions/nba_monitoring_alerts/main.py:337"],
  },
  "nba-phase2-raw-processors": {
    bigquery: { read: ["nba_orchestration", "nba_predictions", "nba_raw", "nba_reference"], write: ["nba_orchestration", "nba_predictions", "nba_processing", "nba_raw", "nba_reference"], jobs: true },
    buckets: { read: ["nba-scraped-data"] },
    firestore: true,
    secrets: ["aws-ses-access-key-id", "aws-ses-secret-access-key", "brevo-smtp-password", "sentry-dsn"],
    projectRoles: ["roles/monitoring.metricWriter"],
    evidence: ["data_processors/raw/main_processor_service.py:353", "data_processors/raw/processor_base.py:1652", "data_processors/raw/handlers/file_processor.py:46", "data_processors/raw/main_processor_service.py:269", "shared/utils/email_alerting_ses.py:56", "data_processors/raw/main_processor_service.py:669"],
  },
  "nba-phase3-analytics-processors": {
    bigquery: { read: ["nba_analytics", "nba_enriched", "nba_orchestration", "nba_raw", "nba_reference", "nba_static"], write: ["nba_analytics", "nba_orchestration", "nba_processing", "nba_reference"], jobs: true },
    firestore: true,
    secrets: ["aws-ses-access-key-id", "aws-ses-secret-access-key", "brevo-smtp-password", "slack-webhook-url"],
    projectRoles: ["roles/monitoring.metricWriter"],
    evidence: ["data_processors/analytics/main_analytics_service.py:291", "data_processors/analytics/player_game_summary/player_game_summary_processor.py:389", "data_processors/analytics/analytics_base.py:341", "shared/utils/email_alerting_ses.py:56", "data_processors/analytics/main_analytics_service.py:54"],
  },
  "nba-phase4-precompute-processors": {
    bigquery: { read: ["nba_analytics", "nba_orchestration", "nba_precompute", "nba_predictions", "nba_raw", "nba_reference"], write: ["nba_orchestration", "nba_precompute", "nba_predictions", "nba_processing", "nba_reference"], jobs: true },
    firestore: true,
    secrets: ["aws-ses-access-key-id", "aws-ses-secret-access-key"],
    projectRoles: ["roles/monitoring.metricWriter"],
    evidence: ["data_processors/precompute/ml_feature_store/feature_extractor.py:1126", "data_processors/precompute/base/precompute_base.py:562", "data_processors/precompute/base/mixins/orchestration_helpers.py:157", "shared/utils/email_alerting_ses.py:56", "data_processors/precompute/main_precompute_service.py:34"],
  },
  "nba-scrapers": {
    bigquery: { read: ["nba_orchestration", "nba_raw", "nba_reference"], write: ["nba_orchestration", "nba_raw"], jobs: true },
    buckets: { read: ["nba-scraped-data"], write: ["nba-scraped-data"] },
    firestore: true,
    secrets: ["DECODO_PROXY_CREDENTIALS", "ODDS_API_KEY", "aws-ses-access-key-id", "aws-ses-secret-access-key", "brevo-smtp-password", "kalshi-api-key-id", "kalshi-api-private-key", "slack-webhook-url"],
    evidence: ["orchestration/master_controller.py:306", "orchestration/master_controller.py:1012", "scrapers/exporters.py:39", "orchestration/master_controller.py:124", "shared/utils/email_alerting_ses.py:56"],
  },
  "phase-completion-reconciler": {
    bigquery: { read: ["mlb_raw", "nba_analytics", "nba_orchestration", "nba_predictions", "nba_raw", "nba_reference"], write: ["nba_orchestration"], jobs: true },
    buckets: { read: ["nba-props-platform-api", "nba-scraped-data"] },
    projectRoles: ["roles/monitoring.metricWriter"],
    evidence: ["orchestration/cloud_functions/phase_completion_reconciler/main.py:271", "orchestration/cloud_functions/phase_completion_reconciler/main.py:114", "orchestration/cloud_functions/phase_completion_reconciler/main.py:127", "orchestration/cloud_functions/phase_completion_reconciler/main.py:334"],
  },
  "phase3-to-grading": {
    bigquery: { read: ["nba_analytics", "nba_predictions", "nba_raw"], jobs: true },
    firestore: true,
    evidence: ["orchestration/cloud_functions/phase3_to_grading/main.py:203", "orchestration/cloud_functions/phase3_to_grading/main.py:234", "orchestration/cloud_functions/phase3_to_grading/main.py:124"],
  },
  "phase3-to-phase4-orchestrator": {
    bigquery: { read: ["nba_analytics", "nba_orchestration", "nba_raw"], write: ["nba_monitoring", "nba_orchestration"], jobs: true },
    firestore: true,
    evidence: ["orchestration/cloud_functions/phase3_to_phase4/main.py:375", "orchestration/cloud_functions/phase3_to_phase4/main.py:466", "orchestration/cloud_functions/phase3_to_phase4/main.py:1358"],
  },
  "phase4-timeout-check": {
    firestore: true,
    secrets: ["slack-webhook-url"],
    evidence: ["orchestration/cloud_functions/phase4_timeout_check/main.py:98", "bin/orchestrators/deploy_phase4_timeout_check.sh:50"],
  },
  "phase4-to-phase5-orchestrator": {
    bigquery: { read: ["nba_analytics", "nba_orchestration", "nba_precompute", "nba_predictions"], write: ["nba_orchestration"], jobs: true },
    firestore: true,
    evidence: ["orchestration/cloud_functions/phase4_to_phase5/main.py:536", "orchestration/cloud_functions/phase4_to_phase5/main.py:681", "orchestration/cloud_functions/phase4_to_phase5/main.py:1153"],
  },
  "phase5-to-phase6-orchestrator": {
    bigquery: { read: ["nba_predictions"], write: ["nba_orchestration"], jobs: true },
    evidence: ["orchestration/cloud_functions/phase5_to_phase6/main.py:126", "orchestration/cloud_functions/phase5_to_phase6/main.py:306"],
  },
  "phase5b-grading": {
    bigquery: { read: ["nba_analytics", "nba_predictions", "nba_raw", "nba_reference"], write: ["nba_predictions"], jobs: true },
    firestore: true,
    secrets: ["brevo-smtp-password", "slack-webhook-url"],
    projectRoles: ["roles/monitoring.metricWriter"],
    evidence: ["orchestration/cloud_functions/grading/main.py:182", "data_processors/grading/prediction_accuracy/prediction_accuracy_processor.py:333", "data_processors/grading/prediction_accuracy/prediction_accuracy_processor.py:1125", "orchestration/cloud_functions/grading/main.py:974", "orchestration/cloud_functions/grading/main.py:1311"],
  },
  "phase6-export": {
    bigquery: { read: ["mlb_analytics", "mlb_predictions", "mlb_raw", "nba_analytics", "nba_enriched", "nba_orchestration", "nba_precompute", "nba_predictions", "nba_raw", "nba_reference"], write: ["nba_predictions"], jobs: true },
    buckets: { read: ["nba-props-platform-api", "nba-scraped-data"], write: ["nba-props-platform-api"] },
    secrets: ["aws-ses-access-key-id", "aws-ses-secret-access-key", "slack-webhook-url"],
    projectRoles: ["roles/monitoring.metricWriter"],
    evidence: ["orchestration/cloud_functions/phase6_export/main.py:95", "data_processors/publishing/signal_best_bets_exporter.py:967", "orchestration/cloud_functions/phase6_export/main.py:53", "data_processors/publishing/base_exporter.py:78", "orchestration/cloud_functions/phase6_export/main.py:537"],
  },
  "pipeline-health-summary": {
    bigquery: { read: ["nba_predictions", "nba_raw", "nba_reference"], jobs: true },
    secrets: ["aws-ses-access-key-id", "aws-ses-secret-access-key", "slack-webhook-url-info"],
    evidence: ["monitoring/health_summary/main.py:212", "monitoring/health_summary/main.py:273", "shared/utils/email_alerting_ses.py:56"],
  },
  "pipeline-reconciliation": {
    bigquery: { read: ["nba_analytics", "nba_precompute", "nba_predictions", "nba_raw"], jobs: true },
    secrets: ["slack-webhook-url"],
    evidence: ["orchestration/cloud_functions/pipeline_reconciliation/main.py:98", "orchestration/cloud_functions/pipeline_reconciliation/main.py:148"],
  },
  "post-grading-export": {
    bigquery: { read: ["nba_analytics", "nba_orchestration", "nba_precompute", "nba_predictions", "nba_raw", "nba_reference"], write: ["nba_predictions"], jobs: true },
    buckets: { read: ["nba-props-platform-api"], write: ["nba-props-platform-api"] },
    secrets: ["slack-webhook-monitoring-warning", "slack-webhook-url"],
    evidence: ["orchestration/cloud_functions/post_grading_export/main.py:126", "orchestration/cloud_functions/post_grading_export/main.py:241", "data_processors/publishing/base_exporter.py:46", "cloudbuild-functions.yaml:111-114"],
  },
  "prediction-coordinator": {
    bigquery: { read: ["nba_analytics", "nba_orchestration", "nba_predictions", "nba_raw", "nba_reference"], write: ["nba_predictions", "nba_reference"], jobs: true },
    firestore: true,
    secrets: ["aws-ses-access-key-id", "aws-ses-secret-access-key", "coordinator-api-key"],
    projectRoles: ["roles/monitoring.metricWriter"],
    evidence: ["predictions/coordinator/player_loader.py:1047", "predictions/coordinator/coordinator.py:2140", "predictions/coordinator/batch_state_manager.py:188", "predictions/coordinator/coordinator.py:196", "predictions/coordinator/coordinator.py:2449"],
  },
  "prediction-health-alert": {
    bigquery: { read: ["nba_predictions", "nba_reference"], jobs: true },
    evidence: ["orchestration/cloud_functions/prediction_health_alert/main.py:80", "shared/utils/schedule_guard.py:26"],
  },
  "prediction-worker": {
    bigquery: { read: ["nba_analytics", "nba_orchestration", "nba_predictions", "nba_raw", "nba_reference"], write: ["nba_orchestration", "nba_predictions"], jobs: true },
    buckets: { read: ["nba-props-platform-models", "nba-scraped-data"], write: ["nba-scraped-data"] },
    projectRoles: ["roles/monitoring.metricWriter"],
    evidence: ["predictions/worker/data_loaders.py:161", "predictions/worker/worker.py:274", "predictions/worker/prediction_systems/catboost_v9.py:41", "predictions/worker/worker.py:1048"],
  },
  "scraper-availability-monitor": {
    bigquery: { read: ["nba_orchestration"], jobs: true },
    firestore: true,
    evidence: ["orchestration/cloud_functions/scraper_availability_monitor/main.py:95", "orchestration/cloud_functions/scraper_availability_monitor/main.py:253"],
  },
  "scraper-gap-backfiller": {
    bigquery: { read: ["nba_orchestration"], write: ["nba_orchestration"], jobs: true },
    secrets: ["aws-ses-access-key-id", "aws-ses-secret-access-key"],
    evidence: ["orchestration/cloud_functions/scraper_gap_backfiller/main.py:281", "orchestration/cloud_functions/scraper_gap_backfiller/main.py:466", "orchestration/cloud_functions/scraper_gap_backfiller/main.py:140"],
  },
  "self-heal-predictions": {
    bigquery: { read: ["nba_analytics", "nba_precompute", "nba_predictions", "nba_raw"], jobs: true },
    firestore: true,
    evidence: ["orchestration/cloud_functions/self_heal/main.py:112", "orchestration/cloud_functions/self_heal/main.py:123", "orchestration/cloud_functions/self_heal/main.py:397"],
  },
  "shadow-performance-report": {
    bigquery: { read: ["nba_predictions"], jobs: true },
    evidence: ["orchestration/cloud_functions/shadow_performance_report/main.py:79"],
  },
  "signal-decay-monitor": {
    bigquery: { read: ["nba_predictions"], jobs: true },
    evidence: ["bin/monitoring/signal_decay_monitor.py:61", "bin/monitoring/signal_decay_monitor.py:194"],
  },
  "signal-weight-report": {
    bigquery: { read: ["nba_predictions"], jobs: true },
    evidence: ["bin/monitoring/signal_weight_report.py:53"],
  },
  "stale-running-cleanup": {
    bigquery: { read: ["nba_reference"], write: ["nba_reference"], jobs: true },
    secrets: ["slack-webhook-url"],
    evidence: ["orchestration/cloud_functions/stale_running_cleanup/main.py:63", "orchestration/cloud_functions/stale_running_cleanup/main.py:88", "bin/deploy/deploy_stale_cleanup.sh:45"],
  },
  "transition-monitor": {
    bigquery: { read: ["nba_analytics", "nba_raw"], jobs: true },
    firestore: true,
    secrets: ["aws-ses-access-key-id", "aws-ses-secret-access-key"],
    evidence: ["orchestration/cloud_functions/transition_monitor/main.py:246", "orchestration/cloud_functions/transition_monitor/main.py:256", "orchestration/cloud_functions/transition_monitor/main.py:469", "orchestration/cloud_functions/transition_monitor/main.py:133"],
  },
  "validation-runner": {
    bigquery: { read: ["nba_analytics", "nba_orchestration", "nba_precompute", "nba_predictions", "nba_raw", "nba_reference"], write: ["nba_orchestration"], jobs: true },
    firestore: true,
    secrets: ["slack-webhook-url"],
    evidence: ["shared/validation/continuous_validator.py:369", "shared/validation/continuous_validator.py:412", "shared/validation/continuous_validator.py:327", "bin/deploy/deploy_validation_runner.sh:169"],
  },
  "weekly-retrain": {
    bigquery: { read: ["nba_analytics", "nba_predictions"], write: ["nba_predictions"], jobs: true },
    buckets: { write: ["nba-props-platform-models"] },
    secrets: ["slack-webhook-url"],
    evidence: ["orchestration/cloud_functions/weekly_retrain/main.py:211", "orchestration/cloud_functions/weekly_retrain/main.py:338", "orchestration/cloud_functions/weekly_retrain/main.py:58", "orchestration/cloud_functions/weekly_retrain/deploy.sh:52"],
  },
};
