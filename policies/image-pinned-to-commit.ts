// What runs must be one build that cannot change under it: an image by digest, an image whose tag names a
// commit (or matches the configured tagPattern), an image in an Artifact Registry repository of the stack
// whose tags are immutable, an allow-listed image; function source that names the commit. The verdict is
// on the artifact. A commit label is judged here only when it contradicts the artifact (drift would then
// report the wrong commit); a missing label is commit-label-present's advisory.
//
// A stack policy, because an immutable repository is another resource of the stack. Values are read raw:
// an image not known until deploy is left for `pulumi up` (and `npm run audit`), and the SDK's own "can't
// run during preview" advisory is raised for it once every known image has been judged.
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { isUnknown, types } from "./callgraph";
import { commitLabelNames, commitLabelsOf, commitLabelsSetting, workloadLabelMaps } from "./labels";
import { rawProps } from "./resources";

export interface ImagePinnedToCommitConfig {
  /** A tag that matches this pattern is a pinned one; its first group (or the whole tag) is the commit. */
  readonly tagPattern: string;
  /** Images, repositories (`REGISTRY/PATH`) or registries (`REGISTRY/`) that count as pinned whatever their tag. */
  readonly allowedImages: readonly string[];
  /** A function's `buildConfig.source.storageSource.object` that matches this is pinned; its first group is the commit. */
  readonly sourceObjectPattern: string;
  readonly commitLabels: readonly string[];
}

export const defaultTagPattern = "^[0-9a-f]{7,40}$";
export const defaultSourceObjectPattern = "^[^/]+/([0-9a-f]{7,40})\\.zip$";
const commitPattern = /^[0-9a-f]{7,40}$/;
const digestPattern = /@sha256:[0-9a-f]{64}$/;

/** The tag of an image reference (`REGISTRY/NAME:TAG[@sha256:…]`), if it has one. */
export function imageTag(image: string): string | undefined {
  const reference = image.replace(digestPattern, "");
  const lastPart = reference.slice(reference.lastIndexOf("/") + 1);
  const colon = lastPart.indexOf(":");
  return colon < 0 ? undefined : lastPart.slice(colon + 1);
}

/** The repository of an image reference: without its tag and digest. */
function imageRepository(image: string): string {
  const reference = image.replace(digestPattern, "");
  const slash = reference.lastIndexOf("/");
  const colon = reference.indexOf(":", slash + 1);
  return colon < 0 ? reference : reference.slice(0, colon);
}

/** An allow-list entry: the whole image, its repository, or a registry or path prefix (ending in `/`, or followed by one). */
function allowed(image: string, entries: readonly string[]): string | undefined {
  const repository = imageRepository(image);
  return entries.find((e) => image === e || repository === e || repository.startsWith(e.endsWith("/") ? e : `${e}/`));
}

/** An Artifact Registry Docker repository of the stack with `dockerConfig.immutableTags`: where its images live. */
interface ImmutableRepository {
  readonly label: string;
  readonly location: string;
  /** Undefined while left to the provider (not known until deploy): any project then. */
  readonly project?: string;
  readonly repositoryId: string;
}

function immutableRepositories(resources: readonly PolicyResource[]): ImmutableRepository[] {
  return resources.flatMap((r): ImmutableRepository[] => {
    if (r.type !== "gcp:artifactregistry/repository:Repository") return [];
    const props = rawProps(r.props) as Record<string, any>;
    const known = (v: unknown): v is string => typeof v === "string" && v !== "" && !isUnknown(v);
    if (props.dockerConfig?.immutableTags !== true || !known(props.location) || !known(props.repositoryId)) return [];
    return [{ label: r.name, location: props.location, repositoryId: props.repositoryId, ...(known(props.project) ? { project: props.project } : {}) }];
  });
}

/** `LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE:TAG` in one of those repositories. */
function inImmutableRepository(image: string, repositories: readonly ImmutableRepository[]): ImmutableRepository | undefined {
  const [host, project, repositoryId] = image.split("/");
  return repositories.find((r) => host === `${r.location}-docker.pkg.dev` && repositoryId === r.repositoryId && (r.project === undefined || r.project === project));
}

