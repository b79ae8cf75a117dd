// The stack as the call graph reads it, from what the policy SDK hands a stack policy.
import type { PolicyResource } from "@pulumi/policy";
import { graphTypes, providerDefaults, type PlainResource } from "./callgraph";

/** The key on which the policy SDK's unknown-checking proxy hands back the object it wraps (@pulumi/policy proxy.js). */
const proxyTarget = "__getSpecialProxyTarget";

/**
 * The values behind the policy SDK's unknown-checking proxy, as the engine sent them (unknowns as the
 * engine's sentinels), without the proxy turning a mandatory policy into a "can't run during preview"
 * advisory. The SDK's own key gives the wrapped object in one read. Should an SDK not have it, the
 * property descriptors do, since the proxy intercepts property reads only; but read through the proxy
 * they cost more than all the policies' own work at 50,000 resources.
 */
export function rawProps(props: Record<string, unknown>): Record<string, unknown> {
  const target = props[proxyTarget];
  if (target !== null && typeof target === "object" && target !== props) return target as Record<string, unknown>;
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
