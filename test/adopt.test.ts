// npm run adopt: the prod program against the seed's live project (test/fixtures/inventory/seed). The import
// file is held against the engine's URN rules (every URN rebuilt from the file must be one the program
// registers, with the same type) and its IDs against the formats @pulumi/gcp documents in the `## Import`
// sections of the installed package's .d.ts files, parsed here on their own.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureStack } from "../lib/capture";
import { InputError } from "../lib/cli";
import type { ImportFile } from "../lib/adopt";
import type { EngineResource } from "../lib/resources";
import { readStackFile } from "../lib/stackfile";
import { adoptJson, formatAdopt, main, runAdopt, type AdoptResult } from "../tools/adopt";
import { removeTemps, writeTemp } from "./fixtures/state";

const run = promisify(execFile);
const repo = join(__dirname, "..");
const tsx = join(repo, "node_modules", "tsx", "dist", "cli.mjs");
const seed = join(__dirname, "fixtures", "inventory", "seed");
const inventory = [join(seed, "resources.ndjson"), join(seed, "iam-before.json")];
const project = "nba-props-platform";
const defaultCompute = "756957797294-compute@developer.gserviceaccount.com";
const triggered = ["phase3-to-grading", "phase3-to-phase4-orchestrator"];

const dir = mkdtempSync(join(tmpdir(), "nba-adopt-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  removeTemps();
});
const write = writeTemp;

/** Pulumi.prod.yaml with the seed's event-triggered functions listed as adopted. */
const prodText = readFileSync(join(repo, "Pulumi.prod.yaml"), "utf8");
const adoptedStackFile = () => write("Pulumi.prod.yaml", `${prodText.trimEnd()}\n  nba-pipeline:adoptedFunctions:\n${triggered.map((n) => `    - ${n}`).join("\n")}\n`);

