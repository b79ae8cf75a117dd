// A workload's access to its own data, granted to its own account and nothing wider: dataset-level
// BigQuery roles on exactly the datasets its code reads or writes (jobUser at the project, the only level
// it exists at), object roles on exactly its buckets, Firestore, and the secrets it reads. The lists are
// data in pipeline.ts, each with the code that needs it.
import * as pulumi from "@pulumi/pulumi";
import * as bigquery from "@pulumi/gcp/bigquery";
import * as projects from "@pulumi/gcp/projects";
import * as secretmanager from "@pulumi/gcp/secretmanager";
import * as storage from "@pulumi/gcp/storage";
import type { DataAccess } from "../topology";

/** One grant as the data lists it: the role, and what it is on (`dataset nba_raw`, `bucket x`, `project`). */
export interface DataGrant {
  readonly role: string;
  readonly on: { readonly kind: "dataset" | "bucket" | "secret" | "project"; readonly name: string };
}

/** The least roles for a workload's data access, write winning over read on the same dataset or bucket. */
export function dataGrantsFor(access: DataAccess, secretsInEnv: readonly string[] = []): DataGrant[] {
  const grants: DataGrant[] = [];
  const bq = access.bigquery;
  const written = new Set(bq?.write ?? []);
  for (const dataset of bq?.write ?? []) grants.push({ role: "roles/bigquery.dataEditor", on: { kind: "dataset", name: dataset } });
  for (const dataset of new Set(bq?.read ?? [])) {
    if (!written.has(dataset)) grants.push({ role: "roles/bigquery.dataViewer", on: { kind: "dataset", name: dataset } });
  }
  if (bq?.jobs) grants.push({ role: "roles/bigquery.jobUser", on: { kind: "project", name: "project" } });
  const writtenBuckets = new Set(access.buckets?.write ?? []);
  for (const bucket of access.buckets?.write ?? []) grants.push({ role: "roles/storage.objectUser", on: { kind: "bucket", name: bucket } });
  for (const bucket of new Set(access.buckets?.read ?? [])) {
    if (!writtenBuckets.has(bucket)) grants.push({ role: "roles/storage.objectViewer", on: { kind: "bucket", name: bucket } });
  }
  if (access.firestore) grants.push({ role: "roles/datastore.user", on: { kind: "project", name: "project" } });
  for (const role of new Set(access.projectRoles ?? [])) grants.push({ role, on: { kind: "project", name: "project" } });
  for (const secret of new Set([...(access.secrets ?? []), ...secretsInEnv])) {
    grants.push({ role: "roles/secretmanager.secretAccessor", on: { kind: "secret", name: secret } });
  }
  return grants;
}

/** `nba-phase3-analytics-processors-bigquery-dataEditor-nba_analytics`: the grant's name in the stack. */
export function dataGrantName(workload: string, grant: DataGrant): string {
  const role = grant.role.slice(grant.role.lastIndexOf("/") + 1).replace(/\./g, "-");
  return grant.on.kind === "project" ? `${workload}-${role}` : `${workload}-${role}-${grant.on.name}`;
}

/** Creates the grants for `member` (a workload's `serviceAccount:…`) as children of `parent`. */
export function grantDataAccess(
  parent: pulumi.Resource,
  workload: string,
  project: string,
  member: pulumi.Input<string>,
  grants: readonly DataGrant[],
): pulumi.Resource[] {
  const opts = { parent };
  return grants.map((grant) => {
    const name = dataGrantName(workload, grant);
    const { role } = grant;
    switch (grant.on.kind) {
      case "dataset":
        return new bigquery.DatasetIamMember(name, { project, datasetId: grant.on.name, role, member }, opts);
      case "bucket":
        return new storage.BucketIAMMember(name, { bucket: grant.on.name, role, member }, opts);
      case "secret":
        return new secretmanager.SecretIamMember(name, { project, secretId: grant.on.name, role, member }, opts);
      case "project":
        return new projects.IAMMember(name, { project, role, member }, opts);
    }
  });
}
