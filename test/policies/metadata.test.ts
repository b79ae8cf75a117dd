// What the pack tells the engine about its policies (GetAnalyzerInfo): the public names, and for each a
// description, severity, remediation steps, default enforcement level and config schema.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { usePolicyPack } from "../fixtures/pack";

const pack = usePolicyPack();

describe("policy metadata", () => {
  it("given the pack, when asked for its policies, then it has exactly the seven public names with their default levels", () => {
    expect(pack().info.name).toBe("nba-pipeline-policies");
    expect(pack().info.policies.map((p) => [p.name, p.enforcementLevel])).toEqual([
      ["caller-has-run-invoker", "mandatory"],
      ["image-pinned-to-commit", "mandatory"],
      ["deploy-group-single-commit", "mandatory"],
      ["no-public-invoker", "mandatory"],
      ["no-default-service-account", "advisory"],
      ["no-unused-invoker-grant", "advisory"],
      ["commit-label-present", "advisory"],
    ]);
  });

  it("given each policy, then its description is one sentence, and it has a severity and remediation steps", () => {
    for (const p of pack().info.policies) {
      expect(p.description, p.name).toMatch(/^[A-Z][^\n]{20,200}\.$/);
      expect(["low", "medium", "high", "critical"], p.name).toContain(p.severity);
      expect(p.remediationSteps?.length ?? 0, p.name).toBeGreaterThan(60);
    }
  });

  it("given the configurable policies, then their settings are in the config schema with a description", () => {
    const schemas = Object.fromEntries(pack().info.policies.map((p) => [p.name, p.configSchema?.properties]));
    expect(schemas["caller-has-run-invoker"]).toMatchObject({ projectNumber: { type: "string", pattern: "^[0-9]{6,20}$" } });
    expect(schemas["no-public-invoker"]).toMatchObject({ publicServices: { type: "array", default: [] } });
    for (const properties of Object.values(schemas)) {
      for (const setting of Object.values(properties ?? {})) expect((setting as { description?: string }).description).toBeTruthy();
    }
  });

  it("given every setting of every policy, then policies/README.md documents it in its table and shows it in an example", () => {
    const readme = readFileSync(join(__dirname, "..", "..", "policies", "README.md"), "utf8");
    const table = readme.slice(readme.indexOf("| policy | setting |"));
    const examples = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]).join("\n");
    for (const p of pack().info.policies) {
      for (const setting of Object.keys(p.configSchema?.properties ?? {})) {
        expect(table, `${p.name}.${setting}`).toMatch(new RegExp(`\\| [^|]*\`${p.name}\`[^|]* \\| \`${setting}\``));
        expect(examples, `${p.name}.${setting}`).toContain(`"${setting}"`);
      }
    }
  });
});
