/**
 * Pings per push check: a token bucket each. A job pings a few times per run
 * (start, then success or fail, maybe a retry), so a burst of 10 with a refill
 * of 5 per second never stops a well-behaved job, and a runaway loop (or a
 * leaked token used to flood the store) is cut to 5 pings a second.
 */
export const PUSH_BURST = 10;
export const PUSH_REFILL_PER_SECOND = 5;

export type Take = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

export interface PushLimiter {
  /**
   * Takes one ping of `check` if its bucket has one. Call it only for a
   * configured push check whose token matched: an entry is made per name, so
   * the map stays as small as the config. `configured` names the push
   * checks of the running config: entries of names no longer configured
   * (after a reload) are dropped, and other names never get one.
   */
  take(check: string, configured: ReadonlySet<string>): Take;
  /** Buckets held (for tests and metrics). */
  size(): number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** A limiter of its own per createApi; `now` is injectable so tests advance time instead of sleeping. */
export function createPushLimiter(
  now: () => number = Date.now,
  burst = PUSH_BURST,
  perSecond = PUSH_REFILL_PER_SECOND,
): PushLimiter {
  const buckets = new Map<string, Bucket>();
  /** The set the buckets were last swept against: the routes pass one set per config, so a ping costs no sweep (one per reload). */
  let swept: ReadonlySet<string> | undefined;
  return {
    take(check, configured) {
      if (!configured.has(check)) return { ok: true }; // not ours to count: never makes an entry
      // After a sweep every bucket is of a name in `swept`, and only such names are added.
      if (configured !== swept || buckets.size > configured.size) {
        for (const name of buckets.keys()) if (!configured.has(name)) buckets.delete(name);
        swept = configured;
      }
      const t = now();
      let bucket = buckets.get(check);
      if (!bucket) {
        bucket = { tokens: burst, at: t };
        buckets.set(check, bucket);
      }
      // A clock that steps back refills nothing (and takes nothing away).
      bucket.tokens = Math.min(burst, bucket.tokens + (Math.max(0, t - bucket.at) * perSecond) / 1000);
      bucket.at = Math.max(bucket.at, t);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond)) };
    },
    size: () => buckets.size,
  };
}
