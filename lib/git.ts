// The app repository's side of drift and release: which commits it has, and how far a commit is behind
// HEAD. Runs the real `git` binary (no shell, no git library) and batches so a 10,000-commit history
// costs a handful of processes, not one per commit or per service.
import { execFile } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { InputError } from "./cli";

/** An app repository that has been checked to be readable, with its HEAD resolved. */
export interface AppRepo {
  /** The directory as given (messages name it the way the user wrote it). */
  readonly dir: string;
  /** Full SHA of HEAD. */
  readonly head: string;
}

/** What a commit SHA (full or abbreviated) resolves to in the repository. */
export type Resolution =
  | { readonly found: true; readonly sha: string }
  | { readonly found: false; readonly reason: "missing" | "ambiguous" | "not a commit SHA" };

/** How far a commit is behind HEAD. */
export interface Behind {
  /** Commits reachable from HEAD and not from the commit (`git rev-list --count C..HEAD`). */
  readonly commits: number;
  /** For each path list asked about, in order: how many of those commits (merges aside) change a file under it. */
  readonly touching: readonly number[];
}

const fullSha = /^[0-9a-f]{40}([0-9a-f]{24})?$/; // SHA-1, or SHA-256 repositories
const abbreviatedSha = /^[0-9a-f]{7,64}$/;

/**
 * Checks that `dir` is a git repository git can read, with at least one commit and full history, and
 * resolves HEAD. Every way it is not is an InputError naming the directory.
 */
export async function openAppRepo(dir: string, opts: { needsHistory: boolean } = { needsHistory: true }): Promise<AppRepo> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`app repository ${dir}: no such directory`);
  const result = await git(dir, ["rev-parse", "--is-shallow-repository", "--verify", "--end-of-options", "HEAD^{commit}"]);
  if (result.code !== 0) {
    const message = firstLine(result.stderr);
    if (/not a git repository/i.test(message)) throw new InputError(`app repository ${dir}: not a git repository`);
    if (result.stderr.trim() === "" || /needed a single revision|unknown revision|ambiguous argument/i.test(message)) {
      throw new InputError(`app repository ${dir}: has no commits (HEAD does not resolve)`);
    }
    throw new InputError(`app repository ${dir}: git cannot read it: ${message}`);
  }
  const [shallow, head] = result.stdout.trim().split("\n");
  // A shallow clone has no history past its boundary, so every count would be silently too small.
  if (shallow === "true" && opts.needsHistory) {
    throw new InputError(`app repository ${dir}: is a shallow clone; drift needs full history (git fetch --unshallow, or actions/checkout with fetch-depth: 0)`);
  }
  return { dir, head };
}

/**
 * Resolves commit SHAs (full or abbreviated, as written in a stack file or a label) in one git process.
 * Anything that is not 7–64 hex characters is refused without asking git, so a label such as `main`
 * or `HEAD~3` is never taken for a revision. An abbreviation git cannot tell apart is "ambiguous": for
 * `SHA^{commit}` cat-file prints only `missing` on stdout and says why on stderr.
 */
export async function resolveCommits(repo: AppRepo, shas: readonly string[]): Promise<Map<string, Resolution>> {
  const resolutions = new Map<string, Resolution>();
  const asked = [...new Set(shas)].filter((sha) => {
    if (abbreviatedSha.test(sha)) return true;
    resolutions.set(sha, { found: false, reason: "not a commit SHA" });
    return false;
  });
  if (asked.length === 0) return resolutions;
  const result = await git(repo.dir, ["cat-file", "--batch-check=%(objectname)"], asked.map((sha) => `${sha}^{commit}\n`).join(""));
  if (result.code !== 0) throw unreadable(repo, "cat-file", result);
  const output = result.stdout.split("\n");
  const ambiguous = ambiguousNames(result.stderr);
  asked.forEach((sha, i) => {
    const line = output[i] ?? "";
    if (fullSha.test(line)) resolutions.set(sha, { found: true, sha: line });
    else resolutions.set(sha, { found: false, reason: ambiguous.has(sha) || line.endsWith(" ambiguous") ? "ambiguous" : "missing" });
  });
  return resolutions;
}

/** The abbreviations git's messages call ambiguous: `error: short object ID 5a49 is ambiguous` (`short SHA1` before git 2.21). */
export function ambiguousNames(stderr: string): Set<string> {
  return new Set([...stderr.matchAll(/^error: short (?:object ID|SHA1) ([0-9a-f]+) is ambiguous$/gm)].map((match) => match[1]));
}

/**
 * For each of `commits` (full SHAs the repository has): how far it is behind HEAD, and how many of those
 * commits touch each of `pathLists` (paths from the repository's top, as in pipeline.ts); undefined
 * when the commit is not in HEAD's history (a branch, or rewritten history): "behind" means nothing then.
 *
 * Three git processes however many commits: their common ancestors with HEAD bound one walk of the
 * commit graph from HEAD (`rev-list --parents`) and one `git log` of the files changed in it; which
 * commit each one is behind is then worked out here, from the graph.
 */
