// npm run verify against a local stand-in for Google's APIs (test/support/google-apis.ts), over the fixture
// topology's program captured as after `up`: every troubleshooter state, HTTP errors and retries, timeouts,
// traffic and revisions, functions, the JSON document, exit codes, credentials and rollback advice. The
// real prod stack is verified once here (its list against check's) and timed in `npm run bench`.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { captureProgram, captureStack } from "../lib/capture";
import { exitCodes, InputError } from "../lib/cli";
import { classify, credentialsFrom, defaultLimits, googleApis, parseApiRoot, retryAfter, retryDelayMs, type RequestLimits, type Timing } from "../lib/googleapis";
import type { EngineResource } from "../lib/resources";
import { pipelineProgram } from "../program";
import { checkJson, runCheck } from "../tools/check";
import {
  exitCodeFor,
  judgeCall,
  main,
  previousCommits,
  rollbackAdvice,
  sameCommit,
  stackLoader,
  verify,
  verifyJson,
  verifyTargets,
  type Targets,
  type VerifyDeps,
  type VerifyResult,
} from "../tools/verify";
import { fixtureConfig, fixtureTopology } from "./fixtures/topology";
import { googleError, healthyProject, readyService, revisionName, startGoogleApis, type GoogleApisServer, type Project, type Revision } from "./support/google-apis";

const projectNumber = fixtureConfig["nba-pipeline:projectNumber"];
const front = fixtureConfig["nba-pipeline:deployGroups"].front;
const back = fixtureConfig["nba-pipeline:deployGroups"].back;
const runRoot = "projects/fixture-project/locations/us-central1";
const ingestPath = `${runRoot}/services/ingest`;
const transformPath = `${runRoot}/services/transform`;
const reportPath = `${runRoot}/functions/report`;
const email = (account: string) => `${account}@fixture-project.iam.gserviceaccount.com`;
const resourceOf = (service: string) => `//run.googleapis.com/${runRoot}/services/${service}`;
const token = "ya29.test-token";

/** Waits recorded instead of waited: retries are asserted by what was asked, never by the clock. */
function recordingTiming(): Timing & { sleeps: number[] } {
  const sleeps: number[] = [];
  return { sleeps, sleep: async (ms) => void sleeps.push(ms), random: () => 0 };
}

let resources: EngineResource[];
let targets: Targets;
beforeAll(async () => {
  ({ resources } = await captureProgram(pipelineProgram(fixtureTopology), { stack: "fixture", config: fixtureConfig, preview: false, project: "fixture" }));
  targets = verifyTargets(resources, projectNumber);
});

/** A server holding a healthy project, changed by `change`; closed after each test. */
let server: GoogleApisServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
async function serve(change: (project: Project) => void = () => {}, latencyMs?: number): Promise<GoogleApisServer> {
  const project = healthyProject(targets);
  change(project);
  server = await startGoogleApis(project, { latencyMs });
  return server;
}

async function verifyAgainst(s: GoogleApisServer, options: { limits?: RequestLimits; timing?: Timing; timeoutMs?: number } = {}): Promise<VerifyResult> {
  return verify(targets, googleApis(credentialsFrom({ GOOGLE_OAUTH_ACCESS_TOKEN: token }), s.url), { timeoutMs: options.timeoutMs ?? 10_000, limits: options.limits, timing: options.timing ?? recordingTiming() });
}

const troubleshoots = (s: GoogleApisServer) => s.received.filter((r) => r.path === "/v3/iam:troubleshoot");
const callOf = (result: VerifyResult, caller: string) => result.calls.find((c) => c.caller === caller)!;
const workloadOf = (result: VerifyResult, name: string) => result.workloads.find((w) => w.name === name)!;
const transformPair = `${email("transform")} ${resourceOf("ingest")}`;

