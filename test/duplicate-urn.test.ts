// The engine refuses a program that registers one URN twice; so does the capture, and so `npm run check`.
import * as pulumi from "@pulumi/pulumi";
import * as pubsub from "@pulumi/gcp/pubsub";
import { describe, expect, it } from "vitest";
import { fixtureTopology } from "./fixtures/topology";
import { captureProgram, captureStack } from "../lib/capture";
import { InputError } from "../lib/cli";
import { runCheck } from "../tools/check";
import { PinnedService } from "../components/service";

const config = { "gcp:project": "nba-props-platform", "gcp:region": "us-west2", "nba-pipeline:projectNumber": "756957797294" };

/** Two phases, each with a topic of one name: a URN names its parent's type, not the parent, so the topics collide. */
async function twoTopicsOfOneName() {
  for (const phase of ["phase5-predictions", "phase6-grading"]) {
    const parent = new pulumi.ComponentResource("nba:pipeline:Phase", phase, {});
    new pubsub.Topic("handover", { name: "handover" }, { parent });
  }
}

const urn = "urn:pulumi:prod::nba-pipeline::nba:pipeline:Phase$gcp:pubsub/topic:Topic::handover";

describe.each([true, false])("a program that registers one URN twice (preview: %s)", (preview) => {
  it("when captured, then it is refused with the engine's message, naming both registrations by type and parent", async () => {
    const capture = captureProgram(twoTopicsOfOneName, { stack: "prod", config, preview, project: "nba-pipeline" });
    await expect(capture).rejects.toBeInstanceOf(InputError);
    await expect(capture).rejects.toThrow(
      `Duplicate resource URN '${urn}'; try giving it a unique name: registered twice, ` +
        `first as gcp:pubsub/topic:Topic "handover" under urn:pulumi:prod::nba-pipeline::nba:pipeline:Phase::phase5-predictions, ` +
        `then as gcp:pubsub/topic:Topic "handover" under urn:pulumi:prod::nba-pipeline::nba:pipeline:Phase::phase6-grading`,
    );
  });

  it("when checked, then check refuses it with an InputError (which every tool reports without a stack trace, exit 2)", async () => {
    const capture: typeof captureStack = (opts) => captureProgram(twoTopicsOfOneName, opts);
    await expect(runCheck({ stack: "prod", preview }, () => capture)).rejects.toThrow(InputError);
  });
});

describe("two workloads of one name, as pipeline.ts could declare them", () => {
  it("when captured, then the second service component is refused, by itself (its resources collide because it does)", async () => {
    const spec = { ...fixtureTopology.services[0], name: "grading", publishes: [], secrets: [] };
    const place = {
      project: "nba-props-platform",
      region: "us-west2",
      projectNumber: "756957797294",
      registry: "us-west2-docker.pkg.dev/nba-props-platform/nba-props",
      spec,
      topics: new Map(),
      callees: new Map(),
      after: [],
    };
    const capture = captureProgram(
      async () => {
        new PinnedService("grading", { ...place, pin: { commit: "ede3ab89", deployGroup: "grading", phase: "5b" } });
        new PinnedService("grading", { ...place, pin: { commit: "5a498759", deployGroup: "grading", phase: "5b" } });
      },
      { stack: "prod", config, preview: true, project: "nba-pipeline" },
    );
    const stack = "urn:pulumi:prod::nba-pipeline::pulumi:pulumi:Stack::nba-pipeline-prod";
    await expect(capture).rejects.toThrow(
      new InputError(
        `Duplicate resource URN 'urn:pulumi:prod::nba-pipeline::nba:pipeline:Service::grading'; try giving it a unique name: registered twice, ` +
          `first as nba:pipeline:Service "grading" under ${stack}, then as nba:pipeline:Service "grading" under ${stack}`,
      ),
    );
  });
});

describe("a program whose resources share a name but not a URN", () => {
  it("given one name under two parent types, when captured, then nothing is refused", async () => {
    const { resources } = await captureProgram(
      async () => {
        for (const type of ["nba:pipeline:Phase", "nba:pipeline:Service"]) new pubsub.Topic("handover", {}, { parent: new pulumi.ComponentResource(type, "x", {}) });
      },
      { stack: "prod", config, preview: true },
    );
    expect(resources.filter((r) => r.name === "handover")).toHaveLength(2);
  });
});
