// npm run calls: the calls an app repository's code and scripts make, held against a topology. Each test
// builds a small app repository of its own, shaped like the NBA app (a URL helper and a topic module in
// shared/config/, gcloud scripts under bin/), and scans it with the fixture topology.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../lib/cli";
import { callsJson, findCalls, formatCalls, undeclared } from "../tools/calls";
import { gitIn } from "./appRepo";
import { fixtureTopology } from "./fixtures/topology";

const conventions = { urlHelper: "shared/config/service_urls.py", topicModule: "shared/config/pubsub_topics.py", topicPrefix: "" };

const files: Record<string, string> = {
  "shared/config/service_urls.py": [
    "class Services:",
    "    INGEST = 'ingest'",
    "    TRANSFORM = 'transform'",
    "",
    "def get_service_url(service):",
    "    return f'https://{service}-123456789012.us-central1.run.app'  # get_service_url(Services.TRANSFORM) in a docstring is no call",
    "",
  ].join("\n"),
  "shared/config/pubsub_topics.py": ["class PubSubTopics:", "    @property", "    def INGEST_COMPLETE(self) -> str:", "        return _topic('ingest-complete')", ""].join("\n"),
  "ingest/main.py": ["from shared.config.pubsub_topics import TOPICS", "publisher.publish(topic=TOPICS.INGEST_COMPLETE, data=b'')", ""].join("\n"),
  "transform/main.py": [
    "from shared.config.service_urls import get_service_url, Services",
    "url = get_service_url(Services.INGEST) + '/rescan'",
    "# requests.post('https://report-123456789012.us-central1.run.app') is a comment, not a call",
    "publisher.publish(topic_path(project, 'transform-done'), b'')",
    "",
  ].join("\n"),
  "functions/orchestrator/main.py": [
    "TRANSFORM = 'https://transform-abcdefghij-uc.a.run.app'",
    "# Listens to topic 'ingest-complete' (its own trigger: not a publication)",
    "TOPIC = 'ingest-complete'  # topic it is started by",
    "",
  ].join("\n"),
  "functions/report/main.py": ["requests.post('https://us-central1-fixture-project.cloudfunctions.net/ingest-to-transform')", ""].join("\n"),
  "bin/jobs.sh": [
    "#!/bin/bash",
    "INGEST_URL=$(gcloud run services describe ingest \\",
    "  --region us-central1 --format 'value(status.url)')",
    "JOB=ingest-hourly",
    'gcloud scheduler jobs create http "$JOB" \\',
    '  --schedule="0 * * * *" --uri="${INGEST_URL}/scrape" --http-method=POST',
    "gcloud scheduler jobs create http rogue-job --uri=https://ingest-123456789012.us-central1.run.app/scrape",
    "gcloud scheduler jobs create pubsub nudge --topic=projects/p/topics/ingest-complete --message-body='{}'",
    "gcloud scheduler jobs create http old-job --uri=https://legacy-api-123456789012.us-central1.run.app/",
    "",
  ].join("\n"),
  "bin/subs.sh": [
    "SERVICE_URL=$(gcloud run services describe transform --format='value(status.url)')",
    'ENDPOINT="${SERVICE_URL}/process"',
    "gcloud pubsub subscriptions create transform-sub --topic ingest-complete --push-endpoint=$ENDPOINT",
    "gcloud functions deploy ingest-to-transform --gen2 --trigger-topic=ingest-complete",
    "",
  ].join("\n"),
  "docs/howto.sh": "gcloud scheduler jobs create http doc-job --uri=https://ingest-123456789012.us-central1.run.app/\n",
  "bin/archive/old.sh": "gcloud scheduler jobs create http archived-job --uri=https://ingest-123456789012.us-central1.run.app/\n",
};