describe("what verify asks about", () => {
  it("given the fixture program captured as after up, when its targets are listed, then each call is its caller's account and its callee's Run service, each workload its resource name", () => {
    expect(targets.calls).toEqual([
      { caller: "ingest-daily", callee: "ingest", principal: `serviceAccount:${email("sched-ingest")}`, resource: resourceOf("ingest"), deployGroup: "front" },
      { caller: "ingest-hourly", callee: "ingest", principal: `serviceAccount:${email("sched-ingest")}`, resource: resourceOf("ingest"), deployGroup: "front" },
      { caller: "transform", callee: "ingest", principal: `serviceAccount:${email("transform")}`, resource: resourceOf("ingest"), deployGroup: "front" },
      { caller: "report-daily", callee: "report", principal: `serviceAccount:${email("sched-report")}`, resource: resourceOf("report"), deployGroup: "back" },
      { caller: "transform-sub", callee: "transform", principal: `serviceAccount:${email("transform-sub")}`, resource: resourceOf("transform"), deployGroup: "back" },
      { caller: "ingest-to-transform", callee: "ingest-to-transform", principal: `serviceAccount:${email("ingest-to-transform-trigger")}`, resource: resourceOf("ingest-to-transform"), deployGroup: "back" },
    ]);
    expect(targets.workloads).toEqual([
      { name: "ingest", kind: "service", deployGroup: "front", commit: front, path: ingestPath },
      { name: "transform", kind: "service", deployGroup: "back", commit: back, path: transformPath },
      { name: "report", kind: "function", deployGroup: "back", commit: back, path: reportPath },
      { name: "ingest-to-transform", kind: "function", deployGroup: "back", commit: back, path: `${runRoot}/functions/ingest-to-transform` },
    ]);
  });

  it("given the prod stack, when its targets are listed, then they are exactly the calls, services and functions check --update --json prints", async () => {
    const [check, prod] = await Promise.all([runCheck({ stack: "prod", preview: false }, () => captureStack), stackLoader(() => captureStack)("prod")]);
    const doc = checkJson(check);
    const prodTargets = verifyTargets(prod.resources, prod.projectNumber);
    expect(prodTargets.calls.map((c) => [c.caller, c.callee, c.principal])).toEqual(doc.calls.map((c) => [c.caller, c.callee, c.identity]));
    const byName = (list: { name: string; commit: string }[]) => list.map((w) => `${w.name} ${w.commit}`).sort();
    expect(byName([...prodTargets.workloads])).toEqual(byName([...doc.services, ...doc.functions]));
    expect(prodTargets.calls.every((c) => c.resource?.startsWith("//run.googleapis.com/projects/nba-props-platform/locations/us-west2/services/"))).toBe(true);
  });
});

describe("verify against a healthy project", () => {
  it("given everything deployed as pinned, when verified, then every call is proven, every workload ok, and the exit code 0", async () => {
    const s = await serve();
    const result = await verifyAgainst(s);
    expect(result.calls.map((c) => [c.caller, c.state, c.proven])).toEqual(targets.calls.map((c) => [c.caller, "CAN_ACCESS", true]));
    expect(result.workloads.map((w) => [w.name, w.live, w.ok])).toEqual([
      ["ingest", front, true],
      ["transform", back, true],
      ["report", back, true],
      ["ingest-to-transform", back, true],
    ]);
    expect(exitCodeFor(result)).toBe(exitCodes.ok);
  });

  it("given two calls made as one account to one callee, when verified, then the troubleshooter is asked once for them, with the email, the Run service and run.routes.invoke", async () => {
    const s = await serve();
    const result = await verifyAgainst(s);
    expect(result.questions).toBe(5);
    const bodies = troubleshoots(s).map((r) => r.body);
    expect(bodies).toHaveLength(5);
    expect(bodies).toContainEqual({ accessTuple: { principal: email("sched-ingest"), fullResourceName: resourceOf("ingest"), permission: "run.routes.invoke" } });
  });

  it("given the result, when printed as JSON, then it is exactly {calls, workloads} with the documented fields", async () => {
    const doc = verifyJson(await verifyAgainst(await serve()));
    expect(Object.keys(doc)).toEqual(["calls", "workloads"]);
    expect(doc.calls[0]).toEqual({
      caller: "ingest-daily",
      callee: "ingest",
      principal: `serviceAccount:${email("sched-ingest")}`,
      resource: resourceOf("ingest"),
      state: "CAN_ACCESS",
      proven: true,
    });
    expect(doc.workloads[2]).toEqual({ name: "report", kind: "function", commit: back, live: back, ok: true });
  });
});

