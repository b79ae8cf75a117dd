// The pack on public Pulumi GCP programs (test/programs/NAME: adapted copies, with their sources, licences
// and edits in test/programs/README.md and each NAME/README.md). Each program comes with a hand analysis
// (analysis.json: its true calls, and the grants each needs) and the policy config its author would use
// (policy-config.json). In preview and in update mode:
//   - the calls the pack finds are exactly the hand analysis's;
//   - under that config, the only mandatory violations are caller-has-run-invoker on the true gaps;
//   - with each IAM grant removed in turn (a mutant), caller-has-run-invoker fails exactly the calls that
//     grant was the only one for, and nothing else: every gap found, no false alarm.
// The counts are printed at the end, and test/programs/README.md reports them.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Violation } from "../lib/analyzer";
import { toPlainResources } from "../lib/analyzer";
import { captureProgram } from "../lib/capture";
import { loadProgram, programRunner } from "../lib/program";
import type { EngineResource } from "../lib/resources";
import { buildCallGraph } from "../policies/callgraph";
import { usePolicyPack } from "./fixtures/pack";

const root = join(__dirname, "programs");
const programs = readdirSync(root).filter((d) => existsSync(join(root, d, "Pulumi.yaml")));
const modes = [
  { mode: "preview", preview: true },
  { mode: "update", preview: false },
] as const;

interface Analysis {
  /** The calls the program makes to its own services and functions, by logical names, and the grants each is let through by (any one suffices). */
  readonly calls: readonly { readonly caller: string; readonly callee: string; readonly via: string; readonly grantedBy: readonly string[] }[];
  /** Every IAM grant resource of the program (logical name → what it grants): each is removed in turn. */
  readonly grants: Readonly<Record<string, string>>;
}

const json = <T>(file: string): T => JSON.parse(readFileSync(file, "utf8")) as T;
const logical = (urn: string) => urn.split("::").pop() ?? urn;
const sorted = (values: Iterable<string>) => [...values].sort();

const pack = usePolicyPack();
const counts = {
  programs: programs.length,
  calls: 0,
  gapsInOriginals: 0,
  mutants: 0,
  gapsInMutants: 0,
  found: { preview: 0, update: 0 },
  falseAlarms: { preview: 0, update: 0 },
  /** Without any policy config: calls granted by a `serviceAccount:${account.email}` member, failed in preview as "cannot be shown before deploy". */
  notShownBeforeDeployWithoutConfig: { preview: 0, update: 0 },
  otherMandatoryUnderConfig: 0,
};

afterAll(() => {
  console.log(`public programs: ${JSON.stringify(counts)}`);
});

async function verdicts(resources: readonly EngineResource[], config: unknown): Promise<Violation[]> {
  await pack().configure(config === undefined ? undefined : { source: "policy-config.json", values: config });
  try {
    return await pack().analyze(resources);
  } finally {
    await pack().configure();
  }
}

/** The callers (logical names) caller-has-run-invoker fails, mandatory. */
function failedCallers(violations: readonly Violation[]): string[] {
  return sorted(violations.filter((v) => v.policyName === "caller-has-run-invoker" && v.enforcementLevel === "mandatory").map((v) => logical(v.urn)));
}

describe.each(programs)("the public program %s", (name) => {
  const dir = join(root, name);
  const analysis = json<Analysis>(join(dir, "analysis.json"));
  const config = json<Record<string, any>>(join(dir, "policy-config.json"));
  const graphOptions = { projectNumber: config["caller-has-run-invoker"]?.projectNumber, assumeServiceAccountMembers: config["caller-has-run-invoker"]?.assumeServiceAccountMembers === true };
  const captured = new Map<string, EngineResource[]>();

  beforeAll(async () => {
    counts.calls += analysis.calls.length;
    counts.gapsInOriginals += analysis.calls.filter((c) => c.grantedBy.length === 0).length;
    const program = loadProgram(dir);
    for (const { mode, preview } of modes) {
      const { resources } = await captureProgram(programRunner(program), {
        stack: program.stack,
        config: program.config,
        preview,
        project: program.name,
        projectNumber: graphOptions.projectNumber,
        secretKeys: program.secretKeys,
      });
      captured.set(mode, resources);
    }
  });

  it("has a README with its source, licence, edits and hand analysis", () => {
    const readme = readFileSync(join(dir, "README.md"), "utf8");
    for (const heading of ["## Source", "## Edits", "## Hand analysis", "## Policy config"]) expect(readme, heading).toContain(heading);
    expect(readme).toMatch(/Apache-2\.0/);
  });

  describe.each(modes)("in $mode mode", ({ mode }) => {
    const resources = () => captured.get(mode) ?? [];

    it("when its calls are read, then they are exactly the hand analysis's", () => {
      const graph = buildCallGraph(toPlainResources(resources()), graphOptions);
      expect(sorted(graph.calls.map((c) => `${logical(c.callerUrn)} -> ${logical(c.calleeUrn)} [${c.via}]`))).toEqual(
        sorted(analysis.calls.map((c) => `${c.caller} -> ${c.callee} [${c.via}]`)),
      );
    });

    it("when judged under its policy config, then the only mandatory violations are caller-has-run-invoker on its true gaps", async () => {
      const violations = await verdicts(resources(), config);
      const gaps = sorted(analysis.calls.filter((c) => c.grantedBy.length === 0).map((c) => c.caller));
      expect(failedCallers(violations)).toEqual(gaps);
      const others = violations.filter((v) => v.enforcementLevel === "mandatory" && v.policyName !== "caller-has-run-invoker");
      counts.otherMandatoryUnderConfig += others.length;
      expect(others.map((v) => `${v.policyName}: ${v.message.split("\n").pop()}`)).toEqual([]);
      counts.found[mode] += gaps.length;
    });

    it("when each grant is removed in turn, then caller-has-run-invoker fails exactly the calls that grant alone let through: every gap found, no false alarm", async () => {
      for (const grant of Object.keys(analysis.grants)) {
        const mutant = resources().filter((r) => r.name !== grant);
        expect(mutant.length, `${grant} is one resource of ${name}`).toBe(resources().length - 1);
        const expected = sorted(analysis.calls.filter((c) => c.grantedBy.filter((g) => g !== grant).length === 0).map((c) => c.caller));
        const failed = failedCallers(await verdicts(mutant, config));
        if (mode === "preview") counts.mutants += 1;
        if (mode === "preview") counts.gapsInMutants += expected.length;
        counts.found[mode] += expected.filter((c) => failed.includes(c)).length;
        counts.falseAlarms[mode] += failed.filter((c) => !expected.includes(c)).length;
        expect(failed, `without ${grant}`).toEqual(expected);
      }
    });

    it("when judged without any policy config, then a granted call fails only in preview, and only as one that cannot be shown before deploy", async () => {
      const violations = (await verdicts(resources(), undefined)).filter((v) => v.policyName === "caller-has-run-invoker");
      const granted = new Set(analysis.calls.filter((c) => c.grantedBy.length > 0).map((c) => c.caller));
      const alarms = violations.filter((v) => granted.has(logical(v.urn)));
      counts.notShownBeforeDeployWithoutConfig[mode] += alarms.length;
      if (mode === "update") expect(alarms).toEqual([]);
      for (const v of alarms) expect(v.message).toContain("cannot be shown before deploy");
    });
  });
});
