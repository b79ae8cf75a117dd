// Reading deployed state: the JSON of `pulumi stack export` (deployment version 3 or 4), or the DIY/file
// backend's checkpoint file, into the same EngineResource shape the offline capture produces.
//
// A state file is read a chunk at a time and its resources one at a time (lib/jsonSplit.ts), so no
// string of the whole file is ever made: a large stack's export passes V8's string limit (about 512 MB)
// long before memory runs out, and a caller can encode each resource and let it go.
import { closeSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { InputError } from "./cli";
import { JsonArraySplitter, JsonSplitError } from "./jsonSplit";
import { isObject, unknownValue, type EngineResource, type ProviderResource } from "./resources";

/** The resources of a state file, as the engine hands them to a policy pack. */
export interface StateExport {
  readonly resources: EngineResource[];
  /** How many encrypted secrets were read as unknown values (none with `--show-secrets`). */
  readonly encryptedValues: number;
}

export type StateSummary = Omit<StateExport, "resources">;

/**
 * Deployment versions read here. The CLI writes 4 instead of 3 when state uses what older CLIs cannot
 * read (a tainted resource, resource hooks, replaceWith); resources keep the fields read here.
 */
const supportedVersions: readonly unknown[] = [3, 4];

/** `pulumi stack export` wraps the snapshot in "deployment"; the file backend's checkpoint in "checkpoint.latest". */
const resourceArrays = [
  ["deployment", "resources"],
  ["checkpoint", "latest", "resources"],
] as const;

const chunkBytes = 1024 * 1024;

/** Reads a state file; every way it can be unreadable or malformed is an InputError naming the file and field. */
export function readStateExport(path: string): StateExport {
  const resources: EngineResource[] = [];
  const { encryptedValues } = scanStateExport(path, (r) => resources.push(r));
  return { resources, encryptedValues };
}

/**
 * Hands each resource of a state file to `visit`, in order, as it is read (pending deletes skipped);
 * InputError as readStateExport. A resource may have been visited before a later one turns out bad.
 * `chunkRead` is called with the bytes read so far after each chunk (a megabyte) is read and its
 * resources visited.
 */
export function scanStateExport(path: string, visit: (r: EngineResource) => void, chunkRead?: (bytesRead: number) => void): StateSummary {
  const reader = new StateReader(path, visit);
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw unreadable(path, error);
  }
  try {
    for (let bytesRead = 0; ; ) {
      // A new buffer each time: a resource read across two chunks keeps a view of the first.
      const chunk = Buffer.allocUnsafe(chunkBytes);
      let read: number;
      try {
        read = readSync(fd, chunk, 0, chunkBytes, null);
      } catch (error) {
        throw unreadable(path, error);
      }
      if (read === 0) break;
      reader.write(chunk.subarray(0, read));
      bytesRead += read;
      chunkRead?.(bytesRead);
    }
    return reader.end();
  } catch (error) {
    throw error instanceof StateSyntaxError ? notJson(path, error.message) : error;
  } finally {
    closeSync(fd);
  }
}

/** The resources of an export already in memory (a parsed document or its text); `where` names it in messages. */
export function parseStateExport(doc: unknown, where: string): StateExport {
  const resources: EngineResource[] = [];
  const reader = new StateReader(where, (r) => resources.push(r));
  try {
    reader.write(Buffer.from(typeof doc === "string" ? doc : JSON.stringify(doc), "utf8"));
    return { resources, ...reader.end() };
  } catch (error) {
    if (error instanceof StateSyntaxError) throw new InputError(`${where}: not JSON (${error.message}); expected the output of \`pulumi stack export\``);
    throw error;
  }
}

function unreadable(path: string, error: unknown): InputError {
  return new InputError(`cannot read state file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
}

/** The file is not JSON; where it is small enough to be one string, JSON.parse of it says where exactly. */
function notJson(path: string, detail: string): InputError {
  let message = detail;
  if (statSync(path).size <= 64 * 1024 * 1024) {
    try {
      JSON.parse(readFileSync(path, "utf8"));
    } catch (error) {
      message = (error as Error).message;
    }
  }
  return new InputError(`${path}: not JSON (${message}); expected the output of \`pulumi stack export\``);
}

/** Not JSON where the reader found it; the message says where in the file or which resource. */
class StateSyntaxError extends Error {}

/**
 * The state file's bytes in, resources out. The version is checked as soon as it is read (it comes
 * first in what the CLI writes), so resources are translated only from a version read here; the rest
 * of the document's shape is checked from the skeleton at the end.
 */