describe("the troubleshooter's answers", () => {
  it.each([
    ["CANNOT_ACCESS", "the caller's account may not use run.routes.invoke on the callee: no roles/run.invoker grant applies, or a deny policy blocks it"],
    ["UNKNOWN_INFO", "the troubleshooter could not read every policy that applies (verify's identity needs roles/iam.securityReviewer and roles/iam.denyReviewer), so access is not proven"],
    ["UNKNOWN_CONDITIONAL", "access depends on an IAM condition the troubleshooter could not evaluate, so it is not proven"],
    ["OVERALL_ACCESS_STATE_UNSPECIFIED", "the troubleshooter answered OVERALL_ACCESS_STATE_UNSPECIFIED, which does not prove access"],
    [undefined, "the troubleshooter answered no overallAccessState, which does not prove access"],
  ])("given the answer %s for one call, when verified, then that call is not proven, with why, and the exit code is 1", async (state, reason) => {
    const s = await serve((p) => p.access.set(transformPair, state === undefined ? {} : { overallAccessState: state }));
    const result = await verifyAgainst(s);
    expect(callOf(result, "transform")).toEqual({
      caller: "transform",
      callee: "ingest",
      principal: `serviceAccount:${email("transform")}`,
      resource: resourceOf("ingest"),
      state: state ?? null,
      proven: false,
      reason,
      deployGroup: "front",
    });
    expect(result.calls.filter((c) => !c.proven).map((c) => c.caller)).toEqual(["transform"]);
    expect(exitCodeFor(result)).toBe(exitCodes.findings);
  });

  it("given any answer but exactly CAN_ACCESS, or no answer at all, when judged, then the call is never proven", () => {
    const target = targets.calls[2];
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.constantFrom("can_access", "CAN_ACCESS ", " CAN_ACCESS", "UNKNOWN_INFO", "UNKNOWN_CONDITIONAL", "CANNOT_ACCESS")), (state) => {
        fc.pre(state !== "CAN_ACCESS");
        expect(judgeCall(target, { ok: true, data: { overallAccessState: state } }).proven).toBe(false);
      }),
    );
    fc.assert(
      fc.property(fc.string(), fc.option(fc.integer({ min: 100, max: 599 }), { nil: undefined }), (reason, status) => {
        expect(judgeCall(target, { ok: false, reason, ...(status === undefined ? {} : { status }) }).proven).toBe(false);
      }),
    );
    expect(judgeCall(target, { ok: true, data: { overallAccessState: "CAN_ACCESS" } }).proven).toBe(true);
  });

  it("given a call whose caller the program names by no email, when verified, then it is not asked and not proven", () => {
    const { principal: _, ...unnamed } = targets.calls[2];
    expect(judgeCall(unnamed, undefined)).toEqual({
      caller: "transform",
      callee: "ingest",
      principal: null,
      resource: resourceOf("ingest"),
      state: null,
      proven: false,
      reason: "not asked: the program does not say the caller's account as an email or full resource name",
      deployGroup: "front",
    });
  });
});

