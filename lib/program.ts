// Any Pulumi TypeScript program, as `npm run check -- --program DIR` runs it: its project file
// (Pulumi.yaml: name, runtime, main, project-level config), its stack file (Pulumi.NAME.yaml), and its
// code, loaded under the same offline runtime as this repository's stack (lib/capture.ts), from DIR as
// the working directory, as the Pulumi CLI runs it. Its packages resolve from DIR's node_modules and,
// where DIR has none, from this project's.
import { existsSync, readdirSync, statSync } from "node:fs";
import Module from "node:module";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { parseDocument } from "yaml";
import { InputError, readInputFile } from "./cli";
import { plainSecrets } from "./secrets";

export interface ProgramProject {
  /** The directory as given (for messages) and resolved. */
  readonly dir: string;
  readonly root: string;
  /** The Pulumi project name (URNs, the policy pack's project). */
  readonly name: string;
  /** The file the Node runtime loads: `main` of Pulumi.yaml or package.json, else index.ts (or index.js). */
  readonly main: string;
  readonly stack: string;
  /** The stack file read, if any. */
  readonly stackFile?: string;
  /** The config the engine hands the program: project defaults, then the stack file's values, keys as `ns:key`. */
  readonly config: Record<string, unknown>;
  /** Config keys whose values were encrypted in the stack file (offline, they hold a placeholder). */
  readonly secretKeys: readonly string[];
}

/** What an encrypted value holds offline: the program gets a secret, but not its text. */
export const offlineSecret = "(secret: not decrypted offline)";

const projectRoot = resolve(__dirname, "..");

/** Reads DIR's project and stack files; InputError naming the file and key for anything the CLI would refuse. */
export function loadProgram(dir: string, stackName?: string): ProgramProject {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new InputError(`--program: ${dir} is not a directory`);
  const projectFile = join(dir, "Pulumi.yaml");
  const project = readYaml(projectFile, "project file");
  const name = project.name;
  if (typeof name !== "string" || name === "") throw new InputError(`${projectFile}: expected a project "name:"`);
  const runtime = typeof project.runtime === "object" && project.runtime !== null ? (project.runtime as { name?: unknown }).name : project.runtime;
  if (runtime !== "nodejs") {
    throw new InputError(`${projectFile}: runtime is ${JSON.stringify(runtime)}; check --program runs Pulumi programs whose runtime is nodejs (TypeScript or JavaScript)`);
  }
  const stack = stackName ?? defaultStack(root);
  const stackFile = join(dir, `Pulumi.${stack}.yaml`);
  if (stackName !== undefined && !existsSync(join(root, `Pulumi.${stack}.yaml`))) throw new InputError(`cannot read stack file ${stackFile}: ENOENT`);
  const stackConfig = existsSync(join(root, `Pulumi.${stack}.yaml`)) ? stackConfigOf(stackFile, name) : {};
  const config = { ...projectConfigOf(project.config, name, projectFile), ...stackConfig };
  const problems = plainSecrets(config, new Set());
  if (problems.length > 0) throw new InputError(problems.map((p) => `${stackFile}: ${p.path.join(".")}: ${p.message}`).join("\n"));
  const secretKeys = Object.keys(config).filter((key) => isEncrypted(config[key]));
  for (const key of secretKeys) config[key] = offlineSecret;
  return {
    dir,
    root,
    name,
    main: mainOf(root, project.main, projectFile),
    stack,
    ...(existsSync(join(root, `Pulumi.${stack}.yaml`)) ? { stackFile } : {}),
    config,
    secretKeys,
  };
}

function readYaml(file: string, what: string): Record<string, unknown> {
  const doc = parseDocument(readInputFile(file, what));
  if (doc.errors.length > 0) throw new InputError(`${file}: not valid YAML: ${doc.errors[0].message.split("\n")[0]}`);
  const body: unknown = doc.toJS();
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new InputError(`${file}: expected a YAML map`);
  return body as Record<string, unknown>;
}

/** The only stack file in DIR, else `dev` (no stack file: project config only). */
function defaultStack(root: string): string {
  const stacks = readdirSync(root).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? []);
  return stacks.length === 1 ? stacks[0] : "dev";
}