export async function behindHead(
  repo: AppRepo,
  commits: readonly string[],
  pathLists: readonly (readonly string[])[],
): Promise<Map<string, Behind | undefined>> {
  const distinct = [...new Set(commits)];
  if (distinct.length === 0) return new Map();
  // Common ancestors of HEAD and every commit: none of what lies below them is behind anything.
  // Exit 1 with no output: a commit shares no history with HEAD, so the walk goes to the root.
  const base = await git(repo.dir, ["merge-base", "--all", "--octopus", repo.head, ...distinct]);
  if (base.code > 1) throw unreadable(repo, "merge-base", base);
  const bottoms = lines(base.stdout);
  const range = [repo.head, "--not", ...bottoms];

  const [graph, files] = await Promise.all([parentsIn(repo, range), changedFiles(repo, range, [...new Set(pathLists.flat())])]);
  // For each changed commit, which path lists it touches, worked out once for every measured commit.
  const touches = new Map([...files].map(([sha, changed]) => [sha, pathLists.map((paths) => changed.some((file) => paths.some((path) => isUnder(file, path))))]));

  return new Map(
    distinct.map((commit): [string, Behind | undefined] => {
      // A commit below every bottom would be a common ancestor of all the commits, so a bottom itself.
      if (!graph.has(commit) && !bottoms.includes(commit)) return [commit, undefined];
      const reached = reachable(graph, commit);
      const touching = pathLists.map(() => 0);
      for (const [sha, lists] of touches) {
        if (reached.has(sha)) continue;
        lists.forEach((touched, i) => {
          if (touched) touching[i]++;
        });
      }
      return [commit, { commits: graph.size - reached.size, touching }];
    }),
  );
}

/** Whether `commit` (a full SHA the repository has) is HEAD or an ancestor of it: `git merge-base --is-ancestor`. */
export async function inHeadHistory(repo: AppRepo, commit: string): Promise<boolean> {
  const result = await git(repo.dir, ["merge-base", "--is-ancestor", commit, repo.head]);
  if (result.code > 1) throw unreadable(repo, "merge-base", result);
  return result.code === 0;
}

/** Each commit in `range` with its parents (`git rev-list --parents`): the commit graph between HEAD and the bottoms. */
async function parentsIn(repo: AppRepo, range: readonly string[]): Promise<Map<string, string[]>> {
  const result = await git(repo.dir, ["rev-list", "--parents", ...range, "--"]);
  if (result.code !== 0) throw unreadable(repo, "rev-list", result);
  return new Map(lines(result.stdout).map((line) => {
    const [sha, ...parents] = line.split(" ");
    return [sha, parents];
  }));
}

/** The commits of `graph` reachable from `commit` (itself included): the ones it is not behind. */
function reachable(graph: ReadonlyMap<string, readonly string[]>, commit: string): Set<string> {
  const reached = new Set<string>();
  const pending = graph.has(commit) ? [commit] : [];
  for (let sha = pending.pop(); sha !== undefined; sha = pending.pop()) {
    if (reached.has(sha)) continue;
    reached.add(sha);
    for (const parent of graph.get(sha) ?? []) if (graph.has(parent)) pending.push(parent);
  }
  return reached;
}

/**
 * The files under `paths` changed by each non-merge commit in `range`, read in one `git log`. git's
 * default history simplification leaves out side-branch changes a merge discarded: they are not in
 * HEAD, so deploying HEAD would not ship them.
 */
async function changedFiles(repo: AppRepo, range: readonly string[], paths: readonly string[]): Promise<Map<string, string[]>> {
  const files = new Map<string, string[]>();
  if (paths.length === 0) return files;
  // :(top,literal): paths are from the repository's top whatever directory was given, and taken as written.
  const pathspecs = paths.map((path) => `:(top,literal)${path}`);
  const log = await git(repo.dir, ["log", "-z", "--no-merges", "--format=%x01%H", "--name-only", ...range, "--", ...pathspecs]);
  if (log.code !== 0) throw unreadable(repo, "log", log);
  let current: string[] = [];
  for (const field of log.stdout.split("\0")) {
    const token = field.replace(/^\n/, "");
    if (token.startsWith("\x01")) files.set(token.slice(1), (current = []));
    else if (token !== "") current.push(token);
  }
  return files;
}

/** Whether `file` is `path` or under it, the way a git pathspec matches a directory. */
function isUnder(file: string, path: string): boolean {
  return path.endsWith("/") ? file.startsWith(path) : file === path || file.startsWith(`${path}/`);
}

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

/** A git failure on a repository that opened fine (a corrupt or unreadable object): bad input, not a bug here. */
export function unreadable(repo: AppRepo, command: string, result: GitResult): InputError {
  return new InputError(`app repository ${repo.dir}: git ${command} failed: ${firstLine(result.stderr)}`);
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0] ?? "";
}

export interface GitResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs git in `dir` (no shell) and resolves with its exit code; only a git that cannot start rejects. */
export function git(dir: string, args: readonly string[], input?: string): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "git",
      ["-C", dir, ...args],
      { encoding: "utf8", maxBuffer: 1 << 30, env: { ...process.env, LC_ALL: "C", GIT_OPTIONAL_LOCKS: "0" } },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") {
          reject(
            (error as NodeJS.ErrnoException).code === "ENOENT"
              ? new InputError("cannot run git: it is not installed or not on PATH")
              : new Error(`git ${args[0]} in ${dir}: ${error.message}`),
          );
          return;
        }
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
    // git may exit before reading its input (a bad repository); its exit code reports that, not EPIPE.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(input ?? "");
  });
}
