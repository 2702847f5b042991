import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import type { ChannelConfig } from '../config/resolved.js';
import type { NotificationPayload, OutboxEntry } from '../domain/alerts.js';
import type { AlertStore } from '../store/store.js';
import type { Channel, DeliveryOutcome } from './channel.js';

/** Longest wait between two tries of one notification. */
export const MAX_BACKOFF_MS = 5 * 60_000;
/** A Retry-After longer than this is not honoured past it. */
export const MAX_RETRY_AFTER_MS = 60 * 60_000;
/**
 * A receiver that answers again brings its channel's waiting retries forward at most this often: a
 * receiver that fails every other request must not burn every notification's tries in seconds.
 */
export const EXPEDITE_EVERY_MS = 30_000;
/** Alertmanager resolves an alert that is not re-sent within resolve_timeout (5m by default): re-sent this often. */
export const REFRESH_EVERY_MS = 60_000;

export type DeliveryOutcomeKind = 'delivered' | 'retry' | 'dead';

export interface ConfiguredChannel {
  readonly config: ChannelConfig;
  readonly channel: Channel;
}

export interface WorkerDeps {
  readonly store: AlertStore;
  readonly logger: Logger;
  /** The running config's channels by name (changes on reload). */
  readonly channels: () => ReadonlyMap<string, ConfiguredChannel>;
  /** Firing payloads to re-send to an Alertmanager channel. */
  readonly firing: (channel: string) => NotificationPayload[];
  readonly onOutcome?: (channel: string, outcome: DeliveryOutcomeKind) => void;
  readonly now?: () => number;
  /** [0, 1): the jitter of backoffs. */
  readonly random?: () => number;
  /** How often due notifications are looked for without a wake() (ms, default 1000). */
  readonly pollMs?: number;
  /**
   * Whether this cluster member's lease holds (membership.leaseValid). While
   * it does not, nothing is claimed or sent: the checks, and their outbox
   * entries once their claim's lease ends, belong to another member.
   */
  readonly leaseValid?: () => boolean;
}

export interface DeliveryWorker {
  start(): void;
  /** Look for due notifications now (after new ones were stored). */
  wake(): void;
  /** Stops looking, aborts sends in flight (they stay claimed and are retried after their lease by the next process). */
  stop(timeoutMs: number): Promise<void>;
}

/** Wait before try n+1 after n failed tries: exponential from 1 s, capped, with jitter in [half, full]. */
export function backoffMs(failedTries: number, random: number, retryAfterMs?: number): number {
  const base = Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** Math.max(0, failedTries - 1));
  const wait = Math.round(base / 2 + (random * base) / 2);
  return retryAfterMs === undefined ? wait : Math.max(wait, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
}

/**
 * Sends stored notifications: per channel at most `concurrency` at once, each
 * try bounded by the channel's timeout, failed tries retried with backoff
 * and jitter, and after maxAttempts a dead letter (status 'dead', kept and
 * counted). At least once: a crash between a send and its record sends it
 * again after the claim's lease, with the same Idempotency-Key/dedup key.
 */
