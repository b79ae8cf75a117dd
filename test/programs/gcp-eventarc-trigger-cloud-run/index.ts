// Copied from pulumi/pulumi-gcp@v9.37.0, sdk/nodejs/eventarc/trigger.ts, the example "Eventarc Trigger With Cloud Run Destination" of its documentation
// (Apache-2.0, ../LICENSE-Apache-2.0; the @pulumi/gcp 9.37.0 package this repository installs carries it in
// node_modules/@pulumi/gcp/eventarc/trigger.d.ts). The provider's examples derive from the Terraform google provider's
// documentation. Edits: none to the program (see README.md).
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";

const foo = new gcp.pubsub.Topic("foo", {name: "some-topic"});
const _default = new gcp.cloudrun.Service("default", {
    name: "some-service",
    location: "us-central1",
    template: {
        spec: {
            containers: [{
                image: "gcr.io/cloudrun/hello",
                ports: [{
                    containerPort: 8080,
                }],
            }],
            containerConcurrency: 50,
            timeoutSeconds: 100,
        },
    },
    traffics: [{
        percent: 100,
        latestRevision: true,
    }],
});
const primary = new gcp.eventarc.Trigger("primary", {
    name: "some-trigger",
    location: "us-central1",
    matchingCriterias: [{
        attribute: "type",
        value: "google.cloud.pubsub.topic.v1.messagePublished",
    }],
    destination: {
        cloudRunService: {
            service: _default.name,
            region: "us-central1",
        },
    },
    labels: {
        foo: "bar",
    },
    transport: {
        pubsub: {
            topic: foo.id,
        },
    },
    retryPolicy: {
        maxAttempts: 1,
    },
});
