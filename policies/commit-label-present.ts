// Drift reads what runs from the live commit label: a workload without one cannot be measured. That is
// not a mutable artifact (image-pinned-to-commit judges the artifact), so it is advice, not a block.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { types } from "./callgraph";
import { commitLabel, commitLabelNames, commitOf, workloadLabelMaps } from "./labels";

export const commitLabelPresent: ResourceValidationPolicy = {
  name: "commit-label-present",
  description: "Every Cloud Run service and Cloud Function carries the commit it runs as a label.",
  enforcementLevel: "advisory",
  severity: "low",
  remediationSteps:
    `Set labels.${commitLabel} to the commit the image or source was built from (the older name ` +
    `${commitLabelNames[1]} is read too). Drift reports and the app's own deploy checks read it back from the live service.`,
  validateResource: (args, reportViolation) => {
    if (args.type !== types.service && args.type !== types.serviceV1 && args.type !== types.function) return;
    // Read through the SDK's proxy on purpose: labels not known during preview are judged after `up`.
    if (commitOf(workloadLabelMaps(args.type, args.props)[0]) !== undefined) return;
    const name = typeof args.props.name === "string" ? args.props.name : args.name;
    reportViolation(`${name}: no ${commitLabel} label, so drift cannot tell which commit runs. Fix: set labels.${commitLabel} to the commit its artifact names.`);
  },
};
