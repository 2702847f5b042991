import type { DurableAlertState, Incident } from '../domain/alerts.js';
import type { AlertChange } from '../store/store.js';

/** A failing check's change: its state, its incident and one notification to `channel`. */
export function failingChange(check: string, channel: string, T0: number): AlertChange {
  const incident: Incident = {
    id: `${check}:${T0}`,
    check,
    startedAt: T0,
    endedAt: null,
    error: { code: 'refused', message: 'connection refused' },
    failures: 3,
  };
  const state: DurableAlertState = {
    check,
    status: 'failing',
    incident,
    notified: incident,
    notifiedAt: T0,
    reminders: 0,
    updatedAt: T0,
  };
  const key = `${incident.id}:firing`;
  return {
    state,
    incidents: [incident],
    notifications: [
      {
        id: `${key}:${channel}`,
        key,
        channel,
        check,
        kind: 'firing',
        incidentId: incident.id,
        payload: {
          kind: 'firing',
          key,
          check: { name: check, url: 'http://x/', labels: {}, severity: 'critical' },
          incident,
          createdAt: T0,
        },
        createdAt: T0,
        nextAttemptAt: T0,
      },
    ],
  };
}