/** A key as the engine names it: `ns:key`, a bare key in the project's namespace. */
function qualified(key: string, project: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

/** Project-level config (Pulumi.yaml `config:`): a plain value, `{value: …}` or a typed `{default: …}`. */
function projectConfigOf(raw: unknown, project: string, file: string): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw new InputError(`${file}: config: expected a map`);
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const isSpec = value !== null && typeof value === "object" && !Array.isArray(value) && ("value" in value || "default" in value || "type" in value);
    const given = isSpec ? ((value as { value?: unknown; default?: unknown }).value ?? (value as { default?: unknown }).default) : value;
    if (given !== undefined) config[qualified(key, project)] = given;
  }
  return config;
}

function stackConfigOf(file: string, project: string): Record<string, unknown> {
  const doc = readYaml(file, "stack file");
  const raw = doc.config ?? {};
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new InputError(`${file}: expected a top-level "config:" map`);
  return Object.fromEntries(Object.entries(raw).map(([key, value]) => [qualified(key, project), value]));
}

function isEncrypted(value: unknown): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value) && typeof (value as { secure?: unknown }).secure === "string";
}

/** The program's entry, as the Node language host finds it. */
function mainOf(root: string, main: unknown, projectFile: string): string {
  const base = typeof main === "string" && main !== "" ? resolve(root, main) : root;
  const candidates = existsSync(base) && statSync(base).isFile() ? [base] : [packageMain(base), join(base, "index.ts"), join(base, "index.js")];
  const found = candidates.find((c): c is string => c !== undefined && existsSync(c) && statSync(c).isFile());
  if (!found) throw new InputError(`${projectFile}: no program to run: expected ${typeof main === "string" ? `main: ${main}` : "index.ts"} (or package.json "main")`);
  return found;
}

function packageMain(dir: string): string | undefined {
  const file = join(dir, "package.json");
  if (!existsSync(file)) return undefined;
  try {
    const main = (JSON.parse(readInputFile(file, "package.json")) as { main?: unknown }).main;
    return typeof main === "string" ? resolve(dir, main) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------
// Running it.

let runs = 0;

type ResolveFilename = (request: string, parent: NodeJS.Module | undefined, isMain: boolean, options?: unknown) => string;

/**
 * The program as a function the capture runs inside the Pulumi stack: it loads DIR's main afresh (from
 * DIR as working directory, TypeScript compiled by tsx) and returns its exports, or, for a main that
 * exports a function, what that function returns: the stack outputs, as the Node runtime makes them.
 */
export function programRunner(program: ProgramProject): () => Promise<unknown> {
  return async () => {
    const moduleApi = Module as unknown as { _resolveFilename: ResolveFilename };
    const original = moduleApi._resolveFilename;
    const inProgram = (file: string | undefined) => file !== undefined && (file === program.root || file.startsWith(program.root + sep));
    // A package DIR does not have resolves from this project, as if DIR lay inside it.
    moduleApi._resolveFilename = function (request, parent, isMain, options) {
      try {
        return original.call(this, request, parent, isMain, options);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND" || request.startsWith(".") || isAbsolute(request) || !inProgram(parent?.filename)) throw error;
        return original.call(this, request, parent, isMain, { paths: [projectRoot] });
      }
    };
    const cwd = process.cwd();
    const tsx = (require("tsx/cjs/api") as typeof import("tsx/cjs/api")).register({ namespace: `check-program-${++runs}` });
    try {
      process.chdir(program.root);
      // Loaded afresh: a program registers its resources when its module runs.
      for (const key of Object.keys(require.cache)) if (inProgram(key)) delete require.cache[key];
      const exported: unknown = tsx.require(program.main, join(program.root, "Pulumi.yaml"));
      const main = exported !== null && typeof exported === "object" && "default" in exported && Object.keys(exported).length === 1 ? (exported as { default: unknown }).default : exported;
      return typeof main === "function" ? await (main as () => unknown)() : main;
    } finally {
      process.chdir(cwd);
      tsx.unregister();
      moduleApi._resolveFilename = original;
    }
  };
}

/** The directory as messages show it. */
export function programLabel(program: ProgramProject): string {
  return relative(process.cwd(), program.root) || ".";
}
