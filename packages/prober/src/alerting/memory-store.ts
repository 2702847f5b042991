import type { DurableAlertState, Incident, OutboxEntry } from '../domain/alerts.js';
import type { AlertStore } from '../store/store.js';

/** Incidents kept at most (oldest dropped first): this store has no retention job. */
export const MEMORY_MAX_INCIDENTS = 10_000;
/** Delivered and dead notifications kept at most. */
export const MEMORY_MAX_FINISHED = 10_000;

/**
 * Alert state and outbox in memory, for `storage: none`: notifications are
 * sent as with a store, but a restart forgets incidents and anything not yet
 * delivered. Behaves as the store contract says, so the engine and worker
 * cannot tell the difference.
 */
export function createMemoryAlertStore(): AlertStore {
  const states = new Map<string, DurableAlertState>();
  const incidents = new Map<string, Incident>();
  const outbox = new Map<string, OutboxEntry>();

  const trim = () => {
    if (incidents.size > MEMORY_MAX_INCIDENTS) {
      const oldest = [...incidents.values()].sort((a, b) => a.startedAt - b.startedAt);
      for (const incident of oldest.slice(0, incidents.size - MEMORY_MAX_INCIDENTS)) incidents.delete(incident.id);
    }
    const finished = [...outbox.values()].filter((e) => e.status !== 'pending');
    if (finished.length > MEMORY_MAX_FINISHED) {
      finished.sort((a, b) => a.createdAt - b.createdAt);
      for (const entry of finished.slice(0, finished.length - MEMORY_MAX_FINISHED)) outbox.delete(entry.id);
    }
  };
  const newestFirst = <T extends { id: string }>(list: T[], time: (t: T) => number) =>
    list.sort((a, b) => time(b) - time(a) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));

  return {
    async recordAlerts(changes) {
      for (const change of changes) {
        states.set(change.state.check, change.state);
        for (const incident of change.incidents) incidents.set(incident.id, incident);
        for (const entry of change.notifications) {
          if (outbox.has(entry.id)) continue;
          outbox.set(entry.id, { ...entry, attempts: 0, status: 'pending', lastError: null, deliveredAt: null });
        }
      }
      trim();
    },
    async alertStates() {
      return new Map(states);
    },
    async forgetAlertStates(checks) {
      for (const check of checks) states.delete(check);
    },
    async incidents(query) {
      const list = [...incidents.values()].filter(
        (i) =>
          (query.check === undefined || i.check === query.check) &&
          (query.since === undefined || i.startedAt >= query.since) &&
          (query.until === undefined || i.startedAt < query.until),
      );
      return newestFirst(list, (i) => i.startedAt).slice(0, query.limit);
    },
    async claimNotifications(channel, now, limit, leaseUntil) {
      const due = [...outbox.values()]
        .filter((e) => e.channel === channel && e.status === 'pending' && e.nextAttemptAt <= now)
        .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
        .slice(0, limit);
      for (const entry of due) outbox.set(entry.id, { ...entry, nextAttemptAt: leaseUntil });
      return due;
    },
    async expediteNotifications(channel, now, exclude) {
      const skip = new Set(exclude);
      let moved = 0;
      for (const entry of outbox.values()) {
        if (entry.channel !== channel || entry.status !== 'pending' || entry.attempts === 0) continue;
        if (entry.nextAttemptAt <= now || skip.has(entry.id)) continue;
        outbox.set(entry.id, { ...entry, nextAttemptAt: now });
        moved += 1;
      }
      return moved;
    },
    async recordAttempt(id, attempt) {
      const entry = outbox.get(id);
      if (entry?.status !== 'pending') return;
      const attempts = entry.attempts + 1;
      if (attempt.status === 'delivered')
        outbox.set(id, { ...entry, attempts, status: 'delivered', deliveredAt: attempt.at });
      else if (attempt.status === 'pending')
        outbox.set(id, { ...entry, attempts, nextAttemptAt: attempt.nextAttemptAt, lastError: attempt.error });
      else outbox.set(id, { ...entry, attempts, status: 'dead', lastError: attempt.error });
      trim();
    },
    async notifications(query) {
      const list = [...outbox.values()].filter(
        (e) =>
          (query.status === undefined || e.status === query.status) &&
          (query.check === undefined || e.check === query.check) &&
          (query.until === undefined || e.createdAt < query.until),
      );
      return newestFirst(list, (e) => e.createdAt).slice(0, query.limit);
    },
    async outboxCounts() {
      const counts = new Map<string, { pending: number; dead: number }>();
      for (const entry of outbox.values()) {
        if (entry.status === 'delivered') continue;
        const count = counts.get(entry.channel) ?? { pending: 0, dead: 0 };
        count[entry.status === 'dead' ? 'dead' : 'pending'] += 1;
        counts.set(entry.channel, count);
      }
      return counts;
    },
  };
}
