// No window without a grant. Bringing the live project under the stack switches every caller from the
// default compute account to an account of its own in the first `pulumi up`; the engine changes a resource
// only after everything it depends on, so a caller that depends on the grant to its new account is never
// running as an account without run.invoker on its callee. Checked here for every call the pack sees in
// the prod stack (workloads' env calls, push subscriptions, scheduler jobs, the Eventarc trigger and the
// functions' own event triggers), and for one function of the tests' own topology in detail.
import { describe, expect, it } from "vitest";
import { toPlainResources } from "../lib/analyzer";
import { captureProgram, captureStack } from "../lib/capture";
import type { EngineResource } from "../lib/resources";
import { readStackFile } from "../lib/stackfile";
import { pipeline } from "../pipeline";
import { pipelineProgram } from "../program";
import { buildCallGraph } from "../policies/callgraph";
import { fixtureConfig, fixtureTopology } from "./fixtures/topology";
import { named, ofType, types } from "./support/engine";

const prod = readStackFile("Pulumi.prod.yaml").raw;
const triggered = pipeline.functions.filter((f) => "topic" in f.trigger).map((f) => f.name);

/** Every call of the stack whose caller resource does not depend, directly, on a grant that lets it through. */
function callsWithoutPriorGrant(resources: readonly EngineResource[]): string[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const graph = buildCallGraph(toPlainResources(resources));
  expect(graph.calls.length).toBeGreaterThan(0);
  return graph.calls
    .filter((c) => !c.granted || !c.grants.some((g) => byUrn.get(c.callerUrn)?.dependencies.includes(g)))
    .map((c) => `${c.caller} -> ${c.callee} [${c.via}]`)
    .sort();
}

describe("the grant to a caller's new account exists before the caller switches to it", () => {
  it("given the prod stack with its event-triggered functions adopted, when deployed, then every caller deploys after a grant that lets its new account through", async () => {
    for (const preview of [false, true]) {
      const { resources } = await captureStack({ stack: "prod", config: { ...prod, "nba-pipeline:adoptedFunctions": triggered }, preview });
      expect(callsWithoutPriorGrant(resources), preview ? "preview" : "update").toEqual([]);
    }
  });

  it("given a fresh stack (nothing adopted), when deployed, then only the functions' own triggers wait for their functions, whose services do not exist before them", async () => {
    const { resources } = await captureStack({ stack: "prod", config: prod, preview: false });
    expect(callsWithoutPriorGrant(resources)).toEqual(triggered.map((name) => `${name} -> ${name} [event trigger]`).sort());
  });

  it("given an adopted event-triggered function, when deployed, then its trigger's grant names its Run service directly, depends on nothing of the function, and the function waits for it", async () => {
    const run = (adopted: string[]) =>
      captureProgram(pipelineProgram(fixtureTopology), { stack: "fixture", config: { ...fixtureConfig, "nba-pipeline:adoptedFunctions": adopted }, preview: true, project: "fixture" });
    const { resources } = await run(["ingest-to-transform"]);
    const fn = named(resources, types.function, "ingest-to-transform");
    const grant = ofType(resources, types.runInvoker).find((g) => g.name === "ingest-to-transform-trigger-invokes-ingest-to-transform")!;
    expect(grant.inputs).toMatchObject({ name: "ingest-to-transform", location: "us-central1", project: "fixture-project", role: "roles/run.invoker" });
    expect(grant.dependencies).not.toContain(fn.urn);
    expect(fn.dependencies).toContain(grant.urn);
    // Not adopted: the grant follows the function (a new function's service exists only once it does).
    const fresh = await run([]);
    const freshGrant = ofType(fresh.resources, types.runInvoker).find((g) => g.name === grant.name)!;
    expect(freshGrant.propertyDependencies.name).toEqual([named(fresh.resources, types.function, "ingest-to-transform").urn]);
    expect(freshGrant.urn).toBe(grant.urn);
  });
});