describe("HTTP errors, retries and timeouts", () => {
  const troubleshootingTransform = (r: { path: string; body: unknown }) =>
    r.path === "/v3/iam:troubleshoot" && (r.body as { accessTuple?: { principal?: string } })?.accessTuple?.principal === email("transform");

  it("given a 403 from the troubleshooter, when verified, then the call is not proven with Google's message and the role to grant, and it is not retried", async () => {
    const s = await serve();
    s.faults.push({ match: troubleshootingTransform, fault: { status: 403 } });
    const timing = recordingTiming();
    const result = await verifyAgainst(s, { timing });
    expect(callOf(result, "transform")).toMatchObject({
      state: null,
      proven: false,
      reason: "the Policy Troubleshooter answered HTTP 403 PERMISSION_DENIED: The caller does not have permission (verify's identity needs roles/iam.securityReviewer to troubleshoot access)",
    });
    expect(troubleshoots(s).filter(troubleshootingTransform)).toHaveLength(1);
    expect(timing.sleeps).toEqual([]);
    expect(exitCodeFor(result)).toBe(exitCodes.findings);
  });

  it("given a 401, when verified, then it is not retried and the reason is Google's", async () => {
    const s = await serve();
    s.faults.push({ match: (r) => r.path === `/v2/${reportPath}`, fault: { status: 401 } });
    const result = await verifyAgainst(s);
    expect(workloadOf(result, "report")).toEqual({
      name: "report",
      kind: "function",
      deployGroup: "back",
      commit: back,
      live: null,
      ok: false,
      reason: `Cloud Functions answered HTTP 401 UNAUTHENTICATED: ${googleError(401).error.message}`,
    });
    expect(s.received.filter((r) => r.path === `/v2/${reportPath}`)).toHaveLength(1);
  });

  it("given a 429 with Retry-After: 3, when verified, then the request is retried after exactly the 3 s asked and the call proven", async () => {
    const s = await serve();
    s.faults.push({ match: troubleshootingTransform, fault: { status: 429, retryAfter: "3" }, times: 1 });
    const timing = recordingTiming();
    const result = await verifyAgainst(s, { timing });
    expect(callOf(result, "transform")).toMatchObject({ state: "CAN_ACCESS", proven: true });
    expect(timing.sleeps).toEqual([3000]);
    expect(troubleshoots(s).filter(troubleshootingTransform)).toHaveLength(2);
  });

  it("given two 503s then an answer, when verified, then it is retried with exponential backoff and succeeds", async () => {
    const s = await serve();
    s.faults.push({ match: (r) => r.path === `/v2/${ingestPath}`, fault: { status: 503 }, times: 2 });
    const timing = recordingTiming();
    const result = await verifyAgainst(s, { timing });
    expect(workloadOf(result, "ingest")).toMatchObject({ ok: true, live: front });
    expect(timing.sleeps).toEqual([500, 1000]);
    expect(s.received.filter((r) => r.path === `/v2/${ingestPath}`)).toHaveLength(3);
  });

  it("given a 503 every time, when verified, then it gives up after 4 tries and the workload is not ok, saying so", async () => {
    const s = await serve();
    s.faults.push({ match: (r) => r.path === `/v2/${ingestPath}`, fault: { status: 503 } });
    const timing = recordingTiming();
    const result = await verifyAgainst(s, { timing });
    expect(workloadOf(result, "ingest")).toMatchObject({
      ok: false,
      live: null,
      reason: "Cloud Run answered HTTP 503 UNAVAILABLE: The service is currently unavailable. (gave up after 4 tries)",
    });
    expect(timing.sleeps).toEqual([500, 1000, 2000]);
    expect(s.received.filter((r) => r.path === `/v2/${ingestPath}`)).toHaveLength(4);
    expect(exitCodeFor(result)).toBe(exitCodes.findings);
  });

  it("given a request that never answers, when the overall timeout passes, then that call is not proven: timed out, and the rest are answered", async () => {
    const s = await serve();
    s.faults.push({ match: troubleshootingTransform, fault: { hang: true } });
    const result = await verifyAgainst(s, { timeoutMs: 1000 });
    expect(callOf(result, "transform")).toMatchObject({ state: null, proven: false, reason: "timed out (--timeout 1 s)" });
    expect(result.calls.filter((c) => !c.proven).map((c) => c.caller)).toEqual(["transform"]);
    expect(result.workloads.every((w) => w.ok)).toBe(true);
    expect(exitCodeFor(result)).toBe(exitCodes.findings);
  });

  it("given one try that hangs, when it passes the per-request timeout, then it is retried and the answer of the next try counts", async () => {
    const s = await serve();
    s.faults.push({ match: troubleshootingTransform, fault: { hang: true }, times: 1 });
    const timing = recordingTiming();
    const result = await verifyAgainst(s, { timing, limits: { ...defaultLimits, requestTimeoutMs: 200 } });
    expect(callOf(result, "transform")).toMatchObject({ state: "CAN_ACCESS", proven: true });
    expect(timing.sleeps).toEqual([500]);
  });

  it("given more requests than the concurrency, when verified with 200 ms latency, then exactly that many are in flight at once", async () => {
    const s = await serve(() => {}, 200);
    await verifyAgainst(s, { limits: { ...defaultLimits, concurrency: 3 } });
    expect(s.received).toHaveLength(11);
    expect(s.maxInFlight).toBe(3);
  });
});

