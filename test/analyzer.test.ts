// The harness plays the engine: policy config reconciled and validated as the engine does (bad config is
// an InputError naming every problem), enforcement levels applied by the pack, and a pack that cannot
// start reported with its stderr instead of hanging.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { PolicyPackError, readPolicyConfig, startPolicyPack } from "../lib/analyzer";
import { InputError } from "../lib/cli";
import * as g from "./fixtures/gcp";
import { usePolicyPack } from "./fixtures/pack";
import { removeTemps, writeTemp } from "./fixtures/state";

const pack = usePolicyPack();
afterAll(removeTemps);
const policyNames = [
  "caller-has-run-invoker",
  "image-pinned-to-commit",
  "deploy-group-single-commit",
  "no-public-invoker",
  "no-default-service-account",
  "no-unused-invoker-grant",
];

/** phase3-to-grading calls grading with no grant: one mandatory gap, one unused-free stack. */
function gapStack() {
  const f = new g.Fixture("update");
  const grading = g.service(f, "grading", { account: g.account(f, "grading-runtime") });
  g.fn(f, "phase3-to-grading", { account: g.account(f, "phase3-to-grading"), env: { GRADING_URL: grading.url } });
  return f.resources;
}

async function configureFails(values: unknown): Promise<string> {
  const error = await pack()
    .configure({ source: "policy.json", values })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  await pack().configure(); // back to defaults for the next test
  expect(error).toBeInstanceOf(InputError);
  return (error as InputError).message;
}

