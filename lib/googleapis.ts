// Google's REST APIs as `npm run verify` asks them: credentials (an access token given in
// GOOGLE_OAUTH_ACCESS_TOKEN, else Application Default Credentials), Google's generated clients for Cloud
// Run Admin v2, Cloud Functions v2 and the Policy Troubleshooter (IAM v3), and one way of sending every
// request: at most `concurrency` at once, retried with exponential backoff on 429 and 5xx (after the
// Retry-After the API asks for, when it asks), each try and all of them together bounded in time. A
// request that does not succeed resolves with why, in words a deploy log can show; it never throws.
//
// Cloud Functions v2 and the Policy Troubleshooter have no per-API package (@googleapis/cloudfunctions and
// @googleapis/policytroubleshooter are not published), so their clients come from `googleapis`, one module
// each: loading the package's index would load every API (~0.6 s).
import { run_v2, type MethodOptions } from "@googleapis/run";
import { GoogleAuth, OAuth2Client } from "google-auth-library";
import { cloudfunctions_v2 } from "googleapis/build/src/apis/cloudfunctions/v2";
import { policytroubleshooter_v3 } from "googleapis/build/src/apis/policytroubleshooter/v3";
import { InputError } from "./cli";

export type GoogleCredentials = GoogleAuth | OAuth2Client;

/** The scope every API here accepts; IAM, not the scope, decides what the identity may read. */
const cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";

/**
 * The credentials requests are sent with: the access token in GOOGLE_OAUTH_ACCESS_TOKEN when it is set
 * (Terraform's convention; no Application Default Credentials lookup then), else ADC as Google's libraries
 * find them (GOOGLE_APPLICATION_CREDENTIALS, gcloud's application-default login, workload identity
 * federation's file, the metadata server).
 */
export function credentialsFrom(env: NodeJS.ProcessEnv): GoogleCredentials {
  const token = env.GOOGLE_OAUTH_ACCESS_TOKEN;
  if (token !== undefined && token !== "") {
    const client = new OAuth2Client();
    client.setCredentials({ access_token: token });
    return client;
  }
  // The file ADC would read from the same variable, named explicitly so `env` alone decides (tests pass their own).
  const file = env.GOOGLE_APPLICATION_CREDENTIALS;
  return new GoogleAuth({ scopes: [cloudPlatformScope], ...(file ? { keyFilename: file } : {}) });
}

/**
 * Finds the Application Default Credentials before any request, so that having none is said once (bad
 * input: exit 2), not as a failure of every call. A given access token needs no lookup.
 */
export async function checkCredentials(credentials: GoogleCredentials): Promise<void> {
  if (!(credentials instanceof GoogleAuth)) return;
  try {
    await credentials.getClient();
  } catch (error) {
    throw new InputError(
      `no Google credentials: ${(error as Error).message.split("\n")[0]} Set GOOGLE_OAUTH_ACCESS_TOKEN, or Application Default Credentials (gcloud auth application-default login; in CI, google-github-actions/auth)`,
    );
  }
}

export interface GoogleApis {
  readonly run: run_v2.Run;
  readonly functions: cloudfunctions_v2.Cloudfunctions;
  readonly troubleshooter: policytroubleshooter_v3.Policytroubleshooter;
}

/**
 * The three clients. `apiRoot` (scheme, host and port) replaces each API's own root and keeps its paths,
 * as the clients' rootUrl option does: for private endpoints, and for tests.
 */
export function googleApis(auth: GoogleCredentials, apiRoot?: string): GoogleApis {
  const options = { auth, ...(apiRoot === undefined ? {} : { rootUrl: apiRoot }) };
  return {
    run: new run_v2.Run(options),
    functions: new cloudfunctions_v2.Cloudfunctions(options),
    troubleshooter: new policytroubleshooter_v3.Policytroubleshooter(options),
  };
}

/**
 * `--api-root URL` as the clients take it. The clients keep only the URL's origin (each API's path
 * starts at `/`), so a URL with a path is refused rather than silently cut.
 */
