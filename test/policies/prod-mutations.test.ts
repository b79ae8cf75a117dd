// Mutation test on the real prod stack (the program under the mock runtime with Pulumi.prod.yaml): every
// roles/run.invoker grant the stack declares is, in turn, removed, repointed at another account, and
// repointed at another service. The pack must reject every mutant, in update and in preview mode.
import { describe, expect, it } from "vitest";
import { toPlainResources } from "../../lib/analyzer";
import { captureStack } from "../../lib/capture";
import { unknownValue, type EngineResource } from "../../lib/resources";
import { readStackFile } from "../../lib/stackfile";
import { functions, pushCalls, scheduledCalls } from "../../pipeline";
import { buildCallGraph, invokerRole, types } from "../../policies/callgraph";
import { usePolicyPack } from "../fixtures/pack";

const pack = usePolicyPack();
const grantType = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember";
/** Every call pipeline.ts declares: each function's env calls and its start, each push and scheduled call. */
const declaredCalls = functions.reduce((n, f) => n + f.calls.length + 1, 0) + pushCalls.length + scheduledCalls.length;

interface Mutant {
  readonly name: string;
  readonly resources: EngineResource[];
  /** `caller calls callee`, the call the mutated grant let through. */
  readonly call: string;
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
  expect(grants).toHaveLength(declaredCalls);
  const accounts = resources.filter((r) => r.type === types.account);
  const workloads = resources.filter((r) => r.type === types.service || r.type === types.function);
  const replace = (grant: EngineResource, by?: EngineResource) => resources.flatMap((r) => (r.urn !== grant.urn ? [r] : by ? [by] : []));

  return grants.flatMap((grant): Mutant[] => {
    const served = graph.calls.filter((c) => c.grants.includes(grant.urn));
    expect(served, `${grant.name} lets exactly one call through`).toHaveLength(1);
    const call = `${served[0].caller} calls ${served[0].callee}`;
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
      { name: `remove ${grant.name}`, resources: replace(grant), call },
      { name: `${grant.name} to account ${String(other.inputs.accountId)}`, resources: replace(grant, repoint(grant, "member", memberOf(other), other.urn)), call },
      { name: `${grant.name} on ${String(elsewhere.inputs.name)}`, resources: replace(grant, onElsewhere), call },
    ];
  });
}

describe.each([false, true])("mutations of the prod stack's invoker grants (preview: %s)", (preview) => {
  it("given the prod stack as the program declares it, then the pack passes it; given each grant removed or repointed, then it rejects every one", async () => {
    const { resources } = await captureStack({ stack: "prod", config: readStackFile("Pulumi.prod.yaml").raw, preview });
    const mandatory = async (stack: readonly EngineResource[]) =>
      (await pack().analyze(stack)).filter((v) => v.enforcementLevel === "mandatory" && v.policyName === "caller-has-run-invoker");
    expect(await mandatory(resources)).toEqual([]);

    const all = mutants(resources);
    const missed: string[] = [];
    for (const mutant of all) {
      const found = await mandatory(mutant.resources);
      if (!found.some((v) => v.message.includes(mutant.call))) missed.push(`${mutant.name} (${mutant.call})`);
    }
    console.log(`mutation test, prod stack, ${preview ? "preview" : "update"}: ${all.length - missed.length}/${all.length} mutants rejected`);
    expect(missed).toEqual([]);
    expect(all).toHaveLength(3 * declaredCalls);
  });
});
