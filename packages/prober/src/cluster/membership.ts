import type { Logger } from 'pino';
import { ownerOf } from '../domain/ownership.js';
import { type Clock, systemClock } from '../scheduler/scheduler.js';
import type { ClusterSnapshot, ClusterStore, MemberInfo } from '../store/cluster.js';
import { createLeaseClock, createTimer } from './lease.js';
import { memberViews, ownersAt } from './ownership-view.js';
import { createOwnershipTracker } from './tracker.js';
import type { ClusterView } from './view.js';

export interface OwnershipChange {
  readonly gained: readonly string[];
  readonly lost: readonly string[];
  /** Ids of the live and active members now, as this member sees them. */
  readonly members: readonly string[];
  /** Checks this member owns now. */
  readonly owned: number;
  readonly reason:
    | 'joined'
    | 'member-joined'
    | 'member-left'
    | 'lease-lost'
    | 'lease-regained'
    | 'checks-changed'
    | 'stopped';
}

export interface MembershipDeps {
  readonly store: ClusterStore;
  readonly id: string;
  readonly host: string;
  readonly api: string | null;
  readonly leaseTtlMs: number;
  readonly renewMs: number;
  /** Every configured check name (probed and push). */
  readonly checks: () => readonly string[];
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly onChange?: (change: OwnershipChange) => void;
  readonly onLeaseState?: (valid: boolean) => void;
}

export interface Membership {
  /** First registration; rejects (bounded by the store's timeouts) when the database cannot be reached. */
  join(): Promise<void>;
  /** Stops the timers, gives every check up (onChange 'stopped') and leaves; never rejects. */
  stop(): Promise<void>;
  /**
   * Without `at`: O(1), from the owned set; false without a locally valid lease
   * or while not active. With `at` (local epoch ms, e.g. the time a run was
   * due): whether this member owned the check at that instant by the last
   * snapshot (its lease must still hold now), so a timer that fires late does
   * not take a slot that had moved to another member just before it.
   */
  owns(check: string, at?: number): boolean;
  /** The epoch while the lease is locally valid. */
  epoch(): number | undefined;
  leaseValid(): boolean;
  /** Joined, lease valid, active. */
  readonly ready: boolean;
  /** After a reload: recompute ownership (onChange reason 'checks-changed'). */
  checksChanged(): void;
  view(): ClusterView;
  /** Cheap counts for the gauges: live, active members seen, and the checks this member owns. */
  stats(): { members: number; owned: number };
  /** The live, active member that owns a check now, as this member sees it (O(members)); undefined when none. */
  ownerOf(check: string): MemberInfo | undefined;
}

type Reason = OwnershipChange['reason'];

/** expelAfterMs that expels nobody (about 35 years). */
const EXPEL_NEVER_MS = 2 ** 40;

/**
 * Membership of a PostgreSQL cluster: joins, renews the lease every renewMs,
 * and answers which checks this member owns (rendezvous hashing over the
 * live, active members). Ownership moves at the instants the stored leases
 * say, by a local timer, not at the next refresh; a member whose own lease
 * lapsed (by its local clock) owns nothing until a renewal succeeds.
 *
 * @example
 * ```ts
 * const membership = createMembership({ store, id: 'monitor-0', host: hostname(), api: null,
 *   leaseTtlMs: 15_000, renewMs: 5_000, checks: () => names, logger });
 * await membership.join();
 * if (membership.owns('api')) run('api');
 * ```
 */
