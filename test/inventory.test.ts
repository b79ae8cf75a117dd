// npm run audit -- --inventory: the live project, as Cloud Asset Inventory exports it, judged by the same pack
// through the same harness as `--state`. The seed's live project is test/fixtures/inventory/seed: its
// resources as `gcloud asset export --content-type=resource` writes them, its IAM policies before the ops
// log's fix as `gcloud asset list --content-type=iam-policy --format=json` prints them, and after it as
// `gcloud asset export --content-type=iam-policy` writes them.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../lib/cli";
import { buildInventory, inventoryResources, packTypes, parseInventoryText, readInventory } from "../lib/inventory";
import { auditJson, main, runAudit } from "../tools/audit";
import { removeTemps, stackExport, writeTemp } from "./fixtures/state";
import * as g from "./fixtures/gcp";

const run = promisify(execFile);
const repo = join(__dirname, "..");
const tsx = join(repo, "node_modules", "tsx", "dist", "cli.mjs");
const seed = join(__dirname, "fixtures", "inventory", "seed");
const resourcesFile = join(seed, "resources.ndjson");
const before = [resourcesFile, join(seed, "iam-before.json")];
const after = [resourcesFile, join(seed, "iam-after.ndjson")];
const defaultCompute = "serviceAccount:756957797294-compute@developer.gserviceaccount.com";

afterAll(removeTemps);
const write = writeTemp;

class Sink {
  text = "";
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}
const sink = () => new Sink() as Sink & NodeJS.WritableStream;

/** `caller -> callee as member` of every caller-has-run-invoker violation. */
function gaps(violations: readonly { policyName: string; message: string }[]): string[] {
  return violations
    .filter((v) => v.policyName === "caller-has-run-invoker")
    .map((v) => {
      const m = /\n(\S+) calls (\S+) \(found by ([^)]+)\) as (\S+),/.exec(v.message);
      return m ? `${m[1]} -> ${m[2]} [${m[3]}] as ${m[4]}` : v.message;
    })
    .sort();
}

/** The same assets in the other dialect: a JSON array with the JSON (camelCase) field names, pretty-printed. */
function toListDialect(ndjson: string): string {
  const assets = ndjson
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .map((a) => {
      const r = a.resource as Record<string, unknown> | undefined;
      return {
        name: a.name,
        assetType: a.asset_type,
        ...(r
          ? { resource: { version: r.version, discoveryDocumentUri: r.discovery_document_uri, discoveryName: r.discovery_name, parent: r.parent, data: r.data, location: r.location } }
          : {}),
        ...(a.iam_policy ? { iamPolicy: a.iam_policy } : {}),
        ancestors: a.ancestors,
        updateTime: a.update_time,
      };
    });
  return `${JSON.stringify(assets, null, 2)}\n`;
}

/** The other way: one asset a line with the proto (snake_case) field names. */
function toExportDialect(list: string): string {
  return (JSON.parse(list) as Record<string, unknown>[])
    .map((a) => JSON.stringify({ name: a.name, asset_type: a.assetType, ...(a.iamPolicy ? { iam_policy: a.iamPolicy } : {}), ancestors: a.ancestors, update_time: a.updateTime }))
    .join("\n");
}

