// "X calls Y", declared once. Declaring a call grants X's identity roles/run.invoker on exactly Y and
// hands X the URL of Y; every kind of caller (a workload through an env var or a URL in its code, a
// function's own event trigger, a Pub/Sub push subscription, a Cloud Scheduler job) goes through
// `declareCall`, so there is no second place where a grant could be forgotten. This is the gap that left phase3-to-grading with 401s.
import * as pulumi from "@pulumi/pulumi";
import * as cloudrunv2 from "@pulumi/gcp/cloudrunv2";
import type * as serviceaccount from "@pulumi/gcp/serviceaccount";
import { accountMember } from "./identity";

/** What a call lands on: a Cloud Run service, or a gen2 function (a Cloud Run service of its own name). */
export interface Callee {
  /** The workload's name in pipeline.ts. */
  readonly name: string;
  /** The Cloud Run service's name; an output of the callee, so the grant depends on it. */
  readonly service: pulumi.Output<string>;
  readonly location: pulumi.Output<string>;
  readonly project: pulumi.Output<string>;
  /** The URL callers send requests to; also the OIDC audience the callee checks. */
  readonly url: pulumi.Output<string>;
}

/** Who makes a call: the name it goes by in pipeline.ts and the account whose token the callee sees. */
export interface Caller {
  readonly name: string;
  readonly account: serviceaccount.Account;
}

/** A declared call, as the stack outputs list it. */
export interface Call {
  readonly caller: string;
  readonly callee: string;
  /** How the caller reaches the callee: `env PREDICTION_COORDINATOR_URL`, `url in code (…)`, `event trigger`, `push subscription`, `scheduler job`. */
  readonly via: string;
  /** The IAM member granted roles/run.invoker: `serviceAccount:EMAIL` of the caller's account. */
  readonly identity: pulumi.Output<string>;
  readonly grant: cloudrunv2.ServiceIamMember;
  /** The callee's URL, for the caller to use. */
  readonly url: pulumi.Output<string>;
}

export const invokerRole = "roles/run.invoker";

/** The grant's name in the stack: `${caller}-invokes-${callee}`. */
export function grantNameFor(caller: string, callee: string): string {
  return `${caller}-invokes-${callee}`;
}

/**
 * Declares that `caller` calls `callee`: creates the roles/run.invoker grant for exactly the caller's
 * account on exactly the callee (name, location and project all taken from the callee itself), as a
 * child of `parent`, the caller's component.
 */
export function declareCall(parent: pulumi.Resource, caller: Caller, callee: Callee, via: string): Call {
  const identity = accountMember(caller.account);
  const grant = new cloudrunv2.ServiceIamMember(
    grantNameFor(caller.name, callee.name),
    { project: callee.project, location: callee.location, name: callee.service, role: invokerRole, member: identity },
    { parent },
  );
  return { caller: caller.name, callee: callee.name, via, identity, grant, url: callee.url };
}

/** The URL a push subscription or scheduler job posts to: the callee's URL and a path ("", "/…" or "?…"). */
export function endpointFor(url: pulumi.Output<string>, path: string, caller: string): pulumi.Output<string> {
  if (path !== "" && !path.startsWith("/") && !path.startsWith("?")) throw new Error(`${caller}: path ${JSON.stringify(path)} must be empty or start with "/" or "?"`);
  return pulumi.interpolate`${url}${path}`;
}
