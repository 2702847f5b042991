import type { DurableAlertState, Incident } from '../domain/alerts.js';
import { isFenced } from '../store/cluster.js';
import type { AlertChange, AlertStore, NewOutboxEntry } from '../store/store.js';

/** Notifications waiting per check while the store fails, at most; past it the oldest reminders go first. */
export const MAX_PENDING_NOTIFICATIONS_PER_CHECK = 100;

/** A change that only counts another failure of an open incident waits at most this long to be written. */
export const LAZY_FLUSH_MS = 10_000;

export interface AlertWriterOptions {
  /** How long a change that is not urgent may wait (ms, default LAZY_FLUSH_MS). */
  readonly lazyMs?: number;
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** A write that has not settled after this long counts as failed (the store's own timeouts normally end it first). */
  readonly writeTimeoutMs?: number;
  /** After every write that worked: the notifications in it can be sent now. */
  readonly onCommitted?: () => void;
  /** Once when writes start failing, once when they work again. */
  readonly onStateChange?: (failing: boolean, error?: unknown) => void;
  readonly onDrop?: (check: string, dropped: number) => void;
  /**
   * A write refused by cluster fencing (FencedError: this member's lease is
   * gone): its changes are dropped, never retried, since their checks belong
   * to another member now. Called with how many checks' changes were dropped.
   */
  readonly onFenced?: (checks: number) => void;
}

export interface AlertWriter {
  /**
   * Queues one check's change; changes of the same check merge (newest state,
   * every incident and notification). An urgent change (a transition, a
   * notification) is written at once; one that only counts another failure
   * waits up to `lazyMs`, merged with the check's next ones, so a thousand
   * failing checks cost one small write each ten seconds, not one a run.
   */
  add(change: AlertChange, urgent?: boolean): void;
  /** Writes what is queued now (unless a failed write's backoff has not passed). */
  flush(): Promise<void>;
  /** Stops retrying; one last bounded attempt; returns how many checks' changes were not written. */
  close(timeoutMs: number): Promise<number>;
  readonly pending: number;
}

interface Pending {
  state: DurableAlertState;
  incidents: Map<string, Incident>;
  notifications: NewOutboxEntry[];
}

/**
 * Writes alert changes with their notifications in one store transaction, as
 * soon as they happen (a notification is sent only once its change is
 * stored). A failed write keeps everything and retries with backoff; memory
 * stays bounded by the number of checks. A write refused by cluster fencing
 * is dropped instead (see onFenced).
 */
export function createAlertWriter(store: AlertStore, options: AlertWriterOptions = {}): AlertWriter {
  const retryMinMs = options.retryMinMs ?? 1_000;
  const retryMaxMs = options.retryMaxMs ?? 30_000;
  const writeTimeoutMs = options.writeTimeoutMs ?? 60_000;
  let queued = new Map<string, Pending>();
  let inFlight: Promise<void> | undefined;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let lazyTimer: NodeJS.Timeout | undefined;
  const lazyMs = options.lazyMs ?? LAZY_FLUSH_MS;
  let closed = false;

  const merge = (into: Map<string, Pending>, change: AlertChange | Pending) => {
    const incidents = change.incidents instanceof Map ? [...change.incidents.values()] : change.incidents;
    const existing = into.get(change.state.check);
    if (!existing) {
      into.set(change.state.check, {
        state: change.state,
        incidents: new Map(incidents.map((i) => [i.id, i])),
        notifications: [...change.notifications],
      });
      return;
    }
    if (change.state.updatedAt >= existing.state.updatedAt) existing.state = change.state;
    for (const incident of incidents) existing.incidents.set(incident.id, incident);
    existing.notifications.push(...change.notifications);
    const over = existing.notifications.length - MAX_PENDING_NOTIFICATIONS_PER_CHECK;
    if (over > 0) {
      // Reminders are the only notifications that can pile up; firing and resolved are at most one per incident.
      let dropped = 0;
      existing.notifications = existing.notifications.filter(
        (n) => !(n.kind === 'reminder' && dropped < over && ++dropped),
      );
      if (dropped > 0) options.onDrop?.(change.state.check, dropped);
    }
  };

  const write = async (): Promise<void> => {
    if (queued.size === 0 || retryTimer) return;
    const batch = queued;
    queued = new Map();
    const changes: AlertChange[] = [...batch.values()].map((p) => ({
      state: p.state,
      incidents: [...p.incidents.values()],
      notifications: p.notifications,
    }));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        store.recordAlerts(changes),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`the store did not confirm within ${writeTimeoutMs} ms`)),
            writeTimeoutMs,
          );
        }),
      ]);
      if (failures > 0) options.onStateChange?.(false);
      failures = 0;
      options.onCommitted?.();
    } catch (error) {
      if (isFenced(error)) {
        // The store answered: not a failing store. The new owner starts from what is stored.
        if (failures > 0) options.onStateChange?.(false);
        failures = 0;
        options.onFenced?.(batch.size);
        return;
      }
      // Put it back under anything newer, and wait before the next try.
      const newer = queued;
      queued = batch;
      for (const pending of newer.values()) merge(queued, pending);
      if (failures === 0) options.onStateChange?.(true, error);
      failures += 1;
      if (!closed) {
        const wait = Math.min(retryMaxMs, retryMinMs * 2 ** (failures - 1));
        retryTimer = setTimeout(() => {
          retryTimer = undefined;
          void flush();
        }, wait);
        retryTimer.unref();
      }
    } finally {
      clearTimeout(timer);
    }
  };

  const flush = async (): Promise<void> => {
    while (inFlight) await inFlight;
    if (queued.size === 0 || retryTimer) return;
    inFlight = write().finally(() => {
      inFlight = undefined;
    });
    await inFlight;
    // Changes that came in during the write go out at once.
    if (queued.size > 0 && !retryTimer && !closed) void flush();
  };

  return {
    add(change, urgent = true) {
      merge(queued, change);
      if (urgent) {
        if (!inFlight && !retryTimer) void flush();
      } else if (!lazyTimer && !closed) {
        lazyTimer = setTimeout(() => {
          lazyTimer = undefined;
          void flush();
        }, lazyMs);
        lazyTimer.unref();
      }
    },
    flush,
    async close(timeoutMs) {
      closed = true;
      clearTimeout(retryTimer);
      clearTimeout(lazyTimer);
      retryTimer = undefined;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        (async () => {
          while (inFlight) await inFlight;
          if (queued.size > 0) await write();
        })(),
        new Promise((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      return queued.size;
    },
    get pending() {
      return queued.size;
    },
  };
}
