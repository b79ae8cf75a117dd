// Copyright 2016-2025, Pulumi Corporation.  All rights reserved.
//
// Adapted from pulumi/examples@40c09b266d44e9975e15289c42cc0c2ad8d14995, gcp-ts-cloudrun/index.ts
// (Apache-2.0, ../LICENSE-Apache-2.0). Changed: the docker.Image build is replaced by the image name it
// pushes (see README.md, "Edits").

import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

// Location to deploy Cloud Run services
const location = gcp.config.region || "us-central1";

// Enable Cloud Run service for the current project
// Commented out not to disable the service at every destroy
// const enableCloudRun = new gcp.projects.Service("EnableCloudRun", {
//    service: "run.googleapis.com",
// });

// ----------------------------------------------- //
// Deploy a pre-existing Hello Cloud Run container //
// ----------------------------------------------- //
const helloService = new gcp.cloudrun.Service("hello", {
    location,
    template: {
        spec: {
            containers: [
                { image: "gcr.io/cloudrun/hello" },
            ],
        },
    },
});

// Open the service to public unrestricted access
const iamHello = new gcp.cloudrun.IamMember("hello-everyone", {
    service: helloService.name,
    location,
    role: "roles/run.invoker",
    member: "allUsers",
});

// Export the URL
export const helloUrl = helloService.statuses[0].url;


// -------------------------------------- //
// Deploy a custom container to Cloud Run //
// -------------------------------------- //

// Build a Docker image from our sample Ruby app and put it to Google Container Registry.
// Note: Run `gcloud auth configure-docker` in your command line to configure auth to GCR.
// [Edit: the image the docker.Image resource built and pushed, by the name it was given.]
const imageName = "ruby-app";
const myImage = {
    imageName: pulumi.interpolate`gcr.io/${gcp.config.project}/${imageName}:v1.0.0`,
};

// Deploy to Cloud Run. Some extra parameters like concurrency and memory are set for illustration purpose.
const rubyService = new gcp.cloudrun.Service("ruby", {
    location,
    template: {
        spec: {
            containers: [{
                image: myImage.imageName,
                resources: {
                    limits: {
                        memory: "1Gi",
                    },
                },
                ports: [
                    {
                        containerPort: 8080,
                    },
                ],
            }],
            containerConcurrency: 50,
        },
    },
});

// Open the service to public unrestricted access
const iamRuby = new gcp.cloudrun.IamMember("ruby-everyone", {
    service: rubyService.name,
    location,
    role: "roles/run.invoker",
    member: "allUsers",
});

// Export the URL
export const rubyUrl = rubyService.statuses[0].url;
