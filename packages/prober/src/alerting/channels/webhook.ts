/**
 * The generic webhook: Alertmanager's webhook payload (version 4), so a
 * receiver written for Alertmanager understands it, plus a `lifeline` object
 * with the incident as Lifeline sees it. Reference: docs/alerting.md.
 */
import { createHmac } from 'node:crypto';
import type { NotificationPayload } from '../../domain/alerts.js';
import type { Channel } from '../channel.js';
import {
  alertLabels,
  alertStatus,
  description,
  errorCode,
  errorMessage,
  iso,
  oneLine,
  summary,
  ZERO_TIME,
} from './format.js';
import { createHttpSender, mergeHeaders, withSecrets } from './http-send.js';
import type { ChannelDeps, ChannelOf } from './types.js';

export const SIGNATURE_HEADER = 'x-lifeline-signature';

/** The origin of the notification's link: Alertmanager's `externalURL` is where its UI lives. */
function externalUrl(link: string | undefined): string {
  if (!link) return '';
  try {
    return new URL(link).origin;
  } catch {
    return '';
  }
}

/** The body of one webhook notification. */
export function webhookBody(payload: NotificationPayload, receiver: string) {
  const { incident, check } = payload;
  const status = alertStatus(payload);
  const labels = alertLabels(payload);
  const annotations = {
    summary: summary(payload),
    description: description(payload),
    error_code: errorCode(payload),
    error_message: errorMessage(payload),
  };
  return {
    version: '4',
    receiver,
    status,
    groupKey: incident.id,
    groupLabels: { check: check.name },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: externalUrl(payload.link),
    alerts: [
      {
        status,
        labels,
        annotations,
        startsAt: iso(incident.startedAt),
        endsAt: status === 'resolved' ? iso(incident.endedAt ?? payload.createdAt) : ZERO_TIME,
        generatorURL: payload.link ?? '',
        fingerprint: incident.id,
      },
    ],
    lifeline: {
      kind: payload.kind,
      key: payload.key,
      check: { name: check.name, url: check.url, labels: { ...check.labels } },
      incident: {
        id: incident.id,
        startedAt: iso(incident.startedAt),
        endedAt: incident.endedAt === null ? null : iso(incident.endedAt),
        failures: incident.failures,
        error: incident.error ? { ...incident.error } : null,
      },
    },
  };
}

/** `sha256=<hex HMAC-SHA256(secret, body)>`: what X-Lifeline-Signature carries. */
export function signature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function createWebhookChannel(config: ChannelOf<'webhook'>, deps: ChannelDeps = {}): Channel {
  const sender = createHttpSender({ ...config, secrets: withSecrets(config.secrets, config.secret), ...deps });
  return {
    name: config.name,
    type: 'webhook',
    send(payload, signal) {
      const body = JSON.stringify(webhookBody(payload, config.name));
      const own: Record<string, string> = {
        'content-type': 'application/json',
        'idempotency-key': oneLine(payload.key),
      };
      if (config.secret) own[SIGNATURE_HEADER] = signature(config.secret, body);
      return sender.post(config.url, body, mergeHeaders(config.headers, own), signal);
    },
    close: () => sender.close(),
  };
}
