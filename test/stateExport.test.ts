// The state file reader on its own: what it makes of secrets, pending deletes and versions, and that
// every malformed value is an InputError naming the file and the field.
import { afterAll, describe, expect, it } from "vitest";
import { generatedStack } from "../bench/policies";
import { InputError } from "../lib/cli";
import { unknownValue } from "../lib/resources";
import { parseStateExport, readStateExport, scanStateExport } from "../lib/stateExport";
import { ciphertextSecret, checkpoint, plaintextSecret, removeTemps, stackExport, writeTemp } from "./fixtures/state";

afterAll(removeTemps);

const urn = "urn:pulumi:prod::nba-pipeline::gcp:secretmanager/secretVersion:SecretVersion::api-key";

/** An export of one resource with these outputs. */
function exportWith(outputs: Record<string, unknown>, version = 3) {
  return { version, deployment: { manifest: {}, resources: [{ urn, custom: true, type: "gcp:secretmanager/secretVersion:SecretVersion", inputs: {}, outputs }] } };
}

describe("secrets in a state file", () => {
  it("given --show-secrets plaintext secrets of every kind of value, when read, then each is its decoded value", () => {
    const values = { text: "s3cr3t", number: 42, flag: true, nothing: null, list: ["a", 1], object: { nested: { deep: "x" } } };
    const outputs = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, plaintextSecret(value)]));
    const { resources, encryptedValues } = parseStateExport(exportWith({ ...outputs, inList: [plaintextSecret("y")] }), "prod.json");
    expect(resources[0].outputs).toEqual({ ...values, inList: ["y"] });
    expect(encryptedValues).toBe(0);
  });

  it("given encrypted secrets, anywhere, when read, then each is the unknown value the engine sends in preview, and they are counted", () => {
    const { resources, encryptedValues } = parseStateExport(exportWith({ secretData: ciphertextSecret(), nested: { list: [ciphertextSecret(), "plain"] } }), "prod.json");
    expect(resources[0].outputs).toEqual({ secretData: unknownValue, nested: { list: [unknownValue, "plain"] } });
    expect(encryptedValues).toBe(2);
  });

  it.each([
    [{ plaintext: 42 }, "outputs.secretData.plaintext: expected the JSON text of the secret's value"],
    [{ plaintext: "{not json" }, "outputs.secretData.plaintext: expected the JSON text of the secret's value"],
    [{ ciphertext: 42 }, "outputs.secretData.ciphertext: expected a string"],
    [{}, 'outputs.secretData: a secret with neither "ciphertext" nor "plaintext"'],
  ])("given a malformed secret %j, when read, then an InputError names the file and the field", (fields, message) => {
    const secret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ...fields };
    expect(() => parseStateExport(exportWith({ secretData: secret }), "prod.json")).toThrow(new InputError(`prod.json: deployment.resources[0].${message}`));
  });
});

describe("reading a state file a chunk at a time", () => {
  it("given an export of many megabytes, indented as the CLI writes it, when read, then every resource is read back as exported", () => {
    const stack = generatedStack("update", 5_000);
    for (const doc of [stackExport(stack), checkpoint(stack)]) {
      const file = writeTemp("prod.json", JSON.stringify(doc, null, 4));
      const { resources } = readStateExport(file);
      expect(resources.map((r) => r.urn).slice(0, 2)).toEqual([
        "urn:pulumi:prod::nba-pipeline::pulumi:pulumi:Stack::nba-pipeline-prod",
        "urn:pulumi:prod::nba-pipeline::pulumi:providers:gcp::default_9_37_0",
      ]);
      expect(resources.slice(2)).toEqual(stack.map((r) => ({ ...r, parent: "urn:pulumi:prod::nba-pipeline::pulumi:pulumi:Stack::nba-pipeline-prod" })));
    }
  });

  it("given the version after the resources, when it is not supported, then no resource is handed out", () => {
    const doc = stackExport(generatedStack("update", 10));
    const file = writeTemp("prod.json", JSON.stringify({ deployment: doc.deployment, version: 5 }));
    const visited: string[] = [];
    expect(() => scanStateExport(file, (r) => visited.push(r.urn))).toThrow(new InputError(`${file}: unsupported deployment version 5; expected 3 or 4 (Pulumi CLI 3.x \`pulumi stack export\`)`));
    expect(visited).toEqual([]);
  });

  it("given a file cut short, when read, then an InputError says it is not JSON", () => {
    const text = JSON.stringify(stackExport(generatedStack("update", 10)));
    const file = writeTemp("prod.json", text.slice(0, text.length / 2));
    expect(() => readStateExport(file)).toThrow(new RegExp(`^${file}: not JSON \\(.+\\); expected the output of \`pulumi stack export\`$`));
  });

  it("given both a deployment and a checkpoint, when read, then an InputError says only one is expected", () => {
    const doc = { ...stackExport([]), checkpoint: checkpoint([]).checkpoint };
    expect(() => parseStateExport(doc, "prod.json")).toThrow(new InputError('prod.json: both "deployment" (stack export) and "checkpoint" (file backend state); expected one of them'));
  });

  it("given a resource's provider reference, when read, then the resource carries that provider's inputs, as the engine sends them to a pack", () => {
    const [resource] = generatedStack("update", 1);
    const { resources } = parseStateExport(stackExport([resource]), "prod.json");
    expect(resources[2].provider).toEqual({
      urn: "urn:pulumi:prod::nba-pipeline::pulumi:providers:gcp::default_9_37_0",
      type: "pulumi:providers:gcp",
      name: "default_9_37_0",
      properties: { project: "nba-props-platform", region: "us-west2" },
    });
  });

  it("given a provider reference that is not a string, when read, then an InputError names the resource's field", () => {
    const doc = exportWith({});
    (doc.deployment.resources[0] as Record<string, unknown>).provider = { urn: "x" };
    expect(() => parseStateExport(doc, "prod.json")).toThrow(new InputError("prod.json: deployment.resources[0].provider: expected a provider reference (URN::ID)"));
  });
});