describe("services: Ready, and all traffic on the pinned commit", () => {
  const oldRevision = `${ingestPath}/revisions/ingest-00000-old`;
  const withOld = (p: Project, commit: string, labelKey = "commit-sha") => p.revisions.set(oldRevision, { name: oldRevision, labels: { [labelKey]: commit } } satisfies Revision);
  const traffic = (p: Project, statuses: NonNullable<ReturnType<typeof readyService>["trafficStatuses"]>) => {
    p.services.set(ingestPath, { ...p.services.get(ingestPath), trafficStatuses: statuses });
  };

  it("given the service's only revision labelled with another commit, when verified, then it is not ok and says which revision runs what", async () => {
    const s = await serve((p) => p.revisions.set(revisionName(ingestPath), { name: revisionName(ingestPath), labels: { "commit-sha": "0badc0de" } }));
    const result = await verifyAgainst(s);
    expect(workloadOf(result, "ingest")).toEqual({
      name: "ingest",
      kind: "service",
      deployGroup: "front",
      commit: front,
      live: "0badc0de",
      ok: false,
      reason: `100% of traffic goes to revision ingest-00001-abc at commit 0badc0de, not ${front}`,
    });
  });

  it("given traffic split 90/10 with the 10% on an older commit, when verified, then it is not ok and live shows both", async () => {
    const s = await serve((p) => {
      withOld(p, "0badc0de");
      traffic(p, [
        { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 90 },
        { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision: "ingest-00000-old", percent: 10 },
      ]);
    });
    const result = await verifyAgainst(s);
    expect(workloadOf(result, "ingest")).toMatchObject({ live: `${front} 90%, 0badc0de 10%`, ok: false, reason: `10% of traffic goes to revision ingest-00000-old at commit 0badc0de, not ${front}` });
  });

  it("given traffic split between two revisions of the pinned commit (one with the older `commit` label, abbreviated), when verified, then it is ok", async () => {
    const s = await serve((p) => {
      withOld(p, front.slice(0, 7), "commit");
      traffic(p, [
        { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision: revisionName(ingestPath), percent: 50 },
        { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision: "ingest-00000-old", percent: 50 },
        { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision: "ingest-00000-old", tag: "canary" },
      ]);
    });
    const result = await verifyAgainst(s);
    expect(workloadOf(result, "ingest")).toMatchObject({ live: `${front} 50%, ${front.slice(0, 7)} 50%`, ok: true });
  });

  it.each([
    ["traffic adding up to 90%", (p: Project) => traffic(p, [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 90 }]), "its traffic adds up to 90%, not 100%"],
    ["no traffic", (p: Project) => traffic(p, []), "it serves no traffic"],
    [
      "a failed rollout",
      (p: Project) => p.services.set(ingestPath, { ...p.services.get(ingestPath), terminalCondition: { type: "Ready", state: "CONDITION_FAILED", message: "Revision 'ingest-00002-new' is not ready and cannot serve traffic." } }),
      "not Ready: its terminal condition is CONDITION_FAILED (Revision 'ingest-00002-new' is not ready and cannot serve traffic.)",
    ],
    [
      "a rollout in progress",
      (p: Project) => p.services.set(ingestPath, { ...p.services.get(ingestPath), reconciling: true, terminalCondition: { type: "Ready", state: "CONDITION_RECONCILING" } }),
      "a rollout is in progress (reconciling); not Ready: its terminal condition is CONDITION_RECONCILING",
    ],
    ["a revision without a commit label", (p: Project) => p.revisions.set(revisionName(ingestPath), { name: revisionName(ingestPath), labels: {} }), "revision ingest-00001-abc (100% of traffic) has no commit label (commit-sha or commit)"],
    ["no such service", (p: Project) => p.services.delete(ingestPath), `Cloud Run answered HTTP 404 NOT_FOUND: Resource '${ingestPath}' was not found`],
  ])("given %s, when verified, then the service is not ok, saying why", async (_, change, reason) => {
    const result = await verifyAgainst(await serve(change));
    expect(workloadOf(result, "ingest")).toMatchObject({ ok: false, reason });
    expect(exitCodeFor(result)).toBe(exitCodes.findings);
  });
});

