// Reading a JSON document too big to be one string: V8 caps a string near 512 MB, and the export of a
// large stack passes that (`ERR_STRING_TOO_LONG`), long before memory runs out. The elements of chosen
// arrays (a stack export's resources) are handed out one at a time as bytes, each to be parsed on its
// own; everything else, the skeleton, is small and kept as JSON text with each element replaced by 0.
//
// The scanner follows structure only: strings, nesting, and keys on the way to the arrays. Whether the
// text is JSON is for JSON.parse of each element and of the skeleton to say; between them they see
// every byte that matters (the skeleton drops only whitespace outside strings).

const quote = 0x22;
const backslash = 0x5c;
const openObject = 0x7b;
const closeObject = 0x7d;
const openArray = 0x5b;
const closeArray = 0x5d;
const comma = 0x2c;
const colon = 0x3a;
const zero = 0x30;

/** The document's structure is broken where the scanner can tell (unbalanced, unfinished, too big). */
export class JsonSplitError extends Error {
  override name = "JsonSplitError";
}

export interface SplitterOptions {
  /** Paths, as object keys from the top, of the arrays whose elements are handed out one by one. */
  readonly arrays: readonly (readonly string[])[];
  /** Each element's bytes: a view valid only during the call (copy to keep it). */
  readonly onElement: (element: Buffer, index: number, path: readonly string[]) => void;
  /** Each member of the top-level object as soon as its value is read, as JSON text (split elements as 0). */
  readonly onMember?: (key: string, valueText: string) => void;
  /** What the skeleton may hold; beyond it the document is not the kind expected. */
  readonly maxSkeletonBytes?: number;
}

const object = 1;
const array = 2;
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
/** A byte that starts a JSON value: `{ [ "`, a digit or minus, `t f n`. */
const startsValue = (b: number) => b === openObject || b === openArray || b === quote || b === 0x2d || (b >= zero && b <= 0x39) || b === 0x74 || b === 0x66 || b === 0x6e;

type ElementKind = "container" | "string" | "scalar";

/** How many backslashes come right before `end` in `chunk`, not looking before `start`. */
function trailingBackslashes(chunk: Buffer, end: number, start: number): number {
  let count = 0;
  for (let j = end - 1; j >= start && chunk[j] === backslash; j--) count++;
  return count;
}

export class JsonArraySplitter {
  private readonly options: SplitterOptions;
  private readonly maxSkeletonBytes: number;
  private readonly opened = new Set<string>();

  // Structure outside elements: open containers, and for each the key it is the value of (null in an
  // array or at the top).
  private readonly containers: number[] = [];
  private readonly keys: (string | null)[] = [];
  private awaitingKey = false;
  private lastKey: string | null = null;
  private inString = false;
  private escaped = false;
  /** Skeleton offset of the opening quote of the key being read, or -1. */
  private keyStart = -1;
  private memberKey = "";
  /** Skeleton offset where the value of the top-level member being read starts, or -1. */
  private memberStart = -1;

  // The array being split: its depth (containers open inside it), path, and how many elements so far.
  private splitDepth = -1;
  private splitPath: readonly string[] = [];
  private index = 0;

  // The element being read: its bytes so far (views of the chunks), kind and scanning state.
  private pieces: Buffer[] | null = null;
  private kind: ElementKind = "scalar";
  private depth = 0;
  private elementInString = false;
  private elementEscaped = false;

  /** Bytes before the current chunk, for messages. */
  private offset = 0;
  private skeleton: Buffer;
  private length = 0;

  constructor(options: SplitterOptions) {
    this.options = options;
    this.maxSkeletonBytes = options.maxSkeletonBytes ?? 64 * 1024 * 1024;
    this.skeleton = Buffer.allocUnsafe(Math.min(64 * 1024, this.maxSkeletonBytes));
  }

