import { FENCED_CODE } from '../domain/errors.js';

/**
 * Cluster membership as PostgreSQL stores it (store/postgres/cluster.ts): the
 * rows of lifeline_members. Times are epoch ms of the *database's* clock, so
 * members with skewed clocks still agree on when a lease ends.
 */
export interface MemberInfo {
  readonly id: string;
  /** Fencing token: a new value (from a sequence) every time a member joins; never reused. */
  readonly epoch: number;
  readonly host: string;
  /** Where other members reach this one's API (cluster.advertiseUrl), or null. */
  readonly api: string | null;
  readonly startedAt: number;
  /** The member owns checks from this time on (a joiner waits until every member has seen it). */
  readonly activeAt: number;
  readonly renewedAt: number;
  /** The lease ends here unless renewed. */
  readonly expiresAt: number;
}

export interface ClusterSnapshot {
  /** The database clock when the snapshot was read (epoch ms). */
  readonly now: number;
  /** Every stored member, expired ones not yet expelled included, ordered by id. */
  readonly members: readonly MemberInfo[];
}

export interface JoinRequest {
  readonly id: string;
  readonly host: string;
  readonly api: string | null;
}

/**
 * Membership, leases and fencing on PostgreSQL. No consensus of our own:
 * the rows, their transactions and the database clock are the coordination.
 *
 * @example
 * ```ts
 * const { epoch } = await cluster.join({ id: 'monitor-0', host: 'pod-a', api: null }, 15_000, 6_000);
 * setInterval(async () => {
 *   const { renewed } = await cluster.renew('monitor-0', epoch, 15_000, 5_000);
 *   if (!renewed) // expelled: join again, with a new epoch
 * }, 5_000);
 * ```
 */
export interface ClusterStore {
  /**
   * Registers the member with a new epoch (replacing a row of the same id:
   * that older process is fenced from then on). activeAt is the database's
   * now when no other member holds a live lease, else now + activeDelayMs.
   * The lease ends at now + ttlMs. Returns the new epoch and a snapshot taken
   * in the same transaction.
   */
  join(
    member: JoinRequest,
    ttlMs: number,
    activeDelayMs: number,
  ): Promise<{ epoch: number; snapshot: ClusterSnapshot }>;
  /**
   * One round trip: extends the lease of (id, epoch) to now + ttlMs, even
   * when it has lapsed, unless the row is gone or carries another epoch
   * (then renewed is false and the caller must join again); deletes the rows
   * whose lease ended more than expelAfterMs ago (their epochs are fenced from
   * then on); returns the snapshot after both. A lease renewed after it had
   * lapsed, while another member's lease held, gets activeAt = now +
   * activeDelayMs (default 0): the others took its checks at the lapse and
   * keep them until they have seen it back.
   */
  renew(
    id: string,
    epoch: number,
    ttlMs: number,
    expelAfterMs: number,
    activeDelayMs?: number,
  ): Promise<{ renewed: boolean; snapshot: ClusterSnapshot }>;
  /** Deletes this member's row, if it still carries this epoch (a graceful stop). */
  leave(id: string, epoch: number): Promise<void>;
  /** The stored members and the database clock. */
  members(): Promise<ClusterSnapshot>;
  /**
   * From now on recordAlerts rejects with FencedError, and claimNotifications
   * returns nothing, unless `epoch()` names a member whose lease has not
   * ended by the database clock (checked in the same transaction).
   */
  useFence(epoch: () => number | undefined): void;
}

/** A write refused by fencing: this member's lease epoch is not the live one. Not retried: the work belongs to another member now. */
export class FencedError extends Error {
  readonly code = FENCED_CODE;
  constructor(message = 'this monitor lost its cluster lease: another member owns its checks now') {
    super(message);
    this.name = 'FencedError';
  }
}

export const isFenced = (error: unknown): error is FencedError =>
  error instanceof Error && (error as { code?: unknown }).code === FENCED_CODE;
