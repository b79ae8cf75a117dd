// The splitter hands out each element of the arrays at given paths as its own bytes, from a document
// read in chunks of any size, and keeps the rest (the skeleton) as JSON text with each element as 0.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsonArraySplitter, JsonSplitError } from "../lib/jsonSplit";

interface Split {
  elements: { path: string; value: unknown }[];
  /** Top-level members as reported, in order. */
  members: [string, unknown][];
  skeleton: unknown;
}

/** Splits `text` fed in chunks of `sizes` (cycled) bytes. */
function split(text: string, paths: string[][], sizes: number[] = [1 << 20]): Split {
  const result: Split = { elements: [], members: [], skeleton: undefined };
  const splitter = new JsonArraySplitter({
    arrays: paths,
    onElement: (bytes, index, path) => {
      expect(index).toBe(result.elements.filter((e) => e.path === path.join(".")).length);
      result.elements.push({ path: path.join("."), value: JSON.parse(bytes.toString("utf8")) });
    },
    onMember: (key, text) => {
      result.members.push([key, JSON.parse(text)]);
    },
  });
  const bytes = Buffer.from(text, "utf8");
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length]);
    splitter.write(bytes.subarray(at, at + size));
    at += size;
  }
  result.skeleton = JSON.parse(splitter.end());
  return result;
}

/** What the split should give, from JSON.parse of the whole text. */
function expected(doc: unknown, paths: string[][]): Split {
  const elements: Split["elements"] = [];
  const skeleton = structuredClone(doc);
  for (const path of paths) {
    let parent: unknown = skeleton;
    for (const key of path.slice(0, -1)) parent = parent !== null && typeof parent === "object" && !Array.isArray(parent) ? (parent as Record<string, unknown>)[key] : undefined;
    const last = path[path.length - 1];
    if (parent === null || typeof parent !== "object" || Array.isArray(parent) || !Array.isArray((parent as Record<string, unknown>)[last])) continue;
    const array = (parent as Record<string, unknown[]>)[last];
    elements.push(...array.map((value) => ({ path: path.join("."), value })));
    (parent as Record<string, unknown>)[last] = array.map(() => 0);
  }
  // Top-level members are reported as read: with the elements of a split array as 0.
  const members = skeleton !== null && typeof skeleton === "object" && !Array.isArray(skeleton) ? Object.entries(skeleton) : [];
  return { elements, members, skeleton };
}

const paths = [["deployment", "resources"], ["checkpoint", "latest", "resources"]];

describe("JsonArraySplitter", () => {
  it("given a stack export, when split, then each resource comes out on its own and the rest is the skeleton", () => {
    const doc = { version: 3, deployment: { manifest: { time: "t" }, resources: [{ urn: "a", n: [1, { "x]": "}" }] }, { urn: "b\"\\" }, 7, "s", null, [] ] } };
    expect(split(JSON.stringify(doc, null, 4), paths)).toEqual(expected(doc, paths));
  });

  it("given any JSON document, pretty or not, with or without arrays at the paths, in chunks of any size, then the split agrees with JSON.parse", () => {
    const anyDoc = fc.oneof(
      fc.jsonValue(),
      fc.record({ version: fc.jsonValue(), deployment: fc.record({ manifest: fc.jsonValue(), resources: fc.array(fc.jsonValue()) }) }),
      fc.record({ checkpoint: fc.record({ latest: fc.record({ resources: fc.array(fc.jsonValue()) }, { requiredKeys: [] }) }), version: fc.jsonValue() }),
    );
    fc.assert(
      fc.property(anyDoc, fc.boolean(), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 5 }), (doc, pretty, sizes) => {
        const text = pretty ? JSON.stringify(doc, null, 4) : JSON.stringify(doc);
        expect(split(text, paths, sizes)).toEqual(expected(JSON.parse(text), paths));
      }),
      { numRuns: 500 },
    );
  });

  it("given strings of backslashes and quotes split across chunks anywhere, when split, then no escaped quote ends a string", () => {
    const strings = fc.array(fc.constantFrom("\\", '"', "\\\\", '\\"', "a", "]", "}"), { maxLength: 12 }).map((parts) => parts.join(""));
    fc.assert(
      fc.property(fc.array(strings, { maxLength: 4 }), fc.integer({ min: 1, max: 9 }), (values, size) => {
        const doc = { deployment: { resources: [...values, { k: values }, values] }, [values.join("")]: values };
        const text = JSON.stringify(doc);
        expect(split(text, paths, [size])).toEqual(expected(JSON.parse(text), paths));
      }),
      { numRuns: 500 },
    );
  });

  it("given multi-byte UTF-8 split across chunks, when split, then every string comes out whole", () => {
    const doc = { deployment: { resources: [{ name: "Dončić — 東京 🏀", "ключ": "é" }] }, "ключ": "ü🏀" };
    for (let size = 1; size <= 7; size++) expect(split(JSON.stringify(doc), paths, [size])).toEqual(expected(doc, paths));
  });

  it.each([
    ['{"deployment": {"resources": [{"urn": "a"}', "unexpected end of JSON at byte 42"],
    ['{"a": [1, 2}', "unexpected } at byte 11"],
    ['{"a": "open', "unexpected end of JSON at byte 11"],
    ["]", "unexpected ] at byte 0"],
  ])("given %s, when split, then a JsonSplitError says where", (text, message) => {
    const splitter = new JsonArraySplitter({ arrays: paths, onElement: () => undefined });
    expect(() => {
      splitter.write(Buffer.from(text));
      splitter.end();
    }).toThrow(new JsonSplitError(message));
  });

  it("given a second array at a path (a duplicate key), when split, then it is a JsonSplitError", () => {
    const splitter = new JsonArraySplitter({ arrays: paths, onElement: () => undefined });
    expect(() => splitter.write(Buffer.from('{"deployment": {"resources": [], "resources": []}}'))).toThrow(new JsonSplitError("a second deployment.resources array at byte 46"));
  });

  it("given more outside the arrays than allowed, when split, then it is a JsonSplitError", () => {
    const splitter = new JsonArraySplitter({ arrays: paths, onElement: () => undefined, maxSkeletonBytes: 100 });
    expect(() => splitter.write(Buffer.from(JSON.stringify({ other: "x".repeat(200) })))).toThrow(JsonSplitError);
  });
});
