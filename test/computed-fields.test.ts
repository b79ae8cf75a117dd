// The table of provider-computed fields the capture reads (lib/computed-fields.json) is what the installed
// @pulumi/gcp declares: derived again here from its .d.ts files and compared whole.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { computedTable, computedTablePath, type ComputedTable } from "../lib/planned";
import { deriveComputedFields, formatTable } from "../tools/computed-fields";

describe("lib/computed-fields.json", () => {
  let derived: ComputedTable;
  beforeAll(() => {
    derived = deriveComputedFields();
  });

  it("given the installed @pulumi/gcp, when its declarations are read again, then the committed table is exactly what they say (else: npm run computed-fields)", () => {
    expect(readFileSync(computedTablePath, "utf8")).toBe(formatTable(derived));
    expect(computedTable().gcpVersion).toBe((JSON.parse(readFileSync(require.resolve("@pulumi/gcp/package.json"), "utf8")) as { version: string }).version);
  });

  it("given the output class and Args of a resource, then a field every state has but no program must set is computed, nested ones included", () => {
    const service = derived.resources["gcp:cloudrunv2/service:Service"];
    // template is required input; inside it, serviceAccount is optional input but always in the state.
    expect(service.template).toMatchObject({ serviceAccount: 1 });
    expect(Object.keys(service.template)).not.toContain(".");
    expect(service).toMatchObject({ uri: 1, urls: 1, project: 1 });
    // location is a required input: the program always sets it.
    expect(service).not.toHaveProperty("location");
    // invokerIamDisabled may be absent from the state: not computed.
    expect(service).not.toHaveProperty("invokerIamDisabled");
    const fn = derived.resources["gcp:cloudfunctionsv2/function:Function"];
    expect(fn).toMatchObject({ url: 1, serviceConfig: { serviceAccountEmail: 1, uri: 1 }, eventTrigger: { serviceAccountEmail: 1 } });
    const grant = derived.resources["gcp:cloudrunv2/serviceIamMember:ServiceIamMember"];
    expect(grant).toMatchObject({ project: 1, location: 1 });
    expect(grant).not.toHaveProperty("member");
    expect(grant).not.toHaveProperty("role");
    expect(derived.resources["gcp:serviceaccount/account:Account"]).toMatchObject({ email: 1, member: 1, name: 1 });
  });

  it("given an input `name` a program may leave unset, then it is auto-named, and a `name` that is only an output is computed", () => {
    expect(derived.resources["gcp:cloudrunv2/serviceIamMember:ServiceIamMember"].name).toBe("auto");
    expect(derived.resources["gcp:pubsub/topic:Topic"].name).toBe("auto");
    expect(derived.resources["gcp:serviceaccount/account:Account"].name).toBe(1);
  });
});