describe("functions: ACTIVE and labelled with the pinned commit", () => {
  it.each([
    ["DEPLOYING", [], "its state is DEPLOYING, not ACTIVE"],
    ["FAILED", [{ severity: "ERROR", type: "BuildFailed", message: "Build failed: requirements.txt not found" }], "its state is FAILED, not ACTIVE (Build failed: requirements.txt not found)"],
  ])("given a function in state %s, when verified, then it is not ok, saying why", async (state, stateMessages, reason) => {
    const result = await verifyAgainst(await serve((p) => p.functions.set(reportPath, { ...p.functions.get(reportPath), state, stateMessages })));
    expect(workloadOf(result, "report")).toEqual({ name: "report", kind: "function", deployGroup: "back", commit: back, live: back, ok: false, reason });
  });

  it("given a function labelled with another commit, when verified, then it is not ok", async () => {
    const result = await verifyAgainst(await serve((p) => p.functions.set(reportPath, { ...p.functions.get(reportPath), labels: { "commit-sha": "0badc0de" } })));
    expect(workloadOf(result, "report")).toMatchObject({ live: "0badc0de", ok: false, reason: `it is labelled commit 0badc0de, not ${back}` });
  });
});

describe("sameCommit", () => {
  it.each([
    ["1234567abc", "1234567abc", true],
    ["1234567abc", "1234567", true],
    ["1234567", "1234567abcdef0123456789abcdef0123456789", true],
    ["1234567abc", "123456", false],
    ["1234567abc", "1234567abd", false],
    ["ABCDEF1", "abcdef1", true],
  ])("given pinned %s and label %s, when compared, then the same commit is %s", (pinned, label, same) => {
    expect(sameCommit(pinned, label)).toBe(same);
  });
});

describe("the lib/googleapis building blocks", () => {
  it.each([
    ["3", 3000],
    ["0", 0],
    ["Wed, 21 Oct 2015 07:28:05 GMT", 5000],
    ["soon", undefined],
  ])("given Retry-After %j, when read, then it is %s ms", (value, ms) => {
    expect(retryAfter(value, Date.parse("Wed, 21 Oct 2015 07:28:00 GMT"))).toBe(ms);
  });

  it("given retries without Retry-After, when delayed, then each waits twice the last, capped, and jitter takes off at most half", () => {
    const failure = { reason: "", retry: true };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => retryDelayMs(n, failure, defaultLimits, () => 0))).toEqual([500, 1000, 2000, 4000, 8000, 10000, 10000]);
    expect(retryDelayMs(2, failure, defaultLimits, () => 0.999999)).toBe(500);
  });

  it("given a connection that is refused, when classified, then it is worth another try", () => {
    expect(classify("Cloud Run", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }), 30_000)).toEqual({
      reason: "Cloud Run could not be reached: ECONNREFUSED connect ECONNREFUSED 127.0.0.1:1",
      retry: true,
    });
  });

  it.each([
    ["https://run-private.p.googleapis.com", "https://run-private.p.googleapis.com/"],
    ["http://127.0.0.1:8080/", "http://127.0.0.1:8080/"],
  ])("given --api-root %s, when parsed, then the clients get %s", (value, root) => {
    expect(parseApiRoot(value)).toBe(root);
  });
});

