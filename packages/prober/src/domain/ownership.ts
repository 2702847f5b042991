import { hash53 } from './hash.js';

/**
 * Rendezvous (highest-random-weight) hashing: the owner of a check is the
 * member with the highest hash of (member, check). Every member computes the
 * same owner from the same member list, in any order, without talking to the
 * others; a member joining takes about 1/N of the checks and a member leaving
 * gives away only its own (Thaler & Ravishankar, 1998).
 */
export function ownerOf(check: string, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestWeight = -1;
  for (const member of members) {
    const weight = hash53(`${member}\u0000${check}`);
    // Ties (vanishingly rare) go to the smaller id, so the answer never depends on the list's order.
    if (weight > bestWeight || (weight === bestWeight && best !== undefined && member < best)) {
      best = member;
      bestWeight = weight;
    }
  }
  return best;
}

/** The checks each member owns; every member of the list has an entry (maybe empty). */
export function assignChecks(checks: readonly string[], members: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>(members.map((m) => [m, []]));
  if (members.length === 0) return out;
  for (const check of checks) out.get(ownerOf(check, members) as string)?.push(check);
  return out;
}