export function createMembership(deps: MembershipDeps): Membership {
  const { store, id, leaseTtlMs, renewMs, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const retryMs = Math.min(1_000, renewMs);
  const lease = createLeaseClock(clock);
  const renewTimer = createTimer(clock);
  let epoch: number | undefined;
  // How long after a read the lease ends it shows are believed (see Moment). A live member's end, read
  // at any time, lies at least leaseTtl - renewEvery - (its renewal's lateness) ahead; at renewEvery =
  // leaseTtl / 3 and retry = renewEvery (3 s and 1 s), renew + retry left no room for that lateness, and
  // a member cut off from the database took a live member's checks when one renewal came 40 ms late.
  // Half a lease keeps the two apart: a live member's end is always further than that (renewEvery is at
  // most a third of the lease), and a member that renews on time still reads a dead one's end in time.
  const trustMs = Math.min(renewMs + retryMs, Math.floor(leaseTtlMs / 2));
  const tracker = createOwnershipTracker({ ...deps, clock, lease, epoch: () => epoch, trustMs });
  let joined = false;
  let stopped = false;
  let failing = false;
  let inflight: Promise<void> | undefined;
  /**
   * Until this local time, this member expels nobody: its own lease had lapsed (a cut to the
   * database, a pause), and so, likely, had the others' for the same cause. They renew within
   * one lease once they reach the database again; expelling them first would fence the
   * results they kept while cut off. A member really gone is expelled one lease later.
   */
  let expelQuietUntil = Number.NEGATIVE_INFINITY;

  /** Takes a snapshot read between local t0 and t1 by a call that (re)granted this member's lease. */
  const accept = (snapshot: ClusterSnapshot, t0: number, t1: number, reason?: Reason) => {
    lease.observe(snapshot.now, t0, t1);
    const row = snapshot.members.find((m) => m.id === id && m.epoch === epoch);
    lease.grant(row?.expiresAt ?? snapshot.now + leaseTtlMs, snapshot.now, t0);
    tracker.update(snapshot, reason);
  };

  const register = async () => {
    const t0 = clock.now();
    const result = await store.join({ id, host: deps.host, api: deps.api }, leaseTtlMs, renewMs + 1_000);
    epoch = result.epoch; // even when stopped meanwhile: stop() leaves with it
    if (!stopped) accept(result.snapshot, t0, clock.now(), 'joined');
  };

  /** One renewal (or a join again, after an expulsion). Never rejects; resolves to when the next one is due (none once stopped). */
  const cycle = async (): Promise<number | undefined> => {
    const t0 = clock.now();
    try {
      if (epoch === undefined) await register();
      else {
        const lapsed = !lease.valid();
        const expelAfterMs = lapsed || t0 < expelQuietUntil ? EXPEL_NEVER_MS : renewMs;
        const result = await store.renew(id, epoch, leaseTtlMs, expelAfterMs, renewMs + 1_000);
        if (stopped) return undefined;
        if (result.renewed) {
          if (lapsed) expelQuietUntil = t0 + leaseTtlMs;
          accept(result.snapshot, t0, clock.now());
        } else {
          logger.warn(
            { member: id, epoch },
            'cluster: this member was expelled (its lease had ended): another member took its checks; joining again with a new epoch',
          );
          epoch = undefined;
          lease.revoke();
          lease.observe(result.snapshot.now, t0, clock.now());
          tracker.update(result.snapshot);
          await register();
        }
      }
      if (stopped) return undefined;
      if (failing) logger.info({ member: id, epoch }, 'cluster: the lease renews again');
      failing = false;
      return t0 + renewMs;
    } catch (error) {
      if (stopped) return undefined;
      if (!failing) {
        logger.warn(
          { err: error, member: id, epoch },
          `cluster: renewing the lease failed; retrying every ${retryMs} ms`,
        );
      }
      failing = true;
      return clock.now() + retryMs;
    }
  };

  /** Renews now; the next renewal is armed only once this one has answered, so two never overlap. */
  const renewNow = () => {
    if (stopped || inflight !== undefined) return;
    inflight = cycle().then((nextAt) => {
      inflight = undefined;
      if (nextAt !== undefined && !stopped) renewTimer.armAt(nextAt, renewNow);
    });
  };

  return {
    async join() {
      if (joined || stopped) throw new Error('cluster: join() is called once, before stop()');
      joined = true;
      const t0 = clock.now();
      const first = register();
      inflight = first.then(
        () => undefined,
        () => undefined,
      );
      try {
        await first;
      } catch (error) {
        joined = false;
        throw error;
      } finally {
        inflight = undefined;
      }
      if (!stopped) renewTimer.armAt(t0 + renewMs, renewNow);
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      renewTimer.clear();
      lease.revoke();
      tracker.stop();
      // A join in flight could add a row after the leave: wait for it (the store bounds every call).
      await inflight;
      if (epoch === undefined) return;
      try {
        await store.leave(id, epoch);
      } catch (error) {
        logger.warn({ err: error, member: id, epoch }, 'cluster: leaving failed; the lease ends on its own');
      }
    },

    owns(check, at) {
      if (!lease.valid()) return false;
      if (at === undefined) return tracker.has(check);
      const snapshot = tracker.snapshot;
      if (snapshot === undefined) return false;
      const moment = { ...tracker.moment(), dbNow: lease.dbNow() + (at - clock.now()) };
      return ownerOf(check, ownersAt(snapshot, moment, tracker.self())) === id;
    },
    epoch: () => (lease.valid() ? epoch : undefined),
    leaseValid: () => lease.valid(),
    get ready() {
      return lease.valid() && tracker.members.includes(id);
    },
    checksChanged: () => tracker.recompute('checks-changed'),
    stats: () => ({ members: tracker.members.length, owned: tracker.owned }),
    ownerOf(check) {
      const owner = ownerOf(check, tracker.members);
      return owner === undefined ? undefined : tracker.snapshot?.members.find((m) => m.id === owner);
    },

    view(): ClusterView {
      const me = tracker.self();
      const snapshot = tracker.snapshot;
      const { members: memberList, assignment } =
        snapshot === undefined
          ? { members: [], assignment: new Map<string, string[]>() }
          : memberViews(snapshot, tracker.moment(), me, deps.checks());
      return {
        mode: 'cluster',
        self: id,
        epoch: me.leaseValid ? (epoch ?? null) : null,
        leaseTtlMs,
        renewMs,
        members: memberList,
        checksOf: (member) => [...(assignment.get(member) ?? [])].sort(),
      };
    },
  };
}
