import type { LookupFunction } from 'node:net';
import type { ResolvedCheck } from './config/resolved.js';
import { evaluate } from './domain/evaluate.js';
import type { CheckResult } from './domain/result.js';
import { probeHttp } from './probes/http.js';

export interface ExecuteOptions {
  readonly signal?: AbortSignal;
  readonly now?: () => Date;
  readonly lookup?: LookupFunction;
}

/** Runs one check end to end: probe, then evaluate. Resolves with a result; never rejects. */
export async function executeCheck(check: ResolvedCheck, options: ExecuteOptions = {}): Promise<CheckResult> {
  const startedAt = (options.now ?? (() => new Date()))();
  const observation = await probeHttp({
    url: check.url,
    method: check.method,
    headers: check.headers,
    timeoutMs: check.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.lookup ? { lookup: options.lookup } : {}),
  });
  return evaluate(check, startedAt, observation);
}
