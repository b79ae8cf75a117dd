import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { InputError } from "../lib/cli";
import { ambiguousNames, behindHead, openAppRepo, resolveCommits, type AppRepo } from "../lib/git";
import { addCommitsSharingPrefix, buildAppRepo, gitIn } from "./appRepo";

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "git-test-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("openAppRepo", () => {
  test("given a directory that does not exist, when opened, then an InputError names it", async () => {
    await expect(openAppRepo(join(root, "nowhere"))).rejects.toThrow(new InputError(`app repository ${join(root, "nowhere")}: no such directory`));
  });

  test("given a directory outside any repository, when opened, then an InputError says it is not a git repository", async () => {
    const dir = join(root, "plain");
    mkdirSync(dir);
    await expect(openAppRepo(dir)).rejects.toThrow(`app repository ${dir}: not a git repository`);
    await expect(openAppRepo(dir)).rejects.toBeInstanceOf(InputError);
  });

  test("given a repository without commits, when opened, then an InputError says HEAD does not resolve", async () => {
    const dir = join(root, "empty");
    buildAppRepo(dir, []);
    await expect(openAppRepo(dir)).rejects.toThrow(`app repository ${dir}: has no commits`);
  });

  test("given a shallow clone, when opened, then an InputError asks for full history", async () => {
    const source = join(root, "deep");
    buildAppRepo(source, [
      { id: "c1", files: ["a/x.py"] },
      { id: "c2", files: ["a/x.py"] },
      { id: "c3", files: ["a/x.py"] },
    ]);
    const shallow = join(root, "shallow");
    gitIn(root, "clone", "--quiet", "--depth", "1", `file://${source}`, shallow);
    await expect(openAppRepo(shallow)).rejects.toThrow("is a shallow clone; drift needs full history (git fetch --unshallow, or actions/checkout with fetch-depth: 0)");
  });
});