class StateReader {
  private readonly splitter: JsonArraySplitter;
  private readonly secrets: SecretCount = { encrypted: 0 };
  /** The provider resources read so far, by URN: the engine writes a provider before what it manages. */
  private readonly providers = new Map<string, ProviderResource>();
  private versionChecked = false;
  /** Resources read before the version: kept until it is known. */
  private readonly early: { bytes: Buffer; index: number; path: readonly string[] }[] = [];

  constructor(
    private readonly where: string,
    private readonly visit: (r: EngineResource) => void,
  ) {
    this.splitter = new JsonArraySplitter({
      arrays: resourceArrays,
      onElement: (bytes, index, path) => {
        if (this.versionChecked) this.resource(bytes, index, path);
        else this.early.push({ bytes: Buffer.from(bytes), index, path });
      },
      onMember: (key, text) => {
        if (key !== "version") return;
        let version: unknown;
        try {
          version = JSON.parse(text);
        } catch {
          return; // the skeleton's JSON.parse says what is wrong
        }
        this.checkVersion(version);
      },
    });
  }

  write(chunk: Buffer): void {
    try {
      this.splitter.write(chunk);
    } catch (error) {
      throw error instanceof JsonSplitError ? new StateSyntaxError(error.message) : error;
    }
  }

  end(): StateSummary {
    let doc: unknown;
    try {
      doc = JSON.parse(this.splitter.end());
    } catch (error) {
      throw new StateSyntaxError((error as Error).message);
    }
    const where = this.where;
    if (!isObject(doc)) throw new InputError(`${where}: expected a JSON object from \`pulumi stack export\``);
    this.checkVersion(doc.version);
    if ("deployment" in doc && "checkpoint" in doc) {
      throw new InputError(`${where}: both "deployment" (stack export) and "checkpoint" (file backend state); expected one of them`);
    }
    const snapshot = "deployment" in doc ? doc.deployment : isObject(doc.checkpoint) ? doc.checkpoint.latest : undefined;
    const key = "deployment" in doc ? "deployment" : "checkpoint.latest";
    if (snapshot === undefined || snapshot === null) {
      if (!isObject(doc.checkpoint)) throw new InputError(`${where}: expected a "deployment" object (stack export) or "checkpoint" (file backend state)`);
      // a stack that was created but never updated
    } else {
      if (!isObject(snapshot)) throw new InputError(`${where}: "${key}" must be an object`);
      if (snapshot.resources !== undefined && snapshot.resources !== null && !Array.isArray(snapshot.resources)) {
        throw new InputError(`${where}: "${key}.resources" must be an array`);
      }
    }
    return { encryptedValues: this.secrets.encrypted };
  }

  private checkVersion(version: unknown): void {
    if (this.versionChecked) return;
    if (!supportedVersions.includes(version)) {
      throw new InputError(`${this.where}: unsupported deployment version ${JSON.stringify(version)}; expected 3 or 4 (Pulumi CLI 3.x \`pulumi stack export\`)`);
    }
    this.versionChecked = true;
    for (const { bytes, index, path } of this.early.splice(0)) this.resource(bytes, index, path);
  }

  private resource(bytes: Buffer, index: number, path: readonly string[]): void {
    const where = `${this.where}: ${path.slice(0, -1).join(".")}.resources[${index}]`;
    let r: unknown;
    try {
      r = JSON.parse(bytes.toString("utf8"));
    } catch (error) {
      throw new StateSyntaxError(`in ${path.slice(0, -1).join(".")}.resources[${index}]: ${(error as Error).message}`);
    }
    if (isPendingDelete(r)) return;
    const resource = toEngineResource(r, where, this.secrets, this.providers);
    if (resource.type.startsWith("pulumi:providers:")) {
      this.providers.set(resource.urn, { urn: resource.urn, type: resource.type, name: resource.name, properties: resource.inputs });
    }
    this.visit(resource);
  }
}

/**
 * The old copy of a replaced resource, kept until it is deleted (`"delete": true`). It is not part of
 * the stack any more, and `pulumi policy analyze` skips it: judged here, an old service at its old
 * commit would split its deploy group, and drift would read its old commit.
 */
function isPendingDelete(r: unknown): boolean {
  return isObject(r) && r.delete === true;
}

/**
 * A resource as the engine hands it to a policy pack, with the provider resource that manages it (the
 * state's `provider` is a reference, `PROVIDER_URN::ID`; the engine sends that provider's inputs).
 */