describe("the seed's live project, before and after the ops log's add-iam-policy-binding", () => {
  let beforeAudit: ReturnType<typeof runAudit> | undefined;
  const auditBefore = () => (beforeAudit ??= runAudit({ inventory: before }));

  it("given the exports before the fix, when audited, then phase3-to-grading (default compute account) -> grading is the gap, fixed with an account of its own and its grant (the log granted the default compute account, which a fix never does)", async () => {
    const report = await auditBefore();
    expect(report).toMatchObject({ project: "nba-props-platform", stack: "live" });
    expect(gaps(report.violations)).toContain(`phase3-to-grading -> grading [env GRADING_FUNCTION_URL] as ${defaultCompute}`);
    const gap = report.violations.find((v) => v.policyName === "caller-has-run-invoker" && v.message.includes("calls grading"));
    expect(gap?.urn).toBe("urn:pulumi:live::nba-props-platform::gcp:cloudfunctionsv2/function:Function::phase3-to-grading");
    // The log ran gcloud run services add-iam-policy-binding grading --member=serviceAccount:…-compute@…; the
    // fix gives the caller an identity of its own instead, so every other default-account workload stays out.
    expect(gap?.message).toContain("Fix: give phase3-to-grading an account of its own:");
    expect(gap?.message).toContain('new gcp.cloudrunv2.ServiceIamMember("phase3-to-grading-invokes-grading", { name: "grading", location: "us-west2", project: "nba-props-platform", role: "roles/run.invoker"');
    // The 1st-gen role someone put on the function itself is named as the near miss it is.
    expect(gap?.message).toContain("cloudfunctionsv2.FunctionIamPolicy grading grants roles/cloudfunctions.invoker on the Cloud Functions resource");
  });

  it("given an event-triggered function whose own Run service has an empty IAM policy, when audited, then its trigger's account is named as unable to invoke it", async () => {
    expect(gaps((await auditBefore()).violations)).toEqual([
      `phase3-to-grading -> grading [env GRADING_FUNCTION_URL] as ${defaultCompute}`,
      `phase3-to-phase4-orchestrator -> phase3-to-phase4-orchestrator [event trigger] as ${defaultCompute}`,
    ]);
  });

  it("given the exports before the fix, when run, then it exits 1; after the fix the grading gap is gone and only the other findings stay", async () => {
    expect(await main(["--inventory", before[0], "--inventory", before[1]], sink())).toBe(1);
    const fixed = await runAudit({ inventory: after });
    expect(gaps(fixed.violations)).toEqual([`phase3-to-phase4-orchestrator -> phase3-to-phase4-orchestrator [event trigger] as ${defaultCompute}`]);
    // What else is mandatory live: the functions' sources, which gcloud uploads as NAME/function-source.zip.
    expect(fixed.violations.filter((v) => v.enforcementLevel === "mandatory" && v.policyName !== "caller-has-run-invoker").map((v) => `${v.policyName} ${v.urn.split("::").pop()}`)).toEqual([
      "image-pinned-to-commit grading",
      "image-pinned-to-commit phase3-to-grading",
      "image-pinned-to-commit phase3-to-phase4-orchestrator",
    ]);
  });

  it("given one workload, when audited, then a gen2 function and its Run service are judged once, under the function's name, and the platform's image is not judged", async () => {
    const resources = inventoryResources(readInventory(before));
    const named = (type: string) => resources.filter((r) => r.type === type).map((r) => r.name).sort();
    expect(named(packTypes.function)).toEqual(["grading", "phase3-to-grading", "phase3-to-phase4-orchestrator"]);
    expect(named(packTypes.service)).toEqual(["mlb-phase1-scrapers", "nba-phase3-analytics-processors", "nba-phase4-precompute-processors", "nba-scrapers"]);
    // Their invokers are their Run services' policies, under the functions' names.
    expect(named(packTypes.serviceIamPolicy)).toEqual(expect.arrayContaining(["grading", "phase3-to-grading", "phase3-to-phase4-orchestrator"]));
    // Cloud Functions' own Eventarc triggers and Eventarc's push subscriptions are the triggers' calls, not more.
    expect(named(packTypes.trigger)).toEqual(["nba-phase4-trigger-sub"]);
    expect(named(packTypes.subscription)).toEqual(["nba-phase3-analytics-sub"]);
    const report = await auditBefore();
    expect(report.violations.filter((v) => v.message.includes("gcf-artifacts"))).toEqual([]);
    expect(report.violations.filter((v) => v.message.includes("event trigger") && v.policyName === "caller-has-run-invoker")).toHaveLength(1);
  });

  it("given the inventory, when judged, then its JSON document is the one --state gives, field for field", async () => {
    const inventoryDoc = auditJson(await auditBefore());
    const stateDoc = auditJson(await runAudit({ state: write("prod.json", JSON.stringify(stackExport(new g.Fixture("update").resources))) }));
    expect(Object.keys(inventoryDoc)).toEqual(Object.keys(stateDoc));
    for (const v of inventoryDoc.violations) expect(Object.keys(v)).toEqual(["policyName", "enforcementLevel", "urn", "message"]);
    expect(inventoryDoc.mandatoryCount).toBe(5);
  });

  it("given the same assets in the other dialect of each file, when audited, then the verdicts are the same", async () => {
    const resources = write("resources.json", toListDialect(readFileSync(resourcesFile, "utf8")));
    const iam = write("iam.ndjson", toExportDialect(readFileSync(before[1], "utf8")));
    const swapped = await runAudit({ inventory: [resources, iam] });
    expect(swapped.violations).toEqual((await auditBefore()).violations);
  });
});

