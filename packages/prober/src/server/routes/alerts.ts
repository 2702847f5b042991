import type { Incident, OutboxEntry } from '../../domain/alerts.js';
import type { RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import { type Query, quote } from '../request.js';
import { parseLimit, parseTime } from './results.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** An incident as the API shows it: times in ISO 8601, open ones with `endedAt: null`. */
export function incidentJson(incident: Incident) {
  return {
    id: incident.id,
    check: incident.check,
    startedAt: iso(incident.startedAt),
    endedAt: iso(incident.endedAt),
    failures: incident.failures,
    error: incident.error,
    ...(incident.maintenance ? { maintenance: true } : {}),
  };
}

/** GET /api/v1/alerts: checks with an open incident now, and whether receivers were told. */
export function alerts(ctx: RouteContext, query: Query) {
  query.allow([]);
  const firing = ctx.deps.alerts?.firing() ?? [];
  return {
    alerts: firing
      .sort((a, b) => a.incident.startedAt - b.incident.startedAt || (a.check < b.check ? -1 : 1))
      .map((alert) => ({ check: alert.check, notified: alert.notified, incident: incidentJson(alert.incident) })),
  };
}

export const INCIDENT_PARAMS = ['check', 'since', 'until', 'limit'] as const;

/** GET /api/v1/incidents: newest first by start, filtered by check and start time, paged by `until`. */
export async function incidents(ctx: RouteContext, query: Query) {
  query.allow(INCIDENT_PARAMS);
  const check = query.get('check');
  const limit = parseLimit(query.get('limit'), 100);
  const since = parseTime('since', query.get('since'));
  const until = parseTime('until', query.get('until'));
  const filter = {
    limit,
    ...(check !== undefined ? { check } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
  };
  const page = await ctx.alertHistory((store) => store.incidents(filter));
  const oldest = page.at(-1);
  const next =
    page.length === limit && oldest
      ? `/api/v1/incidents?${new URLSearchParams({
          ...(check !== undefined ? { check } : {}),
          ...(since !== undefined ? { since: String(since) } : {}),
          until: String(oldest.startedAt),
          limit: String(limit),
        })}`
      : null;
  return { incidents: page.map(incidentJson), next };
}

export const NOTIFICATION_PARAMS = ['status', 'check', 'until', 'limit'] as const;
const STATUSES = ['pending', 'delivered', 'dead'] as const;

function notificationJson(entry: OutboxEntry) {
  return {
    id: entry.id,
    key: entry.key,
    channel: entry.channel,
    check: entry.check,
    kind: entry.kind,
    incident: entry.incidentId,
    status: entry.status,
    attempts: entry.attempts,
    createdAt: iso(entry.createdAt),
    nextAttemptAt: entry.status === 'pending' ? iso(entry.nextAttemptAt) : null,
    deliveredAt: iso(entry.deliveredAt),
    lastError: entry.lastError,
  };
}

/** GET /api/v1/notifications: the outbox newest first; `status=dead` lists the dead letters. */
export async function notifications(ctx: RouteContext, query: Query) {
  query.allow(NOTIFICATION_PARAMS);
  const status = query.get('status');
  if (status !== undefined && !(STATUSES as readonly string[]).includes(status))
    throw new ApiError('bad_parameter', `status must be pending, delivered or dead, got ${quote(status)}`);
  const check = query.get('check');
  const limit = parseLimit(query.get('limit'), 100);
  const until = parseTime('until', query.get('until'));
  const filter = {
    limit,
    ...(status !== undefined ? { status: status as OutboxEntry['status'] } : {}),
    ...(check !== undefined ? { check } : {}),
    ...(until !== undefined ? { until } : {}),
  };
  const page = await ctx.alertHistory((store) => store.notifications(filter));
  const oldest = page.at(-1);
  const next =
    page.length === limit && oldest
      ? `/api/v1/notifications?${new URLSearchParams({
          ...(status !== undefined ? { status } : {}),
          ...(check !== undefined ? { check } : {}),
          until: String(oldest.createdAt),
          limit: String(limit),
        })}`
      : null;
  return { notifications: page.map(notificationJson), next };
}