class Sink {
  text = "";
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

let result: AdoptResult;
let program: EngineResource[];
beforeAll(async () => {
  result = await runAdopt({ inventory, stack: "prod", stackFile: adoptedStackFile() }, () => captureStack);
  program = (await captureStack({ stack: "prod", config: readStackFile(adoptedStackFile()).raw, preview: false })).resources;
});

const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

/** The URN the engine gives each entry of an import file (pulumi/pulumi pkg/cmd/pulumi/operations/import.go, parseImportFile). */
function rebuildUrns(file: ImportFile, stack: string, projectName: string): Map<string, { urn: string; type: string }> {
  const byName = new Map(file.resources.map((r) => [r.name, r]));
  const urns = new Map<string, { urn: string; type: string }>();
  const urnOf = (name: string, seen: string[] = []): string => {
    if (file.nameTable[name]) return file.nameTable[name];
    const entry = byName.get(name);
    if (!entry) throw new Error(`the parent ${name} has no entry in the file or the nameTable`);
    if (seen.includes(name)) throw new Error(`parents in a cycle: ${[...seen, name].join(" -> ")}`);
    const parentType = entry.parent ? urnOf(entry.parent, [...seen, name]).split("::")[2] : undefined;
    const qualified = parentType ? `${parentType}$${entry.type}` : entry.type;
    return `urn:pulumi:${stack}::${projectName}::${qualified}::${entry.logicalName ?? entry.name}`;
  };
  for (const entry of file.resources) urns.set(entry.name, { urn: urnOf(entry.name), type: entry.type });
  return urns;
}

/** The ID forms a type's .d.ts documents under `## Import`, read straight from node_modules/@pulumi/gcp. */
function documentedForms(type: string): { forms: RegExp[]; iamMember: boolean } {
  const [, module, file] = /^gcp:([^/]+)\/([^:]+):/.exec(type) ?? [];
  const moduleDir = join(dirname(require.resolve("@pulumi/gcp/package.json")), module);
  const dts = readdirSync(moduleDir).find((f) => f.toLowerCase() === `${file.toLowerCase()}.d.ts`);
  if (!dts) throw new Error(`no .d.ts for ${type}`);
  const text = readFileSync(join(moduleDir, dts), "utf8");
  const section = text.slice(text.indexOf("## Import"), text.indexOf("*/", text.indexOf("## Import")));
  const forms = section
    .split("\n")
    .map((line) => /^\s*\*\s+\*\s+`?([^`\s]*\{\{[^`\s]*)`?\s*$/.exec(line)?.[1])
    .filter((f): f is string => f !== undefined)
    .map((f) => new RegExp(`^${f.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\\{\\\{\w+\\\}\\\}|\{\{\w+\}\}/g, "[^/\\s]+")}`));
  return { forms, iamMember: section.includes("IAM member imports use space-delimited identifiers") };
}

describe("adopting the seed's live project into prod", () => {
  it("given the live project, when planned, then what exists live is adopted by its ID and the rest is to be created", () => {
    expect(result.plan.adopt.map((a) => `${a.type.split(":").pop()} ${a.id}`).sort()).toEqual(
      [
        `Function projects/${project}/locations/us-west2/functions/phase3-to-grading`,
        `Function projects/${project}/locations/us-west2/functions/phase3-to-phase4-orchestrator`,
        `Job projects/${project}/locations/us-west2/jobs/bdl-catchup-midday`,
        `Job projects/${project}/locations/us-west2/jobs/grading-daily`,
        `Service projects/${project}/locations/us-west2/services/nba-phase3-analytics-processors`,
        `Service projects/${project}/locations/us-west2/services/nba-phase4-precompute-processors`,
        `Service projects/${project}/locations/us-west2/services/nba-scrapers`,
        `Subscription projects/${project}/subscriptions/nba-phase3-analytics-sub`,
        `Topic projects/${project}/topics/nba-grading-trigger`,
        `Topic projects/${project}/topics/nba-phase2-raw-complete`,
        `Topic projects/${project}/topics/nba-phase2-raw-complete-dlq`,
        `Topic projects/${project}/topics/nba-phase3-analytics-complete`,
        `Topic projects/${project}/topics/nba-phase4-trigger`,
        `Trigger projects/${project}/locations/us-west2/triggers/nba-phase4-trigger-sub`,
      ].sort(),
    );
    const custom = program.filter((r) => r.custom);
    expect(result.plan.adopt.length + result.plan.create.length).toBe(custom.length);
    expect(new Set([...result.plan.adopt, ...result.plan.create].map((r) => r.urn))).toEqual(new Set(custom.map((r) => r.urn)));
    expect(result.plan.create.map((c) => nameOf(c.urn))).toContain("phase5b-grading-function");
    expect(result.plan.blockers).toEqual([]);
  });

  it("given the import file, when every URN is rebuilt by the engine's rules, then each is a URN the program registers, with the same type, and every adopted resource is in it", () => {
    const urns = rebuildUrns(result.plan.importFile, "prod", "nba-pipeline");
    const registered = new Map(program.map((r) => [r.urn, r.type]));
    for (const [name, { urn, type }] of urns) expect(registered.get(urn), `${name} -> ${urn}`).toBe(type);
    const imported = new Set([...urns.values()].map((u) => u.urn));
    for (const a of result.plan.adopt) expect(imported.has(a.urn), a.urn).toBe(true);
    // Parents chained: a function of phase 4 sits in its component in its phase.
    expect([...urns.values()].map((u) => u.urn)).toContain(
      "urn:pulumi:prod::nba-pipeline::nba:pipeline:Phase$nba:pipeline:OrchestratorFunction$gcp:cloudfunctionsv2/function:Function::phase3-to-phase4-orchestrator-function",
    );
    // Components are created empty; resources are imported with the program's provider version.
    const version = (JSON.parse(readFileSync(require.resolve("@pulumi/gcp/package.json"), "utf8")) as { version: string }).version;
    for (const entry of result.plan.importFile.resources) {
      if (entry.component) expect(entry.id, entry.name).toBeUndefined();
      else expect(entry, entry.name).toMatchObject({ id: expect.any(String), version });
    }
    expect(Object.keys(result.plan.importFile)).toEqual(["nameTable", "resources"]);
  });

  it("given the import file, when its IDs are held against the `## Import` sections of @pulumi/gcp's .d.ts files, then each is in a documented format", () => {
    for (const entry of result.plan.importFile.resources.filter((r) => !r.component)) {
      const { forms, iamMember } = documentedForms(entry.type);
      expect(forms.length, entry.type).toBeGreaterThan(0);
      const id = String(entry.id);
      const resourcePart = iamMember ? id.split(" ")[0] : id;
      expect(forms.some((f) => f.test(resourcePart) && (iamMember || new RegExp(`${f.source}$`).test(resourcePart))), `${entry.type} ${id}`).toBe(true);
      if (iamMember) expect(id.split(" ")).toHaveLength(3);
    }
  });

  it("given live names the app's scripts disagree on, when planned, then the live one is reported with what to do, and what is left out or undeclared stays unmanaged", () => {
    const grading = result.plan.unmanaged.find((u) => u.name === "grading");
    expect(grading).toMatchObject({ assetType: "cloudfunctions.googleapis.com/Function", alternativeOf: "phase5b-grading" });
    expect(grading?.note).toContain("cannot be imported under another name");
    expect(grading?.note).toContain("gcloud functions delete grading --region us-west2");
    expect(grading?.note).toContain("both receive every message on nba-grading-trigger");
    expect(result.plan.unmanaged.map((u) => `${u.assetType} ${u.name}`)).toEqual([
      "cloudfunctions.googleapis.com/Function grading",
      `iam.googleapis.com/ServiceAccount ${defaultCompute}`,
      `iam.googleapis.com/ServiceAccount github-deployer@${project}.iam.gserviceaccount.com`,
      "run.googleapis.com/Service mlb-phase1-scrapers",
    ]);
    expect(result.plan.unmanaged.find((u) => u.name === "mlb-phase1-scrapers")?.note).toMatch(/^left out on purpose .*MLB/);
  });

  it("given the adopted workloads, when planned, then the migration diff names image and commit, account, labels, invokers and the env the stack drops", () => {
    const of = (name: string) => Object.fromEntries(result.plan.changes.filter((c) => nameOf(c.urn) === name).map((c) => [c.field, [c.live, c.declared]]));
    const scrapers = of("nba-scrapers-service");
    expect(scrapers).toMatchObject({
      image: [`us-west2-docker.pkg.dev/${project}/nba-props/nba-scrapers:4a1c2e9`, `us-west2-docker.pkg.dev/${project}/nba-props/nba-scrapers:18f6ecf`],
      commit: ["4a1c2e9", "18f6ecf"],
      serviceAccount: [defaultCompute, `nba-scrapers@${project}.iam.gserviceaccount.com`],
      "labels.deploy-group": [null, "scrapers"],
      "env.ENVIRONMENT": ["production", null],
    });
    expect(scrapers.invokers?.[1]).toContain(`serviceAccount:sched-nba-scrapers@${project}.iam.gserviceaccount.com`);
    // The label the stack does not set (managed-by) stays: the provider manages only the labels it is given.
    expect(scrapers["labels.managed-by"]).toBeUndefined();
    const p3g = of("phase3-to-grading-function");
    expect(p3g["eventTrigger.serviceAccount"]).toEqual([defaultCompute, `phase3-to-grading-trigger@${project}.iam.gserviceaccount.com`]);
    expect(p3g["env.GRADING_FUNCTION_URL"]).toEqual([`https://grading-756957797294.us-west2.run.app`, null]);
    expect(p3g.source?.[1]).toBe("gs://nba-props-platform-function-source/phase3-to-grading/18f6ecf.zip");
    expect(of("bdl-catchup-midday-job")).toEqual({ "httpTarget.oidcToken.serviceAccount": [defaultCompute, `sched-nba-scrapers@${project}.iam.gserviceaccount.com`] });
    expect(of("nba-phase3-analytics-sub-subscription")).toEqual({ "pushConfig.oidcToken.serviceAccount": [defaultCompute, `nba-phase3-analytics-sub@${project}.iam.gserviceaccount.com`] });
    expect(of("nba-phase4-trigger-sub-trigger")).toEqual({ serviceAccount: [defaultCompute, `nba-phase4-trigger-sub@${project}.iam.gserviceaccount.com`] });
    // The secret the stack keeps is not a change.
    expect(scrapers["env.ODDS_API_KEY"]).toBeUndefined();
  });

  it("given --json, when rendered, then it is the four lists with exactly their fields", () => {
    const doc = JSON.parse(JSON.stringify(adoptJson(result))) as Record<string, Record<string, unknown>[]>;
    expect(Object.keys(doc)).toEqual(["adopt", "create", "unmanaged", "changes"]);
    expect(Object.keys(doc.adopt[0])).toEqual(["urn", "type", "id"]);
    expect(Object.keys(doc.create[0])).toEqual(["urn", "type"]);
    for (const u of doc.unmanaged) expect(Object.keys(u).filter((k) => k !== "alternativeOf" && k !== "note")).toEqual(["assetType", "name"]);
    expect(Object.keys(doc.changes[0])).toEqual(["urn", "field", "live", "declared"]);
  });
});

describe("what adopt refuses to leave to chance", () => {
  it("given event-triggered functions adopted but not listed in nba-pipeline:adoptedFunctions, when run, then it exits 1 with the exact lines to add", async () => {
    const out = new Sink();
    const code = await main(["--inventory", inventory[0], "--inventory", inventory[1], "--out", join(dir, "import.json")], out as unknown as NodeJS.WritableStream, () => captureStack);
    expect(code).toBe(1);
    expect(out.text).toContain("nba-pipeline:adoptedFunctions:\n        - phase3-to-phase4-orchestrator\n        - phase3-to-grading");
  });

  it("given a live service account with an id the stack creates, when planned, then creating it is named as blocked (no documented import format)", async () => {
    const line = JSON.stringify({
      name: `//iam.googleapis.com/projects/${project}/serviceAccounts/1234`,
      asset_type: "iam.googleapis.com/ServiceAccount",
      resource: { data: { email: `nba-scrapers@${project}.iam.gserviceaccount.com`, projectId: project } },
      ancestors: ["projects/756957797294"],
    });
    const extra = write("account.ndjson", `${line}\n`);
    const planned = await runAdopt({ inventory: [...inventory, extra], stack: "prod", stackFile: adoptedStackFile() }, () => captureStack);
    const blocked = planned.plan.create.find((c) => nameOf(c.urn) === "nba-scrapers-runtime");
    expect(blocked?.note).toMatch(/already exists live, and @pulumi\/gcp [\d.]+ documents no import format for accounts/);
    expect(planned.plan.blockers).toHaveLength(1);
  });

  it("given a live invoker grant the stack declares too, when planned, then it is adopted with the documented member ID", async () => {
    const text = readFileSync(inventory[1], "utf8").replace(
      `"serviceAccount:${defaultCompute}"\n          ]\n        }\n      ]\n    },\n    "ancestors": [\n      "projects/756957797294",\n      "organizations/731904418253"\n    ],\n    "updateTime": "2026-02-04T18:20:11.402311Z"\n  },\n  {\n    "name": "//run.googleapis.com/projects/nba-props-platform/locations/us-west2/services/nba-phase3-analytics-processors"`,
      `"serviceAccount:${defaultCompute}", "serviceAccount:sched-nba-scrapers@${project}.iam.gserviceaccount.com"\n          ]\n        }\n      ]\n    },\n    "ancestors": [\n      "projects/756957797294",\n      "organizations/731904418253"\n    ],\n    "updateTime": "2026-02-04T18:20:11.402311Z"\n  },\n  {\n    "name": "//run.googleapis.com/projects/nba-props-platform/locations/us-west2/services/nba-phase3-analytics-processors"`,
    );
    expect(text).toContain("sched-nba-scrapers@");
    const planned = await runAdopt({ inventory: [inventory[0], write("iam.json", text)], stack: "prod", stackFile: adoptedStackFile() }, () => captureStack);
    expect(planned.plan.adopt.find((a) => a.type === "gcp:cloudrunv2/serviceIamMember:ServiceIamMember")).toEqual({
      urn: expect.stringContaining("::sched-nba-scrapers-invokes-nba-scrapers"),
      type: "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
      id: `projects/${project}/locations/us-west2/services/nba-scrapers roles/run.invoker serviceAccount:sched-nba-scrapers@${project}.iam.gserviceaccount.com`,
    });
  });

  it("given a plain env var whose name is a secret's, when the diff is shown, then its value is not", async () => {
    const text = readFileSync(inventory[0], "utf8").replace('{"name": "ENVIRONMENT", "value": "production"}', '{"name": "ENVIRONMENT", "value": "production"}, {"name": "SLACK_TOKEN", "value": "xoxb-not-for-your-eyes"}');
    const planned = await runAdopt({ inventory: [write("resources.ndjson", text), inventory[1]], stack: "prod", stackFile: adoptedStackFile() }, () => captureStack);
    const change = planned.plan.changes.find((c) => c.field === "env.SLACK_TOKEN");
    expect(change).toMatchObject({ declared: null });
    expect(JSON.stringify(adoptJson(planned))).not.toContain("xoxb-not-for-your-eyes");
    expect(formatAdopt(planned, "import.json")).not.toContain("xoxb-not-for-your-eyes");
  });
});

describe("inventories adopt cannot use", () => {
  it("given the export of another project than the stack's, when run, then it is bad input naming both", async () => {
    const stackFile = write("Pulumi.staging.yaml", prodText.replace("gcp:project: nba-props-platform", "gcp:project: nba-props-staging"));
    await expect(runAdopt({ inventory, stack: "staging", stackFile }, () => captureStack)).rejects.toThrow(
      `the assets are of project nba-props-platform, and stack staging deploys to nba-props-staging (${stackFile})`,
    );
  });

  it("given a 1st-gen function under the name of a gen2 function the stack declares, when planned, then creating it is named as blocked and the live one stays unmanaged", async () => {
    const line = JSON.stringify({
      name: `//cloudfunctions.googleapis.com/projects/${project}/locations/us-west2/functions/phase5b-grading`,
      asset_type: "cloudfunctions.googleapis.com/CloudFunction",
      resource: { data: { name: `projects/${project}/locations/us-west2/functions/phase5b-grading`, runtime: "python39", httpsTrigger: { url: "https://x" } }, location: "us-west2" },
      ancestors: ["projects/756957797294"],
    });
    const planned = await runAdopt({ inventory: [...inventory, write("gen1.ndjson", `${line}\n`)], stack: "prod", stackFile: adoptedStackFile() }, () => captureStack);
    expect(planned.plan.create.find((c) => nameOf(c.urn) === "phase5b-grading-function")?.note).toContain("a 1st-gen function phase5b-grading runs under this name");
    expect(planned.plan.unmanaged.find((u) => u.name === "phase5b-grading")?.note).toMatch(/^pipeline\.ts declares phase5b-grading as a gen2 function, which this is not/);
    expect(planned.plan.blockers).toHaveLength(1);
  });
});

describe("the adopt command", () => {
  it("given no --inventory, when run, then it is a usage error", async () => {
    await expect(main([], new Sink() as unknown as NodeJS.WritableStream)).rejects.toThrow(InputError);
  });

  it("given a malformed export, when run as a command, then it exits 2 naming file:line, and writes no import file", async () => {
    const broken = write("broken.ndjson", `${readFileSync(inventory[0], "utf8")}not json\n`);
    const out = join(dir, "never.json");
    const error = await run(process.execPath, [tsx, "tools/adopt.ts", "--inventory", broken, "--inventory", inventory[1], "--out", out], { cwd: repo }).then(
      () => undefined,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(error).toMatchObject({ code: 2, stdout: "" });
    expect(error?.stderr).toContain(`${broken}:${readFileSync(inventory[0], "utf8").split("\n").length}: not JSON`);
    expect(() => readFileSync(out)).toThrow();
  });
});