describe("reading assets", () => {
  const asset = (over: Record<string, unknown>) =>
    JSON.stringify({ name: "//run.googleapis.com/projects/nba-props-platform/locations/us-west2/services/grading", asset_type: "run.googleapis.com/Service", ancestors: ["projects/756957797294"], ...over });
  const policy = JSON.stringify({ name: "//cloudresourcemanager.googleapis.com/projects/756957797294", asset_type: "cloudresourcemanager.googleapis.com/Project", iam_policy: { bindings: [] }, ancestors: ["projects/756957797294"] });

  it("given a Cloud Run service in the Knative v1 shape and the same service in the v2 shape, when read, then the pack sees one and the same service", () => {
    const v1 = {
      apiVersion: "serving.knative.dev/v1",
      kind: "Service",
      metadata: { name: "grading", namespace: "756957797294", labels: { "cloud.googleapis.com/location": "us-west2", "commit-sha": "4a1c2e9" }, annotations: {} },
      spec: {
        template: {
          metadata: { labels: { "commit-sha": "4a1c2e9" } },
          spec: { containers: [{ image: "r/grading:4a1c2e9", env: [{ name: "A", value: "1" }, { name: "S", valueFrom: { secretKeyRef: { name: "slack-webhook-url", key: "3" } } }] }] },
        },
      },
      status: { url: "https://grading-x7kq2mzp4a-wl.a.run.app", address: { url: "https://grading-x7kq2mzp4a-wl.a.run.app" } },
    };
    const v2 = {
      name: "projects/nba-props-platform/locations/us-west2/services/grading",
      labels: { "commit-sha": "4a1c2e9" },
      template: {
        labels: { "commit-sha": "4a1c2e9" },
        containers: [{ image: "r/grading:4a1c2e9", env: [{ name: "A", value: "1" }, { name: "S", valueSource: { secretKeyRef: { secret: "slack-webhook-url", version: "3" } } }] }],
      },
      uri: "https://grading-x7kq2mzp4a-wl.a.run.app",
      urls: ["https://grading-x7kq2mzp4a-wl.a.run.app"],
    };
    const read = (data: unknown) =>
      inventoryResources(buildInventory(parseInventoryText(`${asset({ resource: { data, location: "us-west2" } })}\n${policy}\n`, "f").assets, ["f"])).find((r) => r.type === packTypes.service);
    expect(read(v1)?.inputs).toEqual(read(v2)?.inputs);
    // Neither sets an account: GCP runs it as the default compute account of the project number in the asset.
    expect(read(v1)?.inputs).toMatchObject({ template: { serviceAccount: "756957797294-compute@developer.gserviceaccount.com" } });
  });

  it("given 1st-gen functions, when read, then they are the provider's 1st-gen resource and the call graph does not take them for gen2 workloads", () => {
    const gen1 = (name: string, environment?: string) =>
      JSON.stringify({
        name: `//cloudfunctions.googleapis.com/projects/nba-props-platform/locations/us-west2/functions/${name}`,
        asset_type: "cloudfunctions.googleapis.com/CloudFunction",
        resource: {
          version: "v1",
          data: {
            name: `projects/nba-props-platform/locations/us-west2/functions/${name}`,
            runtime: "python311",
            entryPoint: "main",
            httpsTrigger: { url: `https://us-west2-nba-props-platform.cloudfunctions.net/${name}` },
            environmentVariables: { TARGET: "https://grading-756957797294.us-west2.run.app" },
            sourceArchiveUrl: `gs://gcf-sources-756957797294-us-west2/${name}-2f1c.zip`,
            ...(environment ? { environment } : {}),
          },
          location: "us-west2",
        },
        ancestors: ["projects/756957797294"],
      });
    const resources = inventoryResources(buildInventory(parseInventoryText(`${gen1("news-fetcher")}\n${gen1("later", "GEN_2")}\n${policy}\n`, "f").assets, ["f"]));
    const fetcher = resources.find((r) => r.name === "news-fetcher");
    expect(fetcher?.type).toBe(packTypes.functionGen1);
    // Unset, a 1st-gen function runs as the App Engine default account.
    expect(fetcher?.inputs).toMatchObject({ region: "us-west2", serviceAccountEmail: "nba-props-platform@appspot.gserviceaccount.com", httpsTriggerUrl: "https://us-west2-nba-props-platform.cloudfunctions.net/news-fetcher" });
    // The v1 API lists a 2nd-gen function with environment GEN_2: it is a gen2 workload.
    expect(resources.find((r) => r.name === "later")?.type).toBe(packTypes.function);
  });

  it("given run.invoker granted on the project, when audited, then it counts for every service and function in it", async () => {
    const text = readFileSync(before[1], "utf8").replace('"roles/run.admin"', '"roles/run.invoker"').replace("serviceAccount:github-deployer@", `${defaultCompute}", "serviceAccount:github-deployer@`);
    const report = await runAudit({ inventory: [resourcesFile, write("iam.json", text)] });
    expect(gaps(report.violations)).toEqual([]);
  });

  it("given a Run service built by Cloud Functions whose function is not in the inventory, when read, then it is bad input naming the file and line", () => {
    const managed = asset({ resource: { data: { name: "projects/nba-props-platform/locations/us-west2/services/grading", labels: { "goog-managed-by": "cloudfunctions" } }, location: "us-west2" } });
    expect(() => buildInventory(parseInventoryText(`${policy}\n${managed}\n`, "run.ndjson").assets, ["run.ndjson"])).toThrow(
      /^run\.ndjson:2: Cloud Run service grading is built by Cloud Functions .* export cloudfunctions\.googleapis\.com\/Function too/,
    );
  });

  it("given resources without any IAM policy, or IAM policies without resources, when read, then it is bad input saying which export is missing", () => {
    expect(() => readInventory([resourcesFile])).toThrow("export them with `gcloud asset export --content-type=iam-policy`");
    expect(() => readInventory([before[1]])).toThrow("export them with `gcloud asset export --content-type=resource`");
  });

  it("given the same export twice, when read, then it is bad input naming both places", () => {
    expect(() => readInventory([resourcesFile, resourcesFile, before[1]])).toThrow(`${resourcesFile}:1: //cloudresourcemanager.googleapis.com/projects/756957797294 was already read at ${resourcesFile}:1`);
  });
});