export function createDeliveryWorker(deps: WorkerDeps): DeliveryWorker {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const pollMs = deps.pollMs ?? 1_000;
  const inFlight = new Map<string, number>();
  /** Ids of this process's sends in flight: never expedited under them. */
  const sending = new Set<string>();
  /** Channels whose last try failed: their next delivery brings the others' retries forward. */
  const failing = new Set<string>();
  const expedited = new Map<string, number>();
  const sends = new Set<Promise<void>>();
  const abort = new AbortController();
  // Every send in flight (up to each channel's concurrency, all channels together) and every refresh
  // listens on this one signal: bounded by the config, not a leak, so no MaxListenersExceededWarning past 10.
  setMaxListeners(0, abort.signal);
  let pollTimer: NodeJS.Timeout | undefined;
  let refreshTimer: NodeJS.Timeout | undefined;
  let woken = false;
  let stopped = false;
  let storeFailing = false;

  const storeProblem = (error: unknown, what: string) => {
    if (storeFailing) return;
    storeFailing = true;
    deps.logger.error({ err: error }, `alert delivery: ${what} failed; retrying every ${pollMs} ms`);
  };
  const storeWorks = () => {
    if (!storeFailing) return;
    storeFailing = false;
    deps.logger.info('alert delivery: the store answers again');
  };

  const record = async (entry: OutboxEntry, configured: ConfiguredChannel, outcome: DeliveryOutcome) => {
    const tries = entry.attempts + 1;
    const at = now();
    const fields = {
      channel: entry.channel,
      check: entry.check,
      kind: entry.kind,
      key: entry.key,
      attempts: tries,
      ...(outcome.status !== undefined ? { status: outcome.status } : {}),
    };
    if (outcome.ok) {
      await deps.store.recordAttempt(entry.id, { status: 'delivered', at });
      deps.onOutcome?.(entry.channel, 'delivered');
      deps.logger.info(fields, `alert: ${entry.kind} for ${entry.check} delivered to ${entry.channel}`);
      if (failing.delete(entry.channel)) await expedite(entry.channel, at);
      return;
    }
    failing.add(entry.channel);
    if (outcome.retryable && tries < configured.config.maxAttempts) {
      const wait = backoffMs(tries, random(), outcome.retryAfterMs);
      await deps.store.recordAttempt(entry.id, { status: 'pending', nextAttemptAt: at + wait, error: outcome.message });
      deps.onOutcome?.(entry.channel, 'retry');
      deps.logger.warn(
        { ...fields, error: outcome.message, retryInMs: wait },
        `alert: ${entry.kind} for ${entry.check} not delivered to ${entry.channel} (${outcome.message}); next try in ${Math.round(wait / 1000)} s`,
      );
    } else {
      await deps.store.recordAttempt(entry.id, { status: 'dead', at, error: outcome.message });
      deps.onOutcome?.(entry.channel, 'dead');
      deps.logger.error(
        { ...fields, error: outcome.message },
        `alert: ${entry.kind} for ${entry.check} to ${entry.channel} given up after ${tries} tr${tries === 1 ? 'y' : 'ies'} (${outcome.message}): dead letter`,
      );
    }
  };

  /**
   * The receiver answers again: the channel's notifications waiting out a backoff are due now,
   * instead of each on its own schedule (after a long outage, up to minutes away).
   */
  const expedite = async (channel: string, at: number) => {
    const last = expedited.get(channel);
    if (last !== undefined && at - last < EXPEDITE_EVERY_MS) return;
    expedited.set(channel, at);
    const moved = await deps.store.expediteNotifications(channel, at, [...sending]);
    if (moved > 0)
      deps.logger.info(
        { channel, notifications: moved },
        `alert delivery: ${channel} answers again; ${moved} notification(s) waiting for a retry are sent now`,
      );
  };

  const leaseHolds = () => deps.leaseValid?.() ?? true;

  const deliver = (entry: OutboxEntry, configured: ConfiguredChannel) => {
    const name = entry.channel;
    sending.add(entry.id);
    inFlight.set(name, (inFlight.get(name) ?? 0) + 1);
    const send = (async () => {
      try {
        const outcome = await configured.channel.send(entry.payload, abort.signal);
        if (stopped && !outcome.ok) return; // cut short by stop(): the lease brings it back
        await record(entry, configured, outcome);
      } catch (error) {
        deps.logger.error({ err: error, channel: name, key: entry.key }, 'alert delivery: recording a try failed');
      } finally {
        sending.delete(entry.id);
        inFlight.set(name, (inFlight.get(name) ?? 1) - 1);
        if (!stopped) void drain(name, configured);
      }
    })();
    sends.add(send);
    void send.finally(() => sends.delete(send));
  };

  const claiming = new Set<string>();
  const drain = async (name: string, configured: ConfiguredChannel) => {
    if (stopped || claiming.has(name) || !leaseHolds()) return;
    const free = configured.config.concurrency - (inFlight.get(name) ?? 0);
    if (free <= 0) return;
    claiming.add(name);
    try {
      const at = now();
      const leaseUntil = at + configured.config.timeoutMs + 10_000;
      const entries = await deps.store.claimNotifications(name, at, free, leaseUntil);
      storeWorks();
      // A claim that came back after its lease (a slow store) may be another worker's already, and a member
      // that lost its cluster lease meanwhile sends nothing: either way the entry waits for its lease to end.
      const late = now() >= leaseUntil || !leaseHolds();
      if (late && entries.length > 0)
        deps.logger.warn(
          { channel: name, notifications: entries.length, leaseUntil: new Date(leaseUntil).toISOString() },
          `alert delivery: ${entries.length} notification(s) claimed on ${name} not sent: the claim or this member's lease ended first; they are sent once the claim's lease is over`,
        );
      if (late) return;
      for (const entry of entries) deliver(entry, configured);
    } catch (error) {
      storeProblem(error, 'reading the outbox');
    } finally {
      claiming.delete(name);
    }
  };

  const poll = () => {
    woken = false;
    for (const [name, configured] of deps.channels()) void drain(name, configured);
  };

  const refresh = () => {
    if (!leaseHolds()) return;
    for (const [name, configured] of deps.channels()) {
      if (!configured.channel.refresh) continue;
      const firing = deps.firing(name);
      if (firing.length === 0) continue;
      void configured.channel.refresh(firing, abort.signal).then((outcome) => {
        if (!outcome.ok)
          deps.logger.warn(
            { channel: name, alerts: firing.length, error: outcome.message },
            `alert: re-sending ${firing.length} firing alert(s) to ${name} failed (${outcome.message})`,
          );
      });
    }
  };

  return {
    start() {
      pollTimer = setInterval(poll, pollMs);
      pollTimer.unref();
      refreshTimer = setInterval(refresh, REFRESH_EVERY_MS);
      refreshTimer.unref();
      poll();
    },
    wake() {
      if (woken || stopped) return;
      woken = true;
      setImmediate(poll);
    },
    async stop(timeoutMs) {
      stopped = true;
      clearInterval(pollTimer);
      clearInterval(refreshTimer);
      abort.abort();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...sends]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
    },
  };
}
