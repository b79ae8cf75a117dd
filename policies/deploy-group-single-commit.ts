// The "validation gap" of the ops log: phase 3 ran new validation code while phase 5 ran an older commit.
import type { StackValidationPolicy } from "@pulumi/policy";
import { displayName, isUnknown, types } from "./callgraph";
import { commitLabelsSetting, commitOf, groupLabel, workloadLabelMaps } from "./labels";
import { plainResources } from "./resources";

export interface DeployGroupSingleCommitConfig {
  /** The label naming a workload's deploy group. */
  readonly groupLabel: string;
  readonly commitLabels: readonly string[];
}

export const deployGroupSingleCommit: StackValidationPolicy = {
  name: "deploy-group-single-commit",
  description: "All services and functions of one deploy group run one commit.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Set every workload of the deploy group to one commit (in this repository, nba-pipeline:deployGroups.GROUP in the stack " +
    "config). A workload that must run another commit gets an explicit override with a reason, which labels it " +
    'commit-override: "true" and leaves it out of this check.',
  configSchema: {
    properties: {
      groupLabel: { type: "string", minLength: 1, default: groupLabel, description: "The label naming a workload's deploy group (default deploy-group)." },
      commitLabels: commitLabelsSetting,
    },
  },
  validateStack: (args, reportViolation) => {
    const config = args.getConfig<DeployGroupSingleCommitConfig>();
    // deploy group → commit → workloads running it
    const groups = new Map<string, Map<string, string[]>>();
    for (const r of plainResources(args.resources)) {
      if (r.type !== types.service && r.type !== types.serviceV1 && r.type !== types.function) continue;
      const labels = workloadLabelMaps(r.type, r.props)[0];
      if (labels === null || typeof labels !== "object") continue;
      const { [config.groupLabel]: group, "commit-override": override } = labels as Record<string, unknown>;
      const commit = commitOf(labels, config.commitLabels);
      // Pinned apart on purpose (an override with a reason); a workload with no group or no commit label is
      // for commit-label-present to flag; a label not known until deploy cannot be compared yet.
      if (override === "true" || typeof group !== "string" || typeof commit !== "string" || isUnknown(group) || isUnknown(commit)) continue;
      const commits = groups.get(group) ?? new Map<string, string[]>();
      groups.set(group, commits);
      // Appended in place: copying the list for each workload was quadratic (10,000 workloads of one
      // group at one commit took over a second).
      const names = commits.get(commit);
      if (names) names.push(displayName(r));
      else commits.set(commit, [displayName(r)]);
    }
    for (const [group, commits] of groups) {
      if (commits.size < 2) continue;
      const runs = [...commits].map(([commit, names]) => `${commit} (${names.join(", ")})`).join("; ");
      reportViolation(
        `deploy group ${group} runs ${commits.size} commits: ${runs}. Fix: set the whole group to one commit, or pin the ` +
          "odd one out with an override and its reason.",
      );
    }
  },
};
