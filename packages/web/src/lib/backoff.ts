export interface BackoffOptions {
  /** The first delay, ms: the server's `retry:` when it sent one. */
  readonly baseMs: number;
  /** No delay is longer than this. */
  readonly maxMs: number;
  /** A number in [0, 1); Math.random in the app, fixed in tests. */
  readonly random: () => number;
}

export const DEFAULT_BACKOFF = { baseMs: 2_000, maxMs: 30_000 } as const;

/**
 * How long to wait before reconnect number `attempt` (0 for the first after a drop):
 * exponential from baseMs, capped at maxMs, with "equal jitter" (half fixed, half random),
 * so that a restarted monitor is not hit by every open dashboard in the same instant and no
 * delay collapses to near zero.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const base = Math.max(0, options.baseMs);
  const ceiling = Math.max(base, options.maxMs);
  const exp = Math.min(ceiling, base * 2 ** Math.min(Math.max(0, attempt), 30));
  return Math.round(exp / 2 + (exp / 2) * Math.min(Math.max(options.random(), 0), 1));
}
