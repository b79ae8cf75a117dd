// What runs must be one commit's build: an image tag or digest, or a source object that names the commit.
// The verdict is on the artifact. A commit label is judged here only when it contradicts the artifact
// (drift would then report the wrong commit); a missing label is commit-label-present's advisory.
import type { ResourceValidationPolicy, ReportViolation } from "@pulumi/policy";
import { types } from "./callgraph";
import { commitLabel, commitLabelsOf, workloadLabelMaps } from "./labels";

const commitPattern = /^[0-9a-f]{7,40}$/;
const digestPattern = /@sha256:[0-9a-f]{64}$/;
/** `NAME/COMMIT.zip`, as CI uploads function source (DESIGN.md). */
const sourceObjectPattern = /^[^/]+\/([0-9a-f]{7,40})\.zip$/;

/** The tag of an image reference (`REGISTRY/NAME:TAG[@sha256:…]`), if it has one. */
export function imageTag(image: string): string | undefined {
  const reference = image.replace(digestPattern, "");
  const lastPart = reference.slice(reference.lastIndexOf("/") + 1);
  const colon = lastPart.indexOf(":");
  return colon < 0 ? undefined : lastPart.slice(colon + 1);
}

/** The commit labels a service or function carries (service labels and, on Cloud Run, revision labels). */
function commitLabels(type: string, props: Record<string, any>): { key: string; value: unknown }[] {
  return workloadLabelMaps(type, props).flatMap(commitLabelsOf);
}

/**
 * A label that names another commit than the artifact contradicts it. Two commits agree when one is an
 * abbreviation of the other (images are tagged with the short SHA the app's build writes).
 */
function checkLabels(name: string, commit: string, type: string, props: Record<string, any>, pinnedBy: string, report: ReportViolation): void {
  for (const { key, value } of commitLabels(type, props)) {
    const agrees = typeof value === "string" && value !== "" && (value.startsWith(commit) || commit.startsWith(value));
    if (agrees) continue;
    report(`${name}: label ${key}=${String(value)} but its ${pinnedBy} names commit ${commit}. Fix: set ${commitLabel} from the same commit as the artifact.`);
  }
}

// Reads go through the SDK's unknown-checking proxy on purpose: an image or label not known during
// preview makes this one resource's check the SDK's "can't run during preview" advisory, and `pulumi up`
// (and `npm run audit`) check it once known. Every value this reads is a literal from stack config.
function checkService(name: string, type: string, props: Record<string, any>, report: ReportViolation): void {
  // Cloud Run v2 lists containers in template.containers, the older v1 service in template.spec.containers.
  const containers: { image?: string }[] = (type === types.serviceV1 ? props.template?.spec?.containers : props.template?.containers) ?? [];
  for (const { image } of containers) {
    if (typeof image !== "string" || image === "") {
      report(`${name}: a container has no image. Fix: set it to REGISTRY/NAME:COMMIT.`);
      continue;
    }
    const tag = imageTag(image);
    if (digestPattern.test(image) && (tag === undefined || commitPattern.test(tag))) {
      // A digest is immutable; a commit label can only be compared when a commit tag comes with it.
      if (tag !== undefined) checkLabels(name, tag, type, props, `image ${image}`, report);
      continue;
    }
    if (tag === undefined || !commitPattern.test(tag)) {
      const what = tag === undefined ? "has no tag, which means the mutable tag latest" : `uses the mutable tag "${tag}"`;
      report(`${name}: image ${image} ${what}. Fix: deploy REGISTRY/NAME:COMMIT (the git SHA it was built from) or a digest (@sha256:…).`);
      continue;
    }
    checkLabels(name, tag, type, props, `image ${image}`, report);
  }
}

function checkFunction(name: string, props: Record<string, any>, report: ReportViolation): void {
  const storage = props.buildConfig?.source?.storageSource;
  const object: unknown = storage?.object;
  const match = typeof object === "string" ? sourceObjectPattern.exec(object) : null;
  if (!match) {
    const source = typeof object === "string" ? `gs://${storage?.bucket ?? "BUCKET"}/${object}` : "not a Cloud Storage object";
    report(`${name}: source ${source} is not pinned to a commit. Fix: build from gs://BUCKET/NAME/COMMIT.zip, uploaded by CI for that commit.`);
    return;
  }
  checkLabels(name, match[1], types.function, props, `source gs://${storage.bucket}/${object}`, report);
}

export const imagePinnedToCommit: ResourceValidationPolicy = {
  name: "image-pinned-to-commit",
  description: "Cloud Run images are a commit tag or a digest, function source is NAME/COMMIT.zip, and no commit label contradicts them.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Deploy images as REGISTRY/NAME:COMMIT (or by @sha256 digest) and function source as gs://BUCKET/NAME/COMMIT.zip, " +
    `never a mutable tag such as latest; a ${commitLabel} label, if set, names that same commit. In this repository both come from the ` +
    "deploy group's commit in the stack config.",
  validateResource: (args, reportViolation) => {
    if (args.type !== types.service && args.type !== types.serviceV1 && args.type !== types.function) return;
    const name = typeof args.props.name === "string" ? args.props.name : args.name;
    if (args.type !== types.function) checkService(name, args.type, args.props, reportViolation);
    else checkFunction(name, args.props, reportViolation);
  },
};
