import { assignChecks } from '../domain/ownership.js';
import type { ClusterSnapshot, MemberInfo } from '../store/cluster.js';
import type { MemberView } from './view.js';

/**
 * This member as it judges itself: its own lease is decided by its local
 * lease clock (which notices a lapse without the database), not by its row.
 */
export interface SelfState {
  readonly id: string;
  readonly epoch: number | undefined;
  readonly leaseValid: boolean;
}

/**
 * When the view is judged. `trustedUntil` (database time) bounds what an old
 * snapshot may say: a healthy member renews every renewMs, so an expiresAt
 * this member reads at or past `snapshot.now + renewMs + retry` may already
 * have been extended by a renewal this member has not read (its own renewals
 * failing). Such an end is not believed until a newer snapshot confirms it,
 * so a member cut off from the database keeps its own checks until its lease
 * lapses but never takes another's on stale news. Activations are always
 * believed: they only give checks away.
 */
export interface Moment {
  readonly dbNow: number;
  readonly trustedUntil: number;
}

const isLive = (member: MemberInfo, at: Moment, self: SelfState): boolean =>
  member.id === self.id
    ? self.leaseValid && member.epoch === self.epoch
    : member.expiresAt > at.dbNow || member.expiresAt >= at.trustedUntil;

const isActive = (member: MemberInfo, at: Moment): boolean => member.activeAt <= at.dbNow;

/** The ids of the members that own checks (live and active), sorted. */
export function ownersAt(snapshot: ClusterSnapshot, at: Moment, self: SelfState): string[] {
  return snapshot.members
    .filter((m) => isLive(m, at, self) && isActive(m, at))
    .map((m) => m.id)
    .sort();
}

/**
 * The first database time after `at.dbNow` at which ownersAt() may answer
 * differently without a new snapshot: another member's (believed) lease
 * ending, or a joiner, this one included, turning active. This member's own
 * lease end is the lease clock's business, so its row's expiresAt is left out.
 */
export function nextChangeAt(snapshot: ClusterSnapshot, at: Moment, selfId: string): number | undefined {
  let next: number | undefined;
  const consider = (time: number) => {
    if (time > at.dbNow && (next === undefined || time < next)) next = time;
  };
  for (const member of snapshot.members) {
    consider(member.activeAt);
    if (member.id !== selfId && member.expiresAt < at.trustedUntil) consider(member.expiresAt);
  }
  return next;
}

/** Every stored member as GET /api/v1/cluster shows it, and which checks each owns. */
export function memberViews(
  snapshot: ClusterSnapshot,
  at: Moment,
  self: SelfState,
  checks: readonly string[],
): { members: MemberView[]; assignment: Map<string, string[]> } {
  const assignment = assignChecks(checks, ownersAt(snapshot, at, self));
  const members = snapshot.members.map((m): MemberView => {
    const live = isLive(m, at, self);
    return {
      ...m,
      self: m.id === self.id,
      live,
      active: live && isActive(m, at),
      checksOwned: assignment.get(m.id)?.length ?? 0,
    };
  });
  return { members, assignment };
}
