import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { parse } from "yaml";
import { ciStacks } from "../tools/release";

const project = join(__dirname, "..");
const workflowDir = join(project, ".github", "workflows");
const files = readdirSync(workflowDir).filter((f) => /\.ya?ml$/.test(f)).sort();
const packageJson = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
};

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  environment?: string;
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  defaults?: { run?: { shell?: string } };
  permissions: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const text = (file: string) => readFileSync(join(workflowDir, file), "utf8");
const workflow = (file: string) => parse(text(file)) as Workflow;
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((job) => job.steps);
const runs = (w: Workflow) => steps(w).flatMap((s) => (s.run ? [s.run] : []));
const using = (w: Workflow, action: string) => steps(w).filter((s) => s.uses?.startsWith(`${action}@`));

/** Errors GitHub's own workflow parser reports for a workflow file's text (schema, expressions, contexts). */
let parserErrors: (name: string, content: string) => Promise<string[]>;
beforeAll(async () => {
  // ESM-only package, loaded from this CommonJS test with import().
  const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = await import("@actions/workflow-parser");
  parserErrors = async (name, content) => {
    const result = parseWorkflow({ name, content }, new NoOperationTraceWriter());
    const errors = result.context.errors.getErrors().map((e) => e.message);
    if (result.value === undefined) return errors.length > 0 ? errors : [`${name}: nothing parsed`];
    // Conversion checks what the schema alone does not (jobs, needs, concurrency); it reports through the same context.
    const template = await convertWorkflowTemplate(result.context, result.value);
    return [...new Set([...errors, ...(template.errors ?? []).map((e) => e.Message)])];
  };
});

describe("every workflow file, read by GitHub's workflow parser", () => {
  test("given the workflows directory, when listed, then it holds the pull request, deploy and daily workflows", () => {
    expect(files).toEqual(["daily.yml", "deploy.yml", "pull-request.yml"]);
  });

  test.each(files)("given %s, when parsed, then there are no errors", async (file) => {
    expect(await parserErrors(file, text(file))).toEqual([]);
  });

  test("given a workflow with a misspelt key and an unknown context, when parsed, then the parser reports both (it can fail)", async () => {
    const broken = text("deploy.yml").replace("runs-on:", "runs_on:").replace("${{ vars.APP_REPOSITORY }}", "${{ varz.APP_REPOSITORY }}");
    const errors = await parserErrors("deploy.yml", broken);
    expect(errors.join("\n")).toMatch(/Unexpected value 'runs_on'/);
    expect(errors.join("\n")).toMatch(/Unrecognized named-value: 'varz'/);
  });
});

describe("the project's .npmrc and CI", () => {
  test("given .npmrc, when read, then npm is silent, so npm run TOOL -- --json prints the tool's JSON and nothing of npm's", () => {
    const settings = readFileSync(join(project, ".npmrc"), "utf8").split("\n").filter((line) => line.trim() !== "" && !line.startsWith("#"));
    expect(settings).toEqual(["loglevel=silent"]);
  });

  test("given .ci/run, when read, then npm ci asks for npm's warnings and errors", () => {
    expect(readFileSync(join(project, ".ci", "run"), "utf8")).toMatch(/^npm ci --loglevel=warn /m);
  });
});