describe("malformed inventories", () => {
  const lines = readFileSync(resourcesFile, "utf8").trimEnd().split("\n");
  const iam = before[1];
  /** A replacement for one line: not JSON, not an asset, or an asset with a field of the wrong kind. */
  const broken = (line: string) =>
    fc.oneof(
      fc.string({ minLength: 1 }).filter((s) => {
        if (s.includes("\n") || s.trim() === "") return false;
        try {
          JSON.parse(s);
          return false;
        } catch {
          return true;
        }
      }),
      fc.constant(line.slice(0, Math.floor(line.length / 2))),
      fc.jsonValue().filter((v) => v === null || typeof v !== "object" || Array.isArray(v)).map((v) => JSON.stringify(v)),
      fc
        .record({
          key: fc.constantFrom("name", "asset_type", "resource", "ancestors", "iam_policy"),
          value: fc.oneof(fc.integer(), fc.constant(""), fc.constant("not a name"), fc.array(fc.integer(), { minLength: 1 }), fc.constant(true)),
        })
        .map(({ key, value }) => JSON.stringify({ ...(JSON.parse(line) as object), [key]: value })),
    );

  it("given one malformed line in an export, when audited, then it exits 2 naming file:line and nothing is judged or printed", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: lines.length - 1 }).chain((index) => fc.tuple(fc.constant(index), broken(lines[index]))),
        async ([index, replacement]) => {
          const file = write("resources.ndjson", [...lines.slice(0, index), replacement, ...lines.slice(index + 1)].join("\n"));
          const out = sink();
          const outcome = await main(["--inventory", file, "--inventory", iam], out).then(
            (code) => code,
            (e: unknown) => e,
          );
          expect(outcome).toBeInstanceOf(InputError);
          expect((outcome as InputError).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:${index + 1}: `));
          expect(out.text).toBe("");
        },
      ),
      { numRuns: 60 },
    );
  });

  it("given a JSON array with one broken element, when read, then the element's line is named", () => {
    const text = readFileSync(iam, "utf8");
    const at = text.indexOf('"assetType": "run.googleapis.com/Service"');
    const line = text.slice(0, at).split("\n").length;
    const broken = `${text.slice(0, at)}"assetType": run.googleapis.com/Service"${text.slice(at + '"assetType": "run.googleapis.com/Service"'.length)}`;
    expect(line).toBeGreaterThan(1);
    expect(() => parseInventoryText(broken, "iam.json")).toThrow(new RegExp(`^iam\\.json:${line}: not JSON`));
    expect(() => parseInventoryText(text.slice(0, text.length - 3), "iam.json")).toThrow(/^iam\.json:18[34]: not JSON/);
  });

  it("given a field of the wrong kind deep in an asset's data, when read, then the message names file:line and the field", () => {
    const index = lines.findIndex((l) => l.includes('services/nba-scrapers", "asset_type": "run.googleapis.com/Service"'));
    const bad = lines[index].replace('"labels": {"commit-sha": "4a1c2e9", "managed-by": "cloud-build"}', '"labels": ["commit-sha"]');
    expect(bad).not.toBe(lines[index]);
    const file = write("resources.ndjson", [...lines.slice(0, index), bad, ...lines.slice(index + 1)].join("\n"));
    expect(() => readInventory([file, iam])).toThrow(`${file}:${index + 1}: //run.googleapis.com/projects/nba-props-platform/locations/us-west2/services/nba-scrapers: resource.data.labels: expected an object`);
  });
});

