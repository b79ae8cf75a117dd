// `npm run audit` over a `pulumi stack export` of 50,000 resources shaped like prod's: policies.ts's
// generated stack with what GCP and the engine add to each resource in state, indented as the CLI writes
// it (about 120 MB; prod's own export at that size was about 100 MB). Wall time and peak memory of the
// command as `npm run audit` runs it, measured from outside in a child process. Goal: under 20 s and
// under 1 GB.
//
// Peak memory is read from /proc for the audit and for the policy pack it starts (two processes, as
// with the engine): each one's high-water mark (VmHWM) and the highest sum of the two seen while
// sampling. `node --require tsx/cjs bench/audit.ts 300000` runs one other size (300,000: about 600 MB).
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { EngineResource } from "../lib/resources";
import { exportedResource, headerResources, manifest } from "../test/fixtures/state";
import { generatedStack } from "./policies";
import { seconds } from "./measure";

const repo = join(__dirname, "..");
const goal = { seconds: 20, bytes: 1024 ** 3 };

export async function benchAudit(resourceCount = 50_000): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bench-audit-"));
  try {
    const file = join(dir, "prod.json");
    const started = performance.now();
    writeExport(file, generatedStack("update", resourceCount));
    const size = statSync(file).size;
    print(`audit: export of ${resourceCount.toLocaleString("en-US")} resources, ${mb(size)}, generated in ${seconds(performance.now() - started)}`);

    const loadBefore = loadavg()[0].toFixed(1);
    // As package.json's "audit" script runs it (npm's own start-up aside).
    const run = await measured(process.execPath, ["--require", "tsx/cjs", join(repo, "tools", "audit.ts"), "--state", file, "--json"]);
    if (run.code !== 0) throw new Error(`audit exited ${run.code}: ${run.stderr.slice(-2000)}`);
    const report = JSON.parse(run.stdout) as { resourceCount: number; mandatoryCount: number };
    const [audit, pack] = run.peaks;
    const [auditCpu, packCpu] = run.cpuSeconds;
    print(
      `audit: ${report.resourceCount.toLocaleString("en-US")} resources, ${report.mandatoryCount} mandatory violations: ${seconds(run.wallMs)} wall ` +
        `(goal < ${goal.seconds} s: ${run.wallMs < goal.seconds * 1000 ? "met" : "MISSED"})`,
    );
    print(
      `audit: peak RSS audit ${mb(audit ?? 0)}, policy pack ${mb(pack ?? 0)}, both together ${mb(run.peakSum)} ` +
        `(goal < ${mb(goal.bytes)} each: ${Math.max(audit ?? 0, pack ?? 0) < goal.bytes ? "met" : "MISSED"})`,
    );
    // On a shared machine wall time varies with the load; CPU time much less.
    print(`audit: CPU time audit ${(auditCpu ?? 0).toFixed(1)} s, policy pack ${(packCpu ?? 0).toFixed(1)} s (load average before: ${loadBefore})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------
// The export, written a resource at a time (no one string of the whole file: at 300,000 resources it
// would pass V8's string limit).

function writeExport(file: string, resources: readonly EngineResource[]): void {
  const fd = openSync(file, "w");
  try {
    // Indented by four spaces, as `pulumi stack export` writes it (the resources three levels deep).
    const indented = (value: unknown, depth: number) => JSON.stringify(value, null, 4).replace(/\n/g, `\n${" ".repeat(4 * depth)}`);
    const separator = `,\n${" ".repeat(12)}`;
    writeSync(fd, `{\n    "version": 3,\n    "deployment": {\n        "manifest": ${indented(manifest, 2)},\n        "resources": [\n${" ".repeat(12)}`);
    writeSync(fd, headerResources.map((r) => indented(r, 3)).join(separator));
    for (let i = 0; i < resources.length; i += 1000) {
      writeSync(fd, separator + resources.slice(i, i + 1000).map((r) => indented(asDeployed(r), 3)).join(separator));
    }
    writeSync(fd, "\n        ]\n    }\n}\n");
  } finally {
    closeSync(fd);
  }
}

const time = "2026-01-20T17:04:11.482913Z";

/**
 * A resource as a real export holds it: besides what the program set, what GCP computed (conditions,
 * revisions, etags, timestamps, the provider's label copies) and the engine's created/modified times.
 */
function asDeployed(r: EngineResource) {
  const entry = exportedResource(r);
  return { ...entry, outputs: { ...r.outputs, ...computedOutputs(r) }, created: time, modified: time };
}

function computedOutputs(r: EngineResource): Record<string, unknown> {
  const labels = typeof r.inputs.labels === "object" && r.inputs.labels !== null ? r.inputs.labels : undefined;
  const labelCopies = labels ? { effectiveLabels: labels, terraformLabels: labels, pulumiLabels: labels } : {};
  const stamps = { createTime: time, updateTime: time, etag: `"${r.name.length.toString(16).padStart(4, "0")}BwYk3q2ZmXo="` };
  const condition = (type: string) => ({ type, state: "CONDITION_SUCCEEDED", lastTransitionTime: time, message: "", reason: "", revisionReason: "", executionReason: "", severity: "" });
  switch (r.type) {
    case "gcp:cloudrunv2/service:Service":
      return {
        ...labelCopies,
        ...stamps,
        uid: "2f0d5a4e-9c1b-4e7a-8d3f-6b5c4a3e2d1f",
        generation: "14",
        observedGeneration: "14",
        reconciling: false,
        creator: "deployer@nba-props-platform.iam.gserviceaccount.com",
        lastModifier: "deployer@nba-props-platform.iam.gserviceaccount.com",
        ingress: "INGRESS_TRAFFIC_ALL",
        launchStage: "GA",
        latestReadyRevision: `projects/nba-props-platform/locations/us-west2/services/${r.name}/revisions/${r.name}-00014-kq2`,
        latestCreatedRevision: `projects/nba-props-platform/locations/us-west2/services/${r.name}/revisions/${r.name}-00014-kq2`,
        terminalConditions: [condition("Ready")],
        trafficStatuses: [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 100, revision: "", tag: "", uri: "" }],
      };
    case "gcp:cloudfunctionsv2/function:Function":
      return {
        ...labelCopies,
        ...stamps,
        state: "ACTIVE",
        environment: "GEN_2",
        kmsKeyName: "",
        buildConfig: {
          ...(r.outputs.buildConfig as object),
          build: `projects/756957797294/locations/us-west2/builds/6c8d3a2e-51f4-4b0e-9a7c-${r.name.length.toString().padStart(12, "0")}`,
          dockerRepository: "projects/nba-props-platform/locations/us-west2/repositories/gcf-artifacts",
          serviceAccount: "projects/nba-props-platform/serviceAccounts/function-builder@nba-props-platform.iam.gserviceaccount.com",
        },
      };
    case "gcp:serviceaccount/account:Account":
      return { displayName: `${r.name} runtime`, description: "", disabled: false, name: `projects/nba-props-platform/serviceAccounts/${String(r.outputs.email)}`, uniqueId: "104729358120985761234", createIgnoreAlreadyExists: false };
    case "gcp:storage/bucket:Bucket":
      return {
        ...labelCopies,
        ...stamps,
        selfLink: `https://www.googleapis.com/storage/v1/b/${r.name}`,
        url: `gs://${r.name}`,
        storageClass: "STANDARD",
        publicAccessPrevention: "enforced",
        uniformBucketLevelAccess: true,
        project: "nba-props-platform",
        projectNumber: "756957797294",
        versioning: { enabled: true },
      };
    default:
      // IAM members, topics, secrets: an etag, times, an id, and the empty IAM condition read back.
      return { ...labelCopies, ...stamps, id: `projects/nba-props-platform/${r.name}`, condition: null, project: "nba-props-platform" };
  }
}

// ---------------------------------------------------------------------------------------------------
// Measuring a command and the processes it starts.

interface Measured {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly wallMs: number;
  /** Each process's peak RSS in bytes (VmHWM), in the order they started: the command, then what it started. */
  readonly peaks: readonly number[];
  /** The highest sum of the processes' RSS seen while sampling. */
  readonly peakSum: number;
  /** Each process's user and system CPU time, as last sampled, in the order of `peaks`. */
  readonly cpuSeconds: readonly number[];
}

function measured(command: string, args: readonly string[]): Promise<Measured> {
  const started = performance.now();
  const child = spawn(command, args, { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
  const peaks = new Map<number, number>();
  const cpu = new Map<number, number>();
  let peakSum = 0;
  const sample = () => {
    let sum = 0;
    for (const pid of tree(child.pid)) {
      const status = procStatus(pid);
      if (!status) continue;
      peaks.set(pid, Math.max(peaks.get(pid) ?? 0, status.hwm));
      cpu.set(pid, status.cpuSeconds);
      sum += status.rss;
    }
    peakSum = Math.max(peakSum, sum);
  };
  const timer = setInterval(sample, 20);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      clearInterval(timer);
      resolve({ code, stdout, stderr, wallMs: performance.now() - started, peaks: [...peaks.values()], peakSum, cpuSeconds: [...cpu.values()] });
    });
  });
}

/** `pid` and its descendants, from /proc (Linux); none where /proc cannot say. */
function tree(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // gone, or no /proc
  }
  return [pid, ...children.flatMap(tree)];
}

function procStatus(pid: number): { rss: number; hwm: number; cpuSeconds: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0) * 1024;
    // /proc/PID/stat after the command name: state is field 3, utime and stime fields 14 and 15, in ticks of 1/100 s.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { rss: kb("VmRSS"), hwm: kb("VmHWM"), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100 };
  } catch {
    return undefined;
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(0)} MB`;
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

if (require.main === module) {
  benchAudit(process.argv[2] === undefined ? undefined : Number(process.argv[2])).catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
