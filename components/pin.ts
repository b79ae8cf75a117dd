// What a workload runs and where it belongs: the commit it is pinned to, its deploy group and phase. The
// same facts become the labels on the live service or function, which is how drift is read back.
import { commitFor, commitFormat, commitPattern, type StackConfig } from "../config";
import { commitLabel } from "../policies/labels";
import type { Workload } from "../topology";

export interface Pin {
  /** The git commit the image or source zip was built from, as the app's build writes it (its short SHA). */
  readonly commit: string;
  readonly deployGroup: string;
  readonly phase: string;
  /** Why this workload runs a commit apart from its deploy group; absent when it follows the group. */
  readonly overrideReason?: string;
}

/** The pin of a workload under a stack config: its group's commit, or its explicit override. */
export function pinFor(config: StackConfig, workload: Workload): Pin {
  const override = config.overrides[workload.name];
  return {
    commit: commitFor(config, workload),
    deployGroup: workload.group,
    phase: workload.phase,
    ...(override ? { overrideReason: override.reason } : {}),
  };
}

/** Throws unless `commit` is an immutable git SHA; `where` names the workload in the message. */
export function assertCommit(commit: string, where: string): string {
  if (!commitPattern.test(commit)) {
    throw new Error(`${where}: commit ${JSON.stringify(commit)} is not ${commitFormat}; pin workloads to a commit, never a branch or tag`);
  }
  return commit;
}

/**
 * The labels every service and function carries: `commit-sha` (the name the app's own deploy scripts
 * write and read back, so adopting a hand-deployed service does not churn it), `deploy-group`, `phase`,
 * and `commit-override: "true"` when it is pinned apart from its group, so the group's single-commit
 * check leaves it out.
 */
export function labelsFor(name: string, pin: Pin): Record<string, string> {
  return {
    [commitLabel]: assertCommit(pin.commit, name),
    "deploy-group": pin.deployGroup,
    phase: pin.phase,
    ...(pin.overrideReason === undefined ? {} : { "commit-override": "true" }),
  };
}