export function parseApiRoot(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(`--api-root: not a URL: ${JSON.stringify(value)}; expected e.g. https://run-private.p.googleapis.com`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new InputError(`--api-root: expected an http or https URL, got ${JSON.stringify(value)}`);
  if ((url.pathname !== "/" && url.pathname !== "") || url.search !== "" || url.hash !== "") {
    throw new InputError(`--api-root: ${JSON.stringify(value)} has a path; every API's path is kept as it is, so give only scheme, host and port`);
  }
  return `${url.origin}/`;
}

// ---------------------------------------------------------------------------------------------------
// Sending requests.

export interface RequestLimits {
  /** Requests in flight at once, over every API. */
  readonly concurrency: number;
  /** Tries of one request, the first included. */
  readonly attempts: number;
  /** Wait before the first retry; each further retry waits twice as long, up to maxBackoffMs. */
  readonly firstBackoffMs: number;
  readonly maxBackoffMs: number;
  /** One try's limit: a try that takes longer is abandoned and counts as a failure worth retrying. */
  readonly requestTimeoutMs: number;
}

/**
 * Sixteen at once: the prod stack asks ~120 questions (60 distinct caller-callee pairs, 7 services and
 * their revisions, 44 functions); at 8 they would take 15 round trips, at 16 they take 8, which keeps
 * verify within 1.5 s of check at 300 ms a request (npm run bench -- --only verify), while staying far
 * below every one of these APIs' per-minute read quotas.
 */
export const defaultLimits: RequestLimits = { concurrency: 16, attempts: 4, firstBackoffMs: 500, maxBackoffMs: 10_000, requestTimeoutMs: 30_000 };

/** How waiting is done: real timers, or a test's stand-in that records what was asked. */
export interface Timing {
  /** Resolves after `ms`, or as soon as `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** In [0, 1): spreads retries of requests that failed together. */
  random(): number;
}

export const realTiming: Timing = {
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    }),
  random: Math.random,
};

/** A request's outcome: the response body, or why there is none. */
export type Answer<T> = { readonly ok: true; readonly data: T } | { readonly ok: false; readonly reason: string; readonly status?: number };

/** What went wrong with one try, and whether another try may do better. */
export interface Failure {
  readonly reason: string;
  readonly status?: number;
  readonly retry: boolean;
  /** The wait the API asked for (Retry-After), when it did. */
  readonly retryAfterMs?: number;
}

/**
 * Sends requests within the limits: no more than `concurrency` in flight, each retried on 429, 5xx, a
 * connection failure or a try's timeout, all of it stopped when `deadline` aborts (the overall --timeout).
 */
export class RequestPool {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly limits: RequestLimits,
    private readonly deadline: AbortSignal,
    private readonly timing: Timing = realTiming,
    /** Says what a timeout means, e.g. "timed out (--timeout 120 s)". */
    private readonly timedOut = "timed out",
  ) {}

  /** Sends `request` (given the options each try must pass to the client) and resolves with its answer. `api` names it in reasons. */
  async send<T>(api: string, request: (options: MethodOptions) => Promise<{ data: T }>): Promise<Answer<T>> {
    let last: Failure | undefined;
    for (let attempt = 1; attempt <= this.limits.attempts; attempt++) {
      if (last) await this.timing.sleep(retryDelayMs(attempt - 1, last, this.limits, this.timing.random), this.deadline);
      if (this.deadline.aborted) return { ok: false, reason: this.timedOut };
      const outcome = await this.withSlot(() => this.tryOnce(api, request));
      if (outcome.ok) return outcome;
      if (this.deadline.aborted) return { ok: false, reason: this.timedOut };
      last = outcome.failure;
      if (!last.retry) return { ok: false, reason: last.reason, ...(last.status === undefined ? {} : { status: last.status }) };
    }
    const tries = `${this.limits.attempts} tries`;
    return { ok: false, reason: `${last?.reason ?? "no answer"} (gave up after ${tries})`, ...(last?.status === undefined ? {} : { status: last.status }) };
  }

  private async tryOnce<T>(api: string, request: (options: MethodOptions) => Promise<{ data: T }>): Promise<{ ok: true; data: T } | { ok: false; failure: Failure }> {
    if (this.deadline.aborted) return { ok: false, failure: { reason: this.timedOut, retry: false } };
    try {
      // retry: false, since retrying is done here (the clients would retry on their own terms otherwise).
      const response = await request({ retry: false, timeout: this.limits.requestTimeoutMs, signal: this.deadline });
      return { ok: true, data: response.data };
    } catch (error) {
      return { ok: false, failure: classify(api, error, this.limits.requestTimeoutMs) };
    }
  }

  private async withSlot<R>(fn: () => Promise<R>): Promise<R> {
    if (this.inFlight >= this.limits.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.inFlight++;
    try {
      return await fn();
    } finally {
      // The slot passes straight to the next waiting request, if any.
      const next = this.waiting.shift();
      if (next) next();
      else this.inFlight--;
    }
  }
}

