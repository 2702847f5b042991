import type { CheckResult, HttpObservation } from './result.js';
import { formatStatusRanges, type StatusRange, statusMatches } from './status.js';

export interface EvaluatedCheck {
  readonly name: string;
  readonly url: string;
  readonly expectStatus: readonly StatusRange[];
}

/**
 * Turns what a probe observed into a result: a transport error stays the
 * error; a response whose status the check does not expect becomes
 * `http_status`. Pure: the start time is passed in.
 */
export function evaluate(check: EvaluatedCheck, startedAt: Date, observation: HttpObservation): CheckResult {
  const base = {
    time: startedAt.toISOString(),
    check: check.name,
    url: check.url,
    status: observation.status,
    durationMs: observation.durationMs,
  };
  if (observation.error) return { ...base, ok: false, error: observation.error };
  if (observation.status === null) {
    return { ...base, ok: false, error: { code: 'protocol', message: 'no response status' } };
  }
  if (!statusMatches(check.expectStatus, observation.status)) {
    return {
      ...base,
      ok: false,
      error: {
        code: 'http_status',
        message: `status ${observation.status} is not in ${formatStatusRanges(check.expectStatus)}`,
      },
    };
  }
  return { ...base, ok: true };
}
