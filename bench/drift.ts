// Drift over a generated app repository of 10,000 commits with the prod services' source paths, against
// the goal of under 1 s. The repository is generated in one `git fast-import`, timed separately.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { stringify } from "yaml";
import { readStackFile } from "../lib/stackfile";
import { pipeline } from "../pipeline";
import { buildAppRepo, type FixtureCommit } from "../test/appRepo";
import { workloadsOf } from "../topology";
import { drift, type DriftOptions } from "../tools/drift";
import { median, seconds } from "./measure";

const workloads = workloadsOf(pipeline);
const commitCount = 10_000;
const runs = 5;
const goalSeconds = 1;
const project = join(__dirname, "..");

export async function benchDrift(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bench-drift-"));
  try {
    const started = performance.now();
    const shas = buildAppRepo(join(dir, "app"), generatedHistory());
    print(`drift bench: app repository of ${commitCount.toLocaleString("en-US")} commits generated in ${seconds(performance.now() - started)} (git fast-import)`);

    const repo = join(dir, "app");
    const behind = (n: number) => shas[`c${commitCount - n}`];
    // The seed log's evening: scrapers 1,300 behind, coordinator and worker 11, precompute 9, analytics 4.
    const seedDeployed: Record<string, string> = {
      "nba-scrapers": behind(1300),
      "prediction-coordinator": behind(11),
      "prediction-worker": behind(11),
      "phase4-to-phase5-orchestrator": behind(11),
      "nba-phase4-precompute-processors": behind(9),
      "phase3-to-phase4-orchestrator": behind(9),
      "nba-phase3-analytics-processors": behind(4),
    };
    const stackFile = writeStackFile(dir, groups(behind(4), { scrapers: behind(1300), pipeline: behind(0) }));
    const stateFile = writeStateFile(dir, (name) => seedDeployed[name] ?? behind(4));
    await report(`counted from deployed commits as in the seed log (1,300 / 11 / 9 / 4 behind)`, { repo, stackFile, stateFile, threshold: 3 });

    const farStackFile = writeStackFile(dir, groups(behind(7000), { scrapers: behind(9000), pipeline: behind(8000) }), "far");
    await report(`counted from pinned commits 7,000-9,000 behind (the longest ranges)`, { repo, stackFile: farStackFile, threshold: 3 });

    // What `npm run drift` pays before any of the above: node, tsx and the modules as `npm run drift` starts them, measured on --help.
    const startup = median(
      Array.from({ length: runs }, () => {
        const t = performance.now();
        execFileSync(process.execPath, ["--require", "tsx/cjs", "tools/drift.ts", "--help"], { cwd: project, stdio: "ignore" });
        return performance.now() - t;
      }),
    );
    print(`drift command start-up (node + tsx + modules, --help): median ${seconds(startup)} of ${runs}; the command costs this plus the above`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Each commit changes one file; about half are docs, the rest spread over every workload's source paths. */
function generatedHistory(): FixtureCommit[] {
  const sourceDirs = [...new Set(workloads.flatMap((w) => w.sourcePaths))];
  const targets = [...sourceDirs, ...sourceDirs.map(() => "docs/")];
  return Array.from({ length: commitCount }, (_, i) => {
    const target = targets[(i * 7919) % targets.length]; // a prime stride: no path lines up with a deploy
    return { id: `c${i + 1}`, files: i === 0 ? sourceDirs.map((d) => `${d}main.py`) : [`${target}file${i % 97}.py`] };
  });
}

/** Every deploy group of pipeline.ts at `commit`, but those given. */
function groups(commit: string, some: Record<string, string>): Record<string, string> {
  return { ...Object.fromEntries(pipeline.deployGroups.map((g) => [g, commit])), ...some };
}

function writeStackFile(dir: string, groups: Record<string, string>, name = "bench"): string {
  const { raw } = readStackFile(join(project, "Pulumi.prod.yaml"));
  const path = join(dir, `Pulumi.${name}.yaml`);
  writeFileSync(path, stringify({ config: { ...raw, "nba-pipeline:deployGroups": groups } }));
  return path;
}

/** A `pulumi stack export` with each service and function labelled with the commit `commitOf` gives. */
function writeStateFile(dir: string, commitOf: (name: string) => string): string {
  const path = join(dir, "state.json");
  const resources = workloads.map((w) => {
    const type = w.kind === "service" ? "gcp:cloudrunv2/service:Service" : "gcp:cloudfunctionsv2/function:Function";
    const labels = { "commit-sha": commitOf(w.name), "deploy-group": w.group, phase: w.phase };
    return { urn: `urn:pulumi:bench::nba-pipeline::${type}::${w.name}`, custom: true, type, inputs: { name: w.name, labels }, outputs: { name: w.name, labels } };
  });
  writeFileSync(path, JSON.stringify({ version: 3, deployment: { manifest: {}, resources } }));
  return path;
}

async function report(what: string, options: DriftOptions): Promise<void> {
  const times: number[] = [];
  let statuses = "";
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const result = await drift(options);
    times.push(performance.now() - t);
    statuses = result.services.map((s) => `${s.name} ${s.behind}/${s.behindTouchingService}`).join(", ");
  }
  const m = median(times);
  print(`drift, ${what}: median ${seconds(m)} of ${runs} (goal < ${goalSeconds} s: ${m < goalSeconds * 1000 ? "met" : "MISSED"})`);
  print(`  behind/touching: ${statuses}`);
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

if (require.main === module) {
  benchDrift().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
