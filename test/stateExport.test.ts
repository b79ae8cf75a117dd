// The state file reader on its own: what it makes of secrets, pending deletes and versions, and that
// every malformed value is an InputError naming the file and the field.
import { describe, expect, it } from "vitest";
import { InputError } from "../lib/cli";
import { unknownValue } from "../lib/resources";
import { parseStateExport } from "../lib/stateExport";
import { ciphertextSecret, plaintextSecret } from "./fixtures/state";

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
