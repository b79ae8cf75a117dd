import { describe, expect, it } from "vitest";
import { HelpRequested, InputError, parseToolArgs, readInputFile } from "../lib/cli";

const usage = "usage: npm run tool -- --name NAME [--json]";
const options = { name: { type: "string" }, json: { type: "boolean", default: false } } as const;

describe("parseToolArgs", () => {
  it("given valid arguments, when parsed, then the values come back typed, with defaults", () => {
    expect(parseToolArgs(["--name", "grading"], options, usage)).toEqual({ name: "grading", json: false });
  });

  it.each([[["--bogus"]], [["--name"]], [["positional"]]])("given the usage mistake %j, when parsed, then an InputError carries the usage", (argv) => {
    expect(() => parseToolArgs(argv, options, usage)).toThrow(InputError);
    expect(() => parseToolArgs(argv, options, usage)).toThrow(new RegExp(`\\n${usage.replace(/[[\]]/g, "\\$&")}$`));
  });

  it.each([[["--help"]], [["-h"]], [["--name", "x", "--help"]]])("given %j, when parsed, then help is requested with the usage", (argv) => {
    expect(() => parseToolArgs(argv, options, usage)).toThrow(HelpRequested);
    expect(() => parseToolArgs(argv, options, usage)).toThrow(usage);
  });
});

describe("readInputFile", () => {
  it("given a file that does not exist, when read, then the InputError names what it is, the path and the reason", () => {
    expect(() => readInputFile("/nonexistent/state.json", "state file")).toThrow(new InputError("cannot read state file /nonexistent/state.json: ENOENT"));
  });
});
