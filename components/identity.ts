// Identities: every caller in the pipeline (a workload's runtime, a function's event trigger, a push
// subscription, a scheduler job) gets a service account of its own, so a grant names exactly one caller
// and nothing runs as a project's default account.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as serviceaccount from "@pulumi/gcp/serviceaccount";

/**
 * The service account id for a caller name. GCP allows 6–30 characters, a lowercase letter first and no
 * hyphen last. Names that fit are used as they are; longer ones keep a
 * readable prefix and end in a hash of the full name, so the id is stable and two names that share a
 * prefix still get distinct ids (`nba-phase4-precompute-processors` → `nba-phase4-precompute-p-<hash>`);
 * shorter ones get `-account` appended.
 */
export function accountIdFor(name: string): string {
  if (!/^[a-z][a-z0-9-]*[a-z0-9]$|^[a-z]$/.test(name)) {
    throw new Error(
      `service account for ${JSON.stringify(name)}: the name must be lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen`,
    );
  }
  let id = name;
  if (id.length > 30) {
    const hash = createHash("sha256").update(name).digest("hex").slice(0, 6);
    id = `${name.slice(0, 23).replace(/-+$/, "")}-${hash}`;
  } else if (id.length < 6) {
    id = `${name}-account`;
  }
  return id;
}

/** Accounts Google creates per project; a workload running as one shares every grant with everything else. */
const defaultAccountPattern = /^[0-9]+-compute@developer\.gserviceaccount\.com$|@appspot\.gserviceaccount\.com$/;
const userManagedAccountPattern = /^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$/;

/**
 * The IAM member for a caller's account, `serviceAccount:EMAIL`. Refuses default accounts and anything
 * that is not a user-managed service account, so a grant can never widen to a shared identity.
 */
export function serviceAccountMember(email: string): string {
  if (defaultAccountPattern.test(email)) {
    throw new Error(`IAM member ${JSON.stringify(email)} is a default service account; give the caller its own account`);
  }
  if (!userManagedAccountPattern.test(email)) {
    throw new Error(`IAM member ${JSON.stringify(email)} is not a service account email (NAME@PROJECT.iam.gserviceaccount.com)`);
  }
  return `serviceAccount:${email}`;
}

/**
 * The IAM member of an account of this stack, `serviceAccount:ID@PROJECT.iam.gserviceaccount.com`, made from
 * the account's own id and project rather than from its email. Both are its inputs, so the member is known
 * during preview too; the email is computed by the provider, and any member made from it is sent wholly
 * unknown during preview, which the policy pack cannot tell from `user:EMAIL` and so never counts.
 */
export function accountMember(account: serviceaccount.Account): pulumi.Output<string> {
  return pulumi.all([account.accountId, account.project]).apply(([id, project]) => serviceAccountMember(`${id}@${project}.iam.gserviceaccount.com`));
}

export interface CallerIdentityArgs {
  /** The project the account lives in. */
  readonly project: string;
  /** What the account is for, shown in the console beside the id: "runtime of grading". */
  readonly purpose: string;
}

/** A dedicated service account for one caller, named `name` in the stack and `accountIdFor(caller)` in GCP. */
export function callerAccount(
  name: string,
  caller: string,
  args: CallerIdentityArgs,
  opts: pulumi.CustomResourceOptions,
): serviceaccount.Account {
  return new serviceaccount.Account(
    name,
    {
      project: args.project,
      accountId: accountIdFor(caller),
      displayName: `${caller}: ${args.purpose}`.slice(0, 100),
      description: `Managed by the nba-pipeline Pulumi stack. Identity of ${caller} (${args.purpose}); grants to it are declared in pipeline.ts.`,
    },
    opts,
  );
}
