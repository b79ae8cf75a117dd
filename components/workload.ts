// What a service and a function share: a runtime account of its own, and everything that account may do,
// each declared once in pipeline.ts. Calls get roles/run.invoker on exactly their callee (and, when the
// code reads the callee's URL from env, that env var); publications get roles/pubsub.publisher on exactly
// their topic (and the topic env var the code reads); secrets in env get secretAccessor on exactly that
// secret; data access gets the least dataset, bucket and project roles.
import * as pulumi from "@pulumi/pulumi";
import * as pubsub from "@pulumi/gcp/pubsub";
import type * as serviceaccount from "@pulumi/gcp/serviceaccount";
import type { Workload } from "../topology";
import { dataGrantsFor, grantDataAccess } from "./access";
import { declareCall, type Call, type Callee } from "./call";
import { accountMember, callerAccount } from "./identity";

export interface WorkloadIdentityArgs {
  /** The GCP project the account and the grants live in. */
  readonly project: string;
  /** The region and project number, which env values may name as `{region}` and `{projectNumber}`. */
  readonly region: string;
  readonly projectNumber: string;
  /** "Cloud Run service runtime", shown beside the account in the console. */
  readonly purpose: string;
  /** The workload's entry in pipeline.ts. */
  readonly spec: Workload;
  /** Every topic of the stack, by name. */
  readonly topics: ReadonlyMap<string, pubsub.Topic>;
  /** Workloads this one may call (its own phase's and earlier ones'), by name. */
  readonly callees: ReadonlyMap<string, Callee>;
}

/** The runtime account of a workload and what it needs at deploy: env, secret env, and the grants to wait for. */
export interface WorkloadIdentity {
  readonly account: serviceaccount.Account;
  /** Plain env: the spec's own, callee URLs and topic names. */
  readonly env: { readonly name: string; readonly value: pulumi.Input<string> }[];
  /** Env vars read from Secret Manager. */
  readonly secretEnv: { readonly name: string; readonly secret: string }[];
  readonly calls: Call[];
  /** Every grant the workload needs before it runs: a revision must never start without its rights. */
  readonly grants: pulumi.Resource[];
}

/** Creates the workload's account and its grants as children of `parent` (the workload's component). */
export function workloadIdentity(parent: pulumi.Resource, args: WorkloadIdentityArgs): WorkloadIdentity {
  const { spec } = args;
  const account = callerAccount(`${spec.name}-runtime`, spec.name, { project: args.project, purpose: args.purpose }, { parent });
  const member = accountMember(account);
  const caller = { name: spec.name, account };

  const calls = (spec.calls ?? []).map((c) => {
    const callee = args.callees.get(c.callee);
    // validateTopology has refused unknown callees and calls to later phases before any resource exists.
    if (!callee) throw new Error(`${spec.name}: callee ${c.callee} is not deployed before it`);
    return { spec: c, call: declareCall(parent, caller, callee, c.env === undefined ? `url in code (${c.evidence})` : `env ${c.env}`) };
  });
  const publishGrants = (spec.publishes ?? []).map((p) => {
    const topic = args.topics.get(p.topic);
    if (!topic) throw new Error(`${spec.name}: topic ${p.topic} is not in the stack`);
    return new pubsub.TopicIAMMember(`${spec.name}-publishes-${p.topic}`, { project: args.project, topic: topic.name, role: "roles/pubsub.publisher", member }, { parent });
  });
  const secretEnv = (spec.secrets ?? []).map((s) => ({ name: s.env, secret: s.secret }));
  const dataGrants = grantDataAccess(parent, spec.name, args.project, member, dataGrantsFor(spec.access, secretEnv.map((s) => s.secret)));

  const env = [
    ...Object.entries(spec.env ?? {}).map(([name, value]) => ({ name, value: envValue(value, args) as pulumi.Input<string> })),
    ...calls.flatMap(({ spec: c, call }) => (c.env === undefined ? [] : [{ name: c.env, value: call.url }])),
    ...(spec.publishes ?? []).flatMap((p) => (p.env === undefined ? [] : [{ name: p.env, value: p.topic as pulumi.Input<string> }])),
  ];
  return {
    account,
    env,
    secretEnv,
    calls: calls.map((c) => c.call),
    grants: [...calls.map((c) => c.call.grant), ...publishGrants, ...dataGrants],
  };
}

/** An env value from pipeline.ts with `{project}`, `{region}` and `{projectNumber}` filled in for this stack. */
export function envValue(value: string, stack: { project: string; region: string; projectNumber: string }): string {
  return value.replace(/\{(project|region|projectNumber)\}/g, (_, key: "project" | "region" | "projectNumber") => stack[key]);
}
