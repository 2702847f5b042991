import type { RetentionConfig } from '../config/resolved.js';
import type { DurableAlertState, Incident, OutboxEntry } from '../domain/alerts.js';
import type { ErrorCode, Phase } from '../domain/errors.js';
import type { CheckResult, ConditionOutcome } from '../domain/result.js';
import type { Resolution, Rollup, RollupInput } from '../domain/rollup.js';
import type { ClusterStore } from './cluster.js';

export interface ResultQuery {
  /** Inclusive lower bound, epoch ms. */
  readonly since?: number;
  /** Exclusive upper bound, epoch ms: page back by passing the oldest `time` seen. */
  readonly until?: number;
  readonly limit: number;
}

export interface RollupRow {
  readonly check: string;
  readonly bucket: number;
  readonly rollup: Rollup;
}

/** Where a check's failures stand, read from the store by index (never by scanning all history). */
export interface FailureState {
  /** The newest failed result, or null when the check never failed. */
  readonly lastFailure: CheckResult | null;
  /** When the current failing streak began (its first failure, epoch ms); null when the newest result passed. */
  readonly downSince: number | null;
}

/**
 * What one write did with its results: every result is counted once, in
 * exactly one of the three.
 */
export interface WriteReport {
  /** Stored now. */
  readonly written: number;
  /**
   * Already stored: the same check and time, or the same run slot (check and
   * scheduledAt), e.g. a run two cluster members made of one slot (issue #13).
   */
  readonly duplicates: number;
  /** Not stored because their `epoch` names a cluster member that was expelled (PostgreSQL only; SQLite: 0). */
  readonly fenced: number;
}

export interface PruneCounts {
  readonly raw: number;
  readonly minute: number;
  readonly hour: number;
  readonly day: number;
  /** Delivered and dead notifications older than the raw retention (pending ones are never pruned). */
  readonly notifications: number;
}

/** Incidents by start time, newest first; page back by passing the oldest `startedAt` seen as `until`. */
export interface IncidentQuery {
  readonly check?: string;
  /** Inclusive lower bound on startedAt, epoch ms. */
  readonly since?: number;
  /** Exclusive upper bound on startedAt, epoch ms. */
  readonly until?: number;
  readonly limit: number;
}

/** A notification as the engine asks for it; the store sets attempts 0, status pending. */
export type NewOutboxEntry = Omit<OutboxEntry, 'attempts' | 'status' | 'lastError' | 'deliveredAt'>;

/** One check's alert state change with what it causes: written all or nothing. */
export interface AlertChange {
  readonly state: DurableAlertState;
  /** Incidents opened, updated or closed (upserted by id). */
  readonly incidents: readonly Incident[];
  /** Inserted; an id already present is left as it is (a retried write sends nothing twice). */
  readonly notifications: readonly NewOutboxEntry[];
}

/** How one delivery try ended, as the outbox records it (attempts grows by one). */
export type AttemptRecord =
  | { readonly status: 'delivered'; readonly at: number }
  | { readonly status: 'pending'; readonly nextAttemptAt: number; readonly error: string }
  | { readonly status: 'dead'; readonly at: number; readonly error: string };

export interface NotificationQuery {
  readonly status?: OutboxEntry['status'];
  readonly check?: string;
  /** Exclusive upper bound on createdAt, for paging back. */
  readonly until?: number;
  readonly limit: number;
}

/**
 * Alert state, incidents and the notification outbox (store/<dialect>/alerts.ts).
 * The same contract holds for SQLite and PostgreSQL (store/alerts.contract.test.ts).
 *
 * @example
 * ```ts
 * await store.recordAlerts([{ state, incidents: [incident], notifications: [entry] }]);
 * for (const n of await store.claimNotifications('pager', now, 10, now + 30_000)) {
 *   const ok = await send(n.payload);
 *   await store.recordAttempt(n.id, ok ? { status: 'delivered', at: Date.now() } : retryLater(n));
 * }
 * ```
 */
