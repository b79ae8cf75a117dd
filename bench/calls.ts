// npm run calls over an app repository the size of the NBA app at its newest main (9,643 files, 3,989
// commits, about 1,500 Python files under the workloads' source paths and 300 shell scripts with gcloud
// commands), against the goal of under 5 s. The repository is generated here from pipeline.ts's source
// paths, in one `git fast-import`: its files hold the kinds of line the scan reads (run.app URLs, URL
// helper calls, topic names, gcloud commands) among ordinary code. With APP_REPO set to a clone of the
// real app, that repository is measured too.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pipeline } from "../pipeline";
import { workloadsOf } from "../topology";
import { findCalls } from "../tools/calls";
import { median, seconds } from "./measure";

const runs = 5;
const goalSeconds = 5;
const fileCount = 9_643;

export async function benchCalls(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bench-calls-"));
  try {
    const started = performance.now();
    generateApp(join(dir, "app"));
    print(`calls bench: app repository of ${fileCount.toLocaleString("en-US")} files generated in ${seconds(performance.now() - started)} (git fast-import)`);
    await report("generated repository of the app's size", join(dir, "app"));
    if (process.env.APP_REPO) await report(`the app repository at ${process.env.APP_REPO}`, process.env.APP_REPO);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function report(what: string, repo: string): Promise<void> {
  const times: number[] = [];
  let found = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    found = (await findCalls(repo)).calls.length;
    times.push(performance.now() - t);
  }
  const m = median(times);
  print(`calls, ${what}: ${found} calls found, median ${seconds(m)} of ${runs} (goal < ${goalSeconds} s: ${m < goalSeconds * 1000 ? "met" : "MISSED"})`);
}

/** Python files spread over every workload's source paths, docs and scripts, in one commit. */
function generateApp(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const roots = [...new Set(workloadsOf(pipeline).flatMap((w) => w.sourcePaths.filter((p) => p.endsWith("/"))))];
  const services = pipeline.services.map((s) => s.name);
  const topics = pipeline.topics.map((t) => t.name);
  const files: [string, string][] = [];
  for (let i = 0; i < fileCount; i++) {
    const kind = i % 10;
    if (kind < 6) {
      const lines = Array.from({ length: 120 }, (_, n) => `    value_${n} = compute(value_${n - 1}, "${i}-${n}")  # ordinary code`);
      lines[10] = `    url = "https://${services[i % services.length]}-756957797294.us-west2.run.app/process"`;
      lines[20] = `    publisher.publish(topic_path(project, "${topics[i % topics.length]}"), data)`;
      files.push([`${roots[i % roots.length]}module_${i}.py`, `def f():\n${lines.join("\n")}\n`]);
    } else if (kind < 9) {
      files.push([`docs/page_${i}.md`, `# Page ${i}\n\n${"Prose about the pipeline.\n".repeat(60)}`]);
    } else {
      const job = `job-${i}`;
      files.push([
        `bin/scripts/setup_${i}.sh`,
        `#!/bin/bash\nURL=$(gcloud run services describe ${services[i % services.length]} --format='value(status.url)')\n` +
          `gcloud scheduler jobs create http ${job} \\\n  --schedule="0 * * * *" \\\n  --uri="\${URL}/run" --http-method=POST\n`,
      ]);
    }
  }
  const stream = ["commit refs/heads/main", "committer Bench <bench@example.com> 1770000000 +0000", "data 4", "app", ""];
  for (const [path, text] of files) stream.push(`M 100644 inline ${path}`, `data ${Buffer.byteLength(text)}`, text);
  const hermetic = { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" };
  execFileSync("git", ["init", "--quiet", "--initial-branch=main", dir], { env: hermetic });
  execFileSync("git", ["-C", dir, "fast-import", "--quiet"], { input: `${stream.join("\n")}\n`, env: hermetic, maxBuffer: 1 << 28 });
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}