function toEngineResource(r: unknown, where: string, secrets: SecretCount, providers: ReadonlyMap<string, ProviderResource>): EngineResource {
  if (!isObject(r)) throw new InputError(`${where}: expected a resource object`);
  const urn = stringField(r, "urn", where);
  const type = stringField(r, "type", where);
  const name = urn.split("::").pop() ?? "";
  if (!urn.startsWith("urn:pulumi:") || name === "") throw new InputError(`${where}.urn: not a Pulumi URN: ${JSON.stringify(urn)}`);
  const inputs = revealSecrets(optionalObject(r, "inputs", where), ["inputs"], where, secrets) as Record<string, unknown>;
  const outputs = revealSecrets(optionalObject(r, "outputs", where), ["outputs"], where, secrets) as Record<string, unknown>;
  const dependencies = optionalStrings(r.dependencies, `${where}.dependencies`);
  const propertyDependencies: Record<string, readonly string[]> = {};
  for (const [property, urns] of Object.entries(optionalObject(r, "propertyDependencies", where))) {
    propertyDependencies[property] = optionalStrings(urns, `${where}.propertyDependencies.${property}`);
  }
  if (r.parent !== undefined && typeof r.parent !== "string") throw new InputError(`${where}.parent: expected a URN string`);
  if (r.provider !== undefined && typeof r.provider !== "string") throw new InputError(`${where}.provider: expected a provider reference (URN::ID)`);
  const provider = r.provider ? providers.get(r.provider.slice(0, r.provider.lastIndexOf("::"))) : undefined;
  return {
    urn,
    type,
    name,
    custom: r.custom === true,
    ...(r.parent ? { parent: r.parent as string } : {}),
    inputs,
    outputs,
    dependencies,
    propertyDependencies,
    ...(provider ? { provider } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------
// Secrets. The engine decrypts them before it hands state to a policy pack, and the policy SDK unwraps
// them to their values (@pulumi/policy deserialize.js), so a pack never sees a secret as such. An
// export holds each one as {SIG: SECRET, "ciphertext": …} or, with --show-secrets, {SIG: SECRET,
// "plaintext": JSON text of the value}.

const signatureKey = "4dabf18193072939515e22adb298388d";
const secretSignature = "1b47061264138c4ac30d75fd1eb44270";

interface SecretCount {
  encrypted: number;
}

/**
 * `value` (freshly parsed, so changed in place) with each secret replaced by what the pack is to see:
 * a plaintext one by its value; an encrypted one, which only the stack's secrets provider can read, by
 * the value preview sends for what is not known yet, on which every policy here fails closed (an
 * account email not known is not granted). Encrypted ones are counted in `secrets`.
 */
function revealSecrets(value: unknown, path: (string | number)[], where: string, secrets: SecretCount): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      value[i] = revealSecrets(value[i], path, where, secrets);
      path.pop();
    }
    return value;
  }
  const object = value as Record<string, unknown>;
  if (object[signatureKey] === secretSignature) return secretValue(object, path, where, secrets);
  for (const key of Object.keys(object)) {
    path.push(key);
    object[key] = revealSecrets(object[key], path, where, secrets);
    path.pop();
  }
  return object;
}

function secretValue(secret: Record<string, unknown>, path: (string | number)[], where: string, secrets: SecretCount): unknown {
  const field = (key?: string) => `${where}.${fieldPath(key === undefined ? path : [...path, key])}`;
  if ("plaintext" in secret) {
    let value: unknown;
    try {
      if (typeof secret.plaintext !== "string") throw new TypeError("not a string");
      value = JSON.parse(secret.plaintext);
    } catch {
      throw new InputError(`${field("plaintext")}: expected the JSON text of the secret's value`);
    }
    return revealSecrets(value, path, where, secrets);
  }
  if ("ciphertext" in secret) {
    if (typeof secret.ciphertext !== "string") throw new InputError(`${field("ciphertext")}: expected a string`);
    secrets.encrypted++;
    return unknownValue;
  }
  throw new InputError(`${field()}: a secret with neither "ciphertext" nor "plaintext"`);
}

/** `outputs.list[0].name`. */
function fieldPath(path: readonly (string | number)[]): string {
  return path.map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? key : `.${key}`)).join("");
}

function stringField(r: Record<string, unknown>, key: string, where: string): string {
  const value = r[key];
  if (typeof value !== "string" || value === "") throw new InputError(`${where}.${key}: expected a non-empty string`);
  return value;
}

function optionalObject(r: Record<string, unknown>, key: string, where: string): Record<string, unknown> {
  const value = r[key];
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new InputError(`${where}.${key}: expected an object`);
  return value;
}

function optionalStrings(value: unknown, where: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) throw new InputError(`${where}: expected an array of URN strings`);
  return value;
}