describe("a repository git cannot read", () => {
  test("given a commit object missing from the history, when measured, then an InputError names the repository and git's complaint", async () => {
    const dir = join(root, "corrupt");
    const shas = buildAppRepo(dir, [
      { id: "c1", files: ["a/x.py"] },
      { id: "c2", files: ["a/x.py"] },
      { id: "c3", files: ["a/x.py"] },
    ]);
    // Few objects, so fast-import left them loose: one file per object.
    rmSync(join(dir, ".git", "objects", shas.c2.slice(0, 2), shas.c2.slice(2)));
    const repo = await openAppRepo(dir);
    const failure = await behindHead(repo, [shas.c1], [["a/"]]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(InputError);
    expect((failure as Error).message).toMatch(new RegExp(`^app repository ${dir}: git (rev-list|log|merge-base) failed: .*${shas.c2}`));
  });
});

describe("resolveCommits of an abbreviation git finds ambiguous", () => {
  test("given two commits sharing their first 7 hex digits, when those 7 are resolved, then the reason is ambiguous; with one more digit each is found", async () => {
    const dir = join(root, "twins");
    buildAppRepo(dir, [{ id: "c1", files: ["a.py"] }]);
    const { prefix, shas } = addCommitsSharingPrefix(dir);
    const repo = await openAppRepo(dir);
    const longer = shas.map((sha) => sha.slice(0, 12));
    const resolved = await resolveCommits(repo, [prefix, ...longer]);
    expect(Object.fromEntries(resolved)).toEqual({
      [prefix]: { found: false, reason: "ambiguous" },
      [longer[0]]: { found: true, sha: shas[0] },
      [longer[1]]: { found: true, sha: shas[1] },
    });
  });

  test("given git's messages, old and new, when read, then the abbreviations called ambiguous are found and the hints ignored", () => {
    const stderr = ["error: short SHA1 1a2b3c4 is ambiguous", "hint: The candidates are:", "hint:   1a2b3c4d commit 2026-02-01 - x", "error: short object ID 5a49875 is ambiguous", ""].join("\n");
    expect(ambiguousNames(stderr)).toEqual(new Set(["1a2b3c4", "5a49875"]));
  });
});

describe("resolveCommits and behindHead on one history", () => {
  // main: c1 ─ c2 ─ c3 ─ c4 ─ c5 ─ c6 (merges keep) ─ c7 (merges discard)
  //                  └ f1 (feature)         ┘            ┘
  //                  └ g1 (feature2) ───────────────────-┘
  // plus h1 on a branch never merged, n1 on a branch ahead of main, and r1 with no history in common.
  let shas: Record<string, string>;
  let repo: AppRepo;
  beforeAll(async () => {
    const dir = join(root, "app");
    shas = buildAppRepo(dir, [
      { id: "c1", files: ["a/main.py", "b/main.py", "docs/index.md", "shared/util.py"] },
      { id: "c2", files: ["a/main.py"] },
      { id: "f1", branch: "feature", parent: "c2", files: ["a/ü file.py"] },
      { id: "g1", branch: "feature2", parent: "c2", files: ["b/main.py"] },
      { id: "c3", files: ["b/main.py"] },
      { id: "c4", files: ["docs/index.md"] },
      { id: "c5", files: ["shared/util.py", "docs/index.md"] },
      // A merge that resolves its conflict with new content: f1's change is in HEAD.
      { id: "c6", merge: "f1", files: ["a/ü file.py"] },
      // A merge that keeps main's side for every path: g1's change is not in HEAD.
      { id: "c7", merge: "g1", files: [] },
      { id: "h1", branch: "hotfix", parent: "c3", files: ["a/main.py"] },
      { id: "n1", branch: "next", parent: "c7", files: ["a/main.py"] },
      { id: "r1", branch: "unrelated", files: ["a/main.py"] },
    ]);
    repo = await openAppRepo(dir);
  });

  test("given a repository, when opened, then HEAD is main's full SHA", () => {
    expect(repo.head).toBe(shas.c7);
  });

  test("given full, abbreviated, unknown and non-SHA commits, when resolved, then each gets its full SHA or the reason it has none", async () => {
    const tree = gitIn(repo.dir, "rev-parse", "HEAD^{tree}");
    const resolved = await resolveCommits(repo, [shas.c1, shas.c3.slice(0, 8), "deadbee", "main", "HEAD~2", tree]);
    expect(Object.fromEntries(resolved)).toEqual({
      [shas.c1]: { found: true, sha: shas.c1 },
      [shas.c3.slice(0, 8)]: { found: true, sha: shas.c3 },
      deadbee: { found: false, reason: "missing" },
      main: { found: false, reason: "not a commit SHA" },
      "HEAD~2": { found: false, reason: "not a commit SHA" },
      [tree]: { found: false, reason: "missing" },
    });
  });

  test("given a commit seven behind HEAD, when measured against path lists, then behind counts every commit and touching counts per list", async () => {
    const behind = (await behindHead(repo, [shas.c2], [["a/", "shared/"], ["b/"], ["docs/index.md"], ["grading/"]])).get(shas.c2);
    // c2..HEAD is f1 g1 c3 c4 c5 c6 c7. a/ or shared/: f1 (kept by the c6 merge) and c5.
    // b/: c3 only; g1's change was discarded by the c7 merge. docs/index.md: c4, c5. Merges never count.
    expect(behind).toEqual({ commits: 7, touching: [2, 1, 2, 0] });
  });

  test("given HEAD itself, when measured, then it is zero behind", async () => {
    expect((await behindHead(repo, [repo.head], [["a/"]])).get(repo.head)).toEqual({ commits: 0, touching: [0] });
  });

  test("given a commit on a branch HEAD never merged, when measured, then it is not in HEAD's history", async () => {
    const behind = await behindHead(repo, [shas.h1], [["a/"]]);
    expect(behind.has(shas.h1)).toBe(true);
    expect(behind.get(shas.h1)).toBeUndefined();
  });

  test("given a commit newer than HEAD, or one sharing no history with it, when measured, then it is not in HEAD's history", async () => {
    const behind = await behindHead(repo, [shas.n1, shas.r1], [["a/"]]);
    expect([...behind]).toEqual([
      [shas.n1, undefined],
      [shas.r1, undefined],
    ]);
  });

  test("given a merged branch's commit, when measured, then it is in HEAD's history", async () => {
    expect((await behindHead(repo, [shas.f1], [["a/"]])).get(shas.f1)).toEqual({ commits: 6, touching: [0] });
  });

  test("given several commits on different branches at once, when measured, then each gets what it gets alone", async () => {
    const paths = [["a/", "shared/"], ["b/"], ["docs/"]];
    const commits = [shas.c2, shas.f1, shas.c4, shas.h1, shas.n1, repo.head];
    const together = await behindHead(repo, commits, paths);
    for (const commit of commits) expect(together.get(commit)).toEqual((await behindHead(repo, [commit], paths)).get(commit));
    // c4..HEAD: c5 c6 c7 and the merged f1 and g1; g1's change to b/ was discarded by c7.
    expect(together.get(shas.c4)).toEqual({ commits: 5, touching: [2, 0, 1] });
    // With a commit that shares no history, the walk has no bottom and goes to the root: same answers.
    const withUnrelated = await behindHead(repo, [...commits, shas.r1], paths);
    for (const commit of commits) expect(withUnrelated.get(commit)).toEqual(together.get(commit));
  });

  test("given the repository opened from a subdirectory, when measured, then paths are still from the repository's top", async () => {
    const fromSubdir = await openAppRepo(join(repo.dir, "a"));
    expect((await behindHead(fromSubdir, [shas.c2], [["a/", "shared/"], ["b/"]])).get(shas.c2)).toEqual({ commits: 7, touching: [2, 1] });
  });
});
