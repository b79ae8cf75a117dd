// A local stand-in for the three Google APIs verify asks, on 127.0.0.1, answering their documented paths
// with Google's JSON: Cloud Run Admin v2 (GET projects/*/locations/*/services/* and …/revisions/*), Cloud
// Functions v2 (GET projects/*/locations/*/functions/*) and the Policy Troubleshooter (POST
// v3/iam:troubleshoot), plus the STS token exchange and service account impersonation that workload
// identity federation's credentials go through. Every fixture is built as the discovery-generated type of
// the client library (run_v2, cloudfunctions_v2, policytroubleshooter_v3), so tsc holds it to Google's
// schema. Faults (an HTTP error, a Retry-After, a request that never answers) are injected per request.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { run_v2 } from "@googleapis/run";
import type { cloudfunctions_v2 } from "googleapis/build/src/apis/cloudfunctions/v2";
import type { policytroubleshooter_v3 } from "googleapis/build/src/apis/policytroubleshooter/v3";
import type { Targets } from "../../tools/verify";

export type Service = run_v2.Schema$GoogleCloudRunV2Service;
export type Revision = run_v2.Schema$GoogleCloudRunV2Revision;
export type CloudFunction = cloudfunctions_v2.Schema$Function;
export type TroubleshootRequest = policytroubleshooter_v3.Schema$GoogleCloudPolicytroubleshooterIamV3TroubleshootIamPolicyRequest;
export type TroubleshootResponse = policytroubleshooter_v3.Schema$GoogleCloudPolicytroubleshooterIamV3TroubleshootIamPolicyResponse;

/** What the project holds: keys are resource names (`projects/P/locations/L/services/S`…). */
export interface Project {
  readonly services: Map<string, Service>;
  readonly revisions: Map<string, Revision>;
  readonly functions: Map<string, CloudFunction>;
  /** The troubleshooter's answer per `EMAIL FULL_RESOURCE_NAME`; a pair not listed is CANNOT_ACCESS, as for a principal no binding names. */
  readonly access: Map<string, TroubleshootResponse>;
}

/** One request as the server received it. */
export interface Received {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly body: unknown;
}

/** What to do instead of answering: an HTTP error with Google's error body (and a Retry-After), or never answering. */
export type Fault = { readonly status: number; readonly retryAfter?: string } | { readonly hang: true };

export interface FaultRule {
  readonly match: (request: Received) => boolean;
  readonly fault: Fault;
  /** How many matching requests get the fault; every one when absent. */
  times?: number;
}

export interface GoogleApisServer {
  /** `http://127.0.0.1:PORT/`, for --api-root. */
  readonly url: string;
  readonly project: Project;
  readonly faults: FaultRule[];
  readonly received: Received[];
  /** The most requests the server held at once. */
  readonly maxInFlight: number;
  /** The access token the STS exchange and impersonation hand out. */
  readonly federatedToken: string;
  close(): Promise<void>;
}

const statusNames: Readonly<Record<number, string>> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
};

const statusMessages: Readonly<Record<number, string>> = {
  401: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
  403: "The caller does not have permission",
  429: "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service.",
  500: "Internal error encountered.",
  503: "The service is currently unavailable.",
};

/** Google's error body: {error: {code, message, status}}. */
export function googleError(code: number, message = statusMessages[code] ?? "error"): { error: { code: number; message: string; status: string } } {
  return { error: { code, message, status: statusNames[code] ?? "UNKNOWN" } };
}

