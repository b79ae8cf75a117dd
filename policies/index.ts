// The policy pack's entry: `pulumi preview --policy-pack policies` runs this file. Constructing the pack
// starts its gRPC server, so nothing else imports this module; the policies live in their own files.
import { PolicyPack } from "@pulumi/policy";
import { callerHasRunInvoker } from "./caller-has-run-invoker";
import { commitLabelPresent } from "./commit-label-present";
import { deployGroupSingleCommit } from "./deploy-group-single-commit";
import { imagePinnedToCommit } from "./image-pinned-to-commit";
import { noDefaultServiceAccount } from "./no-default-service-account";
import { noPublicInvoker } from "./no-public-invoker";
import { noUnusedInvokerGrant } from "./no-unused-invoker-grant";

new PolicyPack("nba-pipeline-policies", {
  description: "Blocks auth gaps between callers and Cloud Run services, unpinned or split deploys, and public invokers.",
  policies: [callerHasRunInvoker, imagePinnedToCommit, deployGroupSingleCommit, noPublicInvoker, noDefaultServiceAccount, noUnusedInvokerGrant, commitLabelPresent],
});
