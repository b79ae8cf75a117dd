// The hand-written encoders against google-protobuf: what the pack decodes from our bytes is what it
// decoded from the messages google-protobuf built from the same resources (the harness's way before).
import fc from "fast-check";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { describe, expect, it } from "vitest";
import { encodeAnalyzeRequest, encodeAnalyzerResource, encodeAnalyzeStackRequest, stateOf, toWire } from "../lib/analyzerWire";
import type { EngineResource } from "../lib/resources";
import { generatedStack } from "../bench/policies";
import * as g from "./fixtures/gcp";

// The reference: google-protobuf messages, built as lib/analyzer.ts built them.
function referenceOptions(r: EngineResource): pb.AnalyzerResourceOptions {
  const options = new pb.AnalyzerResourceOptions();
  if (r.parent) options.setParent(r.parent);
  return options;
}
function referenceProvider(r: EngineResource): pb.AnalyzerProviderResource | undefined {
  if (!r.provider) return undefined;
  const provider = new pb.AnalyzerProviderResource();
  provider.setUrn(r.provider.urn);
  provider.setType(r.provider.type);
  provider.setName(r.provider.name);
  provider.setProperties(Struct.fromJavaScript(toWire(r.provider.properties) as Record<string, never>));
  return provider;
}
function referenceAnalyzeRequest(r: EngineResource): pb.AnalyzeRequest {
  const request = new pb.AnalyzeRequest();
  request.setType(r.type);
  request.setUrn(r.urn);
  request.setName(r.name);
  request.setProperties(Struct.fromJavaScript(toWire(r.inputs) as Record<string, never>));
  request.setOptions(referenceOptions(r));
  request.setProvider(referenceProvider(r));
  return request;
}
function referenceAnalyzerResource(r: EngineResource): pb.AnalyzerResource {
  const resource = new pb.AnalyzerResource();
  resource.setType(r.type);
  resource.setUrn(r.urn);
  resource.setName(r.name);
  resource.setProperties(Struct.fromJavaScript(toWire(stateOf(r)) as Record<string, never>));
  resource.setOptions(referenceOptions(r));
  if (r.parent) resource.setParent(r.parent);
  resource.setProvider(referenceProvider(r));
  resource.setDependenciesList([...r.dependencies]);
  for (const [property, urns] of Object.entries(r.propertyDependencies)) {
    const deps = new pb.AnalyzerPropertyDependencies();
    deps.setUrnsList([...urns]);
    resource.getPropertydependenciesMap().set(property, deps);
  }
  return resource;
}

/** What the pack's side reads from a message: every field, properties as JavaScript. */
function decoded(message: pb.AnalyzeRequest | pb.AnalyzerResource) {
  const common = { type: message.getType(), urn: message.getUrn(), name: message.getName(), options: message.getOptions()?.toObject(), properties: message.getProperties()?.toJavaScript(), provider: message.getProvider()?.toObject() };
  if (message instanceof pb.AnalyzeRequest) return common;
  const propertyDependencies: [string, string[]][] = [];
  message.getPropertydependenciesMap().forEach((deps, property) => propertyDependencies.push([property, deps.getUrnsList()]));
  return { ...common, parent: message.getParent(), dependencies: message.getDependenciesList(), propertyDependencies };
}

const resource = fc.record({
  urn: fc.string(),
  type: fc.string(),
  name: fc.string(),
  custom: fc.boolean(),
  parent: fc.option(fc.string(), { nil: undefined }),
  inputs: fc.dictionary(fc.string(), fc.jsonValue()),
  outputs: fc.dictionary(fc.string(), fc.jsonValue()),
  dependencies: fc.array(fc.string()),
  propertyDependencies: fc.dictionary(fc.string(), fc.array(fc.string())),
  provider: fc.option(fc.record({ urn: fc.string(), type: fc.string(), name: fc.string(), properties: fc.dictionary(fc.string(), fc.jsonValue()) }), { nil: undefined }),
}) as fc.Arbitrary<EngineResource>;

describe("Analyzer requests encoded without google-protobuf", () => {
  it("given any resource, when encoded, then the pack decodes the same AnalyzeRequest and AnalyzerResource as from google-protobuf's", () => {
    fc.assert(
      fc.property(resource, (r) => {
        expect(decoded(pb.AnalyzeRequest.deserializeBinary(encodeAnalyzeRequest(r)))).toEqual(decoded(referenceAnalyzeRequest(r)));
        expect(decoded(pb.AnalyzerResource.deserializeBinary(encodeAnalyzerResource(r)))).toEqual(decoded(referenceAnalyzerResource(r)));
      }),
      { numRuns: 300 },
    );
  });

  it("given what the engine leaves out or rewrites (__ keys, undefined, resource references, unknowns), when encoded, then it goes as google-protobuf sent it", () => {
    const reference = { "4dabf18193072939515e22adb298388d": "5cf8f73096256a8f31e491e813e4eb8e", urn: "urn:pulumi:prod::p::t::n", id: "" };
    const r: EngineResource = {
      urn: "urn:pulumi:prod::p::t::n",
      type: "t",
      name: "n",
      custom: true,
      inputs: { __defaults: ["x"], gone: undefined, list: [1, undefined, "é🏀", { __x: 1, y: reference }], ref: { ...reference, id: "the-id" }, email: "04da6b54-80e4-46f7-96ec-b56ff0331ba9", huge: 2 ** 60, negative: -1.5, empty: "", nothing: null },
      outputs: {},
      dependencies: [],
      propertyDependencies: {},
    };
    expect(decoded(pb.AnalyzeRequest.deserializeBinary(encodeAnalyzeRequest(r)))).toEqual(decoded(referenceAnalyzeRequest(r)));
    expect(pb.AnalyzeRequest.deserializeBinary(encodeAnalyzeRequest(r)).getProperties()?.toJavaScript()).toEqual({
      list: [1, null, "é🏀", { y: reference.urn }],
      ref: "the-id",
      email: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
      huge: 2 ** 60,
      negative: -1.5,
      empty: "",
      nothing: null,
    });
  });

  it("given a generated stack in both modes, when encoded as one AnalyzeStackRequest, then the pack decodes every resource as from google-protobuf's", () => {
    for (const mode of g.modes) {
      const stack = generatedStack(mode, 200);
      const request = pb.AnalyzeStackRequest.deserializeBinary(encodeAnalyzeStackRequest(stack.map(encodeAnalyzerResource)));
      expect(request.getResourcesList().map(decoded)).toEqual(stack.map((r) => decoded(referenceAnalyzerResource(r))));
    }
  });
});
