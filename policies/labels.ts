// The commit a workload says it runs, read from its labels. Two names are in use in this repository:
// `commit-sha`, which the app repository's own deploy scripts write and read back (bin/deploy-service.sh,
// bin/deploy-function.sh, bin/check-deployment-drift.sh), and `commit`, which this stack wrote before it
// adopted `commit-sha`. State written before that change carries one and the hand-deployed services the
// other, so every reader (the policies, drift, audit, check) goes through here and accepts both. Stacks
// with other conventions name their labels in the policy config (`commitLabels`, `groupLabel`).

/** The label the stack writes, and the earlier name still read. */
export const commitLabel = "commit-sha";
export const commitLabelNames: readonly string[] = [commitLabel, "commit"];
/** The label naming a workload's deploy group. */
export const groupLabel = "deploy-group";

/** The commit in a label map: the first of `names` set to a non-empty string; undefined when none is. */
export function commitOf(labels: unknown, names: readonly string[] = commitLabelNames): string | undefined {
  if (labels === null || typeof labels !== "object") return undefined;
  for (const key of names) {
    const value = (labels as Record<string, unknown>)[key];
    if (typeof value === "string" && value !== "") return value;
  }
  return undefined;
}

/** Every commit label value on a label map, with its key, so a contradiction can name the label. */
export function commitLabelsOf(labels: unknown, names: readonly string[] = commitLabelNames): { key: string; value: unknown }[] {
  if (labels === null || typeof labels !== "object") return [];
  return names.flatMap((key) => (key in (labels as object) ? [{ key, value: (labels as Record<string, unknown>)[key] }] : []));
}

/**
 * A workload's label maps, service first, then its revision's: Cloud Run v2 and gen2 functions keep them in
 * `labels` (and v2 revisions in `template.labels`), the older v1 `gcp.cloudrun.Service` in `metadata.labels`
 * and `template.metadata.labels`.
 */
export function workloadLabelMaps(type: string, props: Record<string, any>): unknown[] {
  if (type === "gcp:cloudrun/service:Service") return [props.metadata?.labels, props.template?.metadata?.labels];
  return [props.labels, props.template?.labels];
}

/** The policy config setting naming the commit labels, shared by every policy that reads them. */
export const commitLabelsSetting = {
  type: "array",
  items: { type: "string", minLength: 1 },
  minItems: 1,
  default: [...commitLabelNames],
  description: "The labels a workload names its commit in, the one to write first (default: commit-sha, then the older commit).",
} as const;
