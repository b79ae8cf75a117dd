import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, expectTypeOf, it } from "vitest";
import { commitFor, formatProblems, parseConfig, type ConfigProblem, type StackConfig } from "../config";
import { captureStack } from "../lib/capture";
import { InputError } from "../lib/cli";
import { looksLikeSecret } from "../lib/secrets";
import { loadStackConfig, projectName, readStackFile } from "../lib/stackfile";
import { pipeline } from "../pipeline";
import { workloadsOf } from "../topology";

const workloads = workloadsOf(pipeline);
const workload = (name: string) => workloads.find((w) => w.name === name)!;
// Every deploy group at one commit, but the scrapers' group at another.
const groupCommits = Object.fromEntries(pipeline.deployGroups.map((g) => [g, g === "scrapers" ? "2de48c04" : "ede3ab89"]));
const valid = {
  "gcp:project": "nba-props-platform",
  "gcp:region": "us-west2",
  "nba-pipeline:projectNumber": "756957797294",
  "nba-pipeline:registry": "us-west2-docker.pkg.dev/nba-props-platform/nba-props",
  "nba-pipeline:functionSourceBucket": "nba-props-platform-function-source",
  "nba-pipeline:deployGroups": groupCommits,
};
const prodFile = readStackFile("Pulumi.prod.yaml");

function problemsOf(raw: unknown): ConfigProblem[] {
  const result = parseConfig(raw);
  if (result.ok) throw new Error("expected the config to be rejected");
  return result.problems;
}

function parsed(raw: unknown): StackConfig {
  const result = parseConfig(raw);
  if (!result.ok) throw new Error(formatProblems("test", result.problems));
  return result.config;
}