describe("rollback advice", () => {
  const stateWith = (commits: Record<string, Record<string, string>>) =>
    Object.entries(commits).map(([name, labels]): EngineResource => {
      const type = name === "ingest" || name === "transform" ? "gcp:cloudrunv2/service:Service" : "gcp:cloudfunctionsv2/function:Function";
      return { urn: `urn:pulumi:fixture::fixture::${type}::${name}`, type, name, custom: true, inputs: {}, outputs: { name, labels }, dependencies: [], propertyDependencies: {} };
    });
  const failing = async (change: (p: Project) => void) => verifyAgainst(await serve(change));

  it("given a failing workload and a state export from before up, when advised, then the group's previous commit is named in a release command", async () => {
    const result = await failing((p) => p.functions.set(reportPath, { ...p.functions.get(reportPath), state: "FAILED" }));
    const previous = previousCommits(stateWith({ ingest: { "commit-sha": "aaaaaaa" }, transform: { "commit-sha": "bbbbbbb" }, report: { commit: "bbbbbbb" }, "ingest-to-transform": { "commit-sha": "ccccccc", "commit-override": "true" } }), targets.workloads);
    expect([...previous]).toEqual([
      ["front", ["aaaaaaa"]],
      ["back", ["bbbbbbb"]],
    ]);
    expect(rollbackAdvice(result, "prod", previous)).toEqual(["back (1 workload): npm run release -- --group back --commit bbbbbbb"]);
    expect(rollbackAdvice(result, "staging", undefined)).toEqual([
      "back (1 workload): npm run release -- --group back --commit PREVIOUS --stack staging (--previous-state, a stack export from before up, names PREVIOUS)",
    ]);
  });

  it("given a call not proven into a group that did not change, and one into a group new in this deploy, when advised, then neither gets a release command", async () => {
    const result = await failing((p) => {
      p.access.delete(transformPair);
      p.access.delete(`${email("transform-sub")} ${resourceOf("transform")}`);
    });
    expect(rollbackAdvice(result, "prod", previousCommits(stateWith({ ingest: { "commit-sha": front } }), targets.workloads))).toEqual([
      `front (1 call to it not proven): it ran ${front} before this deploy too, so rolling back would change nothing: see the reasons above`,
      "back (1 call to it not proven): not deployed before this deploy, so there is no commit to roll back to",
    ]);
  });
});