export interface AlertStore {
  /**
   * Writes the changes in one transaction: every state, incident and notification, or none.
   * States are upserted by check and incidents by id (when one call carries the same check or
   * incident twice, the last one wins); a notification whose id is already stored is left as
   * it is (attempts, status), so a retried call sends nothing twice. If any statement fails
   * the call rejects and nothing of it is kept.
   */
  recordAlerts(changes: readonly AlertChange[]): Promise<void>;
  /** The durable alert state of every check that has one, exactly as last recorded. */
  alertStates(): Promise<Map<string, DurableAlertState>>;
  /** Drops the state of checks no longer configured (their incidents and notifications stay in history). */
  forgetAlertStates(checks: readonly string[]): Promise<void>;
  /** Incidents newest first by startedAt (ties: id descending), filtered by check, since (incl.) and until (excl.). */
  incidents(query: IncidentQuery): Promise<Incident[]>;
  /**
   * Claims up to `limit` pending notifications of one channel that are due
   * (nextAttemptAt <= now), oldest first (createdAt, then id), by moving their
   * nextAttemptAt to `leaseUntil`: a worker that dies mid-send leaves them due
   * again then. Returns them as claimed (attempts unchanged). Two monitors
   * claiming at once never get the same row (PostgreSQL: FOR UPDATE SKIP LOCKED).
   */
  claimNotifications(channel: string, now: number, limit: number, leaseUntil: number): Promise<OutboxEntry[]>;
  /**
   * Records one try of a notification: attempts grows by one; 'delivered' sets
   * deliveredAt, 'pending' sets nextAttemptAt and lastError, 'dead' sets
   * lastError. Only a pending row changes: delivered and dead are final, and an
   * unknown id is a no-op.
   */
  recordAttempt(id: string, attempt: AttemptRecord): Promise<void>;
  /**
   * A channel's receiver answers again: its pending notifications waiting out
   * a retry backoff (tried at least once, next try later than `now`) become due
   * at `now`, except the ids given (sends of this process in flight). A row
   * never tried is either due already or claimed by a send in flight, and is
   * left alone. Returns how many were moved.
   */
  expediteNotifications(channel: string, now: number, exclude: readonly string[]): Promise<number>;
  /** Notifications newest first by createdAt (ties: id descending), filtered by status, check and until (excl.); dead letters: status 'dead'. */
  notifications(query: NotificationQuery): Promise<OutboxEntry[]>;
  /** Pending (incl. claimed) and dead notifications, per channel; a channel with neither is absent. */
  outboxCounts(): Promise<Map<string, { pending: number; dead: number }>>;
}

/**
 * Where results live. One contract test suite runs against every
 * implementation (SQLite and PostgreSQL, both real).
 */