describe("parseConfig", () => {
  it("given the prod stack file, when parsed, then every group has its commit and nothing is pinned apart", () => {
    const { config } = loadStackConfig("Pulumi.prod.yaml");
    expect(config.project).toBe("nba-props-platform");
    expect(config.projectNumber).toBe("756957797294");
    expect(config.region).toBe("us-west2");
    expect(config.deployGroups).toEqual(prodFile.raw["nba-pipeline:deployGroups"]);
    expect(Object.keys(config.deployGroups)).toEqual([...pipeline.deployGroups]);
    expect(config.overrides).toEqual({});
  });

  it("given the staging stack file, when parsed, then it targets another project and carries one override with its reason", () => {
    const { config } = loadStackConfig("Pulumi.staging.yaml");
    expect(config.project).toBe("nba-props-staging");
    expect(config.region).toBe("us-central1");
    const raw = readStackFile("Pulumi.staging.yaml").raw["nba-pipeline:overrides"] as Record<string, { commit: string; reason: string }>;
    expect(Object.keys(config.overrides)).toHaveLength(1);
    expect(config.overrides).toEqual(raw);
  });

  it("given a missing key, when parsed, then the problem names the key and says it is missing", () => {
    const { ["nba-pipeline:registry"]: _registry, ...raw } = valid;
    expect(problemsOf(raw)).toEqual([
      { path: ["nba-pipeline:registry"], message: expect.stringMatching(/^missing; expected an Artifact Registry Docker repository/) },
    ]);
  });

  it.each([["latest"], ["main"], ["EDE3AB89"], ["ede3ab"], ["ede3ab89 "], ["g1234567"]])(
    "given the mutable or malformed commit %j, when parsed, then it is rejected with the expected format",
    (bad) => {
      const raw = { ...valid, "nba-pipeline:deployGroups": { ...valid["nba-pipeline:deployGroups"], pipeline: bad } };
      expect(problemsOf(raw)).toEqual([
        {
          path: ["nba-pipeline:deployGroups", "pipeline"],
          message: `expected a git commit SHA, 7–40 lowercase hex characters, got ${JSON.stringify(bad)}`,
        },
      ]);
    },
  );

  it("given an unknown deploy group, when parsed, then the problem names it and lists the groups", () => {
    const raw = { ...valid, "nba-pipeline:deployGroups": { ...valid["nba-pipeline:deployGroups"], predictions: "ede3ab89" } };
    expect(problemsOf(raw)).toEqual([
      { path: ["nba-pipeline:deployGroups", "predictions"], message: `unknown deploy group; expected one of ${pipeline.deployGroups.join(", ")}` },
    ]);
  });

  it("given a deploy group without a commit, when parsed, then that group is named as missing", () => {
    const { grading: _grading, ...others } = groupCommits;
    const raw = { ...valid, "nba-pipeline:deployGroups": others };
    expect(problemsOf(raw)).toEqual([
      { path: ["nba-pipeline:deployGroups", "grading"], message: "missing; expected a git commit SHA, 7–40 lowercase hex characters" },
    ]);
  });

  it("given an override for an unknown service, when parsed, then the problem names it and suggests the near name", () => {
    const raw = { ...valid, "nba-pipeline:overrides": { "nba-scrapres": { commit: "19722f5c", reason: "hotfix" } } };
    const [problem, ...rest] = problemsOf(raw);
    expect(rest).toEqual([]);
    expect(problem.path).toEqual(["nba-pipeline:overrides", "nba-scrapres"]);
    expect(problem.message).toMatch(/^unknown service or function "nba-scrapres" \(did you mean "nba-scrapers"\?\); expected one of nba-scrapers, /);
  });

  it("given adopted functions, when parsed, then event-triggered functions are taken and anything else is named", () => {
    expect(parsed({ ...valid, "nba-pipeline:adoptedFunctions": ["phase3-to-grading"] }).adoptedFunctions).toEqual(["phase3-to-grading"]);
    expect(parsed(valid).adoptedFunctions).toEqual([]);
    const problems = problemsOf({ ...valid, "nba-pipeline:adoptedFunctions": ["phase3-to-gradin", "grading-readiness-monitor"] });
    expect(problems.map((p) => p.path)).toEqual([
      ["nba-pipeline:adoptedFunctions", 0],
      ["nba-pipeline:adoptedFunctions", 1],
    ]);
    expect(problems[0].message).toMatch(/^unknown event-triggered function "phase3-to-gradin" \(did you mean "phase3-to-grading"\?\)/);
    // An HTTP function has no trigger to order.
    expect(problems[1].message).toMatch(/^unknown event-triggered function "grading-readiness-monitor"/);
  });

  it("given an override without a reason, when parsed, then the reason is required", () => {
    const raw = { ...valid, "nba-pipeline:overrides": { "nba-grading-service": { commit: "19722f5c" } } };
    expect(problemsOf(raw)).toEqual([
      {
        path: ["nba-pipeline:overrides", "nba-grading-service", "reason"],
        message: "missing; expected the reason this workload is pinned apart from its deploy group",
      },
    ]);
  });

  it("given a region typo, when parsed, then the problem suggests the region meant", () => {
    expect(problemsOf({ ...valid, "gcp:region": "us-wset2" })).toEqual([
      { path: ["gcp:region"], message: 'unknown region "us-wset2" (did you mean "us-west2"?); expected a GCP region such as us-west2' },
    ]);
  });

  it("given an unknown key in our namespace, when parsed, then it is rejected; provider keys of gcp: are left to the provider", () => {
    const problems = problemsOf({ ...valid, "nba-pipeline:apiKey": "s3cret", "gcp:impersonateServiceAccount": "deployer@x.iam.gserviceaccount.com" });
    expect(problems).toEqual([
      { path: ["nba-pipeline:apiKey"], message: expect.stringMatching(/^unknown config key; this stack reads gcp:project, /) },
      { path: ["nba-pipeline:apiKey"], message: expect.stringMatching(/^a secret in plain text/) },
    ]);
  });

  it("given several problems, when parsed, then all of them are reported at once", () => {
    const raw = { ...valid, "gcp:region": "mars-1", "nba-pipeline:projectNumber": 756957797294, "nba-pipeline:deployGroups": { pipeline: "latest" } };
    expect(problemsOf(raw).map((p) => p.path.join("."))).toEqual([
      "gcp:region",
      "nba-pipeline:projectNumber",
      ...pipeline.deployGroups.map((g) => `nba-pipeline:deployGroups.${g}`),
    ]);
  });

  it("given any value at all, when parsed, then it returns problems instead of throwing", () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.dictionary(fc.constantFrom(...Object.keys(valid), "nba-pipeline:overrides"), fc.anything())), (raw) => {
        const result = parseConfig(raw);
        expect(typeof result.ok).toBe("boolean");
        if (!result.ok) expect(result.problems.length).toBeGreaterThan(0);
      }),
    );
  });

  it("pins the parsed type", () => {
    expectTypeOf(parsed(valid).deployGroups).toEqualTypeOf<Readonly<Record<string, string>>>();
  });
});

