/**
 * Words and values every channel shares, so a notification reads the same in
 * Slack, an e-mail and a PagerDuty incident. Pure: the time in a message is the
 * payload's, never the clock's.
 */
import type { NotificationPayload } from '../../domain/alerts.js';

/** Alertmanager's zero time: `endsAt` of an alert that is still firing in its webhook payload. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** `alertname` of every alert Lifeline sends. */
export const ALERT_NAME = 'LifelineCheckFailing';

export const iso = (ms: number): string => new Date(ms).toISOString();

/** The word in a subject or Slack line: FIRING, RESOLVED, REMINDER, TEST. */
export const kindWord = (payload: NotificationPayload): string => payload.kind.toUpperCase();

/** Alertmanager's two states: only a resolved notification is "resolved". */
export const alertStatus = (payload: NotificationPayload): 'firing' | 'resolved' =>
  payload.kind === 'resolved' ? 'resolved' : 'firing';

/** 4m12s, 1h2m, 3d4h: the two largest units, for people. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const units: [string, number][] = [
    ['d', Math.floor(seconds / 86_400)],
    ['h', Math.floor(seconds / 3600) % 24],
    ['m', Math.floor(seconds / 60) % 60],
    ['s', seconds % 60],
  ];
  const first = units.findIndex(([, n]) => n > 0);
  if (first === -1) return '0s';
  return units
    .slice(first, first + 2)
    .filter(([, n]) => n > 0)
    .map(([unit, n]) => `${n}${unit}`)
    .join('');
}

/** Text from a result (an error message, a label) on one line: CR, LF and other controls become spaces. */
export const oneLine = (text: string): string =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** How long the incident lasted (or has lasted, at the time the notification was asked for). */
export const incidentDuration = (payload: NotificationPayload): number =>
  (payload.incident.endedAt ?? payload.createdAt) - payload.incident.startedAt;

export const errorCode = (payload: NotificationPayload): string => payload.incident.error?.code ?? '';
export const errorMessage = (payload: NotificationPayload): string => oneLine(payload.incident.error?.message ?? '');

/**
 * One line that says what happened, without the error's message:
 * "api is failing: timeout", "api is still failing: timeout",
 * "api recovered after 4m12s", "test notification for api".
 */
export function summary(payload: NotificationPayload): string {
  const check = oneLine(payload.check.name);
  const code = errorCode(payload);
  const because = code ? `: ${code}` : '';
  switch (payload.kind) {
    case 'firing':
      return `${check} is failing${because}`;
    case 'reminder':
      return `${check} is still failing${because} (for ${formatDuration(incidentDuration(payload))})`;
    case 'resolved':
      return `${check} recovered after ${formatDuration(incidentDuration(payload))}`;
    case 'test':
      return `test notification for ${check}`;
  }
}

/** A few sentences with the URL, the error and the incident's numbers. */
export function description(payload: NotificationPayload): string {
  const { incident } = payload;
  const url = oneLine(payload.check.url);
  const error = incident.error ? `${incident.error.code}: ${errorMessage(payload)}` : 'no error recorded';
  const failures = `${incident.failures} failed result${incident.failures === 1 ? '' : 's'}`;
  switch (payload.kind) {
    case 'firing':
    case 'reminder':
      return `${url} fails (${error}) since ${iso(incident.startedAt)}, ${failures}.`;
    case 'resolved':
      return `${url} passes again; it failed from ${iso(incident.startedAt)} to ${iso(incident.endedAt ?? payload.createdAt)}, ${failures}, first with ${error}.`;
    case 'test':
      return `A test notification sent by Lifeline through this channel for ${url}; nothing needs doing.`;
  }
}

/** A name Prometheus and Alertmanager accept as a label name: [a-zA-Z_][a-zA-Z0-9_]*. */
export function labelName(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(cleaned) || cleaned === '' ? `_${cleaned}` : cleaned;
}

/**
 * The alert's labels: alertname, check and severity first (they cannot be
 * overridden, so a check label named `check` cannot move the alert to another
 * check), then the check's labels under names Alertmanager accepts.
 */
export function alertLabels(payload: NotificationPayload): Record<string, string> {
  const labels: Record<string, string> = {
    alertname: ALERT_NAME,
    check: payload.check.name,
    severity: payload.check.severity,
  };
  for (const [name, value] of Object.entries(payload.check.labels)) {
    const key = labelName(name);
    if (!(key in labels)) labels[key] = value;
  }
  return labels;
}