/** The wait before retry number `retry` (1 for the first): the API's Retry-After if given, else exponential backoff with jitter. */
export function retryDelayMs(retry: number, failure: Failure, limits: RequestLimits, random: () => number): number {
  if (failure.retryAfterMs !== undefined) return failure.retryAfterMs;
  const full = Math.min(limits.maxBackoffMs, limits.firstBackoffMs * 2 ** (retry - 1));
  // Between half and all of it, so requests refused together do not come back together.
  return Math.round(full * (1 - random() / 2));
}

const retryableStatus = (status: number) => status === 429 || (status >= 500 && status <= 599);

/**
 * One failed try in words: `Cloud Run answered HTTP 404 NOT_FOUND: Resource 'x' … does not exist.`, or a
 * connection failure, or a timeout; and whether it is worth another try.
 */
export function classify(api: string, error: unknown, requestTimeoutMs: number): Failure {
  const e = error as { status?: unknown; code?: unknown; name?: unknown; message?: unknown; response?: { status?: unknown; data?: unknown; headers?: unknown } };
  const status = typeof e.response?.status === "number" ? e.response.status : typeof e.status === "number" ? e.status : undefined;
  if (status !== undefined) {
    const retryAfterMs = retryAfter(headerOf(e.response?.headers, "retry-after"), Date.now());
    return {
      reason: `${api} answered HTTP ${status}${googleError(e.response?.data, String(e.message ?? ""))}`,
      status,
      retry: retryableStatus(status),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  const name = String(e.name ?? "");
  const code = String(e.code ?? "");
  if (name === "AbortError" || name === "TimeoutError" || code === "ABORT_ERR" || code === "TimeoutError") {
    return { reason: `${api} did not answer within ${requestTimeoutMs / 1000} s`, retry: true };
  }
  return { reason: `${api} could not be reached: ${code ? `${code} ` : ""}${String(e.message ?? error)}`.trimEnd(), retry: true };
}

/** ` STATUS: message` from Google's error body ({error: {code, message, status}}), else `: ` and the client's message. */
function googleError(body: unknown, fallback: string): string {
  const error = body !== null && typeof body === "object" ? (body as { error?: { status?: unknown; message?: unknown } }).error : undefined;
  const status = typeof error?.status === "string" && error.status !== "" ? error.status : undefined;
  const message = typeof error?.message === "string" && error.message !== "" ? error.message : undefined;
  if (status && message) return ` ${status}: ${message}`;
  if (status) return ` ${status}`;
  if (message) return `: ${message}`;
  return fallback === "" ? "" : `: ${fallback}`;
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (headers === null || typeof headers !== "object") return undefined;
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === "string" ? value : undefined;
}

/** Retry-After in milliseconds: whole seconds, or an HTTP date (then the time until it, never negative). */
export function retryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