/** Starts the server; `latencyMs` delays every answer (the bench's 300 ms). */
export async function startGoogleApis(project: Project, options: { latencyMs?: number } = {}): Promise<GoogleApisServer> {
  const received: Received[] = [];
  const faults: FaultRule[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const federatedToken = "ya29.federated-token";
  const hanging = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on("close", () => inFlight--);
    void readBody(req).then(async (body) => {
      const request: Received = { method: req.method ?? "", path: req.url ?? "", authorization: req.headers.authorization, body };
      received.push(request);
      if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
      const rule = faults.find((f) => (f.times === undefined || f.times > 0) && f.match(request));
      if (rule) {
        if (rule.times !== undefined) rule.times--;
        if ("hang" in rule.fault) return void hanging.add(res);
        return send(res, rule.fault.status, googleError(rule.fault.status), rule.fault.retryAfter === undefined ? {} : { "retry-after": rule.fault.retryAfter });
      }
      const [status, answer] = route(project, request, federatedToken);
      send(res, status, answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    project,
    faults,
    received,
    get maxInFlight() {
      return maxInFlight;
    },
    federatedToken,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      if (text === "") return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        resolve(Object.fromEntries(new URLSearchParams(text))); // the STS exchange posts a form
      }
    });
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json; charset=UTF-8", ...headers });
  res.end(JSON.stringify(body));
}

/** The documented paths, answered from the project; anything else is Google's 404. */
function route(project: Project, request: Received, federatedToken: string): [number, unknown] {
  const path = decodeURIComponent(request.path.split("?")[0]);
  if (request.method === "POST" && path === "/v3/iam:troubleshoot") {
    const tuple = (request.body as TroubleshootRequest | undefined)?.accessTuple;
    if (!tuple?.principal || !tuple.fullResourceName || !tuple.permission) return [400, googleError(400, "accessTuple needs principal, fullResourceName and permission")];
    const answer: TroubleshootResponse = project.access.get(`${tuple.principal} ${tuple.fullResourceName}`) ?? { overallAccessState: "CANNOT_ACCESS" };
    return [200, { accessTuple: { ...tuple, permissionFqdn: `run.googleapis.com/routes.invoke` }, ...answer }];
  }
  if (request.method === "POST" && path === "/v1/token") {
    // Security Token Service: the federated token for the subject token workload identity federation sends.
    return [200, { access_token: `${federatedToken}-sts`, issued_token_type: "urn:ietf:params:oauth:token-type:access_token", token_type: "Bearer", expires_in: 3600 }];
  }
  if (request.method === "POST" && /^\/v1\/projects\/-\/serviceAccounts\/[^/]+:generateAccessToken$/.test(path)) {
    return [200, { accessToken: federatedToken, expireTime: new Date(Date.now() + 3_600_000).toISOString() }];
  }
  if (request.method === "GET") {
    const name = path.replace(/^\/v2\//, "");
    const found = /\/revisions\/[^/]+$/.test(name) ? project.revisions.get(name) : /\/services\/[^/]+$/.test(name) ? project.services.get(name) : /\/functions\/[^/]+$/.test(name) ? project.functions.get(name) : undefined;
    if (found) return [200, found];
    return [404, googleError(404, `Resource '${name}' was not found`)];
  }
  return [404, googleError(404, `no such method: ${request.method} ${path}`)];
}

/** The revision a healthy service serves. */
export function revisionName(servicePath: string): string {
  return `${servicePath}/revisions/${servicePath.split("/").pop()}-00001-abc`;
}

/**
 * A project where everything the targets name is deployed as it should be: every call's principal may
 * invoke its callee, every service Ready with all traffic on a revision labelled with its commit, every
 * function ACTIVE with its commit label.
 */
export function healthyProject(targets: Targets): Project {
  const project: Project = { services: new Map(), revisions: new Map(), functions: new Map(), access: new Map() };
  for (const c of targets.calls) {
    if (c.principal && c.resource) project.access.set(`${c.principal.replace(/^\w+:/, "")} ${c.resource}`, { overallAccessState: "CAN_ACCESS" });
  }
  for (const w of targets.workloads) {
    if (!w.path) continue;
    const labels = { "commit-sha": w.commit, "deploy-group": w.deployGroup };
    if (w.kind === "service") {
      const revision = revisionName(w.path);
      project.services.set(w.path, readyService(w.path, revision, labels));
      project.revisions.set(revision, { name: revision, labels, conditions: [{ type: "Ready", state: "CONDITION_SUCCEEDED" }] });
    } else {
      const fn: CloudFunction = { name: w.path, state: "ACTIVE", environment: "GEN_2", labels, serviceConfig: { service: w.path.replace("/functions/", "/services/") } };
      project.functions.set(w.path, fn);
    }
  }
  return project;
}

/** A Ready service, not reconciling, with all traffic on the latest ready revision. */
export function readyService(path: string, revision: string, labels: Record<string, string>): Service {
  return {
    name: path,
    labels,
    reconciling: false,
    terminalCondition: { type: "Ready", state: "CONDITION_SUCCEEDED", lastTransitionTime: "2025-01-01T00:00:00Z" },
    conditions: [
      { type: "RoutesReady", state: "CONDITION_SUCCEEDED" },
      { type: "ConfigurationsReady", state: "CONDITION_SUCCEEDED" },
    ],
    latestReadyRevision: revision,
    latestCreatedRevision: revision,
    traffic: [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 100 }],
    trafficStatuses: [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 100 }],
  };
}
