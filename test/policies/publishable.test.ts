// The pack can be published and run from its own directory: policies/package.json declares every package
// its code imports (and the compiler Pulumi's Node runtime type-checks it with), at the versions this
// repository tests it with, and its lock file agrees.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const dir = join(__dirname, "..", "..", "policies");
const json = (file: string) => JSON.parse(readFileSync(file, "utf8")) as Record<string, any>;
const pack = json(join(dir, "package.json"));
const root = json(join(dir, "..", "package.json"));

/** The packages a module imports (`@scope/name` or `name`), leaving out relative imports and Node's own. */
function importedPackages(source: string): string[] {
  return [...source.matchAll(/(?:from|import|require\()\s*["']([^"'.][^"']*)["']/g)]
    .map((m) => m[1])
    .filter((spec) => !spec.startsWith("node:"))
    .map((spec) => (spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]));
}

describe("policies/package.json", () => {
  it("given the pack's modules, then every package they import is a dependency, at the root's version", () => {
    const imported = new Set(readdirSync(dir).filter((f) => f.endsWith(".ts")).flatMap((f) => importedPackages(readFileSync(join(dir, f), "utf8"))));
    expect([...imported].sort()).toEqual(["@pulumi/policy", "yaml"]);
    for (const name of [...imported, "@pulumi/pulumi", "typescript", "@types/node"]) {
      const version = root.dependencies[name] ?? root.devDependencies[name];
      expect(pack.dependencies[name], name).toBe(version);
    }
  });

  it("given its lock file, then it pins the same direct dependencies", () => {
    const lock = json(join(dir, "package-lock.json"));
    expect(lock.packages[""].dependencies).toEqual(pack.dependencies);
    for (const [name, version] of Object.entries(pack.dependencies)) expect(lock.packages[`node_modules/${name}`].version, name).toBe(version);
  });

  it("given the version, then it is the one GetAnalyzerInfo reports and the README's publish example names", () => {
    expect(readFileSync(join(dir, "README.md"), "utf8")).toContain(`uploads nba-pipeline-policies ${pack.version}`);
  });
});
