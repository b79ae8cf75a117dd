// Mutation test on the real prod stack (the program under the mock runtime with Pulumi.prod.yaml): every
// roles/run.invoker grant the stack declares is, in turn, removed, repointed at another account, and
// repointed at another service. The call graph the pack judges with must fail every call the grant let
// through, in update and in preview mode; and the pack itself, over the engine's protocol, rejects one
// mutant of each kind of caller (a process round trip per mutant of ~150 would take minutes).
import { describe, expect, it } from "vitest";
import { toPlainResources } from "../../lib/analyzer";
import { captureStack } from "../../lib/capture";
import { unknownValue, type EngineResource } from "../../lib/resources";
import { readStackFile } from "../../lib/stackfile";
import { pipeline } from "../../pipeline";
import { buildCallGraph, invokerRole, types } from "../../policies/callgraph";
import { declaredCalls, workloadsOf } from "../../topology";
import { usePolicyPack } from "../fixtures/pack";

const pack = usePolicyPack();
const grantType = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember";
/** The grants pipeline.ts declares: one per caller identity and callee (scheduler jobs of one callee share theirs). */
const invokerCalls = declaredCalls(pipeline).filter((c) => c.kind !== "publish");
/** Calls made with a URL written in code: granted, but no resource says the caller calls it, so no pack can see them. */
const urlCalls = workloadsOf(pipeline).flatMap((w) => (w.calls ?? []).filter((c) => c.url !== undefined).map((c) => `${w.name}-invokes-${c.callee}`));

interface Mutant {
  readonly name: string;
  readonly resources: EngineResource[];
  /** The calls the mutated grant let through, as `caller calls callee`. */
  readonly calls: readonly string[];
  /** How the first of those calls is made (env, push subscription, scheduler job…), to pick one mutant per kind. */
  readonly via: string;
}

/** `value` of a grant property after the mutation: the new literal after `up`, still unknown in preview. */
function repoint(grant: EngineResource, property: string, literal: string, fromUrn: string): EngineResource {
  const unknownNow = grant.inputs[property] === unknownValue;
  const value = unknownNow ? unknownValue : literal;
  const propertyDependencies = { ...grant.propertyDependencies, [property]: [fromUrn] };
  return {
    ...grant,
    inputs: { ...grant.inputs, [property]: value },
    outputs: { ...grant.outputs, [property]: value },
    propertyDependencies,
    dependencies: [...new Set(Object.values(propertyDependencies).flat())],
  };
}

function mutants(resources: readonly EngineResource[]): Mutant[] {
  const graph = buildCallGraph(toPlainResources(resources));
  const grants = resources.filter((r) => r.type === grantType && r.inputs.role === invokerRole);
  const sharedJobs = invokerCalls.filter((c) => c.kind === "scheduler").length - new Set(pipeline.schedulerJobs.map((j) => j.callee)).size;
  expect(grants).toHaveLength(invokerCalls.length - sharedJobs);
  const accounts = resources.filter((r) => r.type === types.account);
  const workloads = resources.filter((r) => r.type === types.service || r.type === types.function);
  const replace = (grant: EngineResource, by?: EngineResource) => resources.flatMap((r) => (r.urn !== grant.urn ? [r] : by ? [by] : []));

  return grants.flatMap((grant): Mutant[] => {
    const served = graph.calls.filter((c) => c.grants.includes(grant.urn));
    if (urlCalls.includes(grant.name)) {
      expect(served, `${grant.name} serves a call written in code`).toEqual([]);
      return [];
    }
    expect(served.length, `${grant.name} lets a call through`).toBeGreaterThan(0);
    const calls = served.map((c) => `${c.caller} calls ${c.callee}`);
    const via = served[0].via.replace(/^env .*/, "env");
    const memberFrom = grant.propertyDependencies.member?.[0];
    // An account's member as the stack writes it, from its id and project (known in preview too).
    const memberOf = (a: EngineResource) => `serviceAccount:${String(a.inputs.accountId)}@${String(a.inputs.project)}.iam.gserviceaccount.com`;
    const other = accounts.find((a) => a.urn !== memberFrom && memberOf(a) !== grant.inputs.member);
    const calleeUrn = served[0].calleeUrn;
    const elsewhere = workloads.find((w) => w.urn !== calleeUrn);
    if (!other || !elsewhere) throw new Error("the prod stack has more than one account and workload");
    // The grant's name, location and project all come from the callee: point all three at another workload.
    const onElsewhere = ["name", "location", "project"].reduce((g, property) => repoint(g, property, String(elsewhere.inputs[property]), elsewhere.urn), grant);
    return [
      { name: `remove ${grant.name}`, resources: replace(grant), calls, via },
      { name: `${grant.name} to account ${String(other.inputs.accountId)}`, resources: replace(grant, repoint(grant, "member", memberOf(other), other.urn)), calls, via },
      { name: `${grant.name} on ${String(elsewhere.inputs.name)}`, resources: replace(grant, onElsewhere), calls, via },
    ];
  });
}

describe.each([false, true])("mutations of the prod stack's invoker grants (preview: %s)", (preview) => {
  it("given the prod stack as the program declares it, then the pack passes it; given each grant removed or repointed, then every call it let through fails, and the pack rejects one mutant per kind of caller", async () => {
    const { resources } = await captureStack({ stack: "prod", config: readStackFile("Pulumi.prod.yaml").raw, preview });
    const mandatory = async (stack: readonly EngineResource[]) =>
      (await pack().analyze(stack)).filter((v) => v.enforcementLevel === "mandatory" && v.policyName === "caller-has-run-invoker");
    expect(await mandatory(resources)).toEqual([]);

    const all = mutants(resources);
    const missed: string[] = [];
    for (const mutant of all) {
      const failing = new Set(buildCallGraph(toPlainResources(mutant.resources)).calls.filter((c) => !c.granted).map((c) => `${c.caller} calls ${c.callee}`));
      for (const call of mutant.calls) if (!failing.has(call)) missed.push(`${mutant.name} (${call})`);
    }
    const oneOfEachKind = [...new Map(all.map((m) => [m.via, m])).values()];
    for (const mutant of oneOfEachKind) {
      const found = await mandatory(mutant.resources);
      if (!mutant.calls.every((call) => found.some((v) => v.message.includes(call)))) missed.push(`pack: ${mutant.name}`);
    }
    console.log(
      `mutation test, prod stack, ${preview ? "preview" : "update"}: ${all.length - missed.length}/${all.length} mutants rejected by the call graph; ` +
        `the pack rejected ${oneOfEachKind.length} mutants, one per caller kind (${oneOfEachKind.map((m) => m.via).join(", ")})`,
    );
    expect(missed).toEqual([]);
    expect(all).toHaveLength(3 * (resources.filter((r) => r.type === grantType).length - urlCalls.length));
    expect(oneOfEachKind.map((m) => m.via).sort()).toEqual(["env", "event trigger", "eventarc trigger", "push subscription", "scheduler job"]);
  });
});
