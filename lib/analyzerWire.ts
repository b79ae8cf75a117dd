// The requests the engine sends a policy pack about resources, encoded straight into protobuf bytes:
// pulumirpc.AnalyzeRequest (a resource's inputs), pulumirpc.AnalyzerResource (its state, for
// AnalyzeStack) and google.protobuf.Struct for properties. google-protobuf's message objects, one per
// value, cost about 3 s and 1 GB at 50,000 resources before a byte was sent; these encoders write the
// same fields (the pack decodes them with google-protobuf, as ever) and allocate little besides.
//
// Properties go on the wire as the engine sends them (toWire): no `__` keys, no undefined, a resource
// reference as its id or URN; an unknown value is the engine's sentinel string, as it already is here.
import { isObject, type EngineResource } from "./resources";

const signatureKey = "4dabf18193072939515e22adb298388d";
const resourceReferenceSignature = "5cf8f73096256a8f31e491e813e4eb8e";

/** Properties as the engine sends them: no `__` keys, no undefined, resource references as their id or URN. */
export function toWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => toWire(v) ?? null);
  if (!isObject(value)) return value;
  if (isResourceReference(value)) return referenceValue(value);
  const wire: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key.startsWith("__") || v === undefined) continue;
    wire[key] = toWire(v);
  }
  return wire;
}

function isResourceReference(value: Record<string, unknown>): boolean {
  return value[signatureKey] === resourceReferenceSignature;
}

function referenceValue(value: Record<string, unknown>): unknown {
  return typeof value.id === "string" && value.id !== "" ? value.id : value.urn;
}

/**
 * The engine's state of a resource: its outputs, which for a resource not yet created (preview of a new
 * resource, or one captured without outputs) are its inputs.
 */
export function stateOf(r: EngineResource): Record<string, unknown> {
  return Object.keys(r.outputs).length > 0 ? r.outputs : r.inputs;
}

// ---------------------------------------------------------------------------------------------------
// Messages. Field numbers from pulumi/proto/analyzer.proto (@pulumi/pulumi/proto/analyzer_pb.js) and
// google/protobuf/struct.proto; proto3 strings are left out when empty, as google-protobuf does.

const varint = 0;
const fixed64 = 1;
const delimited = 2;

/** AnalyzeRequest{type 1, properties 2, urn 3, name 4, options 5, provider 6}: a resource's inputs, for Analyze. */
export function encodeAnalyzeRequest(r: EngineResource): Buffer {
  const w = scratch.reset();
  writeProvider(w, r, 6);
  writeOptions(w, r, 5);
  w.string(4, r.name);
  w.string(3, r.urn);
  writeStructField(w, 2, r.inputs);
  w.string(1, r.type);
  return w.finish();
}

/**
 * AnalyzerResource{type 1, properties 2, urn 3, name 4, options 5, provider 6, parent 7, dependencies 8,
 * propertyDependencies 9}: a resource's state, one of AnalyzeStackRequest's resources.
 */
export function encodeAnalyzerResource(r: EngineResource): Buffer {
  const w = scratch.reset();
  const properties = Object.keys(r.propertyDependencies);
  for (let i = properties.length - 1; i >= 0; i--) {
    // map<string, AnalyzerPropertyDependencies{repeated string urns = 1}>: an entry{key 1, value 2}.
    const entry = w.mark();
    const value = w.mark();
    const urns = r.propertyDependencies[properties[i]];
    for (let j = urns.length - 1; j >= 0; j--) w.string(1, urns[j], true);
    w.close(2, value);
    w.string(1, properties[i], true);
    w.close(9, entry);
  }
  for (let i = r.dependencies.length - 1; i >= 0; i--) w.string(8, r.dependencies[i], true);
  w.string(7, r.parent ?? "");
  writeProvider(w, r, 6);
  writeOptions(w, r, 5);
  w.string(4, r.name);
  w.string(3, r.urn);
  writeStructField(w, 2, stateOf(r));
  w.string(1, r.type);
  return w.finish();
}

/** The size of the AnalyzeStackRequest of these encoded resources, known before it is made. */
export function analyzeStackRequestSize(resources: readonly Uint8Array[]): number {
  let size = 0;
  for (const r of resources) size += 1 + varintSize(r.length) + r.length;
  return size;
}

/** AnalyzeStackRequest{repeated AnalyzerResource resources = 1}, from encoded resources. */
export function encodeAnalyzeStackRequest(resources: readonly Uint8Array[]): Buffer {
  const out = Buffer.allocUnsafe(analyzeStackRequestSize(resources));
  let at = 0;
  for (const r of resources) {
    out[at++] = (1 << 3) | delimited;
    at = putVarint(out, at, r.length);
    out.set(r, at);
    at += r.length;
  }
  return out;
}

