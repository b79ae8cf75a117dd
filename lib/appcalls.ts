// The calls an app repository's own code and scripts make, found by reading it at HEAD, so they can be held
// against the calls pipeline.ts declares. A call the code makes and the stack does not declare has no
// grant: it is the next 401 (the seed's phase3-to-grading), caught before the stack owns the callee.
//
// What is read, each by a small reader feeding one list:
// - workload code (files under a workload's source paths): hard-coded `*.run.app` and
//   `cloudfunctions.net` URLs; calls through the app's URL helper (`get_service_url(Services.X)`, whose
//   names and env vars are read from the helper module itself); Pub/Sub publish targets (a topic named on
//   a line about topics, literally or through the app's topic module `TOPICS.X`);
// - scripts (`*.sh`, `*.yaml`): the `gcloud` commands that make calls: push subscriptions
//   (`pubsub subscriptions create|update … --push-endpoint`), scheduler HTTP jobs
//   (`scheduler jobs create|update http … --uri`), scheduler jobs that publish (`… pubsub … --topic`) and
//   gen2 functions' own triggers (`functions deploy … --trigger-topic`). A URL held in a shell variable is
//   followed through the script's assignments.
// Documentation and `archive/` folders are not read: nothing deploys from them. Everything is read from
// HEAD with three git processes, so it works on a bare clone too.
import { execFile } from "node:child_process";
import { git, unreadable, type AppRepo } from "./git";
import { declaredCalls, workloadsOf, type CallKind, type LeftOutSpec, type Topology } from "../topology";

/** A call found in the app repository. */
export interface FoundCall {
  /** A workload, or for shared code `shared (A, B, …)`; a subscription or job name; a topic (eventarc). */
  readonly caller: string;
  /** A workload (by the name pipeline.ts uses) or a topic. */
  readonly callee: string;
  readonly kind: CallKind;
  /** `path:line` at the repository's HEAD. */
  readonly evidence: string;
}

/** The app's URL helper and topic module; the defaults are the NBA app's (shared/config/). */
export interface AppConventions {
  readonly urlHelper: string;
  readonly topicModule: string;
  /** What the topic module's `_topic('phase…')` prefixes. */
  readonly topicPrefix: string;
}

export const nbaConventions: AppConventions = {
  urlHelper: "shared/config/service_urls.py",
  topicModule: "shared/config/pubsub_topics.py",
  topicPrefix: "nba-",
};

/** Scans the repository at HEAD and returns every call found, in path and line order. */
export async function scanAppRepo(repo: AppRepo, topology: Topology, conventions: AppConventions = nbaConventions): Promise<FoundCall[]> {
  const scripts = await grepFiles(repo, ["gcloud"], ["*.sh", "*.yaml", "*.yml"]);
  const helperFiles = [conventions.urlHelper, conventions.topicModule];
  const contents = await readFiles(repo, [...helperFiles, ...scripts]);
  const names = nameResolver(topology, serviceHelper(contents.get(conventions.urlHelper) ?? ""));
  const topics = new Set([
    ...topology.topics.map((t) => t.name),
    ...topicModule(contents.get(conventions.topicModule) ?? "", conventions.topicPrefix).values(),
  ]);
  const topicConstants = topicModule(contents.get(conventions.topicModule) ?? "", conventions.topicPrefix);

  const owners = ownerIndex(topology);
  // A function's own folder names the topic that starts it (its docstring, its subscriber): not a publication.
  const ownTriggers = topology.functions.flatMap((f) =>
    "topic" in f.trigger && f.sourcePaths.length > 0 ? [{ folder: f.sourcePaths[0].replace(/[^/]*$/, ""), topic: f.trigger.topic }] : [],
  );
  const lines = await grepLines(repo, ["https://", "get_service_url", "topic", "TOPIC"], ["*.py"]);
  const found: FoundCall[] = [];
  for (const { path, line, text } of lines) {
    const caller = owners(path);
    // The helper modules define names; they make no call.
    if (caller === undefined || isComment(text) || helperFiles.includes(path)) continue;
    const evidence = `${path}:${line}`;
    for (const callee of urlCallees(text, names)) found.push({ caller, callee, kind: "http", evidence });
    for (const callee of helperCallees(text, names)) found.push({ caller, callee, kind: "http", evidence });
    for (const topic of publishedTopics(text, topics, topicConstants)) {
      if (!ownTriggers.some((t) => t.topic === topic && path.startsWith(t.folder))) found.push({ caller, callee: topic, kind: "publish", evidence });
    }
  }
  for (const path of scripts) {
    for (const call of gcloudCalls(path, contents.get(path) ?? "", names)) found.push(call);
  }
  const byPlace = (a: FoundCall, b: FoundCall) => a.evidence.localeCompare(b.evidence, "en", { numeric: true });
  return merge(found.sort(byPlace));
}

