// Reading a stack file (`Pulumi.<stack>.yaml`) the way the Pulumi CLI would hand its `config:` map to the
// program, while keeping the YAML document so errors can name a line and edits keep every comment.
import { join, relative } from "node:path";
import { isCollection, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type YAMLError } from "yaml";
import { formatProblems, parseConfig, type StackConfig } from "../config";
import { InputError, readInputFile } from "./cli";

export interface StackFile {
  readonly path: string;
  readonly text: string;
  readonly doc: Document;
  /** The `config:` map as plain values, keys as written (`nba-pipeline:deployGroups`). */
  readonly raw: Record<string, unknown>;
  /** 1-based line of the value at a config key path, when it is in the file. */
  lineOf(path: readonly (string | number)[]): number | undefined;
}

/** Reads and parses the YAML of a stack file. Throws InputError naming the file and line when it cannot. */
export function readStackFile(path: string): StackFile {
  const text = readInputFile(path, "stack file");
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) throw new InputError(syntaxError(path, text, doc, doc.errors[0], lineCounter));
  const body: unknown = doc.toJS();
  const config = body !== null && typeof body === "object" ? (body as Record<string, unknown>).config : undefined;
  if (config === undefined || config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new InputError(`${path}: expected a top-level "config:" map of stack settings`);
  }
  // The line of the deepest key (or list item) of the path present in the file: a missing key points at its map.
  const lineOf = (keyPath: readonly (string | number)[]): number | undefined => {
    let line: number | undefined;
    let node: unknown = doc.contents;
    for (const key of ["config", ...keyPath]) {
      if (isSeq(node) && typeof key === "number") {
        const item: unknown = node.items[key];
        if (!isNode(item) || !item.range) break;
        line = lineCounter.linePos(item.range[0]).line;
        node = item;
        continue;
      }
      if (!isMap(node)) break;
      const pair = node.items.find((item) => isScalar(item.key) && item.key.value === key);
      if (!pair || !isScalar(pair.key) || !pair.key.range) break;
      line = lineCounter.linePos(pair.key.range[0]).line;
      node = pair.value;
    }
    return line;
  };
  return { path, text, doc, raw: config as Record<string, unknown>, lineOf };
}

/**
 * `file:line:col: not valid YAML: what`. The parser reports where it noticed the mistake; for a quote or
 * bracket left open that is where the file or the block ends, so the message then points where it opened.
 */
function syntaxError(path: string, text: string, doc: Document, error: YAMLError, lineCounter: LineCounter): string {
  const what = error.message.split("\n")[0];
  const unclosed = unclosedAround(doc, text, error.pos[0]);
  const { line, col } = lineCounter.linePos(unclosed ?? error.pos[0]);
  const opened = unclosed === undefined ? "" : `; the ${text[unclosed]} opened here is never closed`;
  return `${path}:${line}:${col}: not valid YAML: ${what}${opened}`;
}

const closing: Record<string, string> = { "[": "]", "{": "}", "'": "'", '"': '"' };

/** The offset of the innermost quote or flow collection that runs up to `offset` without its closing character, if any. */
function unclosedAround(doc: Document, text: string, offset: number): number | undefined {
  let found: number | undefined;
  visit(doc, (_, node) => {
    const flowOrQuoted = (isCollection(node) && node.flow) || (isScalar(node) && (node.type === "QUOTE_SINGLE" || node.type === "QUOTE_DOUBLE"));
    if (!flowOrQuoted || !node.range) return;
    const [start, end] = node.range;
    const close = closing[text[start]];
    if (start < offset && offset <= end && close !== undefined && text.slice(start + 1, end).trimEnd().slice(-1) !== close) {
      if (found === undefined || start > found) found = start;
    }
  });
  return found;
}

/** Reads a stack file and parses its config; every problem in one InputError, each with its line. */
export function loadStackConfig(path: string): { file: StackFile; config: StackConfig } {
  const file = readStackFile(path);
  const result = parseConfig(file.raw);
  if (!result.ok) throw new InputError(formatProblems(path, result.problems, file.lineOf));
  return { file, config: result.config };
}

/**
 * The stack file of stack `stack`: `Pulumi.<stack>.yaml` beside Pulumi.yaml, where the Pulumi CLI looks for
 * it, as a path relative to the working directory for messages. InputError for a name that is not a stack name.
 */
export function stackFilePath(stack: string): string {
  return relative(process.cwd(), join(__dirname, "..", `Pulumi.${checkedStackName(stack)}.yaml`));
}

/** A stack name as the CLI accepts one; InputError otherwise (it names a file, so no path may hide in it). */
export function checkedStackName(stack: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack) || stack.startsWith(".")) throw new InputError(`--stack: not a stack name: ${JSON.stringify(stack)}`);
  return stack;
}

/**
 * The Pulumi project's name, from Pulumi.yaml: the engine puts it in every URN and tells the policy pack.
 * A Pulumi.yaml that does not parse, or has no `name`, is bad input naming the file (and line).
 */
export function projectName(path = relative(process.cwd(), join(__dirname, "..", "Pulumi.yaml"))): string {
  const text = readInputFile(path, "project file");
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) throw new InputError(syntaxError(path, text, doc, doc.errors[0], lineCounter));
  const body: unknown = doc.toJS();
  const name = body !== null && typeof body === "object" ? (body as { name?: unknown }).name : undefined;
  if (typeof name !== "string" || name === "") throw new InputError(`${path}: expected the project's name as a top-level "name:" string`);
  return name;
}