  write(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.pieces !== null) {
        const end = this.scanElement(chunk, i);
        this.pieces.push(chunk.subarray(i, end < 0 ? chunk.length : end));
        if (end < 0) break;
        this.emitElement();
        i = end;
        continue;
      }
      const b = chunk[i];
      if (this.inString) this.stringByte(b, i);
      else if (this.containers.length === this.splitDepth && startsValue(b)) {
        this.startElement(b);
        continue; // the element's scan reads this byte
      } else if (!isSpace(b)) this.structureByte(b, i);
      i++;
    }
    this.offset += chunk.length;
  }

  /** The skeleton: the document with each element of a split array replaced by 0. */
  end(): string {
    if (this.pieces !== null || this.inString || this.containers.length > 0) throw new JsonSplitError(`unexpected end of JSON at byte ${this.offset}`);
    return this.skeleton.toString("utf8", 0, this.length);
  }

  private stringByte(b: number, i: number): void {
    this.push(b, i);
    if (this.escaped) this.escaped = false;
    else if (b === backslash) this.escaped = true;
    else if (b === quote) {
      this.inString = false;
      if (this.keyStart >= 0) {
        this.lastKey = this.decodeKey(i);
        this.keyStart = -1;
      }
    }
  }

  private decodeKey(i: number): string {
    try {
      return JSON.parse(this.skeleton.toString("utf8", this.keyStart, this.length)) as string;
    } catch {
      throw new JsonSplitError(`a key that is not a JSON string, ending at byte ${this.offset + i}`);
    }
  }

  private structureByte(b: number, i: number): void {
    const top = this.containers[this.containers.length - 1];
    if (b === quote) {
      this.inString = true;
      if (top === object && this.awaitingKey) this.keyStart = this.length;
    } else if (b === openObject || b === openArray) {
      this.open(b, i);
    } else if (b === closeObject || b === closeArray) {
      this.close(b, i);
    } else if (b === comma) {
      if (this.containers.length === 1) this.memberEnd();
      if (top === object) this.awaitingKey = true;
    } else if (b === colon) {
      this.awaitingKey = false;
      if (this.containers.length === 1 && this.lastKey !== null) {
        this.memberKey = this.lastKey;
        this.memberStart = this.length + 1;
      }
    }
    this.push(b, i);
  }

  private open(b: number, i: number): void {
    // In an object, a value follows its key: lastKey is this container's key.
    const key = this.containers[this.containers.length - 1] === object ? this.lastKey : null;
    this.containers.push(b === openObject ? object : array);
    this.keys.push(key);
    this.awaitingKey = b === openObject;
    if (b === openArray && key !== null) {
      const path = [...this.keys.slice(1)];
      const split = this.options.arrays.find((p) => p.length === path.length && p.every((k, j) => k === path[j]));
      if (split) {
        const name = split.join(".");
        if (this.opened.has(name)) throw new JsonSplitError(`a second ${name} array at byte ${this.offset + i}`);
        this.opened.add(name);
        this.splitDepth = this.containers.length;
        this.splitPath = split;
        this.index = 0;
      }
    }
  }

  private close(b: number, i: number): void {
    const top = this.containers[this.containers.length - 1];
    if (top === undefined || (b === closeObject) !== (top === object)) throw new JsonSplitError(`unexpected ${String.fromCharCode(b)} at byte ${this.offset + i}`);
    if (this.containers.length === 1) this.memberEnd();
    if (this.containers.length === this.splitDepth) this.splitDepth = -1;
    this.containers.pop();
    this.keys.pop();
    this.awaitingKey = false;
  }

  private memberEnd(): void {
    if (this.memberStart < 0) return;
    this.options.onMember?.(this.memberKey, this.skeleton.toString("utf8", this.memberStart, this.length));
    this.memberStart = -1;
  }

  private startElement(b: number): void {
    this.pieces = [];
    this.kind = b === openObject || b === openArray ? "container" : b === quote ? "string" : "scalar";
    this.depth = 0;
    this.elementInString = false;
    this.elementEscaped = false;
  }

  /** Where the element ends in `chunk` (the index after it), reading from `from`; -1 if not in this chunk. */
  private scanElement(chunk: Buffer, from: number): number {
    const n = chunk.length;
    if (this.kind === "scalar") {
      for (let i = from; i < n; i++) {
        const b = chunk[i];
        if (b === comma || b === closeArray || b === closeObject || isSpace(b)) return i;
      }
      return -1;
    }
    // The hot loop: locals, not fields, so that it stays fast over hundreds of megabytes.
    let depth = this.depth;
    let inString = this.elementInString;
    let escaped = this.elementEscaped;
    // Backslashes before a quote are counted back to here, no further: a byte before it was read already
    // (possibly a backslash that an earlier one escaped).
    let lower = from;
    for (let i = from; i < n; i++) {
      if (inString) {
        // Most bytes are in strings: jump to the next quote, then see whether a backslash escapes it.
        if (escaped) {
          escaped = false;
          lower = i + 1;
          continue;
        }
        const next = chunk.indexOf(quote, i);
        if (next < 0) {
          escaped = trailingBackslashes(chunk, n, lower) % 2 === 1;
          break;
        }
        i = next;
        if (trailingBackslashes(chunk, next, lower) % 2 === 1) continue;
        inString = false;
        if (depth === 0) return i + 1; // a string element
        continue;
      }
      const b = chunk[i];
      if (b === quote) inString = true;
      else if (b === openObject || b === openArray) depth++;
      else if (b === closeObject || b === closeArray) {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    this.depth = depth;
    this.elementInString = inString;
    this.elementEscaped = escaped;
    return -1;
  }

  private emitElement(): void {
    const pieces = this.pieces ?? [];
    this.pieces = null;
    this.options.onElement(pieces.length === 1 ? pieces[0] : Buffer.concat(pieces), this.index++, this.splitPath);
    this.push(zero, 0);
  }

  private push(b: number, i: number): void {
    if (this.length === this.skeleton.length) {
      if (this.length >= this.maxSkeletonBytes) {
        throw new JsonSplitError(`more than ${this.maxSkeletonBytes} bytes outside ${this.options.arrays.map((p) => p.join(".")).join(" and ")}, at byte ${this.offset + i}`);
      }
      const grown = Buffer.allocUnsafe(Math.min(this.skeleton.length * 2, this.maxSkeletonBytes));
      this.skeleton.copy(grown, 0, 0, this.length);
      this.skeleton = grown;
    }
    this.skeleton[this.length++] = b;
  }
}