interface Judge {
  readonly config: ImagePinnedToCommitConfig;
  readonly tagPattern: RegExp;
  readonly sourcePattern: RegExp;
  readonly repositories: readonly ImmutableRepository[];
  report(message: string, urn: string): void;
}

/** The commit a pinned tag names, for comparing labels: the pattern's first group, or the tag when it is a SHA. */
function commitIn(match: RegExpExecArray): string | undefined {
  const commit = match[1] ?? match[0];
  return commitPattern.test(commit) ? commit : undefined;
}

/**
 * A label that names another commit than the artifact contradicts it. Two commits agree when one is an
 * abbreviation of the other (images are tagged with the short SHA the app's build writes).
 */
function checkLabels(name: string, commit: string, r: PolicyResource, props: Record<string, any>, pinnedBy: string, judge: Judge): void {
  const labels = judge.config.commitLabels;
  for (const { key, value } of workloadLabelMaps(r.type, props).flatMap((m) => commitLabelsOf(m, labels))) {
    if (isUnknown(value)) continue; // judged once known
    const agrees = typeof value === "string" && value !== "" && (value.startsWith(commit) || commit.startsWith(value));
    if (agrees) continue;
    judge.report(`${name}: label ${key}=${String(value)} but its ${pinnedBy} names commit ${commit}. Fix: set ${labels[0]} from the same commit as the artifact.`, r.urn);
  }
}

/** Judges one known image; returns nothing, reports what is wrong. */
function checkImage(name: string, image: string, r: PolicyResource, props: Record<string, any>, judge: Judge): void {
  const tag = imageTag(image);
  const tagMatch = tag === undefined ? null : judge.tagPattern.exec(tag);
  const commit = tagMatch ? commitIn(tagMatch) : undefined;
  // A digest is immutable whatever the tag beside it; a commit label can only be compared when the tag names one.
  if (digestPattern.test(image) || tagMatch || allowed(image, judge.config.allowedImages) || inImmutableRepository(image, judge.repositories)) {
    if (commit !== undefined) checkLabels(name, commit, r, props, `image ${image}`, judge);
    return;
  }
  const what = tag === undefined ? "has no tag, which means the mutable tag latest" : `uses the mutable tag "${tag}"`;
  judge.report(
    `${name}: image ${image} ${what}. Fix: deploy REGISTRY/NAME:COMMIT (the git SHA it was built from) or a digest (@sha256:…)` +
      (judge.config.tagPattern === defaultTagPattern ? "" : `, or a tag matching ${judge.config.tagPattern}`) +
      "; or push it to an Artifact Registry repository of this stack with dockerConfig.immutableTags, or list it in allowedImages of this policy's config.",
    r.urn,
  );
}

/** The containers of a service, or `unknown` when the list is not known until deploy. */
function containersOf(type: string, props: Record<string, any>): unknown {
  // Cloud Run v2 lists containers in template.containers, the older v1 service in template.spec.containers.
  const template = props.template;
  if (isUnknown(template)) return template;
  const spec = type === types.serviceV1 ? template?.spec : template;
  if (isUnknown(spec)) return spec;
  return spec?.containers ?? [];
}

/** Judges a service's images; returns the resource when some image is not known until deploy. */
function checkService(r: PolicyResource, judge: Judge): boolean {
  const props = rawProps(r.props) as Record<string, any>;
  const name = typeof props.name === "string" && !isUnknown(props.name) ? props.name : r.name;
  const containers = containersOf(r.type, props);
  if (isUnknown(containers)) return true;
  let pending = false;
  for (const c of Array.isArray(containers) ? containers : []) {
    const image: unknown = isUnknown(c) ? c : c?.image;
    if (isUnknown(image)) pending = true;
    else if (typeof image !== "string" || image === "") judge.report(`${name}: a container has no image. Fix: set it to REGISTRY/NAME:COMMIT.`, r.urn);
    else checkImage(name, image, r, props, judge);
  }
  return pending;
}

