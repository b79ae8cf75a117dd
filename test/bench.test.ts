// npm run bench through the shared CLI: the benches themselves take minutes and are not run here.
import { describe, expect, it } from "vitest";
import { main } from "../bench/run";
import { HelpRequested, InputError } from "../lib/cli";

describe("npm run bench", () => {
  const ran: string[] = [];
  const benches = { first: async () => void ran.push("first"), second: async () => void ran.push("second"), third: async () => void ran.push("third") };

  it("given --help, when run, then the usage names every bench", async () => {
    const help = await main(["--help"]).catch((e: unknown) => e);
    expect(help).toBeInstanceOf(HelpRequested);
    expect((help as Error).message).toMatch(/^usage: npm run bench \[-- --only NAME\[,NAME…\]\]/);
    for (const name of ["stack", "policies", "check", "drift"]) expect((help as Error).message).toContain(name);
  });

  it.each([
    [["--bogus"], "Unknown option '--bogus'"],
    [["--only"], "argument missing"],
    [["--only", "second,nope"], 'unknown bench "nope"; expected one of first, second, third'],
    [["positional"], "Unexpected argument 'positional'"],
  ])("given %j, when run, then it is an InputError and no bench runs", async (argv, message) => {
    ran.length = 0;
    const error = await main(argv, benches).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toContain(message);
    expect(ran).toEqual([]);
  });

  it("given --only, when run, then only those benches run, in the usual order, and it exits 0", async () => {
    ran.length = 0;
    expect(await main(["--only", "third", "--only", "first"], benches)).toBe(0);
    expect(ran).toEqual(["first", "third"]);
  });

  it("given no options, when run, then every bench runs in order", async () => {
    ran.length = 0;
    expect(await main([], benches)).toBe(0);
    expect(ran).toEqual(["first", "second", "third"]);
  });
});