/** AnalyzerResourceOptions{parent 8} as field `field`: the engine's options this harness knows. */
function writeOptions(w: BackwardWriter, r: EngineResource, field: number): void {
  const options = w.mark();
  w.string(8, r.parent ?? "");
  w.close(field, options);
}

/**
 * AnalyzerProviderResource{type 1, properties 2, urn 3, name 4} as field `field`: the provider resource the
 * engine sends with each resource (its inputs: for the default provider, the package's stack config).
 */
function writeProvider(w: BackwardWriter, r: EngineResource, field: number): void {
  if (!r.provider) return;
  const provider = w.mark();
  w.string(4, r.provider.name);
  w.string(3, r.provider.urn);
  writeStructField(w, 2, r.provider.properties);
  w.string(1, r.provider.type);
  w.close(field, provider);
}

function writeStructField(w: BackwardWriter, field: number, properties: Record<string, unknown>): void {
  const struct = w.mark();
  writeStruct(w, properties);
  w.close(field, struct);
}

/** Struct{map<string, Value> fields = 1}: each member an entry{key 1, value 2}. Written last to first. */
function writeStruct(w: BackwardWriter, object: Record<string, unknown>): void {
  const keys = Object.keys(object);
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i];
    const value = object[key];
    if (value === undefined || key.startsWith("__")) continue;
    const entry = w.mark();
    const v = w.mark();
    writeValue(w, value);
    w.close(2, v);
    w.string(1, key, true);
    w.close(1, entry);
  }
}

/** Value{null 1, number 2, string 3, bool 4, struct 5, list 6}, as google-protobuf's Value.fromJavaScript makes it. */
function writeValue(w: BackwardWriter, value: unknown): void {
  switch (typeof value) {
    case "string":
      w.string(3, value, true);
      return;
    case "number":
      w.double(value);
      w.tag(2, fixed64);
      return;
    case "boolean":
      w.varint(value ? 1 : 0);
      w.tag(4, varint);
      return;
    case "object":
      if (value === null) {
        w.varint(0);
        w.tag(1, varint);
      } else if (Array.isArray(value)) {
        // ListValue{repeated Value values = 1}; an undefined element is null on the wire.
        const list = w.mark();
        for (let i = value.length - 1; i >= 0; i--) {
          const element = w.mark();
          writeValue(w, value[i] ?? null);
          w.close(1, element);
        }
        w.close(6, list);
      } else if (isResourceReference(value as Record<string, unknown>)) {
        writeValue(w, referenceValue(value as Record<string, unknown>) ?? null);
      } else {
        const struct = w.mark();
        writeStruct(w, value as Record<string, unknown>);
        w.close(5, struct);
      }
      return;
    default:
      throw new TypeError(`cannot send a ${typeof value} as a property value`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Protobuf written back to front: when a nested message's body is written its length is known, so one
// pass over the values does, without measuring them first.

function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

function putVarint(out: Buffer, at: number, value: number): number {
  let v = value;
  while (v > 0x7f) {
    out[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[at++] = v;
  return at;
}

class BackwardWriter {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  /** The bytes written are buffer[start..]. */
  private start = this.buffer.length;

  reset(): this {
    this.start = this.buffer.length;
    return this;
  }

  /** How many bytes are written: a mark to close a length-delimited field at. */
  mark(): number {
    return this.buffer.length - this.start;
  }

  /** Prefixes what was written since `mark` with its length and the tag of field `field`. */
  close(field: number, mark: number): void {
    this.varint(this.mark() - mark);
    this.tag(field, delimited);
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  varint(value: number): void {
    const size = varintSize(value);
    this.room(size);
    this.start -= size;
    putVarint(this.buffer, this.start, value);
  }

  double(value: number): void {
    this.room(8);
    this.start -= 8;
    this.buffer.writeDoubleLE(value, this.start);
  }

  /** A string field; an empty one is left out unless `always` (a oneof member, a map key, a repeated element). */
  string(field: number, value: string, always = false): void {
    if (value === "" && !always) return;
    const size = Buffer.byteLength(value, "utf8");
    this.room(size);
    this.start -= size;
    this.buffer.write(value, this.start, size, "utf8");
    this.varint(size);
    this.tag(field, delimited);
  }

  finish(): Buffer {
    return Buffer.from(this.buffer.subarray(this.start));
  }

  private room(size: number): void {
    if (this.start >= size) return;
    const used = this.mark();
    let length = this.buffer.length * 2;
    while (length - used < size) length *= 2;
    const grown = Buffer.allocUnsafe(length);
    this.buffer.copy(grown, length - used, this.start);
    this.buffer = grown;
    this.start = length - used;
  }
}

/** One writer for every message: its buffer, grown to the largest resource, is reused (finish copies out). */
const scratch = new BackwardWriter();
