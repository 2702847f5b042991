// `lifeline check --once --report URL`: the CronJob's results go to the monitor, whose push
// check counts the run as its heartbeat. Imported only when a report is asked for.
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeliveryOutcome } from './alerting/channel.js';
import { createHttpSender } from './alerting/channels/http-send.js';
import type { CheckResult } from './domain/result.js';
import { REPORT_MAX_RESULTS } from './push/types.js';

/** One try's bound: a monitor that does not answer in this long is down for this run. */
export const REPORT_TIMEOUT_MS = 5_000;
/** Tries, 1 s and 2 s apart: a monitor restarting during a rollout is back within that. */
export const REPORT_TRIES = 3;
export { REPORT_MAX_RESULTS };

export interface ReportOptions {
  /** The push check's URL on the monitor, e.g. http://lifeline-monitor:8080/api/v1/push/seed-job. */
  readonly url: string;
  readonly token: string;
  readonly timeoutMs?: number;
  readonly tries?: number;
  readonly signal?: AbortSignal;
}

/** Where the results go: the push URL's /report. */
export function reportUrl(url: string): string {
  const parsed = new URL(url);
  parsed.pathname = `${parsed.pathname.replace(/\/+$/, '')}/report`;
  return parsed.toString();
}

/**
 * Sends the results, retrying what may pass on a second try (timeouts,
 * resets, 5xx, 429). Never rejects; the outcome says what the monitor
 * answered, with the token scrubbed from any message.
 */
export async function sendReport(
  results: readonly CheckResult[],
  options: ReportOptions,
): Promise<DeliveryOutcome & { tries: number; heartbeatOnly: boolean }> {
  // Too many results for one report: the run still counts, as a plain ping (to /fail when a check
  // failed, naming the failures), and the results stay in this run's log only.
  const heartbeatOnly = results.length > REPORT_MAX_RESULTS;
  const failed = results.filter((r) => !r.ok);
  const base = options.url.replace(/\/+$/, '');
  const target = heartbeatOnly ? (failed.length > 0 ? `${base}/fail` : base) : reportUrl(options.url);
  const tries = Math.max(1, options.tries ?? REPORT_TRIES);
  const sender = createHttpSender({
    url: target,
    timeoutMs: options.timeoutMs ?? REPORT_TIMEOUT_MS,
    concurrency: 1,
    secrets: [options.token],
  });
  const body = heartbeatOnly
    ? `${failed.length} of ${results.length} check(s) failed${failed.length ? `: ${failed.map((r) => `${r.check} ${r.error?.code ?? 'failed'}`).join(', ')}` : ''}`.slice(
        0,
        10_240,
      )
    : JSON.stringify({ results });
  const headers = {
    'content-type': heartbeatOnly ? 'text/plain; charset=utf-8' : 'application/json',
    authorization: `Bearer ${options.token}`,
  };
  let outcome: DeliveryOutcome = { ok: false, retryable: false, message: 'not sent' };
  try {
    for (let n = 1; n <= tries; n++) {
      outcome = await sender.post(target, body, headers, options.signal);
      if (outcome.ok || !outcome.retryable || n === tries || options.signal?.aborted)
        return { ...outcome, tries: n, heartbeatOnly };
      await sleep(Math.min(5_000, Math.max(1_000 * 2 ** (n - 1), outcome.retryAfterMs ?? 0)), undefined, {
        ...(options.signal ? { signal: options.signal } : {}),
      }).catch(() => {});
    }
    return { ...outcome, tries, heartbeatOnly };
  } finally {
    await sender.close();
  }
}
