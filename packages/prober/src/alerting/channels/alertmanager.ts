/**
 * Alertmanager's API v2: notifications become postable alerts, and
 * Alertmanager groups, silences, inhibits and routes them to people.
 * Reference: docs/alerting.md; the API: alertmanager's api/v2/openapi.yaml
 * (POST /api/v2/alerts takes an array of postableAlert).
 */
import type { NotificationPayload } from '../../domain/alerts.js';
import type { Channel, DeliveryOutcome } from '../channel.js';
import { alertLabels, alertStatus, description, errorCode, errorMessage, iso, summary } from './format.js';
import { createHttpSender, mergeHeaders } from './http-send.js';
import type { ChannelDeps, ChannelOf } from './types.js';

/** Alerts in one POST at most: a refresh of a large monitor goes in several. */
export const ALERTS_PER_REQUEST = 500;

/** `<base>/api/v2/alerts`, whether the base ends in a slash or not (and keeping a path prefix). */
export function alertsUrl(base: string): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/api/v2/alerts`;
  url.hash = '';
  return url.toString();
}

export interface PostableAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt?: string;
  readonly generatorURL?: string;
}

/**
 * One notification as an Alertmanager alert. A firing alert has no endsAt:
 * Alertmanager then keeps it for its resolve_timeout, which `refresh` renews.
 */
export function postableAlert(payload: NotificationPayload): PostableAlert {
  const alert: { -readonly [K in keyof PostableAlert]: PostableAlert[K] } = {
    labels: alertLabels(payload),
    annotations: {
      summary: summary(payload),
      description: description(payload),
      error_code: errorCode(payload),
      error_message: errorMessage(payload),
      incident: payload.incident.id,
    },
    startsAt: iso(payload.incident.startedAt),
  };
  if (alertStatus(payload) === 'resolved') alert.endsAt = iso(payload.incident.endedAt ?? payload.createdAt);
  // Alertmanager validates generatorURL as a URI: left out rather than sent empty.
  if (payload.link) alert.generatorURL = payload.link;
  return alert;
}

export function createAlertmanagerChannel(config: ChannelOf<'alertmanager'>, deps: ChannelDeps = {}): Channel {
  const url = alertsUrl(config.url);
  const sender = createHttpSender({ ...config, url, ...deps });
  const headers = mergeHeaders(config.headers, { 'content-type': 'application/json' });
  const post = (alerts: readonly PostableAlert[], signal?: AbortSignal) =>
    sender.post(url, JSON.stringify(alerts), headers, signal);

  return {
    name: config.name,
    type: 'alertmanager',
    send: (payload, signal) => post([postableAlert(payload)], signal),
    async refresh(firing, signal): Promise<DeliveryOutcome> {
      let last: DeliveryOutcome = { ok: true, message: 'nothing to refresh', retryable: false };
      for (let start = 0; start < firing.length; start += ALERTS_PER_REQUEST) {
        last = await post(firing.slice(start, start + ALERTS_PER_REQUEST).map(postableAlert), signal);
        // The next minute's refresh sends them all again: no point in pushing on now.
        if (!last.ok) return last;
      }
      return last;
    },
    close: () => sender.close(),
  };
}
