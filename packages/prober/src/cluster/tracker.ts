import type { Logger } from 'pino';
import { ownerOf } from '../domain/ownership.js';
import type { Clock } from '../scheduler/scheduler.js';
import type { ClusterSnapshot } from '../store/cluster.js';
import { createTimer, type LeaseClock } from './lease.js';
import type { OwnershipChange } from './membership.js';
import { type Moment, nextChangeAt, ownersAt, type SelfState } from './ownership-view.js';

type Reason = OwnershipChange['reason'];

/** Names in a log line: a count always, the names only up to this many. */
const LOG_NAMES = 20;

export interface TrackerDeps {
  readonly id: string;
  readonly clock: Clock;
  readonly lease: LeaseClock;
  /** This member's epoch, whether or not its lease holds. */
  readonly epoch: () => number | undefined;
  readonly checks: () => readonly string[];
  /** How long after its read a snapshot's lease ends are believed (renewMs + the retry interval); see Moment. */
  readonly trustMs: number;
  readonly logger: Logger;
  readonly onChange?: (change: OwnershipChange) => void;
  readonly onLeaseState?: (valid: boolean) => void;
}

/**
 * The checks this member owns, kept current: recomputed when a snapshot
 * arrives, when the checks change, and at the next instant the last snapshot
 * says the answer changes (a lease ending, a joiner turning active, this
 * member's own lease lapsing), by one local timer. Reports each change once.
 */
export interface OwnershipTracker {
  /** A snapshot read by a call that (re)granted or revoked the lease; the lease clock has seen it already. */
  update(snapshot: ClusterSnapshot, reason?: Reason): void;
  recompute(reason?: Reason): void;
  /** From the cached set: O(1). */
  has(check: string): boolean;
  /** Ids of the live, active members as last computed. */
  readonly members: readonly string[];
  /** How many checks this member owns. */
  readonly owned: number;
  readonly snapshot: ClusterSnapshot | undefined;
  self(): SelfState;
  /** Now, for judging the last snapshot. */
  moment(): Moment;
  /** Gives every check up (reason 'stopped') and recomputes no more. */
  stop(): void;
}

export function createOwnershipTracker(deps: TrackerDeps): OwnershipTracker {
  const { id, lease, logger } = deps;
  const timer = createTimer(deps.clock);
  let snapshot: ClusterSnapshot | undefined;
  let stopped = false;
  let owned = new Set<string>();
  let members: readonly string[] = [];
  let ownersKey = '';
  let leaseReported = false;

  const self = (): SelfState => ({ id, epoch: deps.epoch(), leaseValid: lease.valid() });
  const moment = (): Moment => ({
    dbNow: lease.dbNow(),
    trustedUntil: (snapshot?.now ?? Number.NEGATIVE_INFINITY) + deps.trustMs,
  });

  /** A callback of the caller's must not break the loops (nor crash a timer). */
  const notify = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (error) {
      logger.error({ err: error, member: id }, `cluster: the ${what} callback threw`);
    }
  };

  const setLeaseState = (valid: boolean) => {
    if (valid === leaseReported) return false;
    leaseReported = valid;
    notify('onLeaseState', () => deps.onLeaseState?.(valid));
    return true;
  };

  const emit = (reason: Reason, gained: string[], lost: string[]) => {
    const change: OwnershipChange = { gained, lost, members, owned: owned.size, reason };
    logger.info(
      {
        member: id,
        epoch: lease.valid() ? (deps.epoch() ?? null) : null,
        members,
        owned: owned.size,
        gained: gained.length,
        lost: lost.length,
        gainedChecks: gained.slice(0, LOG_NAMES),
        lostChecks: lost.slice(0, LOG_NAMES),
      },
      `cluster: ${reason}; this member owns ${owned.size} checks (gained ${gained.length}, lost ${lost.length}); members: ${members.join(',')}`,
    );
    notify('onChange', () => deps.onChange?.(change));
  };

  const membersReason = (before: readonly string[], after: readonly string[]): Reason => {
    const added = after.filter((m) => !before.includes(m));
    if (added.includes(id)) return 'joined'; // this member turned active
    return added.length > 0 ? 'member-joined' : 'member-left';
  };

  const arm = (current: ClusterSnapshot, at: Moment) => {
    const change = nextChangeAt(current, at, id);
    let due = change === undefined ? undefined : lease.toLocal(change);
    const lapse = lease.valid() ? lease.lapsesAt : undefined;
    if (lapse !== undefined && (due === undefined || lapse < due)) due = lapse;
    if (due === undefined) timer.clear();
    else timer.armAt(due, () => recompute());
  };

  const recompute = (reason?: Reason) => {
    if (stopped || snapshot === undefined) return;
    const me = self();
    const at = moment();
    const owners = ownersAt(snapshot, at, me);
    const key = `${me.leaseValid}|${owners.join('\u0000')}`;
    let next = owned;
    if (key !== ownersKey || reason === 'checks-changed') {
      next = new Set(owners.includes(id) ? deps.checks().filter((check) => ownerOf(check, owners) === id) : []);
    }
    ownersKey = key;

    let why = reason;
    if (setLeaseState(me.leaseValid)) {
      if (me.leaseValid) why = reason === 'joined' ? 'joined' : 'lease-regained';
      else {
        why = 'lease-lost';
        if (me.epoch !== undefined) {
          logger.warn(
            { member: id, epoch: me.epoch },
            'cluster: this member lost its lease (no renewal reached the database in time); it owns no checks until one does',
          );
        }
      }
    }

    const gained = [...next].filter((check) => !owned.has(check));
    const lost = [...owned].filter((check) => !next.has(check));
    const membersChanged = owners.length !== members.length || owners.some((m, i) => m !== members[i]);
    if (gained.length > 0 || lost.length > 0 || membersChanged) {
      const before = members;
      owned = next;
      members = owners;
      emit(why ?? membersReason(before, owners), gained, lost);
    }
    arm(snapshot, at);
  };

  return {
    update(next, reason) {
      snapshot = next;
      recompute(reason);
    },
    recompute,
    has: (check) => owned.has(check),
    get members() {
      return members;
    },
    get owned() {
      return owned.size;
    },
    get snapshot() {
      return snapshot;
    },
    self,
    moment,
    stop() {
      if (stopped) return;
      stopped = true;
      timer.clear();
      if (snapshot === undefined) return; // never joined: nothing to give up
      const lost = [...owned];
      owned = new Set();
      members = members.filter((m) => m !== id);
      setLeaseState(false);
      emit('stopped', [], lost);
    },
  };
}
