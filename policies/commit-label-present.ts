// Drift reads what runs from the live commit label: a workload without one cannot be measured. That is
// not a mutable artifact (image-pinned-to-commit judges the artifact), so it is advice, not a block.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { types } from "./callgraph";
import { commitLabelNames, commitLabelsSetting, commitOf, workloadLabelMaps } from "./labels";

export interface CommitLabelPresentConfig {
  readonly commitLabels: readonly string[];
}

export const commitLabelPresent: ResourceValidationPolicy = {
  name: "commit-label-present",
  description: "Every Cloud Run service and Cloud Function carries the commit it runs as a label.",
  enforcementLevel: "advisory",
  severity: "low",
  remediationSteps:
    `Set labels.${commitLabelNames[0]} (metadata.labels on a v1 gcp.cloudrun.Service) to the commit the image or source was built from ` +
    `(the older name ${commitLabelNames[1]} is read too; other names in commitLabels of this policy's config). Drift reports and the app's own ` +
    "deploy checks read it back from the live service.",
  configSchema: { properties: { commitLabels: commitLabelsSetting } },
  validateResource: (args, reportViolation) => {
    if (args.type !== types.service && args.type !== types.serviceV1 && args.type !== types.function) return;
    const names = args.getConfig<CommitLabelPresentConfig>().commitLabels;
    // Read through the SDK's proxy on purpose: labels not known during preview are judged after `up`.
    if (commitOf(workloadLabelMaps(args.type, args.props)[0], names) !== undefined) return;
    const name = typeof args.props.name === "string" ? args.props.name : args.name;
    const where = args.type === types.serviceV1 ? "metadata.labels" : "labels";
    reportViolation(`${name}: no ${names[0]} label, so drift cannot tell which commit runs. Fix: set ${where}.${names[0]} to the commit its artifact names.`);
  },
};
