// Which fields the GCP provider computes, derived from @pulumi/gcp's own type declarations and written to
// lib/computed-fields.json, which the capture reads (parsing 13 MB of .d.ts on every `npm run check`
// would cost seconds; the table loads in milliseconds). test/computed.test.ts derives it again and fails
// when the committed table no longer matches the installed @pulumi/gcp: run `npm run computed-fields`.
//
// The rule, from how the Pulumi schema is generated from the provider's: a field the provider computes
// is one every state has (the output class declares it `pulumi.Output<T>`, without `| undefined`) but a
// program need not set (absent from the `XxxArgs` input interface, or optional there). Nested object
// types (`outputs.cloudrunv2.ServiceTemplate` against `inputs.cloudrunv2.ServiceTemplate`) are compared
// the same way, field by field. A top-level string `name` a program may leave unset is auto-named by
// Pulumi instead (pulumi-gcp's provider/resources.go calls `prov.SetAutonaming(255, "-")`, which
// pulumi-terraform-bridge's ProviderInfo.SetAutonaming applies to every input property named `name`).
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { computedTablePath, type ComputedFields, type ComputedTable } from "../lib/planned";

export const gcpPackageDir = path.dirname(require.resolve("@pulumi/gcp/package.json"));

/** Every custom resource of @pulumi/gcp, by type token, with the fields its provider computes. */
export function deriveComputedFields(gcpDir: string = gcpPackageDir): ComputedTable {
  const outputTypes = namedInterfaces(path.join(gcpDir, "types", "output.d.ts"));
  const inputTypes = namedInterfaces(path.join(gcpDir, "types", "input.d.ts"));
  const version = (JSON.parse(readFileSync(path.join(gcpDir, "package.json"), "utf8")) as { version: string }).version;
  const resources: Record<string, ComputedFields> = {};
  for (const dir of readdirSync(gcpDir, { withFileTypes: true })) {
    if (!dir.isDirectory() || dir.name === "types" || dir.name === "config") continue;
    for (const file of readdirSync(path.join(gcpDir, dir.name)).sort()) {
      if (!file.endsWith(".d.ts")) continue;
      const text = readFileSync(path.join(gcpDir, dir.name, file), "utf8");
      if (!text.includes("extends pulumi.CustomResource")) continue;
      const token = /__pulumiType = '([^']+)'/.exec(readFileSync(path.join(gcpDir, dir.name, file.replace(/\.d\.ts$/, ".js")), "utf8"))?.[1];
      if (!token) throw new Error(`${dir.name}/${file}: no __pulumiType in its .js`);
      const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
      const resource = source.statements.find(
        (s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && (s.heritageClauses ?? []).some((h) => h.getText(source).includes("pulumi.CustomResource")),
      );
      if (!resource?.name) continue;
      const argsName = `${resource.name.text}Args`;
      const args = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === argsName);
      const fields = compare(
        { members: resource.members, source, types: outputTypes },
        args ? { members: args.members, source, types: inputTypes } : undefined,
        new Set(),
      );
      const name = args?.members.find((m) => propertyName(m) === "name");
      // Auto-naming: an input `name` of type string that a program may leave unset.
      if (name && ts.isPropertySignature(name) && name.questionToken && unwrap(name.type, source).text.every((t) => t === "string")) fields.name = "auto";
      if (Object.keys(fields).length > 0) resources[token] = sortKeys(fields);
    }
  }
  return { gcpVersion: version, resources: sortKeys(resources) };
}

interface Side {
  readonly members: ts.NodeArray<ts.ClassElement | ts.TypeElement>;
  readonly source: ts.SourceFile;
  /** Interfaces of types/output.d.ts or types/input.d.ts by qualified name (`cloudrunv2.ServiceTemplate`). */
  readonly types: ReadonlyMap<string, { node: ts.InterfaceDeclaration; source: ts.SourceFile }>;
}