export interface Store extends AlertStore {
  readonly kind: 'sqlite' | 'postgres';
  /** A cheap round trip, for readiness. Rejects when the store cannot be reached. */
  ping(): Promise<void>;
  /** Applies pending migrations; returns the schema version. */
  migrate(): Promise<number>;
  /**
   * Membership, leases and fencing of a cluster of monitors (issue #13):
   * PostgreSQL only, undefined on SQLite (a single node).
   */
  readonly cluster?: ClusterStore;
  /**
   * Appends results, in one transaction, and reports what became of them.
   * A run slot (check and scheduledAt) is stored at most once, as is a check's
   * time: a result that repeats one is left out and counted as a duplicate,
   * whichever store instance or member wrote first. On PostgreSQL a result whose
   * `epoch` names no current cluster member (it was expelled) is left out and
   * counted as fenced. A result for a minute already compacted is folded into
   * its rollups at once, only when it was stored.
   *
   * @example
   * ```ts
   * const { written, duplicates, fenced } = await store.write(results);
   * ```
   */
  write(results: readonly CheckResult[]): Promise<WriteReport>;
  /** Raw results of one check, newest first. */
  results(check: string, query: ResultQuery): Promise<CheckResult[]>;
  /** The newest result of each check that has one. */
  /**
   * The newest result of each check that has one; with `since` (epoch ms), only
   * of the checks whose newest result started at or after it (a cluster member
   * reads what the others stored since its last look without every row again).
   */
  latest(since?: number): Promise<Map<string, CheckResult>>;
  /** Rollup rows with bucket start in [since, until), for one check or all (null), oldest first. */
  rollups(check: string | null, resolution: Resolution, since: number, until: number): Promise<RollupRow[]>;
  /** Runs, failures and degraded runs per check over [since, until), without histograms: for uptime over long windows. */
  totals(
    resolution: Resolution,
    since: number,
    until: number,
  ): Promise<Map<string, { count: number; failures: number; degraded: number }>>;
  /**
   * Every check's rollups of [since, until) at one resolution, merged per check
   * (counts, sums, max; the latency histogram only with `histograms: true`,
   * else an empty array). Read a slice of checks at a time with the event loop
   * free between slices, so the answer for every check of a large monitor never
   * holds the loop for long nor builds an array per stored row.
   */
  summaries(
    resolution: Resolution,
    since: number,
    until: number,
    options?: { readonly histograms?: boolean },
  ): Promise<Map<string, Rollup>>;
  /**
   * Folds the raw results of finished minutes, from where the last compaction
   * stopped up to the minute of `now`, into minute, hour and day rollups. The
   * write path only inserts raw rows (a result older than the last compaction
   * is folded in at once); a periodic task calls this. Returns the results folded.
   * The work is done in bounded chunks with the event loop free between them
   * (SQLite: one transaction per chunk, each storing where it stopped, so a crash
   * between chunks folds nothing twice and the next call goes on from there;
   * PostgreSQL: one transaction, its rows folded and upserted in slices).
   * PostgreSQL compacts on one connection at a time, whichever monitor or
   * CronJob calls it: a call while another holds the compaction lock returns 0
   * at once, without waiting (that one does the work).
   */
  compact(now: number): Promise<number>;
  /** When the newest stored run of a check was scheduled (epoch ms). */
  lastScheduled(check: string): Promise<number | undefined>;
  /**
   * Deletes what is past its retention. Runs as its own task, never in write().
   * Delivered and dead notifications go with the raw results' retention; pending ones stay.
   * SQLite deletes in bounded chunks, one transaction each, with the event loop free between them.
   * PostgreSQL prunes on one connection at a time: a call while another holds
   * the retention lock returns zero counts at once, without waiting.
   */
  prune(now: number, retention: RetentionConfig): Promise<PruneCounts>;
  close(): Promise<void>;
  /**
   * Raw results of one check that failed (`ok` false) or passed (`ok` true,
   * degraded runs included), newest first, paged like results(). Failures are
   * read through a partial index, so a rare failure is found without a scan.
   */
  resultsByOutcome(check: string, ok: boolean, query: ResultQuery): Promise<CheckResult[]>;
  /**
   * The failure state of each named check; a check with no stored results
   * gets { lastFailure: null, downSince: null }. The newest failure and the
   * streak's first failure are read by index; finding the newest pass walks
   * back only over the current failing streak.
   */
  failureStates(checks: readonly string[]): Promise<Map<string, FailureState>>;
}

/** The compact raw row both dialects store: integers in 1/100 ms, details only for failures. */
export interface RawRow {
  t: number;
  lag: number | null;
  ok: 0 | 1 | 2;
  status: number | null;
  dur: number;
  dns: number;
  conn: number;
  tls: number;
  ttfb: number;
  xfer: number;
  attempts: number | null;
  err: string | null;
  detail: string | null;
  /** When the peer certificate expires, epoch seconds (a certificate's own precision); null without TLS. Schema v5. */
  cert: number | null;
  /** The run slot: scheduledAt, epoch ms; null without one. Unique per check (schema v6). */
  slot: number | null;
  /** The lease epoch of the cluster member that ran it; null outside a cluster. Schema v6. */
  epoch: number | null;
}

interface Detail {
  /** Run inside a maintenance window. */
  w?: 1;
  m?: string;
  p?: Phase;
  c?: ConditionOutcome[];
  ip?: string;
}

const cms = (ms: number) => Math.round(ms * 100);

