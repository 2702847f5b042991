import type { LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { scrub, scrubUrls } from './config/redact.js';
import type { ResolvedCheck } from './config/resolved.js';
import { evaluate, needsBody, needsHeaders } from './domain/evaluate.js';
import { type CheckResult, NO_PHASES, type Observation } from './domain/result.js';
import { probeDns } from './probes/dns.js';
import { type HttpProbeRequest, type HttpProber, probeHttp } from './probes/http.js';
import { probeSocket } from './probes/socket.js';

export interface ExecuteOptions {
  readonly signal?: AbortSignal;
  readonly now?: () => Date;
  readonly lookup?: LookupFunction;
  /**
   * Sends the HTTP probes, keeping a client per check between runs (and its
   * connection, for a `keepAlive` check). Without one, each probe builds a
   * client of its own and closes it.
   */
  readonly http?: HttpProber;
  /** When the scheduler planned this run (epoch ms); recorded in the result. */
  readonly scheduledAt?: number;
}

/** First retry waits this long; each next one twice as long, within what is left of the timeout. */
const FIRST_BACKOFF_MS = 100;
/** A retry with less time than this left would only measure the deadline. */
const MIN_ATTEMPT_MS = 50;

/** Runs one probe of the check's kind, bounded by `budgetMs`. Never rejects. */
export function probe(check: ResolvedCheck, budgetMs: number, options: ExecuteOptions): Promise<Observation> {
  const common = {
    timeoutMs: Math.max(1, budgetMs),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.lookup ? { lookup: options.lookup } : {}),
  };
  const target = check.target;
  switch (target.kind) {
    case 'http': {
      // One literal of one shape, every field present: this runs for every check run.
      const request: HttpProbeRequest = {
        url: check.url,
        method: check.method,
        headers: check.headers,
        body: check.body,
        timeoutMs: common.timeoutMs,
        signal: options.signal,
        lookup: options.lookup,
        readBody: needsBody(check),
        readHeaders: needsHeaders(check),
        maxBodyBytes: check.maxBodyBytes,
        maxRedirects: check.maxRedirects,
        insecure: check.insecure,
        ca: check.ca,
      };
      if (!options.http) return probeHttp(request);
      return options.http.probe(request, { key: check.name, keepAlive: check.keepAlive });
    }
    case 'tcp':
    case 'tls':
      return probeSocket({
        ...common,
        host: target.host,
        port: target.port,
        tls: target.kind === 'tls',
        insecure: check.insecure,
        ...(check.ca ? { ca: check.ca } : {}),
      });
    case 'dns':
      return probeDns({
        timeoutMs: common.timeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
        name: target.name,
        type: target.type,
        ...(target.server ? { server: target.server } : {}),
        lookup: options.lookup,
      });
    case 'push':
      // The monitor answers for push checks from their pings; nothing here probes them.
      return Promise.resolve({
        status: null,
        durationMs: 0,
        phases: NO_PHASES,
        error: { code: 'unknown', message: `bug: push check ${check.name} was probed` },
      });
  }
}

/** Waits `ms`, or until `signal` aborts; leaves no listener on the signal (the scheduler's lives as long as it does). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs one check end to end: probe, evaluate, and with `retries` try again
 * after a failure, backing off, as long as the check's timeout leaves room.
 * The result is the last attempt's, with the number of attempts. Never rejects.
 */
export async function executeCheck(check: ResolvedCheck, options: ExecuteOptions = {}): Promise<CheckResult> {
  // The result carries the redacted URL from the start, so logs, stores, the API and metrics never see a secret.
  const shown = check.displayUrl === check.url ? check : { ...check, url: check.displayUrl };
  const startedAt = (options.now ?? (() => new Date()))();
  const deadline = performance.now() + check.timeoutMs;
  const scheduledAt = options.scheduledAt !== undefined ? new Date(options.scheduledAt).toISOString() : undefined;
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const observation = await probe(check, deadline - performance.now(), options);
    const result = redactResult(
      evaluate(shown, startedAt, observation, {
        ...(check.retries > 0 ? { attempts } : {}),
        ...(scheduledAt !== undefined ? { scheduledAt } : {}),
      }),
      check.secrets,
    );
    const backoff = FIRST_BACKOFF_MS * 2 ** (attempts - 1);
    const left = deadline - performance.now() - backoff;
    if (result.ok || attempts > check.retries || left < MIN_ATTEMPT_MS || options.signal?.aborted) return result;
    await sleep(backoff, options.signal);
  }
}

/**
 * Error messages (undici's may echo a URL, a redirect names its Location) and
 * condition texts, with the check's secrets and any URL's credentials as `***`.
 */
function redactResult(result: CheckResult, secrets: readonly string[]): CheckResult {
  if (secrets.length === 0) {
    if (!result.error) return result;
    const message = scrubUrls(result.error.message);
    return message === result.error.message ? result : { ...result, error: { ...result.error, message } };
  }
  const error = result.error && { ...result.error, message: scrubUrls(scrub(result.error.message, secrets)) };
  const conditions = result.conditions?.map((c) => ({ ...c, condition: scrub(c.condition, secrets) }));
  return { ...result, ...(error ? { error } : {}), ...(conditions ? { conditions } : {}) };
}
