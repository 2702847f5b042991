/**
 * The notification channels: one factory per type and `createChannel` to pick
 * by config. Payload formats, headers and retry rules: docs/alerting.md.
 *
 * @example
 * const channel = createChannel(config.alerting.channels[0]);
 * const outcome = await channel.send(payload); // never rejects
 * if (!outcome.ok && outcome.retryable) retryLater(outcome.retryAfterMs);
 * await channel.close?.();
 */
import type { ChannelConfig } from '../../config/resolved.js';
import type { NotificationPayload } from '../../domain/alerts.js';
import type { Channel, DeliveryOutcome } from '../channel.js';
import { createAlertmanagerChannel } from './alertmanager.js';
import { createEmailChannel } from './email.js';
import { createPagerdutyChannel } from './pagerduty.js';
import { createSlackChannel } from './slack.js';
import type { ChannelDeps } from './types.js';
import { createWebhookChannel } from './webhook.js';

export type { ChannelDeps } from './types.js';

/** A ready channel for one `alerting.channels` entry. Throws only on a config the schema should have refused (a bad URL). */
export function createChannel(config: ChannelConfig, deps: ChannelDeps = {}): Channel {
  return guarded(byType(config, deps));
}

/**
 * The channel with its promise kept: a payload it cannot format (a stored
 * one with a date out of range, say) is a final outcome, not a rejection.
 */
function guarded(channel: Channel): Channel {
  const failed = (error: unknown): DeliveryOutcome => ({
    ok: false,
    retryable: false,
    message: `cannot send this notification: ${error instanceof Error ? error.message : String(error)}`.slice(0, 200),
  });
  const { refresh } = channel;
  return {
    ...channel,
    send: (payload, signal) => {
      try {
        return channel.send(payload, signal).catch(failed);
      } catch (error) {
        return Promise.resolve(failed(error));
      }
    },
    ...(refresh
      ? {
          refresh: (firing: readonly NotificationPayload[], signal?: AbortSignal) => {
            try {
              return refresh.call(channel, firing, signal).catch(failed);
            } catch (error) {
              return Promise.resolve(failed(error));
            }
          },
        }
      : {}),
  };
}

function byType(config: ChannelConfig, deps: ChannelDeps): Channel {
  switch (config.type) {
    case 'alertmanager':
      return createAlertmanagerChannel(config, deps);
    case 'webhook':
      return createWebhookChannel(config, deps);
    case 'slack':
      return createSlackChannel(config, deps);
    case 'pagerduty':
      return createPagerdutyChannel(config, deps);
    case 'email':
      return createEmailChannel(config);
  }
}
