// What the GCP provider answers for a resource being created, as the engine then hands it to a policy
// pack. The engine gets a new resource's state from the provider, in preview too:
//
// - Check runs in preview as in an update, with a random seed, so a value Check fills is known in preview
//   (pkg/resource/deploy/step_generator.go at v3.248.0, continueStepsFromImport: `prov.Check` with
//   `AllowUnknowns: sg.deployment.opts.DryRun`, `RandomSeed: randomSeed`, `Autonaming: autonaming`). Pulumi's
//   auto-naming is such a value: the logical name, "-" and 7 hex characters drawn from that seed
//   (sdk/go/common/resource/resource_id.go, NewUniqueName; 7 is the bridge's AutoName default).
// - The state is then what the provider's Create returns, with `Preview: s.deployment.opts.DryRun`
//   (pkg/resource/deploy/step.go, CreateStep.Apply: `s.new.Outputs = resp.Properties`). A Terraform-bridged
//   provider such as @pulumi/gcp answers a preview with its planned state, in which every field it computes
//   and the program left unset is unknown. AnalyzeStack sends exactly those outputs (step_generator.go,
//   AnalyzeResources: `Properties: v.Outputs`).
//
// Which fields the provider computes is derived from @pulumi/gcp's declarations (tools/computed-fields.ts),
// never listed by hand. What GCP then puts there after `up` is the caller's to say (`values`): a value the
// provider computes but the caller cannot imitate stays unset after `up`, and is unknown in preview.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { isObject, unknownValue } from "./resources";

/** Per field: 1 = computed; "auto" = auto-named; an object = computed fields inside it ("." = it is computed too). */
export type ComputedField = 1 | "auto" | ComputedFields;
export interface ComputedFields {
  [field: string]: ComputedField;
}
export interface ComputedTable {
  /** The @pulumi/gcp version the table was derived from. */
  readonly gcpVersion: string;
  /** Custom resource type token → the fields its provider computes. */
  readonly resources: Readonly<Record<string, ComputedFields>>;
}

export const computedTablePath = path.resolve(__dirname, "computed-fields.json");

let table: ComputedTable | undefined;

/** The table derived from @pulumi/gcp (lib/computed-fields.json), read once. */
export function computedTable(): ComputedTable {
  table ??= JSON.parse(readFileSync(computedTablePath, "utf8")) as ComputedTable;
  return table;
}

/** The fields the provider computes for `type`; none for a type it does not know (components, other providers). */
export function computedFields(type: string): ComputedFields {
  return computedTable().resources[type] ?? {};
}

/** Pulumi's auto-name for a resource: `NAME-` and 7 hex characters (stable here, where the engine draws them from a random seed). */
export function autoName(type: string, logicalName: string): string {
  return `${logicalName}-${createHash("sha256").update(`${type}::${logicalName}`).digest("hex").slice(0, 7)}`;
}

/** The inputs after the provider's Check: an unset auto-named `name` filled in. Analyze is sent these. */
export function checkedInputs(type: string, logicalName: string, inputs: Record<string, unknown>): Record<string, unknown> {
  return computedFields(type).name === "auto" && isUnset(inputs.name) ? { ...inputs, name: autoName(type, logicalName) } : inputs;
}

export interface PlanOptions {
  /** The resource's logical name (what auto-naming starts from). */
  readonly logicalName: string;
  /** true: the planned state of a preview; false: the state after `up`. */
  readonly preview: boolean;
  /**
   * What GCP puts in computed fields the program left unset, after `up` (nested objects hold only their
   * computed fields). Ignored in preview, where every such field is unknown. A value for a field the
   * provider does not compute is a mistake in the caller and throws; for a type of another provider, the
   * fields given here are taken as the ones it computes.
   */
  readonly values?: Record<string, unknown>;
  /**
   * The provider's own configuration (`gcp:project`, `gcp:region`): after `up`, an unset computed top-level
   * `project` is the provider's project, and an unset computed `region` or `location` its region.
   */
  readonly provider?: { readonly project?: string; readonly region?: string };
}

/** The state of a new resource as the engine records it: the checked inputs plus the provider's computed fields. */
export function plannedState(type: string, inputs: Record<string, unknown>, options: PlanOptions): Record<string, unknown> {
  const given = options.values ?? {};
  const known = computedTable().resources[type];
  // A type the table does not know (another provider's) computes what the caller says it does.
  const fields = known ?? Object.fromEntries(Object.keys(given).map((field): [string, ComputedField] => [field, 1]));
  for (const field of notComputed(given, fields)) throw new Error(`${type}: ${field} is not a field the provider computes (lib/computed-fields.json)`);
  const { project, region } = options.provider ?? {};
  const defaults = { project, region, location: region };
  const values = { ...Object.fromEntries(Object.entries(defaults).filter(([field, v]) => v !== undefined && fields[field] === 1)), ...given };
  return fill(checkedInputs(type, options.logicalName, inputs), fields, options.preview ? undefined : values);
}

/** Fills each computed field left unset: with its value after `up`, with the unknown sentinel in preview (`values` undefined). */
function fill(state: Record<string, unknown>, fields: ComputedFields, values: Record<string, unknown> | undefined): Record<string, unknown> {
  const result = { ...state };
  for (const [field, spec] of Object.entries(fields)) {
    if (spec === "auto") continue; // filled by Check
    const current = state[field];
    const value = values?.[field];
    if (isUnset(current)) {
      if (spec !== 1 && spec["."] !== 1) continue; // only fields inside it are computed, and it has none
      if (values === undefined) result[field] = unknownValue;
      else if (value !== undefined) result[field] = value;
      continue;
    }
    if (spec === 1 || current === unknownValue) continue;
    const nestedValues = values === undefined ? undefined : isObject(value) ? value : {};
    if (Array.isArray(current)) result[field] = current.map((item) => (isObject(item) ? fill(item, spec, nestedValues) : item));
    else if (isObject(current)) result[field] = fill(current, spec, nestedValues);
  }
  return result;
}

/** Paths in `values` that are not computed fields. */
function notComputed(values: Record<string, unknown>, fields: ComputedFields, prefix = ""): string[] {
  return Object.entries(values).flatMap(([field, value]) => {
    const spec = fields[field];
    if (spec === 1 || (isObject(spec) && spec["."] === 1)) return [];
    if (isObject(spec) && isObject(value)) return notComputed(value, spec, `${prefix}${field}.`);
    return [`${prefix}${field}`];
  });
}

function isUnset(value: unknown): boolean {
  return value === undefined || value === null;
}

