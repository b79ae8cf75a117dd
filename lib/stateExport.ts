// Reading deployed state: the JSON of `pulumi stack export` (deployment version 3 or 4), or the DIY/file
// backend's checkpoint file, into the same EngineResource shape the offline capture produces.
import { InputError, readInputFile } from "./cli";
import { unknownValue, type EngineResource } from "./resources";

/** The resources of a state file, as the engine hands them to a policy pack. */
export interface StateExport {
  readonly resources: EngineResource[];
  /** How many encrypted secrets were read as unknown values (none with `--show-secrets`). */
  readonly encryptedValues: number;
}

/**
 * Deployment versions read here. The CLI writes 4 instead of 3 when state uses what older CLIs cannot
 * read (a tainted resource, resource hooks, replaceWith); resources keep the fields read here.
 */
const supportedVersions: readonly unknown[] = [3, 4];

/** Reads a state file; every way it can be unreadable or malformed is an InputError naming the file and field. */
export function readStateExport(path: string): StateExport {
  const text = readInputFile(path, "state file");
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${path}: not JSON (${(error as Error).message}); expected the output of \`pulumi stack export\``);
  }
  return parseStateExport(doc, path);
}

/** The resources of a parsed export; `where` names the file in messages. */
export function parseStateExport(doc: unknown, where: string): StateExport {
  if (!isObject(doc)) throw new InputError(`${where}: expected a JSON object from \`pulumi stack export\``);
  if (!supportedVersions.includes(doc.version)) {
    throw new InputError(`${where}: unsupported deployment version ${JSON.stringify(doc.version)}; expected 3 or 4 (Pulumi CLI 3.x \`pulumi stack export\`)`);
  }
  // `pulumi stack export` wraps the snapshot in "deployment"; the file backend's checkpoint in "checkpoint.latest".
  const snapshot = "deployment" in doc ? doc.deployment : isObject(doc.checkpoint) ? doc.checkpoint.latest : undefined;
  const key = "deployment" in doc ? "deployment" : "checkpoint.latest";
  if (snapshot === undefined || snapshot === null) {
    if (isObject(doc.checkpoint)) return { resources: [], encryptedValues: 0 }; // a stack that was created but never updated
    throw new InputError(`${where}: expected a "deployment" object (stack export) or "checkpoint" (file backend state)`);
  }
  if (!isObject(snapshot)) throw new InputError(`${where}: "${key}" must be an object`);
  const resources = snapshot.resources ?? [];
  if (!Array.isArray(resources)) throw new InputError(`${where}: "${key}.resources" must be an array`);
  const secrets = { encrypted: 0 };
  return {
    resources: resources.flatMap((r: unknown, i) => (isPendingDelete(r) ? [] : [toEngineResource(r, `${where}: ${key}.resources[${i}]`, secrets)])),
    encryptedValues: secrets.encrypted,
  };
}

/**
 * The old copy of a replaced resource, kept until it is deleted (`"delete": true`). It is not part of
 * the stack any more, and `pulumi policy analyze` skips it: judged here, an old service at its old
 * commit would split its deploy group, and drift would read its old commit.
 */
function isPendingDelete(r: unknown): boolean {
  return isObject(r) && r.delete === true;
}

function toEngineResource(r: unknown, where: string, secrets: SecretCount): EngineResource {
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

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
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