describe("the audit command with --inventory", () => {
  it("given the seed before the fix and --json, when run as a command, then it exits 1 and stdout is one JSON document", async () => {
    const error = await run(process.execPath, [tsx, "tools/audit.ts", "--inventory", before[0], "--inventory", before[1], "--json"], { cwd: repo }).then(
      () => undefined,
      (e: { code: number; stdout: string }) => e,
    );
    expect(error?.code).toBe(1);
    expect((JSON.parse(error?.stdout ?? "") as { mandatoryCount: number }).mandatoryCount).toBe(5);
  });

  it("given a malformed line, when run as a command, then it exits 2 with file:line on stderr and nothing on stdout", async () => {
    const file = write("broken.ndjson", `${readFileSync(resourcesFile, "utf8")}{"name": "//x"\n`);
    const lineCount = readFileSync(resourcesFile, "utf8").split("\n").length;
    const error = await run(process.execPath, [tsx, "tools/audit.ts", "--inventory", file, "--inventory", before[1]], { cwd: repo }).then(
      () => undefined,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(error).toMatchObject({ code: 2, stdout: "" });
    expect(error?.stderr).toMatch(new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:${lineCount}: not JSON`));
  });

  it("given --state and --inventory together, when run, then it is a usage error", async () => {
    await expect(main(["--state", "a.json", "--inventory", "b.ndjson"], sink())).rejects.toThrow("--state and --inventory exclude each other");
  });
});