describe("npm run verify as a command", () => {
  const load: VerifyDeps["load"] = async () => ({ resources, projectNumber });
  const dir = mkdtempSync(join(tmpdir(), "verify-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** main's exit code and what it printed on stdout. */
  async function run(argv: string[], env: NodeJS.ProcessEnv = { GOOGLE_OAUTH_ACCESS_TOKEN: token }): Promise<{ code: number; stdout: string }> {
    const chunks: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => chunks.push(String(chunk)) > 0);
    try {
      const code = await main(argv, { env, load, timing: recordingTiming() });
      return { code, stdout: chunks.join("") };
    } finally {
      spy.mockRestore();
    }
  }

  it("given a healthy project and --json, when run, then stdout is exactly one JSON document, every request carries GOOGLE_OAUTH_ACCESS_TOKEN as its bearer token, and the exit code is 0", async () => {
    const s = await serve();
    const { code, stdout } = await run(["--json", "--api-root", s.url]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(verifyJson(await verifyAgainst(s)));
    expect(new Set(s.received.map((r) => r.authorization))).toEqual(new Set([`Bearer ${token}`]));
  });

  it("given a failure, when run, then the tables say what failed, the rollback is advised from --previous-state, and the exit code is 1", async () => {
    const s = await serve((p) => p.access.set(`${email("sched-report")} ${resourceOf("report")}`, { overallAccessState: "UNKNOWN_INFO" }));
    const state = join(dir, "before.json");
    writeFileSync(state, JSON.stringify({ version: 3, deployment: { resources: [{ urn: "urn:pulumi:prod::nba-pipeline::gcp:cloudfunctionsv2/function:Function::report", type: "gcp:cloudfunctionsv2/function:Function", custom: true, outputs: { name: "report", labels: { "commit-sha": "7654321" } } }] } }));
    const { code, stdout } = await run(["--api-root", s.url, "--previous-state", state]);
    expect(code).toBe(1);
    const lines = stdout.split("\n");
    expect(lines[0]).toBe("Verify of stack prod, as GCP answers now");
    expect(lines).toContain(
      `| NOT PROVEN | report-daily        | report              | ${email("sched-report")}                | UNKNOWN_INFO | the troubleshooter could not read every policy that applies (verify's identity needs roles/iam.securityReviewer and roles/iam.denyReviewer), so access is not proven |`,
    );
    expect(lines).toContain(`| ok       | report              | function | back  | ${back} | ${back} | ${" ".repeat("Reason".length)} |`);
    expect(stdout).toContain("\nRoll back each deploy group with a failure to the commit it ran before this deploy:\n\n- back (1 call to it not proven): npm run release -- --group back --commit 7654321\n\n");
    expect(lines.at(-2)).toBe("FAIL: 1 of 6 calls not proven, 0 of 4 services and functions not at their commits");
  });

  it("given Application Default Credentials from workload identity federation (as CI's auth step writes them), when run, then requests carry the token the exchange hands out", async () => {
    const s = await serve();
    const subject = join(dir, "oidc-token");
    writeFileSync(subject, "eyJhbGciOiJSUzI1NiJ9.e30.c2ln");
    const credentials = join(dir, "external-account.json");
    writeFileSync(
      credentials,
      JSON.stringify({
        type: "external_account",
        audience: "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/github/providers/github",
        subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
        token_url: `${s.url}v1/token`,
        service_account_impersonation_url: `${s.url}v1/projects/-/serviceAccounts/${email("preview")}:generateAccessToken`,
        credential_source: { file: subject },
      }),
    );
    const { code } = await run(["--json", "--api-root", s.url], { GOOGLE_APPLICATION_CREDENTIALS: credentials });
    expect(code).toBe(0);
    const apiCalls = s.received.filter((r) => r.path.startsWith("/v2/") || r.path.startsWith("/v3/"));
    expect(apiCalls).toHaveLength(11);
    expect(new Set(apiCalls.map((r) => r.authorization))).toEqual(new Set([`Bearer ${s.federatedToken}`]));
  });

  it.each([
    [["--bogus"], "Unknown option '--bogus'"],
    [["--timeout", "0"], '--timeout: expected a positive number of seconds, got "0"'],
    [["--timeout", "soon"], '--timeout: expected a positive number of seconds, got "soon"'],
    [["--api-root", "ftp://example.com"], '--api-root: expected an http or https URL, got "ftp://example.com"'],
    [["--api-root", "https://example.com/v2"], '--api-root: "https://example.com/v2" has a path; every API\'s path is kept as it is, so give only scheme, host and port'],
    [["--api-root", "not a url"], '--api-root: not a URL: "not a url"; expected e.g. https://run-private.p.googleapis.com'],
    [["--stack", "../prod"], '--stack: not a stack name: "../prod"'],
    [["--previous-state", "nowhere.json"], "cannot read state file nowhere.json: ENOENT"],
  ])("given %j, when run, then it is refused as bad input (exit 2) before any request", async (argv, message) => {
    const error = await main(argv, { env: { GOOGLE_OAUTH_ACCESS_TOKEN: token }, load }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message.split("\n")[0]).toBe(message);
  });

  it("given bad usage on the command line, when run as a process, then it exits 2 with one line on stderr and nothing on stdout", async () => {
    const repo = resolve(__dirname, "..");
    const outcome = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(join(repo, "node_modules", ".bin", "tsx"), [join(repo, "tools", "verify.ts"), "--timeout", "0"], { cwd: repo }, (error, stdout, stderr) =>
        done({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });
    expect(outcome).toEqual({ code: 2, stdout: "", stderr: 'error: --timeout: expected a positive number of seconds, got "0"\n' });
  });
});
