// The stack as the call graph reads it, from what the policy SDK hands a stack policy.
import type { PolicyResource } from "@pulumi/policy";
import { graphTypes, providerDefaults, type PlainResource } from "./callgraph";

/**
 * The values behind the policy SDK's unknown-checking proxy. The proxy intercepts property reads only;
 * property descriptors pass through to the target, so this reads every value as the engine sent it
 * (unknowns as the engine's sentinels) without the proxy turning a mandatory policy into a "can't run
 * during preview" advisory.
 */
export function rawProps(props: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(Object.getOwnPropertyDescriptors(props)).map(([key, d]) => [key, d.value]));
}

/**
 * The resources the call graph reads (its types only: a stack's many other resources are not unwrapped),
 * with plain values and property dependencies as URNs.
 */
export function plainResources(resources: readonly PolicyResource[]): PlainResource[] {
  return resources.filter((r) => graphTypes.has(r.type)).map((r) => ({
    urn: r.urn,
    type: r.type,
    name: r.name,
    props: rawProps(r.props),
    propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies).map(([key, deps]) => [key, deps.map((d) => d.urn)])),
    ...(r.provider ? { provider: providerDefaults(rawProps(r.provider.props)) } : {}),
  }));
}
