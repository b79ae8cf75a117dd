// Copied from pulumi/pulumi-gcp@v9.37.0, sdk/nodejs/cloudrun/service.ts, the example "Cloud Run Service Pubsub" of its documentation
// (Apache-2.0, ../LICENSE-Apache-2.0; the @pulumi/gcp 9.37.0 package this repository installs carries it in
// node_modules/@pulumi/gcp/cloudrun/service.d.ts). The provider's examples derive from the Terraform google provider's
// documentation. Edits: one (see README.md).
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";

const _default = new gcp.cloudrun.Service("default", {
    name: "cloud_run_service_name",
    location: "us-central1",
    template: {
        spec: {
            containers: [{
                image: "gcr.io/cloudrun/hello",
            }],
        },
    },
    traffics: [{
        percent: 100,
        latestRevision: true,
    }],
});
const sa = new gcp.serviceaccount.Account("sa", {
    accountId: "cloud-run-pubsub-invoker",
    displayName: "Cloud Run Pub/Sub Invoker",
});
const binding = new gcp.cloudrun.IamBinding("binding", {
    location: _default.location,
    service: _default.name,
    role: "roles/run.invoker",
    members: [pulumi.interpolate`serviceAccount:${sa.email}`],
});
const project = new gcp.projects.IAMBinding("project", {
    // [Edit: project is a required input of gcp.projects.IAMBinding in @pulumi/gcp 9; the example omits it.]
    project: "my-project-name",
    role: "roles/iam.serviceAccountTokenCreator",
    members: [pulumi.interpolate`serviceAccount:${sa.email}`],
});
const topic = new gcp.pubsub.Topic("topic", {name: "pubsub_topic"});
const subscription = new gcp.pubsub.Subscription("subscription", {
    name: "pubsub_subscription",
    topic: topic.name,
    pushConfig: {
        pushEndpoint: _default.statuses[0].url,
        oidcToken: {
            serviceAccountEmail: sa.email,
        },
        attributes: {
            "x-goog-version": "v1",
        },
    },
});