/** The computed fields of an output object type against the input type a program writes for it. */
function compare(output: Side, input: Side | undefined, seen: Set<string>): ComputedFields {
  const inputs = new Map<string, ts.ClassElement | ts.TypeElement>();
  for (const m of input?.members ?? []) {
    const name = propertyName(m);
    if (name !== undefined) inputs.set(name, m);
  }
  const result: ComputedFields = {};
  for (const member of output.members) {
    const name = propertyName(member);
    if (name === undefined || !(ts.isPropertyDeclaration(member) || ts.isPropertySignature(member))) continue;
    const out = unwrap(member.type, output.source);
    const inMember = inputs.get(name);
    const inType = inMember && (ts.isPropertySignature(inMember) || ts.isPropertyDeclaration(inMember)) ? unwrap(inMember.type, input!.source) : undefined;
    const always = !member.questionToken && !out.optional;
    const mayBeUnset = !inMember || Boolean((inMember as ts.PropertySignature).questionToken) || Boolean(inType?.optional);
    let nested: ComputedFields = {};
    if (out.ref && inType?.ref && !seen.has(out.ref)) {
      const outNode = output.types.get(out.ref);
      const inNode = input!.types.get(inType.ref);
      if (outNode && inNode) {
        nested = compare(
          { members: outNode.node.members, source: outNode.source, types: output.types },
          { members: inNode.node.members, source: inNode.source, types: input!.types },
          new Set([...seen, out.ref]),
        );
      }
    }
    const computed = always && mayBeUnset;
    if (Object.keys(nested).length > 0) result[name] = computed ? { ".": 1, ...sortKeys(nested) } : sortKeys(nested);
    else if (computed) result[name] = 1;
  }
  return result;
}

function propertyName(member: ts.ClassElement | ts.TypeElement): string | undefined {
  if (!member.name) return undefined;
  if (ts.isIdentifier(member.name) || ts.isStringLiteral(member.name)) return member.name.text;
  return undefined;
}

/**
 * A declared type without its wrappers: `pulumi.Output<…>`, `pulumi.Input<…>`, arrays and `| undefined`.
 * `ref` names the object type it holds, if any (`cloudrunv2.ServiceTemplate`); `text` the other members.
 */
function unwrap(node: ts.TypeNode | undefined, source: ts.SourceFile): { optional: boolean; ref?: string; text: string[] } {
  const result: { optional: boolean; ref?: string; text: string[] } = { optional: false, text: [] };
  const visit = (t: ts.TypeNode | undefined): void => {
    if (!t) return;
    if (ts.isParenthesizedTypeNode(t)) return visit(t.type);
    if (ts.isUnionTypeNode(t)) return t.types.forEach(visit);
    if (ts.isArrayTypeNode(t)) return visit(t.elementType);
    if (t.kind === ts.SyntaxKind.UndefinedKeyword) {
      result.optional = true;
      return;
    }
    if (ts.isTypeReferenceNode(t)) {
      const name = t.typeName.getText(source);
      if ((name === "pulumi.Output" || name === "pulumi.Input") && t.typeArguments?.length === 1) return visit(t.typeArguments[0]);
      const nested = /^(?:outputs|inputs)\.(.+)$/.exec(name);
      if (nested) {
        result.ref = nested[1];
        return;
      }
    }
    result.text.push(t.getText(source));
  };
  visit(node);
  return result;
}

/** Every interface of a types/*.d.ts file, by its namespace-qualified name. */
function namedInterfaces(file: string): Map<string, { node: ts.InterfaceDeclaration; source: ts.SourceFile }> {
  const source = ts.createSourceFile(path.basename(file), readFileSync(file, "utf8"), ts.ScriptTarget.Latest, false);
  const found = new Map<string, { node: ts.InterfaceDeclaration; source: ts.SourceFile }>();
  const walk = (statements: ts.NodeArray<ts.Statement>, prefix: string) => {
    for (const s of statements) {
      if (ts.isInterfaceDeclaration(s)) found.set(`${prefix}${s.name.text}`, { node: s, source });
      else if (ts.isModuleDeclaration(s) && s.body && ts.isModuleBlock(s.body)) walk(s.body.statements, `${prefix}${s.name.getText(source)}.`);
    }
  };
  walk(source.statements, "");
  return found;
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The table as written to disk: stable key order, one resource per line, so a provider upgrade diffs readably. */
export function formatTable(table: ComputedTable): string {
  const lines = Object.entries(table.resources).map(([token, fields]) => `    ${JSON.stringify(token)}: ${JSON.stringify(fields)}`);
  return `{\n  "gcpVersion": ${JSON.stringify(table.gcpVersion)},\n  "resources": {\n${lines.join(",\n")}\n  }\n}\n`;
}

if (require.main === module) {
  if (!existsSync(gcpPackageDir)) throw new Error("@pulumi/gcp is not installed: run npm ci");
  const table = deriveComputedFields();
  writeFileSync(computedTablePath, formatTable(table));
  console.log(`${path.relative(process.cwd(), computedTablePath)}: ${Object.keys(table.resources).length} resource types of @pulumi/gcp ${table.gcpVersion}`);
}