describe("what the workflows must do", () => {
  test("given the pull request workflow, when read, then it tests, checks prod with its call graph in the job summary, and previews with the policy pack and a PR comment", () => {
    const w = workflow("pull-request.yml");
    expect(Object.keys(w.on)).toEqual(["pull_request"]);
    expect(runs(w)).toEqual(expect.arrayContaining(["npm ci --loglevel=warn", "npm test", 'npm run check -- --stack prod --diagram "$RUNNER_TEMP/call-graph.md"']));
    expect(runs(w).some((r) => r.includes('cat "$RUNNER_TEMP/call-graph.md" >> "$GITHUB_STEP_SUMMARY"'))).toBe(true);
    // With an app repository configured, a call the app makes that pipeline.ts does not declare fails the PR.
    const calls = steps(w).find((s) => s.run?.startsWith("npm run calls"));
    expect(calls).toMatchObject({ run: 'npm run calls -- --repo app-repo --fail | tee -a "$GITHUB_STEP_SUMMARY"', if: "${{ vars.APP_REPOSITORY != '' }}" });
    const [preview] = using(w, "pulumi/actions");
    expect(preview.with).toMatchObject({ command: "preview", "stack-name": "prod", policyPacks: "policies", "comment-on-pr": true });
    expect(w.jobs.preview.needs).toBe("test");
    expect(w.jobs.preview.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
  });

  test("given the deploy workflow, when read, then main previews with the policy pack and only then runs pulumi up with it, one update at a time never cancelled, then drift", () => {
    const w = workflow("deploy.yml");
    expect(w.on.push).toEqual({ branches: ["main"] });
    expect(w.concurrency).toEqual({ group: "pulumi-prod", "cancel-in-progress": false });
    const deploy = w.jobs.deploy;
    expect(deploy.needs).toBe("test");
    // up runs stack policies only after applying every change (--skip-preview): the preview before it is the gate.
    const pulumi = deploy.steps.flatMap((s, i) => (s.uses?.startsWith("pulumi/actions@") ? [{ i, s }] : []));
    expect(pulumi.map(({ s }) => s.with)).toEqual([
      expect.objectContaining({ command: "preview", "stack-name": "prod", policyPacks: "policies" }),
      expect.objectContaining({ command: "up", "stack-name": "prod", policyPacks: "policies" }),
    ]);
    expect(pulumi.every(({ s }) => s.if === undefined)).toBe(true);
    const up = pulumi[1].i;
    const drift = deploy.steps.findIndex((s) => s.run?.startsWith("npm run drift -- --repo app-repo --state"));
    expect(drift).toBeGreaterThan(up);
  });

  test("given the deploy workflow, when read, then after up it verifies every call and workload as the read-only identity, failing the job, with rollback commands from a state export taken before up, beside drift in the job summary", () => {
    const deploy = workflow("deploy.yml").jobs.deploy;
    const index = (predicate: (s: Step) => boolean) => deploy.steps.findIndex(predicate);
    const before = index((s) => s.run === 'pulumi stack export --stack prod --file "$RUNNER_TEMP/state-before.json"');
    const up = index((s) => s.with?.command === "up");
    const signIns = deploy.steps.flatMap((s, i) => (s.uses?.startsWith("google-github-actions/auth@") ? [{ i, identity: s.with?.service_account }] : []));
    const verify = index((s) => s.run?.startsWith("npm run verify") === true);
    const drift = index((s) => s.run?.startsWith("npm run drift") === true);
    expect(deploy.steps[up].id).toBe("up");
    expect(signIns.map((s) => s.identity)).toEqual(["${{ vars.GCP_DEPLOY_SERVICE_ACCOUNT }}", "${{ vars.GCP_PREVIEW_SERVICE_ACCOUNT }}"]);
    // The export before up, up, then the read-only sign-in, then verify; drift reports even when verify fails.
    expect([before, up, signIns[1].i, verify, drift]).toEqual([...[before, up, signIns[1].i, verify, drift]].sort((a, b) => a - b));
    expect(before).toBeGreaterThan(index((s) => s.with?.command === "preview"));
    expect(deploy.steps[verify].run).toBe('npm run verify -- --stack prod --previous-state "$RUNNER_TEMP/state-before.json" | tee -a "$GITHUB_STEP_SUMMARY"');
    expect(deploy.steps[drift].run).toMatch(/\| tee -a "\$GITHUB_STEP_SUMMARY"$/);
    // After up, whether it succeeded or failed: what a failed up left running needs verifying and rolling back most.
    for (const i of [signIns[1].i, verify, drift]) expect(deploy.steps[i].if).toBe("${{ !cancelled() && steps.up.outcome != 'skipped' }}");
    // Nothing after the read-only sign-in runs pulumi, which needs the deploy identity.
    expect(deploy.steps.slice(signIns[1].i).some((s) => s.uses?.startsWith("pulumi/actions@") || s.run?.startsWith("pulumi "))).toBe(false);
    // The default bash of a workflow with `shell: bash` runs with -o pipefail, so verify's exit 1 fails the step through tee.
    expect(workflow("deploy.yml")).toMatchObject({ defaults: { run: { shell: "bash" } } });
  });

  test("given the daily workflow, when read, then a schedule runs a refresh preview, an audit of the exported state and drift with --fail", () => {
    const w = workflow("daily.yml");
    const schedule = w.on.schedule as { cron: string }[];
    expect(schedule).toHaveLength(1);
    expect(schedule[0].cron).toMatch(/^\S+ \S+ \* \* \*$/);
    const [preview] = using(w, "pulumi/actions");
    expect(preview.with).toMatchObject({ command: "preview", "stack-name": "prod", policyPacks: "policies", refresh: true, "expect-no-changes": true });
    expect(runs(w)).toEqual([
      "npm ci --loglevel=warn",
      'pulumi stack export --stack prod --file "$RUNNER_TEMP/state.json"',
      "pulumi policy analyze --policy-pack policies --stack prod",
      'npm run audit -- --state "$RUNNER_TEMP/state.json" | tee -a "$GITHUB_STEP_SUMMARY"',
      'npm run drift -- --repo app-repo --state "$RUNNER_TEMP/state.json" --threshold 3 --fail | tee -a "$GITHUB_STEP_SUMMARY"',
      'npm run calls -- --repo app-repo --fail | tee -a "$GITHUB_STEP_SUMMARY"',
    ]);
    // Each check reports even when an earlier one failed.
    expect(w.jobs.audit.steps.filter((s) => s.run?.startsWith("npm run") || s.run?.startsWith("pulumi")).map((s) => s.if)).toEqual(Array(5).fill("${{ !cancelled() }}"));
    // Never in the deploy's concurrency group: a scheduled run would replace a waiting deploy.
    expect(w.concurrency?.group).not.toBe(workflow("deploy.yml").concurrency?.group);
  });

  test("given the workflows, when read, then what they do with each stack is what release tells the operator CI does", () => {
    const pr = workflow("pull-request.yml");
    const checked = runs(pr).flatMap((r) => [...r.matchAll(/npm run check(?: -- (.*))?$/gm)].map((m) => /--stack (\S+)/.exec(m[1] ?? "")?.[1] ?? "prod"));
    const previewed = using(pr, "pulumi/actions").filter((s) => s.with?.command === "preview").map((s) => String(s.with?.["stack-name"]));
    const deploy = workflow("deploy.yml");
    expect(deploy.on.push).toEqual({ branches: ["main"] });
    const deployed = using(deploy, "pulumi/actions").filter((s) => s.with?.command === "up").map((s) => String(s.with?.["stack-name"]));
    const stacks = [...new Set([...checked, ...previewed, ...deployed, ...Object.keys(ciStacks)])].sort();
    const actual = Object.fromEntries(stacks.map((stack) => [stack, { checked: checked.includes(stack), previewed: previewed.includes(stack), deployed: deployed.includes(stack) }]));
    expect(actual).toEqual(ciStacks);
  });

  test.each(files)("given %s, when read, then every action is pinned to a release and every npm script it runs exists", (file) => {
    const w = workflow(file);
    for (const s of steps(w)) if (s.uses) expect(s.uses).toMatch(/^[\w.-]+\/[\w.-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/);
    const scripts = runs(w).flatMap((r) => [...r.matchAll(/npm (?:run (\S+)|(test))/g)].map((m) => m[1] ?? m[2]));
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(Object.keys(packageJson.scripts)).toContain(script);
  });

  test.each(files)("given %s, when read, then npm ci asks for npm's warnings and errors, which the project's .npmrc silences", (file) => {
    const installs = runs(workflow(file)).filter((r) => /^npm (ci|install)\b/.test(r));
    expect(installs.length).toBeGreaterThan(0);
    for (const install of installs) expect(install).toBe("npm ci --loglevel=warn");
  });

  test.each(files)("given %s, when read, then permissions are read-only by default and only jobs that sign in to Google get an OIDC token", (file) => {
    const w = workflow(file);
    expect(w.permissions).toEqual({ contents: "read" });
    for (const job of Object.values(w.jobs)) {
      const signsIn = job.steps.some((s) => s.uses?.startsWith("google-github-actions/auth@"));
      expect(job.permissions?.["id-token"]).toBe(signsIn ? "write" : undefined);
    }
  });

  test.each(files)("given %s, when read, then Google sign-in is workload identity federation (never a key) and the Pulumi state is the GCS backend", (file) => {
    const w = workflow(file);
    expect(text(file)).not.toMatch(/credentials_json|GOOGLE_CREDENTIALS|PULUMI_ACCESS_TOKEN/);
    for (const [name, job] of Object.entries(w.jobs)) {
      const pulumi = job.steps.filter((s) => s.uses?.startsWith("pulumi/actions@") || s.run?.startsWith("pulumi "));
      if (pulumi.length === 0) continue;
      // Once before pulumi runs; the deploy signs in again, as the read-only identity, only to verify after up.
      const auth = job.steps.filter((s) => s.uses?.startsWith("google-github-actions/auth@"));
      const lastPulumi = Math.max(...pulumi.map((s) => job.steps.indexOf(s)));
      expect(auth.filter((s) => job.steps.indexOf(s) < lastPulumi), `${name} signs in to Google once before pulumi`).toHaveLength(1);
      for (const a of auth) {
        expect(a.with).toEqual({
          workload_identity_provider: "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}",
          service_account: expect.stringMatching(/^\$\{\{ vars\.GCP_(PREVIEW|DEPLOY)_SERVICE_ACCOUNT \}\}$/),
        });
      }
      expect(job.env).toEqual({
        PULUMI_BACKEND_URL: "${{ vars.PULUMI_BACKEND_URL }}",
        PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
      });
    }
    // Only the deploy may change anything, and only until it has run up; previews, audits and verify sign in as the read-only identity.
    const identities = Object.values(w.jobs).flatMap((job) => job.steps.flatMap((s) => (s.uses?.startsWith("google-github-actions/auth@") ? [s.with?.service_account] : [])));
    const deploys = steps(w).some((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command === "up");
    expect(identities).toEqual(deploys ? ["${{ vars.GCP_DEPLOY_SERVICE_ACCOUNT }}", "${{ vars.GCP_PREVIEW_SERVICE_ACCOUNT }}"] : identities.map(() => "${{ vars.GCP_PREVIEW_SERVICE_ACCOUNT }}"));
  });

  test.each(files)("given %s, when read, then the Pulumi CLI is the release of the @pulumi/pulumi SDK the program uses", (file) => {
    const w = workflow(file);
    expect(w.env?.PULUMI_VERSION).toBe(packageJson.dependencies["@pulumi/pulumi"]);
    for (const s of using(w, "pulumi/actions")) expect(s.with?.["pulumi-version"]).toBe("${{ env.PULUMI_VERSION }}");
  });

  test.each(["deploy.yml", "daily.yml"])("given %s, when read, then drift gets the app repository with its full history", (file) => {
    const checkouts = using(workflow(file), "actions/checkout").filter((s) => s.with?.repository !== undefined);
    expect(checkouts).toHaveLength(1);
    expect(checkouts[0].with).toMatchObject({ repository: "${{ vars.APP_REPOSITORY }}", path: "app-repo", "fetch-depth": 0, "persist-credentials": false });
  });
});
