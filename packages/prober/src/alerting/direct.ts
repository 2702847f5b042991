import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ChannelConfig, ResolvedConfig } from '../config/resolved.js';
import type { Incident, NotificationPayload } from '../domain/alerts.js';
import type { CheckResult } from '../domain/result.js';
import type { Channel, DeliveryOutcome } from './channel.js';
import { createChannel } from './channels/index.js';
import { buildPayload } from './payload.js';

/** Tries per notification when there is no outbox to come back to (`check --once`, `alert test`), at most. */
export const DIRECT_TRIES = 3;

/**
 * Sends one payload now, retrying a retryable failure twice after 1 s and 2 s
 * (or the receiver's Retry-After, up to 5 s). Every try is bounded by the
 * channel's timeout, so the whole call is too.
 */
export async function sendDirect(
  channel: Channel,
  config: ChannelConfig,
  payload: NotificationPayload,
  signal?: AbortSignal,
): Promise<DeliveryOutcome & { tries: number }> {
  const tries = Math.min(DIRECT_TRIES, config.maxAttempts);
  let outcome: DeliveryOutcome = { ok: false, message: 'not sent', retryable: false };
  for (let n = 1; n <= tries; n++) {
    outcome = await channel.send(payload, signal);
    if (outcome.ok || !outcome.retryable || n === tries || signal?.aborted) return { ...outcome, tries: n };
    const wait = Math.min(5_000, Math.max(1_000 * 2 ** (n - 1), outcome.retryAfterMs ?? 0));
    await sleep(wait, undefined, signal ? { signal } : {}).catch(() => {});
  }
  return { ...outcome, tries };
}

/**
 * `check --once` with `alerting`: each failed result is sent straight to its
 * check's channels (nothing on success; no store, so no thresholds: a CronJob
 * run is one result). Resolves to the notifications that were not delivered;
 * never throws for a receiver that fails.
 */
export async function notifyFailures(
  config: ResolvedConfig,
  results: readonly CheckResult[],
  logger: Logger,
  signal?: AbortSignal,
): Promise<number> {
  const byName = new Map(config.alerting.channels.map((c) => [c.name, c]));
  const channels = new Map<string, Channel>();
  const sends: Promise<boolean>[] = [];
  const now = Date.now();
  for (const result of results) {
    if (result.ok) continue;
    const check = config.checks.find((c) => c.name === result.check);
    if (!check || check.alerts.channels.length === 0) continue;
    const startedAt = Date.parse(result.time);
    const incident: Incident = {
      id: `${check.name}:${startedAt}`,
      check: check.name,
      startedAt,
      endedAt: null,
      error: result.error ?? null,
      failures: 1,
    };
    const payload = buildPayload(
      { kind: 'firing', incident, key: `${incident.id}:firing` },
      check,
      config.alerting.externalUrl,
      now,
    );
    for (const name of check.alerts.channels) {
      const channelConfig = byName.get(name);
      if (!channelConfig) continue;
      let channel = channels.get(name);
      if (!channel) {
        channel = createChannel(channelConfig);
        channels.set(name, channel);
      }
      sends.push(
        sendDirect(channel, channelConfig, payload, signal).then((outcome) => {
          const fields = {
            check: check.name,
            channel: name,
            key: payload.key,
            tries: outcome.tries,
            status: outcome.status,
          };
          if (outcome.ok) logger.info(fields, `alert: firing for ${check.name} delivered to ${name}`);
          else
            logger.error(
              { ...fields, error: outcome.message },
              `alert: firing for ${check.name} not delivered to ${name}: ${outcome.message}`,
            );
          return outcome.ok;
        }),
      );
    }
  }
  try {
    const delivered = await Promise.all(sends);
    return delivered.filter((ok) => !ok).length;
  } finally {
    await Promise.allSettled([...channels.values()].map((c) => c.close?.()));
  }
}

/** `lifeline alert test`: a test notification to one channel, sent now. */
export async function sendTestNotification(
  config: ResolvedConfig,
  channelConfig: ChannelConfig,
  now: number = Date.now(),
): Promise<DeliveryOutcome & { tries: number }> {
  const incident: Incident = {
    id: `lifeline-test:${now}`,
    check: 'lifeline-test',
    startedAt: now,
    endedAt: null,
    error: { code: 'unknown', message: 'a test notification sent by `lifeline alert test`; nothing is failing' },
    failures: 0,
  };
  const payload = buildPayload(
    { kind: 'test', incident, key: `${incident.id}:test` },
    {
      name: 'lifeline-test',
      displayUrl: config.alerting.externalUrl ?? '',
      labels: {},
      alerts: { ...config.alerting.defaults, severity: 'info' },
    },
    config.alerting.externalUrl,
    now,
  );
  const channel = createChannel(channelConfig);
  try {
    return await sendDirect(channel, channelConfig, payload);
  } finally {
    await channel.close?.();
  }
}
