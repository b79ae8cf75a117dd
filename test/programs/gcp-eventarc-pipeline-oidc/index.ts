// Copied from pulumi/pulumi-gcp@v9.37.0, sdk/nodejs/eventarc/pipeline.ts, the example "Eventarc Pipeline With Oidc And Json Format" of its documentation
// (Apache-2.0, ../LICENSE-Apache-2.0; the @pulumi/gcp 9.37.0 package this repository installs carries it in
// node_modules/@pulumi/gcp/eventarc/pipeline.d.ts). The provider's examples derive from the Terraform google provider's
// documentation. Edits: none to the program (see README.md).
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";

const primary = new gcp.eventarc.Pipeline("primary", {
    location: "us-central1",
    pipelineId: "some-pipeline",
    destinations: [{
        httpEndpoint: {
            uri: "https://10.77.0.0:80/route",
            messageBindingTemplate: "{\"headers\":{\"new-header-key\": \"new-header-value\"}}",
        },
        networkConfig: {
            networkAttachment: "projects/my-project-name/regions/us-central1/networkAttachments/some-network-attachment",
        },
        authenticationConfig: {
            googleOidc: {
                serviceAccount: "my@service-account.com",
                audience: "http://www.example.com",
            },
        },
        outputPayloadFormat: {
            json: {},
        },
    }],
    inputPayloadFormat: {
        json: {},
    },
    retryPolicy: {
        maxRetryDelay: "50s",
        maxAttempts: 2,
        minRetryDelay: "40s",
    },
    mediations: [{
        transformation: {
            transformationTemplate: `{
\\"id\\": message.id,
\\"datacontenttype\\": \\"application/json\\",
\\"data\\": \\"{ \\\\\\"scrubbed\\\\\\": \\\\\\"true\\\\\\" }\\"
}
`,
        },
    }],
    loggingConfig: {
        logSeverity: "DEBUG",
    },
});