function checkFunction(r: PolicyResource, judge: Judge): boolean {
  const props = rawProps(r.props) as Record<string, any>;
  const name = typeof props.name === "string" && !isUnknown(props.name) ? props.name : r.name;
  const storage = props.buildConfig?.source?.storageSource;
  const object: unknown = storage?.object;
  if (isUnknown(props.buildConfig) || isUnknown(storage) || isUnknown(object)) return true;
  const match = typeof object === "string" ? judge.sourcePattern.exec(object) : null;
  if (!match) {
    const source = typeof object === "string" ? `gs://${storage?.bucket ?? "BUCKET"}/${object}` : "not a Cloud Storage object";
    judge.report(
      `${name}: source ${source} is not pinned to a commit. Fix: build from gs://BUCKET/NAME/COMMIT.zip, uploaded by CI for that commit` +
        (judge.config.sourceObjectPattern === defaultSourceObjectPattern ? "" : ` (an object matching ${judge.config.sourceObjectPattern})`) +
        ".",
      r.urn,
    );
    return false;
  }
  const commit = commitIn(match);
  if (commit !== undefined) checkLabels(name, commit, r, props, `source gs://${storage.bucket}/${object}`, judge);
  return false;
}

/** Reads the first value not known until deploy through the SDK's proxy, which turns into its "can't run during preview" advisory. */
function readThroughProxy(r: PolicyResource): void {
  const props = r.props as Record<string, any>;
  if (r.type === types.function) void props.buildConfig?.source?.storageSource?.object;
  else for (const c of (r.type === types.serviceV1 ? props.template?.spec?.containers : props.template?.containers) ?? []) void c?.image;
}

export const imagePinnedToCommit: StackValidationPolicy = {
  name: "image-pinned-to-commit",
  description: "Cloud Run images are a commit tag or a digest, function source is NAME/COMMIT.zip, and no commit label contradicts them.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Deploy images as REGISTRY/NAME:COMMIT (or by @sha256 digest) and function source as gs://BUCKET/NAME/COMMIT.zip, " +
    `never a mutable tag such as latest; a ${commitLabelNames[0]} label, if set, names that same commit. In this repository both come from the ` +
    "deploy group's commit in the stack config. Elsewhere, configure tagPattern, allowedImages and sourceObjectPattern, or push to an " +
    "Artifact Registry repository with dockerConfig.immutableTags.",
  configSchema: {
    properties: {
      tagPattern: {
        type: "string",
        minLength: 1,
        format: "regex",
        default: defaultTagPattern,
        description: "A regular expression: an image tag matching it is pinned (its first group, or the whole tag, is the commit compared with the labels).",
      },
      allowedImages: {
        type: "array",
        items: { type: "string", minLength: 1 },
        default: [],
        description: "Images, repositories (REGISTRY/PATH) or registries (REGISTRY/) that count as pinned whatever their tag.",
      },
      sourceObjectPattern: {
        type: "string",
        minLength: 1,
        format: "regex",
        default: defaultSourceObjectPattern,
        description: "A regular expression: a gen2 function's source object matching it is pinned (its first group is the commit).",
      },
      commitLabels: commitLabelsSetting,
    },
  },
  validateStack: (args, reportViolation) => {
    const config = args.getConfig<ImagePinnedToCommitConfig>();
    const judge: Judge = {
      config,
      tagPattern: new RegExp(config.tagPattern),
      sourcePattern: new RegExp(config.sourceObjectPattern),
      repositories: immutableRepositories(args.resources),
      report: reportViolation,
    };
    const pending: PolicyResource[] = [];
    for (const r of args.resources) {
      const waits =
        r.type === types.service || r.type === types.serviceV1 ? checkService(r, judge) : r.type === types.function ? checkFunction(r, judge) : false;
      if (waits) pending.push(r);
    }
    // Known artifacts are judged; one not known until deploy gets the SDK's advisory, as a resource policy would.
    for (const r of pending) readThroughProxy(r);
  },
};
