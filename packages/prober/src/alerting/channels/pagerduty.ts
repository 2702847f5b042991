/**
 * PagerDuty Events API v2: a firing or reminder notification triggers (a
 * reminder adds to the open alert: same dedup_key), a resolved one resolves.
 * PagerDuty answers 202 when it accepts an event, 400 for one it never will,
 * 429 and 5xx when it may later. Reference: docs/alerting.md.
 */
import type { NotificationPayload } from '../../domain/alerts.js';
import type { Channel } from '../channel.js';
import { errorCode, errorMessage, iso, oneLine, summary, truncate } from './format.js';
import { createHttpSender, mergeHeaders, withSecrets } from './http-send.js';
import type { ChannelDeps, ChannelOf } from './types.js';

export const DEFAULT_PAGERDUTY_URL = 'https://events.pagerduty.com/v2/enqueue';

/** PagerDuty's limit on `payload.summary`. */
export const SUMMARY_CHARS = 1024;

const SEVERITIES = new Set(['critical', 'error', 'warning', 'info']);

/** The policy's severity as one PagerDuty knows; anything else pages as critical. A test is info. */
export function pagerdutySeverity(payload: NotificationPayload): string {
  if (payload.kind === 'test') return 'info';
  const severity = payload.check.severity.toLowerCase();
  if (severity === 'warn') return 'warning';
  return SEVERITIES.has(severity) ? severity : 'critical';
}

/**
 * A test would otherwise join (or open) the check's real alert: it gets a
 * dedup_key of its own, so resolving it touches nothing real.
 */
export const dedupKey = (payload: NotificationPayload): string =>
  payload.kind === 'test' ? payload.key : payload.check.name;

/** The body of one event. */
export function pagerdutyBody(payload: NotificationPayload, routingKey: string) {
  const dedup_key = dedupKey(payload);
  if (payload.kind === 'resolved') return { routing_key: routingKey, event_action: 'resolve', dedup_key };
  const { incident, check } = payload;
  const message = errorMessage(payload);
  const team = check.labels.team;
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key,
    payload: {
      summary: truncate(message ? `${summary(payload)} — ${message}` : summary(payload), SUMMARY_CHARS),
      source: check.url,
      severity: pagerdutySeverity(payload),
      timestamp: iso(incident.startedAt),
      component: check.name,
      ...(team ? { group: team } : {}),
      class: errorCode(payload) || 'unknown',
      custom_details: {
        kind: payload.kind,
        key: payload.key,
        incident: incident.id,
        started: iso(incident.startedAt),
        failures: incident.failures,
        error_code: errorCode(payload),
        error_message: message,
        url: oneLine(check.url),
        labels: { ...check.labels },
      },
    },
    ...(payload.link ? { links: [{ href: payload.link, text: `${check.name} in Lifeline` }] } : {}),
  };
}

export function createPagerdutyChannel(config: ChannelOf<'pagerduty'>, deps: ChannelDeps = {}): Channel {
  const sender = createHttpSender({ ...config, secrets: withSecrets(config.secrets, config.routingKey), ...deps });
  const headers = mergeHeaders({}, { 'content-type': 'application/json' });
  return {
    name: config.name,
    type: 'pagerduty',
    send: (payload, signal) =>
      sender.post(config.url, JSON.stringify(pagerdutyBody(payload, config.routingKey)), headers, signal),
    close: () => sender.close(),
  };
}