function certSeconds(iso: string | undefined): number | null {
  const ms = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

export function encode(result: CheckResult): RawRow {
  const t = Date.parse(result.time);
  const planned = result.scheduledAt ? Date.parse(result.scheduledAt) : Number.NaN;
  const slot = Number.isFinite(planned) ? planned : null;
  const detail: Detail = {};
  if (result.maintenance) detail.w = 1;
  if (!result.ok) {
    if (result.error) detail.m = result.error.message;
    if (result.error?.phase) detail.p = result.error.phase;
    if (result.conditions) detail.c = [...result.conditions];
    if (result.ip) detail.ip = result.ip;
  }
  return {
    t,
    lag: slot === null ? null : t - slot,
    ok: result.ok ? (result.degraded ? 2 : 1) : 0,
    status: result.status,
    dur: cms(result.durationMs),
    dns: cms(result.phases.dns),
    conn: cms(result.phases.connect),
    tls: cms(result.phases.tls),
    ttfb: cms(result.phases.ttfb),
    xfer: cms(result.phases.transfer),
    attempts: result.attempts ?? null,
    err: result.error?.code ?? null,
    detail: Object.keys(detail).length > 0 ? JSON.stringify(detail) : null,
    cert: certSeconds(result.certificateExpiresAt),
    slot,
    epoch: result.epoch ?? null,
  };
}

export function decode(check: string, url: string, row: RawRow): CheckResult {
  const detail = row.detail ? (JSON.parse(row.detail) as Detail) : {};
  const t = Number(row.t);
  return {
    time: new Date(t).toISOString(),
    check,
    url,
    status: row.status,
    ok: row.ok !== 0,
    ...(row.ok === 2 ? { degraded: true } : {}),
    durationMs: row.dur / 100,
    ...(row.err
      ? { error: { code: row.err as ErrorCode, message: detail.m ?? '', ...(detail.p ? { phase: detail.p } : {}) } }
      : {}),
    ...(detail.c ? { conditions: detail.c } : {}),
    phases: {
      dns: row.dns / 100,
      connect: row.conn / 100,
      tls: row.tls / 100,
      ttfb: row.ttfb / 100,
      transfer: row.xfer / 100,
      total: row.dur / 100,
    },
    ...(row.lag !== null && row.lag !== undefined ? { scheduledAt: new Date(t - Number(row.lag)).toISOString() } : {}),
    ...(row.attempts !== null && row.attempts !== undefined ? { attempts: row.attempts } : {}),
    ...(detail.ip ? { ip: detail.ip } : {}),
    ...(row.cert !== null && row.cert !== undefined
      ? { certificateExpiresAt: new Date(Number(row.cert) * 1000).toISOString() }
      : {}),
    ...(detail.w ? { maintenance: true } : {}),
    ...(row.epoch !== null && row.epoch !== undefined ? { epoch: Number(row.epoch) } : {}),
  };
}

/** What rollups need of a result as written. */
export function rollupInput(result: CheckResult): RollupInput {
  return {
    check: result.check,
    timeMs: Date.parse(result.time),
    ok: result.ok,
    degraded: Boolean(result.degraded),
    durationMs: result.durationMs,
    phases: result.phases,
  };
}

/** The columns of a raw row that compaction reads. */
export type RawRollupRow = Pick<RawRow, 't' | 'ok' | 'dur' | 'dns' | 'conn' | 'tls' | 'ttfb' | 'xfer'>;

/** What rollups need of a stored raw row: `ok` 2 is degraded, durations are in 1/100 ms (see encode). */
export function rawRollupInput(check: string, row: RawRollupRow): RollupInput {
  return {
    check,
    timeMs: Number(row.t),
    ok: row.ok !== 0,
    degraded: row.ok === 2,
    durationMs: row.dur / 100,
    phases: {
      dns: row.dns / 100,
      connect: row.conn / 100,
      tls: row.tls / 100,
      ttfb: row.ttfb / 100,
      transfer: row.xfer / 100,
    },
  };
}

/** Cut-off times (epoch ms) for each kind of row; null keeps that kind forever. */
export function cutoffs(now: number, retention: RetentionConfig) {
  const before = (ms: number | null) => (ms === null ? null : now - ms);
  return {
    raw: before(retention.rawMs),
    minute: before(retention.minuteMs),
    hour: before(retention.hourMs),
    day: before(retention.dayMs),
  };
}
