import type { DurableAlertState, Incident, OutboxEntry } from '../domain/alerts.js';
import type { AlertChange, AlertStore, NewOutboxEntry } from './store.js';

/** An outbox row as both dialects store it; `payload` is JSON text (SQLite) or parsed JSONB (PostgreSQL). */
export interface OutboxRow {
  id: string;
  key: string;
  channel: string;
  check_name: string;
  kind: OutboxEntry['kind'];
  incident_id: string;
  payload: string | OutboxEntry['payload'];
  created_at: number;
  attempts: number;
  next_attempt_at: number;
  status: OutboxEntry['status'];
  last_error: string | null;
  delivered_at: number | null;
}

export function toOutboxEntry(row: OutboxRow): OutboxEntry {
  return {
    id: row.id,
    key: row.key,
    channel: row.channel,
    check: row.check_name,
    kind: row.kind,
    incidentId: row.incident_id,
    payload: typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload,
    createdAt: Number(row.created_at),
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    status: row.status,
    lastError: row.last_error,
    deliveredAt: row.delivered_at === null ? null : Number(row.delivered_at),
  };
}

/** Oldest first (createdAt, then id): the order notifications are claimed in. */
export const oldestFirst = (a: OutboxEntry, b: OutboxEntry) =>
  a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * What one recordAlerts call writes: the last state per check and the last
 * version of each incident (a batch may open and close the same one), and
 * every notification in order (the store keeps the first of an id).
 */
export function flattenChanges(changes: readonly AlertChange[]): {
  states: DurableAlertState[];
  incidents: Incident[];
  notifications: NewOutboxEntry[];
} {
  const states = new Map<string, DurableAlertState>();
  const incidents = new Map<string, Incident>();
  const notifications: NewOutboxEntry[] = [];
  for (const change of changes) {
    states.delete(change.state.check);
    states.set(change.state.check, change.state);
    for (const incident of change.incidents) {
      incidents.delete(incident.id);
      incidents.set(incident.id, incident);
    }
    notifications.push(...change.notifications);
  }
  return { states: [...states.values()], incidents: [...incidents.values()], notifications };
}

/** The AlertStore methods of a dialect's alerts module, for its store to expose (and nothing else it has). */
export function alertMethods(alerts: AlertStore): AlertStore {
  return {
    recordAlerts: alerts.recordAlerts,
    alertStates: alerts.alertStates,
    forgetAlertStates: alerts.forgetAlertStates,
    incidents: alerts.incidents,
    claimNotifications: alerts.claimNotifications,
    recordAttempt: alerts.recordAttempt,
    expediteNotifications: alerts.expediteNotifications,
    notifications: alerts.notifications,
    outboxCounts: alerts.outboxCounts,
  };
}
