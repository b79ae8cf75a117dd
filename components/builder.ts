// The identity Cloud Build uses to build the orchestrator functions, and where their images go. Left
// unset, a function builds as the project's default compute or Cloud Build account, which holds broad
// rights over the whole project; this account can only read the source zips, push to one Artifact
// Registry repository of its own, and write build logs.
import * as pulumi from "@pulumi/pulumi";
import * as artifactregistry from "@pulumi/gcp/artifactregistry";
import * as projects from "@pulumi/gcp/projects";
import type * as serviceaccount from "@pulumi/gcp/serviceaccount";
import * as storage from "@pulumi/gcp/storage";
import { accountMember, callerAccount } from "./identity";

export interface FunctionBuilderArgs {
  /** The GCP project the builds run in. */
  readonly project: string;
  /** The region of the functions, and so of the repository their images are pushed to. */
  readonly region: string;
  /** The bucket of source zips (NAME/COMMIT.zip) the builds read. */
  readonly sourceBucket: string;
}

export class FunctionBuilder extends pulumi.ComponentResource {
  public readonly account: serviceaccount.Account;
  /** Where the built function images go: `projects/P/locations/R/repositories/NAME`. */
  public readonly repository: artifactregistry.Repository;

  constructor(name: string, args: FunctionBuilderArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nba:pipeline:FunctionBuilder", name, {}, opts);
    this.account = callerAccount(`${name}-account`, name, { project: args.project, purpose: "Cloud Build identity of the orchestrator functions" }, { parent: this });
    const member = accountMember(this.account);

    this.repository = new artifactregistry.Repository(
      `${name}-images`,
      {
        project: args.project,
        location: args.region,
        repositoryId: `${name}-images`,
        format: "DOCKER",
        description: "Images Cloud Build makes from the orchestrator functions' source zips (managed by the nba-pipeline stack).",
      },
      { parent: this },
    );
    new artifactregistry.RepositoryIamMember(
      `${name}-pushes-images`,
      { project: args.project, location: args.region, repository: this.repository.name, role: "roles/artifactregistry.writer", member },
      { parent: this },
    );
    new storage.BucketIAMMember(`${name}-reads-source`, { bucket: args.sourceBucket, role: "roles/storage.objectViewer", member }, { parent: this });
    // Build logs are written at the project level: there is no narrower resource to grant it on.
    new projects.IAMMember(`${name}-writes-logs`, { project: args.project, role: "roles/logging.logWriter", member }, { parent: this });

    this.registerOutputs({ account: this.account.email, repository: this.repository.id });
  }
}