let root: string;
let repo: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "calls-test-"));
  repo = join(root, "app");
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), text);
  }
  gitIn(repo, "init", "--quiet", "--initial-branch=main");
  gitIn(repo, "add", ".");
  gitIn(repo, "-c", "user.name=Fixture", "-c", "user.email=fixture@example.com", "commit", "--quiet", "-m", "app");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("findCalls on a small app repository", () => {
  it("given code and scripts, when scanned, then every call is found with its place, and held against the topology", async () => {
    const report = await findCalls(repo, fixtureTopology, conventions);
    expect(callsJson(report).calls).toEqual([
      { caller: "ingest-hourly", callee: "ingest", kind: "scheduler", evidence: "bin/jobs.sh:5", declared: true },
      { caller: "rogue-job", callee: "ingest", kind: "scheduler", evidence: "bin/jobs.sh:7", declared: false },
      { caller: "nudge", callee: "ingest-complete", kind: "publish", evidence: "bin/jobs.sh:8", declared: true },
      { caller: "old-job", callee: "legacy-api", kind: "scheduler", evidence: "bin/jobs.sh:9", declared: false, leftOut: "retired" },
      { caller: "transform-sub", callee: "transform", kind: "push", evidence: "bin/subs.sh:3", declared: true },
      { caller: "ingest-complete", callee: "ingest-to-transform", kind: "eventarc", evidence: "bin/subs.sh:4", declared: true },
      { caller: "ingest-to-transform", callee: "transform", kind: "http", evidence: "functions/orchestrator/main.py:1", declared: true },
      { caller: "report", callee: "ingest-to-transform", kind: "http", evidence: "functions/report/main.py:1", declared: false },
      { caller: "ingest", callee: "ingest-complete", kind: "publish", evidence: "ingest/main.py:2", declared: true },
      { caller: "transform", callee: "ingest", kind: "http", evidence: "transform/main.py:2", declared: true },
      { caller: "transform", callee: "transform-done", kind: "publish", evidence: "transform/main.py:4", declared: true },
    ]);
  });

  it("given undeclared calls, when formatted, then they come first as gaps with their places, then the declared and the left-out ones", async () => {
    const report = await findCalls(repo, fixtureTopology, conventions);
    expect(undeclared(report).map((c) => `${c.caller} -> ${c.callee}`)).toEqual(["rogue-job -> ingest", "report -> ingest-to-transform"]);
    const text = formatCalls(report);
    expect(text.split("\n")[0]).toBe(`${repo} at ${report.head.slice(0, 12)}: 11 calls found, 2 not declared in pipeline.ts`);
    expect(text).toContain("NOT DECLARED (no grant: a 401/403 once the stack owns the callee; declare each in pipeline.ts):\n  scheduler rogue-job -> ingest\n      bin/jobs.sh:7\n");
    expect(text).toContain("Left out on purpose (1):\n  scheduler old-job -> legacy-api\n      bin/jobs.sh:9\n      left out: retired\n");
  });
});

describe("npm run calls as a command", () => {
  const tsx = join(__dirname, "..", "node_modules", ".bin", "tsx");
  const run = (args: string[]) =>
    promisify(execFile)(tsx, ["tools/calls.ts", ...args], { cwd: join(__dirname, "..") }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  it("given the real pipeline and this small repository, when run with --json --fail, then stdout is one JSON document and an undeclared call exits 1", async () => {
    const { code, stdout, stderr } = await run(["--repo", repo, "--json", "--fail"]);
    expect(stderr).toBe("");
    const doc = JSON.parse(stdout) as { calls: { declared: boolean; leftOut?: string }[] };
    expect(doc.calls.some((c) => !c.declared && c.leftOut === undefined)).toBe(true);
    expect(code).toBe(1);
  });

  it("given a directory that is not a git repository, or no --repo, then it exits 2 with one line and no stack trace", async () => {
    expect(await run(["--repo", root])).toMatchObject({ code: 2, stdout: "", stderr: `error: app repository ${root}: not a git repository\n` });
    const missing = await run([]);
    expect(missing).toMatchObject({ code: 2, stdout: "" });
    expect(missing.stderr).toMatch(/^error: --repo APP_REPO is required/);
  });

  it("given a topology mistake, when scanning, then it is an InputError naming the entry", async () => {
    const broken = { ...fixtureTopology, subscriptions: [{ ...fixtureTopology.subscriptions[0], callee: "nowhere" }] };
    await expect(findCalls(repo, broken, conventions)).rejects.toThrow(InputError);
    await expect(findCalls(repo, broken, conventions)).rejects.toThrow('push subscription transform-sub: calls "nowhere", which is not a service or function in pipeline.ts');
  });
});
