// The topology rules every consumer shares: which calls a topology declares, how it is cut into phases,
// and every way its data can be wrong (the program and the tools exit 2 on those, naming the entry).
import { describe, expect, it } from "vitest";
import { pipeline } from "../pipeline";
import { declaredCalls, phasePlans, TopologyError, validateTopology, workloadsOf, type Topology } from "../topology";
import { fixtureTopology } from "./fixtures/topology";

function problems(t: Topology): string[] {
  try {
    validateTopology(t);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(TopologyError);
    return (error as Error).message.split("\n").slice(1).map((line) => line.trim());
  }
}

describe("declaredCalls", () => {
  it("given the fixture topology, when its calls are listed, then every kind of call is there once, with its evidence", () => {
    expect(declaredCalls(fixtureTopology).map((c) => `${c.kind} ${c.caller} -> ${c.callee} (${c.evidence})`)).toEqual([
      "http transform -> ingest (transform/main.py:7)",
      "http ingest-to-transform -> transform (functions/orchestrator/main.py:4)",
      "publish ingest -> ingest-complete (ingest/main.py:9)",
      "publish transform -> transform-done (transform/main.py:5)",
      "eventarc ingest-complete -> ingest-to-transform (functions/deploy.sh:1)",
      "push transform-sub -> transform (subs.sh:1)",
      "scheduler ingest-hourly -> ingest (jobs.sh:1)",
      "scheduler ingest-daily -> ingest (jobs.sh:2)",
      "scheduler report-daily -> report (jobs.sh:3)",
      "publish nudge -> ingest-complete (jobs.sh:4)",
    ]);
  });
});

describe("phasePlans", () => {
  it("given a topology, when cut into phases, then each workload is in its phase and each caller in its callee's", () => {
    const plans = phasePlans(fixtureTopology);
    expect(plans.map((p) => [p.phase.phase, [...p.services, ...p.functions].map((w) => w.name), p.subscriptions.map((s) => s.name), p.schedulerJobs.map((j) => j.name)])).toEqual([
      ["1", ["ingest"], [], ["ingest-hourly", "ingest-daily"]],
      ["2", ["transform", "ingest-to-transform", "report"], ["transform-sub"], ["report-daily"]],
    ]);
    // A publish job goes with the phase of the function its topic starts.
    expect(plans.map((p) => p.publishJobs.map((j) => j.name))).toEqual([[], ["nudge"]]);
  });

  it("given functions of one phase that call each other, when planned, then each callee deploys first; a cycle is refused naming it", () => {
    const [a, b] = [fixtureTopology.functions[1], fixtureTopology.functions[1]].map((f, i) => ({ ...f, name: `fn-${"ab"[i]}` }));
    const calling = { ...a, calls: [{ callee: "fn-b", env: "B_URL", evidence: "x:1" }] };
    const t = { ...fixtureTopology, functions: [calling, b] };
    expect(phasePlans(t)[1].functions.map((f) => f.name)).toEqual(["fn-b", "fn-a"]);
    const cycle = { ...t, functions: [calling, { ...b, calls: [{ callee: "fn-a", env: "A_URL", evidence: "x:2" }] }] };
    expect(() => phasePlans(cycle)).toThrow(new TopologyError("functions fn-a → fn-b → fn-a call each other in a cycle; nothing can deploy first"));
  });

  it("given the real pipeline, when cut into phases, then every workload lands in exactly one phase", () => {
    const names = phasePlans(pipeline).flatMap((p) => [...p.services, ...p.functions].map((w) => w.name));
    expect(names.sort()).toEqual(workloadsOf(pipeline).map((w) => w.name).sort());
  });
});

describe("validateTopology", () => {
  it("given the real pipeline and the fixture, when validated, then there is no problem", () => {
    expect(problems(pipeline)).toEqual([]);
    expect(problems(fixtureTopology)).toEqual([]);
  });

  it("given every mistake a person can make editing pipeline.ts, when validated, then each is reported at once, naming the entry", () => {
    const [ingest, transform] = fixtureTopology.services;
    const broken: Topology = {
      ...fixtureTopology,
      services: [
        { ...ingest, calls: [{ callee: "transform", env: "TRANSFORM_URL", evidence: "x:1" }] },
        { ...transform, env: { INGEST_URL: "x" }, publishes: [{ topic: "nowhere", evidence: "x:2" }] },
        { ...transform, name: "Transform_2", phase: "9", group: "middle" },
      ],
      functions: [{ ...fixtureTopology.functions[0], name: "transform" }],
      schedulerJobs: [{ ...fixtureTopology.schedulerJobs[0], callee: "ingset", path: "scrape" }],
    };
    expect(problems(broken)).toEqual([
      'service or function "transform" is declared twice',
      "service ingest: calls transform of phase 2, which deploys after phase 1; move the caller to phase 2 or later",
      'service transform: topic "nowhere" is not in the topics of pipeline.ts',
      "service transform: env var INGEST_URL is set twice (a call, topic, secret or plain env)",
      'service Transform_2: name "Transform_2" must be lowercase letters, digits and hyphens, starting with a letter',
      'service Transform_2: unknown phase "9"; expected one of 1, 2',
      'service Transform_2: unknown deploy group "middle"; expected one of front, back',
      'scheduler job ingest-hourly: calls "ingset", which is not a service or function in pipeline.ts',
      'scheduler job ingest-hourly: path "scrape" must be empty or start with "/" or "?"',
    ]);
  });

  it("given a call with both env and url, or neither, when validated, then the call is refused", () => {
    const [, transform] = fixtureTopology.services;
    const t = { ...fixtureTopology, services: [fixtureTopology.services[0], { ...transform, calls: [{ callee: "ingest", evidence: "x:1" }] }] };
    expect(problems(t)).toEqual(["service transform: the call to ingest needs exactly one of env (the stack sets the URL) or url (written in the code)"]);
  });
});

describe("the real pipeline's data", () => {
  it("given every workload, call, publication, subscription, trigger and job, then each cites its evidence in the app repository", () => {
    // `path`, `path:line` or `path:first-last`, as the app repository names its files.
    const cited = (evidence: string) => /^[\w.-]+(\/[\w.-]+)*\/?(:\d+(-\d+)?)?$/.test(evidence) && /[./]/.test(evidence.split(":")[0]);
    for (const w of workloadsOf(pipeline)) {
      expect(w.evidence.length, w.name).toBeGreaterThan(0);
      for (const e of w.evidence) expect(cited(e), `${w.name}: ${e}`).toBe(true);
    }
    for (const c of declaredCalls(pipeline)) expect(cited(c.evidence), `${c.caller} -> ${c.callee}: ${c.evidence}`).toBe(true);
    for (const w of workloadsOf(pipeline)) for (const e of w.access.evidence) expect(cited(e), `${w.name} data access: ${e}`).toBe(true);
    expect(pipeline.appRepository.commit).toMatch(/^[0-9a-f]{40}$/);
  });
});
