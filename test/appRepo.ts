// Builds app repositories for the git-side tests and the drift bench: real git repositories written in
// one `git fast-import` stream (fast enough for 10,000 commits), with fixed identities and dates so the
// same input always gives the same SHAs, and nothing read from the machine's git config.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface FixtureCommit {
  /** How the test refers to this commit. */
  readonly id: string;
  /** Files the commit changes (each gets new content), as paths from the repository's top. */
  readonly files: readonly string[];
  /** Branch the commit is made on; main unless given. */
  readonly branch?: string;
  /** Parent commit id; by default the previous commit on the same branch (none: a root commit). */
  readonly parent?: string;
  /** A second parent, making this a merge commit. */
  readonly merge?: string;
}

const hermetic = { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", LC_ALL: "C" };

/**
 * Creates a git repository in `dir` (which must not exist yet) holding `commits` in order, with HEAD on
 * main. Returns each commit's full SHA by id.
 */
export function buildAppRepo(dir: string, commits: readonly FixtureCommit[]): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  execFileSync("git", ["init", "--quiet", "--initial-branch=main", dir], { env: hermetic });
  if (commits.length === 0) return {};
  const marks = new Map<string, number>();
  const chunks: string[] = [];
  commits.forEach((commit, i) => {
    const mark = i + 1;
    if (marks.has(commit.id)) throw new Error(`buildAppRepo: commit id ${commit.id} used twice`);
    marks.set(commit.id, mark);
    const markOf = (id: string) => {
      const m = marks.get(id);
      if (m === undefined) throw new Error(`buildAppRepo: ${commit.id} refers to ${id}, which is not an earlier commit`);
      return m;
    };
    const message = `${commit.id}\n`;
    const when = 1_770_000_000 + mark * 60;
    chunks.push(
      `commit refs/heads/${commit.branch ?? "main"}\nmark :${mark}\n`,
      `author Fixture <fixture@example.com> ${when} +0000\ncommitter Fixture <fixture@example.com> ${when} +0000\n`,
      `data ${Buffer.byteLength(message)}\n${message}`,
      commit.parent === undefined ? "" : `from :${markOf(commit.parent)}\n`,
      commit.merge === undefined ? "" : `merge :${markOf(commit.merge)}\n`,
    );
    for (const file of commit.files) {
      const content = `${commit.id}\n`;
      chunks.push(`M 100644 inline ${file}\ndata ${Buffer.byteLength(content)}\n${content}`);
    }
    chunks.push("\n");
  });
  const scratch = mkdtempSync(join(tmpdir(), "app-repo-marks-"));
  try {
    const marksFile = join(scratch, "marks");
    execFileSync("git", ["-C", dir, "fast-import", "--quiet", `--export-marks=${marksFile}`], {
      input: chunks.join(""),
      // glibc otherwise returns memory to the system after nearly every tree fast-import writes, which
      // makes a 10,000-commit import take 14 s instead of 0.5 s.
      env: { ...hermetic, MALLOC_TOP_PAD_: String(64 << 20) },
      maxBuffer: 1 << 26,
    });
    // Check out main so the work tree matches HEAD, as in a real clone.
    execFileSync("git", ["-C", dir, "reset", "--quiet", "--hard", "main"], { env: hermetic });
    const shaOfMark = new Map(
      readFileSync(marksFile, "utf8")
        .trim()
        .split("\n")
        .map((line) => {
          const [mark, sha] = line.split(" ");
          return [Number(mark.slice(1)), sha] as const;
        }),
    );
    return Object.fromEntries([...marks].map(([id, mark]) => [id, shaOfMark.get(mark) as string]));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Runs git in `dir` with the same hermetic environment (for tests that add refs or clone). */
export function gitIn(dir: string, ...args: string[]): string {
  return execFileSync("git", ["-C", dir, ...args], { env: hermetic, encoding: "utf8" }).trim();
}

/**
 * Adds two commits on top of HEAD whose SHAs share their first `digits` hex digits, so that abbreviation
 * is ambiguous to git. Found by a birthday search over commit messages, hashed here as git hashes a commit
 * object (tens of thousands of candidates for 7 digits: milliseconds), then written with git itself.
 * SHA-1 repositories only, as buildAppRepo makes them.
 */
export function addCommitsSharingPrefix(dir: string, digits = 7): { prefix: string; shas: [string, string] } {
  const tree = gitIn(dir, "rev-parse", "HEAD^{tree}");
  const parent = gitIn(dir, "rev-parse", "HEAD");
  const commit = (n: number) =>
    `tree ${tree}\nparent ${parent}\nauthor Fixture <fixture@example.com> 1770000000 +0000\n` +
    `committer Fixture <fixture@example.com> 1770000000 +0000\n\nsharing a prefix, candidate ${n}\n`;
  const seen = new Map<string, number>();
  for (let n = 0; ; n++) {
    const text = commit(n);
    const prefix = createHash("sha1").update(`commit ${Buffer.byteLength(text)}\0${text}`).digest("hex").slice(0, digits);
    const twin = seen.get(prefix);
    if (twin === undefined) {
      seen.set(prefix, n);
      continue;
    }
    const shas = [twin, n].map((i, k) => {
      const sha = execFileSync("git", ["-C", dir, "hash-object", "-t", "commit", "-w", "--stdin"], { env: hermetic, input: commit(i), encoding: "utf8" }).trim();
      if (!sha.startsWith(prefix)) throw new Error(`addCommitsSharingPrefix: git hashed the commit as ${sha}, not ${prefix}…`);
      gitIn(dir, "update-ref", `refs/heads/twin-${k + 1}`, sha);
      return sha;
    }) as [string, string];
    return { prefix, shas };
  }
}
