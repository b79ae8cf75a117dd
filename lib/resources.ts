// The engine's view of one resource: what `pulumi preview`/`up` sends the engine when the program
// registers it, and what the engine hands a policy pack. Captured offline from the mock runtime
// (lib/capture.ts) or read from a `pulumi stack export` (tools/audit.ts); fed to the policy pack
// through the Analyzer protocol (lib/analyzer.ts).
export interface EngineResource {
  /** `urn:pulumi:STACK::PROJECT::PARENT_TYPE$TYPE::NAME`, as the engine forms it. */
  readonly urn: string;
  /** Pulumi type token, e.g. `gcp:cloudrunv2/service:Service`. */
  readonly type: string;
  /** The logical name given to the resource constructor. */
  readonly name: string;
  /** false for ComponentResources and the root Stack. */
  readonly custom: boolean;
  /** URN of the parent resource, when it has one. */
  readonly parent?: string;
  /** Inputs as the program registered them (unknown values are the unknown sentinel). */
  readonly inputs: Record<string, unknown>;
  /** Outputs: after `up`, the provider's state; during preview of new resources, mostly unknown. */
  readonly outputs: Record<string, unknown>;
  /** URNs this resource depends on (explicit `dependsOn` and inputs that came from other resources). */
  readonly dependencies: readonly string[];
  /** For each top-level input property, the URNs its value came from. */
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
  /**
   * The provider resource that manages it, as the engine hands it to AnalyzeStack (its inputs: for the
   * default provider, the package's stack config such as `gcp:project` and `gcp:region`).
   */
  readonly provider?: ProviderResource;
}

export interface ProviderResource {
  readonly urn: string;
  /** `pulumi:providers:gcp`. */
  readonly type: string;
  readonly name: string;
  readonly properties: Record<string, unknown>;
}

/** What the engine sends for a value not known yet during preview. */
export const unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A JSON object (not null, not an array): what every reader of engine values and exports checks first. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