describe("secrets in any namespace", () => {
  const plain = (key: string) => `a secret in plain text; store it encrypted with \`pulumi config set --secret ${key}\` (the stack file then holds {secure: v1:…}), and rotate it if it was ever committed`;

  it.each([
    ["gcp:credentials", true],
    ["gcp:accessToken", true],
    ["slack:webhookToken", true],
    ["aws:secretKey", true],
    ["stripe:apiKey", true],
    ["stripe:apikey", true],
    ["db:PRIVATE_KEY", true],
    ["db:password", true],
    ["db:passphrase", true],
    ["oauth:clientSecret", true],
    ["myapp:key", true],
    ["gcp:project", false],
    ["gcp:impersonateServiceAccount", false],
    ["myapp:tokenUrl", false],
    ["myapp:publicKey", false],
    ["myapp:kmsKeyName", false],
    ["myapp:secretName", false],
    ["nba-pipeline:deployGroups", false],
    ["grading-coverage-monitor", false],
  ])("given the key %s, when judged, then looking like a secret's is %s", (key, secret) => {
    expect(looksLikeSecret(key)).toBe(secret);
  });

  it("given secrets of other namespaces in plain text, when parsed, then each is a problem naming its key, nested keys included", () => {
    const raw = {
      ...valid,
      "gcp:credentials": '{"type": "service_account"}',
      "slack:webhookToken": "xoxb-123",
      "slack:bot": { name: "pipeline-bot", apiKey: "k-123", scopes: ["chat:write"] },
      "db:passwords": ["hunter2", { secure: "v1:abc" }],
    };
    expect(problemsOf(raw)).toEqual([
      { path: ["gcp:credentials"], message: plain("gcp:credentials") },
      { path: ["slack:webhookToken"], message: plain("slack:webhookToken") },
      { path: ["slack:bot", "apiKey"], message: plain("--path 'slack:bot.apiKey'") },
      { path: ["db:passwords", 0], message: plain("--path 'db:passwords[0]'") },
    ]);
  });

  it("given those secrets as the stack file writes encrypted values, or empty, when parsed, then they pass", () => {
    const raw = {
      ...valid,
      "gcp:credentials": { secure: "v1:AAAA" },
      "slack:webhookToken": { secure: "v1:BBBB" },
      "slack:bot": { name: "pipeline-bot", apiKey: { secure: "v1:CCCC" } },
      "db:passwords": [{ secure: "v1:DDDD" }],
      "db:token": "",
      "myapp:tokenUrl": "https://example.com/token",
    };
    expect(parseConfig(raw).ok).toBe(true);
  });

  it("given secrets the engine decrypted (it names their keys to the program), when parsed, then they pass; others do not", () => {
    const raw = { ...valid, "gcp:credentials": "decrypted", "slack:bot": JSON.parse('{"apiKey": "decrypted"}') as unknown, "slack:webhookToken": "plain" };
    expect(problemsOf(raw).map((p) => p.path)).toEqual([["gcp:credentials"], ["slack:bot", "apiKey"], ["slack:webhookToken"]]);
    const saved = process.env.PULUMI_CONFIG_SECRET_KEYS;
    process.env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(["gcp:credentials", "slack:bot"]);
    try {
      expect(problemsOf(raw).map((p) => p.path)).toEqual([["slack:webhookToken"]]);
    } finally {
      if (saved === undefined) delete process.env.PULUMI_CONFIG_SECRET_KEYS;
      else process.env.PULUMI_CONFIG_SECRET_KEYS = saved;
    }
  });

  it("given a stack file with plain secrets, when loaded, then the message names file, line and key of each", () => {
    const dir = mkdtempSync(join(tmpdir(), "secrets-"));
    try {
      const file = join(dir, "Pulumi.prod.yaml");
      const text = readStackFile("Pulumi.prod.yaml").text;
      const added = [
        `  gcp:credentials: '{"type": "service_account"}'`,
        "  slack:bot:",
        "    name: pipeline-bot",
        "    apiKey: k-123",
        "  slack:webhookToken:",
        "    secure: v1:AAAA",
        "  db:passwords:",
        "    - secure: v1:BBBB",
        "    - hunter2",
      ];
      writeFileSync(file, `${text}${added.join("\n")}\n`);
      const line = (start: string) => text.split("\n").length + added.findIndex((l) => l.startsWith(start));
      expect(() => loadStackConfig(file)).toThrow(InputError);
      expect(() => loadStackConfig(file)).toThrow(
        [
          `invalid stack config in ${file} (3 problems):`,
          `  ${file}:${line("  gcp:credentials")}: gcp:credentials: ${plain("gcp:credentials")}`,
          `  ${file}:${line("    apiKey")}: slack:bot.apiKey: ${plain("--path 'slack:bot.apiKey'")}`,
          `  ${file}:${line("    - hunter2")}: db:passwords.1: ${plain("--path 'db:passwords[1]'")}`,
        ].join("\n"),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("given a plain secret in the config the program gets, when it runs, then it stops before any resource, naming the key", async () => {
    const { raw } = readStackFile("Pulumi.prod.yaml");
    await expect(captureStack({ stack: "prod", config: { ...raw, "slack:webhookToken": "xoxb-123" }, preview: true })).rejects.toThrow(
      `slack:webhookToken: ${plain("slack:webhookToken")}`,
    );
    const encrypted = await captureStack({ stack: "prod", config: { ...raw, "slack:webhookToken": { secure: "v1:AAAA" } }, preview: true });
    expect(encrypted.resources.length).toBeGreaterThan(0);
  });
});

describe("commitFor", () => {
  it("given no override, when asked for a workload, then it runs its deploy group's commit", () => {
    const config = parsed(valid);
    for (const w of workloads) expect(commitFor(config, w), w.name).toBe(groupCommits[w.group]);
  });

  it("given an override, when asked, then only that workload runs the override's commit", () => {
    const config = parsed({ ...valid, "nba-pipeline:overrides": { "nba-grading-service": { commit: "19722f5c", reason: "rollback of the grading service only" } } });
    expect(commitFor(config, workload("nba-grading-service"))).toBe("19722f5c");
    expect(commitFor(config, workload("phase5b-grading"))).toBe(groupCommits.grading);
  });
});

describe("loadStackConfig", () => {
  const dir = mkdtempSync(join(tmpdir(), "stackfile-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("given a bad value, when loaded, then the message names the file, line and key", () => {
    const file = join(dir, "Pulumi.bad.yaml");
    const pipelineCommit = String((prodFile.raw["nba-pipeline:deployGroups"] as Record<string, string>).pipeline);
    writeFileSync(file, prodFile.text.replace(`pipeline: ${pipelineCommit}`, "pipeline: latest").replace("gcp:region: us-west2", "gcp:region: us-wset2"));
    expect(() => loadStackConfig(file)).toThrow(InputError);
    expect(() => loadStackConfig(file)).toThrow(
      [
        `invalid stack config in ${file} (2 problems):`,
        `  ${file}:${prodFile.lineOf(["gcp:region"])}: gcp:region: unknown region "us-wset2" (did you mean "us-west2"?); expected a GCP region such as us-west2`,
        `  ${file}:${prodFile.lineOf(["nba-pipeline:deployGroups", "pipeline"])}: nba-pipeline:deployGroups.pipeline: expected a git commit SHA, 7–40 lowercase hex characters, got "latest"`,
      ].join("\n"),
    );
  });

  it("given a missing key, when loaded, then the line is that of the map it belongs in", () => {
    const file = join(dir, "Pulumi.missing.yaml");
    writeFileSync(file, prodFile.text.replace(/^ {4}grading: \w+\n/m, ""));
    expect(() => loadStackConfig(file)).toThrow(`${file}:${prodFile.lineOf(["nba-pipeline:deployGroups"])}: nba-pipeline:deployGroups.grading: missing;`);
  });

  /** `line:column` (1-based) of the first `marker` in the line of `text` that contains `needle`. */
  const at = (text: string, needle: string, marker: string) => {
    const lines = text.split("\n");
    const index = lines.findIndex((l) => l.includes(needle));
    return `${index + 1}:${lines[index].indexOf(marker) + 1}`;
  };
  const pipelineLine = `pipeline: ${String((prodFile.raw["nba-pipeline:deployGroups"] as Record<string, string>).pipeline)}`;
  const channel = (prodFile.raw["nba-pipeline:alertNotificationChannels"] as string[])[0];

  it.each([
    // The parser notices an unclosed quote or bracket only where the file or the block ends; the message points where it opened.
    ["an unclosed quote", ["gcp:region: us-west2", "gcp:region: 'us-west2"], ["gcp:region", "'"], "Missing closing 'quote; the ' opened here is never closed"],
    ["an unclosed flow sequence", [pipelineLine, pipelineLine.replace(": ", ": [")], [pipelineLine.replace(": ", ": ["), "["], "Flow sequence in block collection must be sufficiently indented and end with a ]; the [ opened here is never closed"],
    ["an unclosed flow map on the last line", [`- ${channel}`, "- {name: x"], ["- {name: x", "{"], "the { opened here is never closed"],
    ["a duplicate key", ["gcp:region: us-west2", "gcp:region: us-west2\n  gcp:region: us-east1"], ["us-east1", "g"], "Map keys must be unique"],
    ["a tab as indentation", [`    ${pipelineLine}`, `\t${pipelineLine}`], [`\t${pipelineLine}`, "\t"], "Tabs are not allowed as indentation"],
  ])("given YAML with %s, when loaded, then the message names the file, line and column of the mistake", (_, [from, to], [needle, marker], message) => {
    const file = join(dir, "Pulumi.broken.yaml");
    const text = prodFile.text.replace(from, to);
    writeFileSync(file, text);
    expect(() => loadStackConfig(file)).toThrow(InputError);
    expect(() => loadStackConfig(file)).toThrow(`${file}:${at(text, needle, marker)}: not valid YAML: `);
    expect(() => loadStackConfig(file)).toThrow(message);
  });

  it.each([
    ["without a name", "runtime: nodejs\n", "Pulumi.yaml: expected the project's name as a top-level \"name:\" string"],
    ["that does not parse", "name: [nba-pipeline\nruntime: nodejs\n", "Pulumi.yaml:1:7: not valid YAML: "],
  ])("given a Pulumi.yaml %s, when its project name is read, then it is an InputError naming the file", (_, text, message) => {
    const file = join(dir, "Pulumi.yaml");
    writeFileSync(file, text);
    expect(() => projectName(file)).toThrow(InputError);
    expect(() => projectName(file)).toThrow(`${file.slice(0, -"Pulumi.yaml".length)}${message}`);
  });

  it("given the project's Pulumi.yaml, when its name is read, then it is nba-pipeline", () => {
    expect(projectName()).toBe("nba-pipeline");
  });

  it("given a file that does not exist, when loaded, then the message names it", () => {
    expect(() => loadStackConfig(join(dir, "Pulumi.nope.yaml"))).toThrow(/cannot read stack file .*Pulumi\.nope\.yaml: ENOENT/);
  });

  it("given a file without a config map, when loaded, then the message says what is expected", () => {
    const file = join(dir, "Pulumi.empty.yaml");
    writeFileSync(file, "# nothing\n");
    expect(() => loadStackConfig(file)).toThrow(`${file}: expected a top-level "config:" map of stack settings`);
  });
});
