// Reading deployed state: the JSON of `pulumi stack export` (deployment version 3 or 4), or the DIY/file
// backend's checkpoint file, into the same EngineResource shape the offline capture produces.
import { InputError, readInputFile } from "./cli";
import type { EngineResource } from "./resources";

/**
 * Deployment versions read here. The CLI writes 4 instead of 3 when state uses what older CLIs cannot
 * read (a tainted resource, resource hooks, replaceWith); resources keep the fields read here.
 */
const supportedVersions: readonly unknown[] = [3, 4];

/** Reads a state file; every way it can be unreadable or malformed is an InputError naming the file and field. */
export function readStateExport(path: string): EngineResource[] {
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
export function parseStateExport(doc: unknown, where: string): EngineResource[] {
  if (!isObject(doc)) throw new InputError(`${where}: expected a JSON object from \`pulumi stack export\``);
  if (!supportedVersions.includes(doc.version)) {
    throw new InputError(`${where}: unsupported deployment version ${JSON.stringify(doc.version)}; expected 3 or 4 (Pulumi CLI 3.x \`pulumi stack export\`)`);
  }
  // `pulumi stack export` wraps the snapshot in "deployment"; the file backend's checkpoint in "checkpoint.latest".
  const snapshot = "deployment" in doc ? doc.deployment : isObject(doc.checkpoint) ? doc.checkpoint.latest : undefined;
  const key = "deployment" in doc ? "deployment" : "checkpoint.latest";
  if (snapshot === undefined || snapshot === null) {
    if (isObject(doc.checkpoint)) return []; // a stack that was created but never updated
    throw new InputError(`${where}: expected a "deployment" object (stack export) or "checkpoint" (file backend state)`);
  }
  if (!isObject(snapshot)) throw new InputError(`${where}: "${key}" must be an object`);
  const resources = snapshot.resources ?? [];
  if (!Array.isArray(resources)) throw new InputError(`${where}: "${key}.resources" must be an array`);
  return resources.flatMap((r: unknown, i) => (isPendingDelete(r) ? [] : [toEngineResource(r, `${where}: ${key}.resources[${i}]`)]));
}

/**
 * The old copy of a replaced resource, kept until it is deleted (`"delete": true`). It is not part of
 * the stack any more, and `pulumi policy analyze` skips it: judged here, an old service at its old
 * commit would split its deploy group, and drift would read its old commit.
 */
function isPendingDelete(r: unknown): boolean {
  return isObject(r) && r.delete === true;
}

function toEngineResource(r: unknown, where: string): EngineResource {
  if (!isObject(r)) throw new InputError(`${where}: expected a resource object`);
  const urn = stringField(r, "urn", where);
  const type = stringField(r, "type", where);
  const name = urn.split("::").pop() ?? "";
  if (!urn.startsWith("urn:pulumi:") || name === "") throw new InputError(`${where}.urn: not a Pulumi URN: ${JSON.stringify(urn)}`);
  const inputs = optionalObject(r, "inputs", where);
  const outputs = optionalObject(r, "outputs", where);
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