// ---------------------------------------------------------------------------------------------------
// Names: every way the app names a workload, to the name pipeline.ts uses.

type NameResolver = (name: string) => string;

interface ServiceHelper {
  /** `PREDICTION_COORDINATOR` → `prediction-coordinator`. */
  readonly constants: ReadonlyMap<string, string>;
}

/** The helper's `class Services:` constants (`NAME = 'service-name'`). */
function serviceHelper(source: string): ServiceHelper {
  const constants = new Map<string, string>();
  const body = /^class Services\b[^\n]*\n((?:[ \t]+[^\n]*\n|\s*\n)*)/m.exec(source)?.[1] ?? "";
  for (const m of body.matchAll(/^[ \t]+([A-Z][A-Z0-9_]*)\s*=\s*['"]([a-z0-9-]+)['"]/gm)) constants.set(m[1], m[2]);
  return { constants };
}

/** Maps an app name (a workload's name or one of its alternatives) to the workload's name; others stay as they are. */
function nameResolver(topology: Topology, helper: ServiceHelper): NameResolver & { helper: ServiceHelper } {
  const canonical = new Map<string, string>();
  for (const w of workloadsOf(topology)) {
    canonical.set(w.name, w.name);
    for (const alt of w.alternatives ?? []) canonical.set(alt.name, w.name);
  }
  return Object.assign((name: string) => canonical.get(name) ?? name, { helper });
}

/** The topic module's properties: `PHASE2_RAW_COMPLETE` → `nba-phase2-raw-complete`. */
function topicModule(source: string, prefix: string): Map<string, string> {
  const topics = new Map<string, string>();
  for (const m of source.matchAll(/def ([A-Z][A-Z0-9_]*)\(self\)[^:]*:\s*\n\s+return _topic\(['"]([a-z0-9-]+)['"]\)/g)) topics.set(m[1], `${prefix}${m[2]}`);
  return topics;
}

// ---------------------------------------------------------------------------------------------------
// Readers of one line of workload code.

const runAppUrl = /https:\/\/([a-z0-9-]+)\.(?:([a-z0-9-]+)\.)?run\.app/g;
const functionUrl = /https:\/\/[a-z0-9-]+\.cloudfunctions\.net\/([A-Za-z0-9_-]+)/g;

/** The service a run.app host names: `NAME-PROJECTNUMBER.REGION.run.app` or `NAME-HASH-REGIONCODE.a.run.app`. */
export function serviceOfRunAppHost(host: string, region: string | undefined): string | undefined {
  if (region === "a") return /^(.+)-[a-z0-9]{10}-[a-z]{2}$/.exec(host)?.[1];
  return /^(.+)-[0-9]{6,20}$/.exec(host)?.[1];
}

function urlCallees(text: string, names: NameResolver): string[] {
  const callees: string[] = [];
  for (const m of text.matchAll(runAppUrl)) {
    const service = serviceOfRunAppHost(m[1], m[2]);
    if (service) callees.push(names(service));
  }
  for (const m of text.matchAll(functionUrl)) callees.push(names(m[1]));
  return callees;
}

function helperCallees(text: string, names: NameResolver & { helper: ServiceHelper }): string[] {
  const callees: string[] = [];
  for (const m of text.matchAll(/get_service_url\(\s*(?:Services\.([A-Z0-9_]+)|['"]([a-z0-9-]+)['"])/g)) {
    const service = m[1] === undefined ? m[2] : names.helper.constants.get(m[1]);
    if (service) callees.push(names(service));
  }
  return callees;
}

/** Topics a line publishes to: it speaks of a topic (not a subscription) and names one the app has. */
function publishedTopics(text: string, topics: ReadonlySet<string>, constants: ReadonlyMap<string, string>): string[] {
  if (!/topic/i.test(text) || /subscription/i.test(text)) return [];
  const found: string[] = [];
  for (const m of text.matchAll(/TOPICS\.([A-Z0-9_]+)/g)) {
    const topic = constants.get(m[1]);
    if (topic) found.push(topic);
  }
  for (const m of text.matchAll(/['"]([a-z][a-z0-9-]{2,})['"]/g)) if (topics.has(m[1])) found.push(m[1]);
  return found;
}

function isComment(text: string): boolean {
  return /^\s*(#|\/\/|\*)/.test(text);
}

// ---------------------------------------------------------------------------------------------------
// Readers of scripts: gcloud commands, joined across `\` line continuations.

interface Command {
  readonly line: number;
  readonly words: string[];
}

/** The `gcloud pubsub|scheduler|functions` commands of a script, with the line each starts on. */
function gcloudCommands(source: string): Command[] {
  return joinedLines(source).flatMap(({ line, text }) => {
    const at = text.search(/\bgcloud\s+(pubsub|scheduler|functions)\s/);
    return at < 0 || isComment(text) ? [] : [{ line, words: shellWords(text.slice(at)) }];
  });
}

/** Words of a command line, quotes removed (enough for gcloud flags; no expansion). */
function shellWords(text: string): string[] {
  const words: string[] = [];
  for (const m of text.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) {
    const word = m[1] ?? m[2] ?? m[3];
    if (word === "#" || word.startsWith("#")) break;
    words.push(word);
  }
  return words;
}

/** `--flag=value` or `--flag value`, without the quotes of `--flag="value"`. */
function flag(words: readonly string[], name: string): string | undefined {
  for (let i = 0; i < words.length; i++) {
    if (words[i] === name) return words[i + 1];
    if (words[i].startsWith(`${name}=`)) return words[i].slice(name.length + 1).replace(/^(["'])(.*)\1$/, "$2");
  }
  return undefined;
}

/** A script's lines with `\\` continuations joined, each with the line it starts on. */
function joinedLines(source: string): { line: number; text: string }[] {
  const lines = source.split("\n");
  const joined: { line: number; text: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let text = lines[i];
    while (/\\\s*$/.test(text) && i + 1 < lines.length) text = `${text.replace(/\\\s*$/, " ")}${lines[++i]}`;
    joined.push({ line: start + 1, text });
  }
  return joined;
}

/**
 * The workload each shell variable of a script holds the URL of, following the script's assignments: a
 * run.app or cloudfunctions.net URL, `$(gcloud run services|functions describe NAME …)` (NAME a literal
 * or another variable), or another variable's value with a path after it (`"${SERVICE_URL}/predict"`).
 */
function urlVariables(source: string, names: NameResolver): Map<string, string> {
  const assigned = new Map<string, string[]>();
  for (const { text } of joinedLines(source)) {
    const m = /^\s*(?:local\s+|export\s+|readonly\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(text);
    if (m) assigned.set(m[1], [...(assigned.get(m[1]) ?? []), m[2]]);
  }
  const resolved = new Map<string, string>();
  const resolve = (variable: string, seen: readonly string[]): string | undefined => {
    if (resolved.has(variable)) return resolved.get(variable);
    if (seen.includes(variable)) return undefined;
    const callees = new Set((assigned.get(variable) ?? []).map((value) => calleeOfValue(value, [...seen, variable])).filter((c) => c !== undefined));
    // A variable given different workloads' URLs in one script is not one callee.
    const callee = callees.size === 1 ? [...callees][0] : undefined;
    if (callee !== undefined) resolved.set(variable, callee);
    return callee;
  };
  const calleeOfValue = (value: string, seen: readonly string[]): string | undefined => {
    const described = /gcloud\s+(?:run\s+services|functions)\s+describe\s+["']?(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|[a-z][a-z0-9-]*)/.exec(value);
    if (described) {
      const name = nameIn(described[1], source);
      return name === undefined || name.startsWith("$") ? undefined : names(name);
    }
    const literal = urlCallees(value, names)[0];
    if (literal) return literal;
    const variable = /^["']?\$\{?([A-Za-z_][A-Za-z0-9_]*)/.exec(value)?.[1];
    return variable === undefined ? undefined : resolve(variable, seen);
  };
  for (const variable of assigned.keys()) resolve(variable, []);
  return resolved;
}

/** The workload a URL argument reaches: a literal URL, or a variable holding one. */
function calleeOfUrl(value: string | undefined, vars: ReadonlyMap<string, string>, names: NameResolver): string | undefined {
  if (value === undefined) return undefined;
  const literal = urlCallees(value, names)[0];
  if (literal) return literal;
  const variable = /\$\{?([A-Za-z_][A-Za-z0-9_]*)/.exec(value)?.[1];
  return variable === undefined ? undefined : vars.get(variable);
}

/**
 * A resource name as a script writes it: a literal, or a variable assigned exactly one literal in the
 * script. Anything else (a function argument, a loop variable) stays as written, `$name`, and matches any
 * declared caller of that kind and callee.
 */
function nameIn(word: string | undefined, source: string): string | undefined {
  if (word === undefined || word.startsWith("-")) return undefined;
  const variable = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(word)?.[1];
  if (variable === undefined) return word;
  const values = [...source.matchAll(new RegExp(`^\\s*(?:local\\s+|export\\s+|readonly\\s+)?${variable}=["']?([a-z][a-z0-9-]*)["']?\\s*$`, "gm"))].map((m) => m[1]);
  return new Set(values).size === 1 ? values[0] : `$${variable}`;
}

function gcloudCalls(path: string, source: string, names: NameResolver): FoundCall[] {
  const vars = urlVariables(source, names);
  const calls: FoundCall[] = [];
  for (const { line, words } of gcloudCommands(source)) {
    const evidence = `${path}:${line}`;
    const [, group, noun, verb, ...rest] = words;
    const name = nameIn(rest[0], source);
    // `create`, `update`, or a variable holding one of them (`gcloud scheduler jobs $ACTION http …`).
    const writes = verb === "create" || verb === "update" || /^\$\{?[A-Za-z_]/.test(verb ?? "");
    if (group === "pubsub" && noun === "subscriptions" && writes && name) {
      const callee = calleeOfUrl(flag(words, "--push-endpoint"), vars, names);
      if (callee) calls.push({ caller: name, callee, kind: "push", evidence });
    } else if (group === "scheduler" && noun === "jobs" && writes && rest[0] === "http") {
      const job = nameIn(rest[1], source);
      const callee = calleeOfUrl(flag(words, "--uri"), vars, names);
      if (job && callee) calls.push({ caller: job, callee, kind: "scheduler", evidence });
    } else if (group === "scheduler" && noun === "jobs" && writes && rest[0] === "pubsub") {
      const job = nameIn(rest[1], source);
      const topic = nameIn(flag(words, "--topic")?.replace(/^projects\/[^/]+\/topics\//, ""), source);
      if (job && topic) calls.push({ caller: job, callee: topic, kind: "publish", evidence });
    } else if (group === "functions" && noun === "deploy") {
      const fn = nameIn(verb, source);
      const topic = nameIn(flag(words, "--trigger-topic"), source);
      if (fn && topic) calls.push({ caller: topic, callee: fn.startsWith("$") ? fn : names(fn), kind: "eventarc", evidence });
    }
  }
  return calls;
}

// ---------------------------------------------------------------------------------------------------
// Ownership: which workload runs a file.

/**
 * The caller a code file belongs to: the workload whose image or package holds it. A file several
 * workloads hold (shared/, a package's copy of it, a tree more than one image copies) belongs to all of
 * them, named `shared (A, B, …)`: which of them runs the line is not known from the text, and the call
 * counts as declared when any of them declares it.
 */
function ownerIndex(topology: Topology): (path: string) => string | undefined {
  const entries = workloadsOf(topology).flatMap((w) => w.sourcePaths.map((p) => ({ path: p, workload: w.name })));
  const holders = (file: string) => [...new Set(entries.filter((e) => (e.path.endsWith("/") ? file.startsWith(e.path) : file === e.path)).map((e) => e.workload))];
  return (file) => {
    // A function's packaged copy of shared/ is the same library as shared/ itself.
    const library = file.includes("/shared/") ? file.slice(file.indexOf("/shared/") + 1) : undefined;
    const owners = [...new Set([...holders(file), ...(library === undefined ? [] : holders(library))])];
    if (owners.length === 0) return undefined;
    return owners.length === 1 && library === undefined ? owners[0] : `shared (${owners.join(", ")})`;
  };
}

/** The workloads a `shared (A, B)` caller stands for, or the caller itself. */
export function callerWorkloads(caller: string): string[] {
  const m = /^shared \((.*)\)$/.exec(caller);
  return m ? m[1].split(", ") : [caller];
}

/** One row per caller, callee and kind, its evidence every `path:line` found for it. */
function merge(calls: readonly FoundCall[]): FoundCall[] {
  const rows = new Map<string, { call: FoundCall; evidence: string[] }>();
  for (const c of calls) {
    const key = `${c.caller}\0${c.callee}\0${c.kind}`;
    const row = rows.get(key) ?? { call: c, evidence: [] };
    if (!row.evidence.includes(c.evidence)) row.evidence.push(c.evidence);
    rows.set(key, row);
  }
  return [...rows.values()].map(({ call, evidence }) => ({ ...call, evidence: evidence.join(", ") }));
}

// ---------------------------------------------------------------------------------------------------
// Holding found calls against the declared ones.

export interface CallRow extends FoundCall {
  readonly declared: boolean;
  /** Why pipeline.ts leaves this call out on purpose (MLB, a retired workload): not a gap. */
  readonly leftOut?: string;
}

/**
 * Each found call, with whether pipeline.ts declares it (for shared code: whether any workload holding
 * the file declares it) or leaves its caller or callee out on purpose.
 */
export function holdAgainst(found: readonly FoundCall[], topology: Topology): CallRow[] {
  const all = declaredCalls(topology);
  const declared = new Set(all.map((c) => `${c.kind}\0${c.caller}\0${c.callee}`));
  // A name a script holds in a variable it does not assign stands for any declared one.
  const isVariable = (name: string) => name.startsWith("$");
  const covers = (c: FoundCall) =>
    isVariable(c.caller) || isVariable(c.callee)
      ? all.some((d) => d.kind === c.kind && (isVariable(c.caller) || d.caller === c.caller) && (isVariable(c.callee) || d.callee === c.callee))
      : callerWorkloads(c.caller).some((caller) => declared.has(`${c.kind}\0${caller}\0${c.callee}`));
  return found.map((c) => {
    const isDeclared = covers(c);
    const why = isDeclared ? undefined : leftOutReason(topology.leftOut, c);
    return { ...c, declared: isDeclared, ...(why === undefined ? {} : { leftOut: why }) };
  });
}

/**
 * Why the topology leaves a call out, if it does: a left-out name matches its caller or callee (`mlb-*`
 * matches a prefix), or a left-out folder (`dir/`), file or `path:line` holds every place it was found.
 */
function leftOutReason(leftOut: readonly LeftOutSpec[], call: FoundCall): string | undefined {
  const matches = (pattern: string, name: string) => (pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : name === pattern);
  const holds = (pattern: string, place: string) => place === pattern || place.split(":")[0] === pattern || (pattern.endsWith("/") && place.startsWith(pattern));
  const places = call.evidence.split(", ");
  const entry = leftOut.find(
    (l) =>
      matches(l.name, call.callee) ||
      callerWorkloads(call.caller).some((caller) => matches(l.name, caller)) ||
      places.every((place) => holds(l.name, place)),
  );
  return entry?.why;
}

// ---------------------------------------------------------------------------------------------------
// git: the lines and files read.

/** Tracked files at HEAD with a line containing one of `needles`, among files matching `globs`. */
async function grepFiles(repo: AppRepo, needles: readonly string[], globs: readonly string[]): Promise<string[]> {
  const result = await git(repo.dir, ["grep", "-l", "-I", "-F", ...needles.flatMap((n) => ["-e", n]), "HEAD", "--", ...globs.map((g) => `:(glob)**/${g}`), ...notDeployPaths]);
  if (result.code > 1) throw unreadable(repo, "grep", result);
  return result.stdout.split("\n").filter((l) => l !== "").map((l) => l.slice("HEAD:".length));
}

/** Where no deploy path runs from: documentation and archived scripts. */
const notDeployPaths = [":(exclude,glob)docs/**", ":(exclude,glob)**/archive/**"];

/** Lines at HEAD containing one of `needles`, in files matching `globs`. */
async function grepLines(repo: AppRepo, needles: readonly string[], globs: readonly string[]): Promise<{ path: string; line: number; text: string }[]> {
  const result = await git(repo.dir, ["grep", "-n", "-I", "-F", "--null", ...needles.flatMap((n) => ["-e", n]), "HEAD", "--", ...globs.map((g) => `:(glob)**/${g}`)]);
  if (result.code > 1) throw unreadable(repo, "grep", result);
  const lines: { path: string; line: number; text: string }[] = [];
  for (const row of result.stdout.split("\n")) {
    // --null: HEAD:path NUL line NUL text
    const [file, line, ...text] = row.split("\0");
    if (line === undefined) continue;
    lines.push({ path: file.slice("HEAD:".length), line: Number(line), text: text.join("\0") });
  }
  return lines;
}

/** The text of `paths` at HEAD, read in one `git cat-file --batch`; a path HEAD lacks is absent from the map. */
function readFiles(repo: AppRepo, paths: readonly string[]): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const child = execFile("git", ["-C", repo.dir, "cat-file", "--batch"], { encoding: "buffer", maxBuffer: 1 << 30 }, (error, stdout) => {
      if (error) return reject(new Error(`git cat-file in ${repo.dir}: ${error.message}`));
      const files = new Map<string, string>();
      let at = 0;
      for (const path of paths) {
        const eol = stdout.indexOf(10, at);
        const header = stdout.subarray(at, eol).toString("utf8");
        at = eol + 1;
        const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
        if (!m) continue; // "HEAD:path missing"
        const size = Number(m[2]);
        if (m[1] === "blob") files.set(path, stdout.subarray(at, at + size).toString("utf8"));
        at += size + 1;
      }
      resolve(files);
    });
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(paths.map((p) => `HEAD:${p}\n`).join(""));
  });
}
