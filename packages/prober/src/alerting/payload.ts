import type { ResolvedCheck } from '../config/resolved.js';
import type { NotificationIntent, NotificationPayload } from '../domain/alerts.js';
import type { NewOutboxEntry } from '../store/store.js';

/** The check in the monitor's API: what a notification links to. */
export function checkLink(baseUrl: string | undefined, check: string): string | undefined {
  return baseUrl ? `${baseUrl.replace(/\/+$/, '')}/api/v1/checks/${encodeURIComponent(check)}` : undefined;
}

/** What a channel formats, built once when the notification is asked for (so a retry after a restart reads the same). */
export function buildPayload(
  intent:
    | Pick<NotificationIntent, 'kind' | 'incident' | 'key'>
    | { kind: 'test'; incident: NotificationIntent['incident']; key: string },
  check: Pick<ResolvedCheck, 'name' | 'displayUrl' | 'labels' | 'alerts'>,
  baseUrl: string | undefined,
  now: number,
): NotificationPayload {
  const link = checkLink(baseUrl, check.name);
  return {
    kind: intent.kind,
    key: intent.key,
    check: { name: check.name, url: check.displayUrl, labels: check.labels, severity: check.alerts.severity },
    incident: intent.incident,
    ...(link ? { link } : {}),
    createdAt: now,
  };
}

/** One outbox entry per channel of the check; the id is derived from the key, so a retried write inserts nothing twice. */
export function outboxEntries(
  intent: NotificationIntent,
  check: Pick<ResolvedCheck, 'name' | 'displayUrl' | 'labels' | 'alerts'>,
  baseUrl: string | undefined,
  now: number,
): NewOutboxEntry[] {
  const payload = buildPayload(intent, check, baseUrl, now);
  return check.alerts.channels.map((channel) => ({
    id: `${intent.key}@${channel}`,
    key: intent.key,
    channel,
    check: check.name,
    kind: intent.kind,
    incidentId: intent.incident.id,
    payload,
    createdAt: now,
    nextAttemptAt: now,
  }));
}
