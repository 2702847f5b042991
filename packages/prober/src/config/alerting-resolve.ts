import { type AlertPolicy, DEFAULT_ALERT_POLICY } from '../domain/alerts.js';
import { parseDuration } from '../domain/duration.js';
import type { AlertingInput, AlertsInput, ChannelInput, MaintenanceInput } from './alerting-schema.js';
import { REDACTED, type RedactOptions, redactCheck } from './redact.js';
import type { AlertingConfig, ChannelConfig, MaintenanceWindow } from './resolved.js';
import { DEFAULTS } from './schema.js';

/** Resolution of `alerting:` and `maintenance:`; the input is already validated (schema and references). */

function mustDuration(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`bug: unvalidated duration ${text}`);
  return ms;
}

/**
 * `base` overridden field by field by what `input` gives; a given `channels`
 * replaces the base's list.
 *
 * @example resolvePolicy(DEFAULT_ALERT_POLICY, { reminder: '1h' }).reminderMs // 3600000
 */
export function resolvePolicy(base: AlertPolicy, input: AlertsInput | undefined): AlertPolicy {
  if (input === undefined) return base;
  return {
    failureThreshold: input.failureThreshold ?? base.failureThreshold,
    successThreshold: input.successThreshold ?? base.successThreshold,
    reminderMs:
      input.reminder === undefined ? base.reminderMs : input.reminder === 'off' ? null : mustDuration(input.reminder),
    sendResolved: input.sendResolved ?? base.sendResolved,
    channels: input.channels !== undefined ? [...new Set(input.channels)] : base.channels,
    severity: input.severity ?? base.severity,
  };
}

/**
 * The thresholds of a push check when neither `alerting.defaults` nor its
 * `alerts:` sets them: one result is one expected run (a daily job runs once
 * a day), so a missed run pages on the first miss and one good run resolves.
 * Probed checks keep {@link DEFAULT_ALERT_POLICY}'s 3 and 2.
 */
export const PUSH_THRESHOLDS = Object.freeze({ failureThreshold: 1, successThreshold: 1 });

/**
 * The base policy of a push check: `alerting.defaults` as resolved, except
 * that a threshold the defaults leave unset is {@link PUSH_THRESHOLDS}'s.
 * The check's own `alerts:` then overrides it with {@link resolvePolicy}.
 *
 * @example pushPolicyBase(DEFAULT_ALERT_POLICY, undefined).failureThreshold // 1
 */
export function pushPolicyBase(defaults: AlertPolicy, defaultsInput: AlertsInput | undefined): AlertPolicy {
  return {
    ...defaults,
    failureThreshold: defaultsInput?.failureThreshold ?? PUSH_THRESHOLDS.failureThreshold,
    successThreshold: defaultsInput?.successThreshold ?? PUSH_THRESHOLDS.successThreshold,
  };
}

/**
 * A Slack incoming-webhook URL is its own credential: the path after
 * `/services/` is the token. Any other path of a slack channel (a
 * Slack-compatible receiver) is taken as secret whole.
 */
function redactSlack(url: string, redact: RedactOptions): { displayUrl: string; secrets: string[] } {
  const base = redactCheck(url, {}, redact);
  const parsed = new URL(url);
  const path = parsed.pathname;
  const at = path.indexOf('/services/');
  const keep = at === -1 ? '/' : path.slice(0, at + '/services/'.length);
  const token = path.slice(keep.length);
  if (!token) return { displayUrl: base.displayUrl, secrets: [...base.secrets] };
  const secrets = new Set(base.secrets);
  secrets.add(token);
  const last = token.split('/').filter(Boolean).pop();
  if (last && last.length >= 3) secrets.add(last);
  try {
    secrets.add(decodeURIComponent(token));
  } catch {
    // a bad escape: the raw form is scrubbed already
  }
  return { displayUrl: `${parsed.protocol}//${parsed.host}${keep}${REDACTED}`, secrets: [...secrets] };
}

function channelSecrets(input: ChannelInput, url: string, redact: RedactOptions) {
  const headers = input.headers ?? {};
  const { displayUrl, secrets } = input.type === 'slack' ? redactSlack(url, redact) : redactCheck(url, headers, redact);
  const all = new Set(secrets);
  if (input.secret) all.add(input.secret);
  if (input.routingKey) all.add(input.routingKey);
  return { displayUrl, secrets: [...all].sort((a, b) => b.length - a.length) };
}

export function resolveChannel(input: ChannelInput, redact: RedactOptions): ChannelConfig {
  const url = input.type === 'pagerduty' ? (input.url ?? DEFAULTS.pagerdutyUrl) : (input.url as string);
  const base = {
    name: input.name,
    timeoutMs: mustDuration(input.timeout ?? DEFAULTS.channel.timeout),
    concurrency: input.concurrency ?? DEFAULTS.channel.concurrency,
    maxAttempts: input.maxAttempts ?? DEFAULTS.channel.maxAttempts,
    ...channelSecrets(input, url, redact),
  };
  const headers = { ...(input.headers ?? {}) };
  switch (input.type) {
    case 'alertmanager':
      return { ...base, type: 'alertmanager', url, headers };
    case 'webhook':
      return {
        ...base,
        type: 'webhook',
        url,
        headers,
        ...(input.secret !== undefined ? { secret: input.secret } : {}),
      };
    case 'slack':
      return { ...base, type: 'slack', url };
    case 'pagerduty':
      return { ...base, type: 'pagerduty', url, routingKey: input.routingKey as string };
    case 'email': {
      const to = input.to as string | string[];
      return { ...base, type: 'email', url, from: input.from as string, to: Array.isArray(to) ? [...to] : [to] };
    }
  }
}

/** `alerting:` with defaults; absent, no channel and {@link DEFAULT_ALERT_POLICY}. */
export function resolveAlerting(input: AlertingInput | undefined, redact: RedactOptions): AlertingConfig {
  return {
    channels: (input?.channels ?? []).map((channel) => resolveChannel(channel, redact)),
    defaults: resolvePolicy(DEFAULT_ALERT_POLICY, input?.defaults),
    // Links are built as `${externalUrl}/api/...`.
    ...(input?.externalUrl !== undefined ? { externalUrl: input.externalUrl.replace(/\/+$/, '') } : {}),
  };
}

export function resolveMaintenance(input: readonly MaintenanceInput[] | undefined): MaintenanceWindow[] {
  return (input ?? []).map((window) => ({
    name: window.name,
    schedule: { pattern: window.schedule, timezone: window.timezone ?? DEFAULTS.timezone },
    durationMs: mustDuration(window.duration),
    checks: window.checks !== undefined ? [...new Set(window.checks)] : null,
  }));
}
