import type { CheckError } from './errors.js';

/**
 * The data of alerting: incidents, what the policy remembers per check and the
 * notifications it asks for. Plain values, no I/O: the policy (alert-policy.ts)
 * computes them, the store keeps them, the channels format them.
 */

/** How a check's failures turn into notifications; resolved from `alerting.defaults` and the check's `alerts:`. */
export interface AlertPolicy {
  /** Consecutive failed results that open an incident (ok -> failing). */
  readonly failureThreshold: number;
  /** Consecutive passes that close it (failing -> ok). */
  readonly successThreshold: number;
  /** Re-notify this often while the incident stays open; null: never. */
  readonly reminderMs: number | null;
  /** Send a "resolved" notification when the incident closes. */
  readonly sendResolved: boolean;
  /** Names of `alerting.channels` to notify. */
  readonly channels: readonly string[];
  /** The `severity` label (Alertmanager, PagerDuty). */
  readonly severity: string;
}

/** Without `alerting.defaults`: 3 failures open an incident, 2 passes close it, no channel is notified. */
export const DEFAULT_ALERT_POLICY: AlertPolicy = Object.freeze({
  failureThreshold: 3,
  successThreshold: 2,
  reminderMs: null,
  sendResolved: true,
  channels: Object.freeze([]) as readonly string[],
  severity: 'critical',
});

/** One failing period of one check. */
export interface Incident {
  /** Stable and unique: `<check>:<startedAt epoch ms>`. Part of every dedup key. */
  readonly id: string;
  readonly check: string;
  /** The first failed result of the streak that opened it, epoch ms. */
  readonly startedAt: number;
  /** The result that closed it, epoch ms; null while open. */
  readonly endedAt: number | null;
  /** The error of the first failed result. */
  readonly error: CheckError | null;
  /** Failed results counted in it. */
  readonly failures: number;
  /** Opened or closed inside a maintenance window. */
  readonly maintenance?: boolean;
}

export type NotificationKind = 'firing' | 'resolved' | 'reminder';

/** What the policy asks to be sent; the engine turns each into one outbox entry per channel. */
export interface NotificationIntent {
  readonly kind: NotificationKind;
  /** The incident as it stands when the notification is asked for. */
  readonly incident: Incident;
  /** Idempotency/dedup key, the same for every try and across restarts: `<incident id>:<kind>[:<n>]`. */
  readonly key: string;
}

/**
 * What survives a restart, written whenever it changes (with the
 * notifications that change causes, in one transaction). The consecutive-pass
 * and failure counters are not in it: they are rebuilt from stored results.
 */
export interface DurableAlertState {
  readonly check: string;
  readonly status: 'ok' | 'failing';
  /** The open incident while failing, else null. */
  readonly incident: Incident | null;
  /**
   * The incident receivers were last told is firing (the open one, or a
   * closed one whose "resolved" waits for a maintenance window to end);
   * null once they were told it resolved.
   */
  readonly notified: Incident | null;
  /** When a firing or reminder notification was last asked for, epoch ms. */
  readonly notifiedAt: number | null;
  /** Reminders sent for the notified incident. */
  readonly reminders: number;
  /** Epoch ms of the last change. */
  readonly updatedAt: number;
}

/** The policy's whole state for one check: the durable part and the counters. */
export interface AlertState extends DurableAlertState {
  readonly consecutiveFailures: number;
  readonly consecutivePasses: number;
  /** First failed result of the current failing streak (before it reached the threshold), epoch ms. */
  readonly streakStart: number | null;
  readonly streakError: CheckError | null;
}

/** One stored notification and its delivery. */
export interface OutboxEntry {
  /** Unique per (key, channel). */
  readonly id: string;
  readonly key: string;
  readonly channel: string;
  readonly check: string;
  readonly kind: NotificationKind | 'test';
  readonly incidentId: string;
  /** The notification to send, as built when it was asked for. */
  readonly payload: NotificationPayload;
  readonly createdAt: number;
  readonly attempts: number;
  /** Not tried again before this, epoch ms. */
  readonly nextAttemptAt: number;
  readonly status: 'pending' | 'delivered' | 'dead';
  readonly lastError: string | null;
  readonly deliveredAt: number | null;
}

/** What a channel formats: everything it needs, so a notification sent after a restart reads the same. */
export interface NotificationPayload {
  readonly kind: NotificationKind | 'test';
  readonly key: string;
  readonly check: {
    readonly name: string;
    /** The check's URL with secrets redacted (displayUrl). */
    readonly url: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly severity: string;
  };
  readonly incident: Incident;
  /** The check in the monitor's API, when the monitor knows its own address. */
  readonly link?: string;
  /** When it was asked for, epoch ms. */
  readonly createdAt: number;
}
