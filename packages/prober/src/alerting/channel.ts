import type { ChannelType } from '../config/alerting-schema.js';
import type { NotificationPayload } from '../domain/alerts.js';

/** How one try of one notification ended. Never thrown: a failed delivery is data, like a failed check. */
export interface DeliveryOutcome {
  readonly ok: boolean;
  /** The receiver's HTTP status (SMTP reply code for email), when it answered. */
  readonly status?: number;
  /** What the receiver said, or why it could not be reached: short, one line, no secrets. */
  readonly message: string;
  /** Worth trying again (timeouts, resets, 5xx, 429); false for a refusal that will not change (400, 401, 404...). */
  readonly retryable: boolean;
  /** The receiver asked to wait this long (Retry-After), ms. */
  readonly retryAfterMs?: number;
}

/** One configured channel, ready to send. */
export interface Channel {
  readonly name: string;
  readonly type: ChannelType;
  /**
   * Sends one notification, once. Resolves (never rejects) within the
   * channel's timeout or when `signal` aborts; every socket it opened is
   * closed on every path.
   */
  send(payload: NotificationPayload, signal?: AbortSignal): Promise<DeliveryOutcome>;
  /**
   * Alertmanager forgets an alert that is not re-sent (resolve_timeout), so
   * the monitor re-posts every firing alert each minute through this. Only
   * channels that need it have it.
   */
  refresh?(firing: readonly NotificationPayload[], signal?: AbortSignal): Promise<DeliveryOutcome>;
  /** Releases pooled connections (SMTP). */
  close?(): Promise<void>;
}

// One list of types, the schema's: a type-only import keeps zod out of the channels.
export type { ChannelType } from '../config/alerting-schema.js';
