// Reading a captured stack the way a reviewer would: find a resource by type and GCP name, resolve which
// service account a property names (by value after `up`, by dependency URN during preview, when the
// value is not known yet), and fetch nested inputs.
import { unknownValue, type EngineResource } from "../../lib/resources";

export const types = {
  account: "gcp:serviceaccount/account:Account",
  service: "gcp:cloudrunv2/service:Service",
  function: "gcp:cloudfunctionsv2/function:Function",
  runInvoker: "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
  topic: "gcp:pubsub/topic:Topic",
  topicMember: "gcp:pubsub/topicIAMMember:TopicIAMMember",
  subscription: "gcp:pubsub/subscription:Subscription",
  job: "gcp:cloudscheduler/job:Job",
  metric: "gcp:logging/metric:Metric",
  alertPolicy: "gcp:monitoring/alertPolicy:AlertPolicy",
  eventarcTrigger: "gcp:eventarc/trigger:Trigger",
} as const;

export function ofType(resources: readonly EngineResource[], type: string): EngineResource[] {
  return resources.filter((r) => r.type === type);
}

/** The one resource of `type` whose `name` input (its GCP name) is `name`. */
export function named(resources: readonly EngineResource[], type: string, name: string): EngineResource {
  const found = resources.filter((r) => r.type === type && r.inputs.name === name);
  if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
  return found[0];
}

export function byUrn(resources: readonly EngineResource[], urn: string): EngineResource {
  const found = resources.find((r) => r.urn === urn);
  if (!found) throw new Error(`no resource with URN ${urn}`);
  return found;
}

/** The value at a dotted path of inputs (`template.containers.0.image`). */
export function inputAt(resource: EngineResource, path: string): unknown {
  return path.split(".").reduce<unknown>((value, key) => (value === null || typeof value !== "object" ? undefined : (value as Record<string, unknown>)[key]), resource.inputs);
}

export function isUnknown(value: unknown): boolean {
  return value === unknownValue;
}

/**
 * The URN of the service account whose email the input at `path` holds. After `up` the email is known
 * and matched against the accounts' emails; during preview it is unknown, and the account is the one
 * Account the top-level property depends on.
 */
export function accountAt(resources: readonly EngineResource[], resource: EngineResource, path: string): string {
  const value = inputAt(resource, path);
  if (typeof value !== "string") throw new Error(`${resource.name}: ${path} is not set`);
  return accountFor(resources, resource, path.split(".")[0], value);
}

/** The account an IAM member input (`serviceAccount:EMAIL`) names, by value or by dependency. */
export function memberAccount(resources: readonly EngineResource[], grant: EngineResource): string {
  const member = grant.inputs.member;
  if (typeof member !== "string") throw new Error(`${grant.name}: member is not set`);
  return accountFor(resources, grant, "member", isUnknown(member) ? member : member.replace(/^serviceAccount:/, ""));
}

function accountFor(resources: readonly EngineResource[], resource: EngineResource, property: string, email: string): string {
  const accounts = ofType(resources, types.account);
  if (isUnknown(email)) {
    const deps = (resource.propertyDependencies[property] ?? []).filter((urn) => accounts.some((a) => a.urn === urn));
    if (deps.length !== 1) throw new Error(`${resource.name}: ${property} depends on ${deps.length} service accounts, expected exactly one`);
    return deps[0];
  }
  const account = accounts.find((a) => emailOf(a) === email);
  if (!account) throw new Error(`${resource.name}: ${property} names ${email}, which is no service account of this stack`);
  return account.urn;
}

/** An account's email: known after `up`; during preview, what its id and project make it (ID@PROJECT.iam.gserviceaccount.com). */
function emailOf(account: EngineResource): string {
  const email = account.outputs.email;
  return typeof email === "string" && !isUnknown(email) ? email : `${String(account.inputs.accountId)}@${String(account.inputs.project)}.iam.gserviceaccount.com`;
}

/**
 * The service or function a run.invoker grant applies to. After `up`: the one workload whose name,
 * location and project the grant names. During preview: the one workload its `name` depends on, as a
 * policy must decide it when values may be unknown.
 */
export function grantTarget(resources: readonly EngineResource[], grant: EngineResource, preview: boolean): string {
  const workloads = resources.filter((r) => r.type === types.service || r.type === types.function);
  const target = preview
    ? workloads.filter((w) => (grant.propertyDependencies.name ?? []).includes(w.urn))
    : workloads.filter((w) => w.outputs.name === grant.inputs.name && w.outputs.location === grant.inputs.location && w.outputs.project === grant.inputs.project);
  if (target.length !== 1) throw new Error(`${grant.name}: targets ${target.length} services, expected exactly one`);
  return target[0].urn;
}