describe("policy config", () => {
  it.each([
    ["a non-object document", ["caller-has-run-invoker"], 'policy.json: expected a JSON object of policy name to enforcement level or settings, got an array'],
    ["an unknown policy", { "caller-has-run-invokr": "advisory" }, `policy.json: caller-has-run-invokr: no such policy in this pack; its policies are ${policyNames.join(", ")}`],
    ["a bad enforcement level", { "no-public-invoker": "strict" }, 'policy.json: no-public-invoker: "strict" is not an enforcement level; expected one of advisory, mandatory, remediate, disabled'],
    ["a wrong type for a setting", { "no-public-invoker": { publicServices: "grading" } }, "policy.json: no-public-invoker.publicServices: Invalid input: expected array, received string"],
    ["a setting out of its pattern", { "caller-has-run-invoker": { projectNumber: "nba-props" } }, "policy.json: caller-has-run-invoker.projectNumber: Invalid string: must match pattern"],
    ["an unknown setting", { "no-public-invoker": { publicService: ["grading"] } }, "policy.json: no-public-invoker.publicService: unknown setting; no-public-invoker takes enforcementLevel, publicServices"],
    ["a setting under all", { all: { enforcementLevel: "advisory", projectNumber: "1" } }, 'policy.json: all.projectNumber: "all" takes only an enforcementLevel'],
    ["a number where a policy entry goes", { "image-pinned-to-commit": 3 }, "policy.json: image-pinned-to-commit: expected an enforcement level or an object of settings, got 3"],
    ["a pattern that is not a regular expression", { "image-pinned-to-commit": { tagPattern: "v(" } }, 'policy.json: image-pinned-to-commit.tagPattern: "v(" is not a regular expression (Invalid regular expression: /v(/: Unterminated group)'],
  ])("given %s, when configured, then an InputError names the file, the key and what is expected", async (_, values, fragment) => {
    expect(await configureFails(values)).toContain(fragment);
  });

  it("given several problems, when configured, then every one is reported at once", async () => {
    const message = await configureFails({ nope: "advisory", "no-public-invoker": { publicServices: [1] }, "caller-has-run-invoker": "loud" });
    expect(message).toContain("invalid policy config in policy.json (3 problems):");
    expect(message.split("\n")).toHaveLength(4);
  });

  it("given an enforcement level for a policy, when analyzed, then the pack reports at that level", async () => {
    await pack().configure({ source: "policy.json", values: { "caller-has-run-invoker": "advisory" } });
    try {
      const found = (await pack().analyze(gapStack())).filter((v) => v.policyName === "caller-has-run-invoker");
      expect(found.map((v) => v.enforcementLevel)).toEqual(["advisory"]);
    } finally {
      await pack().configure();
    }
  });

  it("given all disabled but one policy mandatory, when analyzed, then only that policy reports", async () => {
    await pack().configure({ source: "policy.json", values: { "caller-has-run-invoker": { enforcementLevel: "mandatory" }, all: "disabled" } });
    try {
      const found = await pack().analyze(gapStack());
      expect(found.map((v) => `${v.policyName}:${v.enforcementLevel}`)).toEqual(["caller-has-run-invoker:mandatory"]);
    } finally {
      await pack().configure();
    }
  });

  it("given any JSON document as policy config, when configured, then it is accepted or an InputError, and the pack still answers", async () => {
    const level = fc.constantFrom("advisory", "mandatory", "remediate", "disabled", "loud", "");
    const entry = fc.oneof(level, fc.jsonValue(), fc.record({ enforcementLevel: fc.oneof(level, fc.jsonValue()), publicServices: fc.jsonValue(), projectNumber: fc.jsonValue() }, { requiredKeys: [] }));
    const document = fc.oneof(fc.jsonValue(), fc.dictionary(fc.constantFrom(...policyNames, "all", "unknown-policy"), entry));
    await fc.assert(
      fc.asyncProperty(document, async (values) => {
        const outcome = await pack()
          .configure({ source: "policy.json", values })
          .then(
            () => "accepted",
            (e: unknown) => e,
          );
        const namesUnknownPolicy = values !== null && typeof values === "object" && !Array.isArray(values) && "unknown-policy" in values;
        if (namesUnknownPolicy) expect(outcome).not.toBe("accepted");
        if (outcome !== "accepted") {
          expect(outcome).toBeInstanceOf(InputError);
          expect((outcome as InputError).message).toContain("policy.json");
        }
      }),
      { numRuns: 150 },
    );
    await pack().configure();
    expect((await pack().analyze(gapStack())).map((v) => v.policyName)).toContain("caller-has-run-invoker");
  });

  it("given a policy config file that is missing or not JSON, when read, then an InputError names the file", () => {
    expect(() => readPolicyConfig("/nonexistent/policy.json")).toThrow(new InputError("cannot read policy config /nonexistent/policy.json: ENOENT"));
    const bad = writeTemp("policy.json", "{ caller-has-run-invoker: advisory }");
    expect(() => readPolicyConfig(bad)).toThrow(InputError);
    expect(() => readPolicyConfig(bad)).toThrow(`${bad}: not JSON (`);
  });
});

describe("starting the pack", () => {
  it("given a pack with a type error, when started, then it fails with the compiler's message instead of hanging", async () => {
    const dir = mkdtempSync(join(tmpdir(), "broken-pack-"));
    try {
      // The pack resolves @pulumi/pulumi as the engine does, from its own directory.
      symlinkSync(resolve("node_modules"), join(dir, "node_modules"));
      writeFileSync(join(dir, "PulumiPolicy.yaml"), "runtime: nodejs\n");
      writeFileSync(join(dir, "package.json"), '{"name": "broken", "version": "0.0.1"}');
      writeFileSync(join(dir, "index.ts"), 'const port: number = "not a number";\nexport { port };\n');
      const started = startPolicyPack({ project: "p", stack: "s", dryRun: false, packDir: dir });
      await expect(started).rejects.toThrow(PolicyPackError);
      await expect(started).rejects.toThrow(/exited \(code 32\) before it was ready[\s\S]*TS2322: Type 'string' is not assignable to type 'number'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("given a pack directory from which @pulumi/pulumi cannot be resolved, when started, then it says so", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lonely-pack-"));
    mkdirSync(join(dir, "sub"));
    try {
      await expect(startPolicyPack({ project: "p", stack: "s", dryRun: false, packDir: join(dir, "sub") })).rejects.toThrow(
        /cannot find @pulumi\/pulumi from the policy pack in .*: run `npm ci`/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
