import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assignChecks } from '../domain/ownership.js';
import type { Clock } from '../scheduler/scheduler.js';
import type { ClusterSnapshot, ClusterStore, JoinRequest, MemberInfo } from '../store/cluster.js';
import { FakeClock } from '../testing/fake-clock.js';
import { captureLogger } from '../testing/log.js';
import { createMembership, type Membership, type OwnershipChange } from './membership.js';

const TTL = 15_000;
const RENEW = 5_000;
const T0 = Date.UTC(2026, 4, 1, 12);
const names = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);

/**
 * lifeline_members as store/cluster.ts documents it, on a database clock of
 * the test's: join replaces a row of the same id with a new epoch; renew
 * extends (id, epoch) even after a lapse, then deletes the rows whose lease
 * ended more than expelAfterMs ago; every answer carries a snapshot.
 */
class MemoryCluster {
  readonly rows = new Map<string, MemberInfo>();
  private seq = 0;
  constructor(readonly now: () => number) {}

  snapshot(): ClusterSnapshot {
    const members = [...this.rows.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { now: this.now(), members };
  }

  join(member: JoinRequest, ttlMs: number, activeDelayMs: number) {
    const now = this.now();
    const othersLive = [...this.rows.values()].some((m) => m.id !== member.id && m.expiresAt > now);
    const epoch = ++this.seq;
    this.rows.set(member.id, {
      ...member,
      epoch,
      startedAt: now,
      activeAt: othersLive ? now + activeDelayMs : now,
      renewedAt: now,
      expiresAt: now + ttlMs,
    });
    return { epoch, snapshot: this.snapshot() };
  }

  renew(id: string, epoch: number, ttlMs: number, expelAfterMs: number) {
    const now = this.now();
    const row = this.rows.get(id);
    const renewed = row?.epoch === epoch;
    if (row && renewed) this.rows.set(id, { ...row, renewedAt: now, expiresAt: now + ttlMs });
    for (const [key, m] of this.rows) if (now - m.expiresAt > expelAfterMs) this.rows.delete(key);
    return { renewed, snapshot: this.snapshot() };
  }

  leave(id: string, epoch: number) {
    if (this.rows.get(id)?.epoch === epoch) this.rows.delete(id);
  }
}

/** One member's connection to the MemoryCluster, with a fault the test switches: calls reject, or hang until released. */
interface TestStore extends ClusterStore {
  fault: 'none' | 'reject' | 'hang';
  readonly calls: string[];
  /** Answers the calls held by 'hang', doing their work now. */
  release(): void;
}

function connect(db: MemoryCluster): TestStore {
  const held: (() => void)[] = [];
  const call = <T>(name: string, op: () => T): Promise<T> => {
    store.calls.push(name);
    if (store.fault === 'reject') return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    if (store.fault === 'hang') {
      return new Promise<T>((resolve, reject) =>
        held.push(() => {
          try {
            resolve(op());
          } catch (error) {
            reject(error);
          }
        }),
      );
    }
    return Promise.resolve().then(op);
  };
  const store: TestStore = {
    fault: 'none',
    calls: [],
    release: () => {
      for (const run of held.splice(0)) run();
    },
    join: (member, ttlMs, delayMs) => call('join', () => db.join(member, ttlMs, delayMs)),
    renew: (id, epoch, ttlMs, expelMs) => call('renew', () => db.renew(id, epoch, ttlMs, expelMs)),
    leave: (id, epoch) => call('leave', () => db.leave(id, epoch)),
    members: () => call('members', () => db.snapshot()),
    useFence: () => {},
  };
  return store;
}

/** A member's local clock: the shared fake time plus a skew; kill() is SIGKILL (no timer of it fires again). */
interface LocalClock extends Clock {
  kill(): void;
  readonly pending: number;
}

function localClock(base: FakeClock, skewMs: number): LocalClock {
  const live = new Set<unknown>();
  let dead = false;
  return {
    now: () => base.now() + skewMs,
    setTimeout(fn, ms) {
      const handle = base.setTimeout(() => {
        live.delete(handle);
        if (!dead) fn();
      }, ms);
      if (dead) base.clearTimeout(handle);
      else live.add(handle);
      return handle;
    },
    clearTimeout(handle) {
      live.delete(handle);
      base.clearTimeout(handle);
    },
    kill() {
      dead = true;
      for (const handle of live) base.clearTimeout(handle);
      live.clear();
    },
    get pending() {
      return live.size;
    },
  };
}

interface Env {
  base: FakeClock;
  db: MemoryCluster;
  checks: string[];
}

const env = (dbSkewMs = 0, checks = names('check', 60)): Env => {
  const base = new FakeClock(T0);
  return { base, db: new MemoryCluster(() => base.now() + dbSkewMs), checks };
};

/** Moves the shared time to T0 + ms. */
const to = (e: Env, ms: number) => e.base.advance(T0 + ms - e.base.now());

interface Member {
  readonly id: string;
  readonly m: Membership;
  readonly store: TestStore;
  readonly clock: LocalClock;
  readonly changes: OwnershipChange[];
  readonly leaseStates: boolean[];
  readonly lines: Record<string, unknown>[];
  /** What the onChange reports add up to. */
  readonly reported: Set<string>;
}

function member(e: Env, id: string, skewMs = 0, lease = { ttlMs: TTL, renewMs: RENEW }): Member {
  const { logger, lines } = captureLogger();
  const store = connect(e.db);
  const clock = localClock(e.base, skewMs);
  const changes: OwnershipChange[] = [];
  const leaseStates: boolean[] = [];
  const reported = new Set<string>();
  const m = createMembership({
    store,
    id,
    host: `host-${id}`,
    api: null,
    leaseTtlMs: lease.ttlMs,
    renewMs: lease.renewMs,
    checks: () => e.checks,
    logger,
    clock,
    onChange: (change) => {
      changes.push(change);
      for (const check of change.gained) {
        assert.ok(!reported.has(check), `${id} gained ${check} twice`);
        reported.add(check);
      }
      for (const check of change.lost) assert.ok(reported.delete(check), `${id} lost ${check} it did not have`);
      assert.equal(change.owned, reported.size);
    },
    onLeaseState: (valid) => leaseStates.push(valid),
  });
  return { id, m, store, clock, changes, leaseStates, lines, reported };
}

const owned = (e: Env, x: Member) => e.checks.filter((c) => x.m.owns(c));
const share = (e: Env, of: string, among: string[]) => assignChecks(e.checks, among).get(of) ?? [];
const reasons = (x: Member) => x.changes.map((c) => c.reason);
const warnings = (x: Member, text: string) =>
  x.lines.filter((l) => l.level === 40 && String(l.msg).includes(text)).length;

/** Every check is owned by exactly one of `members`, and each member's onChange reports add up to what owns() says. */
function assertConsistent(e: Env, members: Member[], at: number) {
  for (const x of members) {
    if (x.clock.pending > 0)
      assert.deepEqual([...x.reported].sort(), owned(e, x), `${x.id} at ${at}: reports vs owns()`);
  }
  for (const check of e.checks) {
    const owners = members.filter((x) => x.m.owns(check)).map((x) => x.id);
    assert.equal(owners.length, 1, `${check} at ${at} is owned by [${owners.join(',')}]`);
  }
}

/** Walks the shared time to T0 + ms in steps, checking consistency after every step. */
async function walk(e: Env, ms: number, members: Member[], stepMs = 250) {
  while (e.base.now() < T0 + ms) {
    await e.base.advance(Math.min(stepMs, T0 + ms - e.base.now()));
    assertConsistent(e, members, e.base.now() - T0);
  }
}

describe('createMembership', () => {
  it('owns nothing before join; a single member owns every check at once and keeps it', async () => {
    const e = env();
    const a = member(e, 'a');
    assert.equal(a.m.owns('check-00'), false);
    assert.equal(a.m.epoch(), undefined);
    assert.equal(a.m.ready, false);
    assert.deepEqual(a.m.view().members, []);

    await a.m.join();
    assert.deepEqual(owned(e, a), e.checks);
    assert.equal(a.m.epoch(), 1);
    assert.equal(a.m.ready, true);
    assert.deepEqual(a.leaseStates, [true]);
    assert.deepEqual(
      a.changes.map((c) => [c.reason, c.gained.length, c.lost.length, c.members, c.owned]),
      [['joined', 60, 0, ['a'], 60]],
    );
    const line = a.lines.find((l) => String(l.msg).startsWith('cluster: joined'));
    assert.equal(line?.msg, 'cluster: joined; this member owns 60 checks (gained 60, lost 0); members: a');
    assert.deepEqual(
      [line?.member, line?.epoch, line?.members, line?.owned, line?.gained, line?.lost],
      ['a', 1, ['a'], 60, 60, 0],
    );
    assert.equal((line?.gainedChecks as string[] | undefined)?.length, 20);

    const view = a.m.view();
    assert.deepEqual(
      [view.mode, view.self, view.epoch, view.leaseTtlMs, view.renewMs],
      ['cluster', 'a', 1, TTL, RENEW],
    );
    assert.equal(view.members.length, 1);
    assert.deepEqual(
      [view.members[0]?.self, view.members[0]?.live, view.members[0]?.active, view.members[0]?.checksOwned],
      [true, true, true, 60],
    );
    assert.equal(view.members[0]?.host, 'host-a');
    assert.deepEqual(view.checksOf('a'), [...e.checks].sort());
    assert.deepEqual(view.checksOf('nobody'), []);

    await walk(e, 60_000, [a]);
    assert.equal(a.store.calls.filter((c) => c === 'renew').length, 12, 'a renewal every renewMs');
    assert.equal(a.changes.length, 1, 'nothing changed: nothing reported');
    await a.m.stop();
  });

  it('join() rejects when the database cannot be reached, and can be tried again', async () => {
    const e = env();
    const a = member(e, 'a');
    a.store.fault = 'reject';
    await assert.rejects(a.m.join(), /ECONNREFUSED/);
    assert.equal(a.m.owns('check-00'), false);
    assert.equal(a.clock.pending, 0, 'no renew loop without a lease');
    a.store.fault = 'none';
    await a.m.join();
    assert.equal(a.m.ready, true);
    await a.m.stop();
  });

  it('a joiner takes its share only from its activeAt, when the first member gives it up: one owner per check at every step', async () => {
    const e = env();
    const a = member(e, 'a');
    const b = member(e, 'b');
    await a.m.join();
    await to(e, 2_000);
    await b.m.join();
    assert.equal(e.db.rows.get('b')?.activeAt, e.base.now() + RENEW + 1_000);
    assert.deepEqual(owned(e, b), [], 'not active yet');
    assert.equal(b.m.ready, false);
    assert.deepEqual(b.changes.at(-1)?.members, ['a']);

    await walk(e, 7_999, [a, b]);
    assert.deepEqual(owned(e, b), []);
    await to(e, 8_000);
    assertConsistent(e, [a, b], 8_000);
    const bShare = share(e, 'b', ['a', 'b']);
    assert.ok(bShare.length > 10 && bShare.length < 50, `about half: ${bShare.length}`);
    assert.deepEqual(owned(e, b), bShare);
    assert.deepEqual(owned(e, a), share(e, 'a', ['a', 'b']));
    assert.equal(b.m.ready, true);
    assert.deepEqual(reasons(a), ['joined', 'member-joined']);
    assert.deepEqual(reasons(b), ['joined', 'joined']);
    assert.deepEqual(a.changes.at(-1)?.lost, bShare);
    assert.deepEqual(b.changes.at(-1)?.members, ['a', 'b']);

    await walk(e, 30_000, [a, b]);
    assert.equal(a.changes.length + b.changes.length, 4, 'stable once both are active');
    const view = a.m.view();
    assert.deepEqual(
      view.members.map((m) => [m.id, m.self, m.live, m.active, m.checksOwned]),
      [
        ['a', true, true, true, 60 - bShare.length],
        ['b', false, true, true, bShare.length],
      ],
    );
    assert.deepEqual(view.checksOf('b'), [...bShare].sort());
    await Promise.all([a.m.stop(), b.m.stop()]);
  });

  it('answers for the time a run was due: a late timer does not take a slot that moved just before it', async () => {
    const e = env();
    const a = member(e, 'a');
    const b = member(e, 'b');
    await a.m.join();
    await to(e, 2_000);
    await b.m.join();
    const activeAt = T0 + 8_000;
    const moved = share(e, 'b', ['a', 'b']);
    const check = moved[0] as string;
    // Just before the handover: a's slot, even asked a little later.
    await to(e, 7_990);
    assert.equal(a.m.owns(check, activeAt - 1), true);
    assert.equal(b.m.owns(check, activeAt - 1), false);
    // A slot at the handover instant is b's, even asked by a before a's own view has moved.
    assert.equal(a.m.owns(check, activeAt), false, "the slot at activeAt is b's, whenever a asks");
    await to(e, 8_077);
    assert.equal(a.m.owns(check, activeAt), false);
    assert.equal(b.m.owns(check, activeAt), true);
    assert.equal(a.m.owns(check, activeAt - 1), true, "the slot before stays a's (a run due then is a's even if late)");
    assert.equal(a.m.owns(share(e, 'a', ['a', 'b'])[0] as string, T0 + 8_077), true, "a's own share stays a's");
    // Without a valid lease nothing is owned, at any time.
    await Promise.all([a.m.stop(), b.m.stop()]);
    assert.equal(a.m.owns(check, activeAt - 1), false);
  });

  it('after a cut that lapsed every lease, the first back expels nobody for one lease: the others keep their epochs (and their results)', async () => {
    const e = env();
    const [a, b, c] = [member(e, 'a'), member(e, 'b'), member(e, 'c')];
    await a.m.join();
    await b.m.join();
    await c.m.join();
    await walk(e, 20_000, [a, b, c]);
    const epochs = [a, b, c].map((x) => x.m.epoch());
    // The database is cut for everyone for 30 s (every lease lapses); c dies meanwhile.
    for (const x of [a, b, c]) x.store.fault = 'reject';
    await to(e, 35_000);
    c.clock.kill();
    await to(e, 50_000);
    assert.deepEqual([a.m.owns(e.checks[0] as string), a.m.leaseValid(), b.m.leaseValid()], [false, false, false]);
    // a reaches the database first, b two seconds later: b is not expelled, it keeps its epoch.
    a.store.fault = 'none';
    await to(e, 51_000);
    assert.equal(a.m.leaseValid(), true);
    assert.ok(e.db.rows.has('b') && e.db.rows.has('c'), 'nobody expelled by the member that just came back');
    b.store.fault = 'none';
    await to(e, 53_000);
    assert.equal(b.m.leaseValid(), true);
    assert.deepEqual([a.m.epoch(), b.m.epoch()], epochs.slice(0, 2), 'both kept their epochs');
    assert.equal(warnings(b, 'expelled'), 0);
    // c never comes back: it is expelled once a's quiet lease is over.
    await to(e, 51_000 + TTL + 2 * RENEW);
    assert.equal(e.db.rows.has('c'), false, 'a member really gone is expelled a lease later');
    await Promise.all([a.m.stop(), b.m.stop()]);
  });

  it("a killed member's checks move to the others exactly when its lease ends by the database clock, not at a refresh", async () => {
    const e = env();
    const [a, b, c] = [member(e, 'a'), member(e, 'b'), member(e, 'c')];
    await a.m.join();
    await to(e, 1_000);
    await b.m.join();
    await to(e, 2_000);
    await c.m.join();
    await walk(e, 10_500, [a, b, c]);
    const bShare = share(e, 'b', ['a', 'b', 'c']);
    assert.deepEqual(owned(e, b), bShare);

    b.clock.kill(); // b's last renewal was at 6 000: its lease ends at 21 000
    const end = (e.db.rows.get('b')?.expiresAt ?? 0) - T0;
    assert.equal(end, 21_000);
    await walk(e, end - 1, [a, b, c]); // b still answers for itself until then: one owner per check
    assert.ok(bShare.every((check) => !a.m.owns(check) && !c.m.owns(check)));
    const callsBefore = a.store.calls.length + c.store.calls.length;
    await to(e, end);
    assert.equal(a.store.calls.length + c.store.calls.length, callsBefore, 'no store call made this happen');
    assert.deepEqual(owned(e, b), [], "b's own lease lapsed too");
    assertConsistent(e, [a, c], end);
    assert.deepEqual(owned(e, a), share(e, 'a', ['a', 'c']));
    assert.deepEqual(a.changes.at(-1)?.reason, 'member-left');
    assert.deepEqual(c.changes.at(-1)?.reason, 'member-left');
    assert.deepEqual(a.changes.at(-1)?.members, ['a', 'c']);

    await walk(e, 40_000, [a, c]);
    assert.equal(e.db.rows.has('b'), false, 'expelled by a renewal');
    await Promise.all([a.m.stop(), c.m.stop()]);
  });

  it('owns nothing at the instant its own lease lapses while the store hangs, and again after a renewal succeeds; renewals never overlap', async () => {
    const e = env();
    const a = member(e, 'a');
    await a.m.join();
    await to(e, 4_000);
    a.store.fault = 'hang'; // the renewal at 5 000 never answers; the lease from 0 ends at 15 000
    await to(e, 14_999);
    assert.deepEqual(owned(e, a), e.checks);
    assert.deepEqual(a.store.calls, ['join', 'renew']);
    await to(e, 15_000);
    assert.deepEqual(owned(e, a), []);
    assert.equal(a.m.leaseValid(), false);
    assert.equal(a.m.epoch(), undefined);
    assert.equal(a.m.ready, false);
    assert.equal(a.m.view().epoch, null);
    assert.deepEqual(a.leaseStates, [true, false]);
    assert.deepEqual(
      a.changes.map((c) => [c.reason, c.lost.length]),
      [
        ['joined', 0],
        ['lease-lost', 60],
      ],
    );
    assert.equal(warnings(a, 'lost its lease'), 1);

    await to(e, 17_000);
    assert.deepEqual(a.store.calls, ['join', 'renew'], 'one call at a time, however long it takes');
    a.store.fault = 'none';
    a.store.release(); // done by the database now: the lease is extended although it had lapsed
    await e.base.advance(0); // the answer settles
    assert.deepEqual(owned(e, a), e.checks);
    assert.equal(a.m.epoch(), 1);
    assert.deepEqual(a.leaseStates, [true, false, true]);
    assert.deepEqual(a.changes.at(-1)?.reason, 'lease-regained');
    assert.equal(a.changes.at(-1)?.gained.length, 60);
    await e.base.advance(0); // the next renewal, overdue, is due at once
    assert.deepEqual(a.store.calls, ['join', 'renew', 'renew'], 'the overdue renewal follows at once');
    await walk(e, 40_000, [a]);
    await a.m.stop();
  });

  it('retries a failed renewal every min(1000, renewMs), warns once, and says when it works again', async () => {
    const e = env();
    const a = member(e, 'a');
    await a.m.join();
    await to(e, 4_000);
    a.store.fault = 'reject';
    await to(e, 9_500);
    assert.deepEqual(a.store.calls, ['join', 'renew', 'renew', 'renew', 'renew', 'renew']); // 5, 6, 7, 8, 9 s
    assert.equal(warnings(a, 'renewing the lease failed'), 1);
    a.store.fault = 'none';
    await to(e, 10_000);
    assert.equal(a.lines.filter((l) => l.msg === 'cluster: the lease renews again').length, 1);
    await to(e, 30_000);
    assert.equal(a.store.calls.length, 6 + 5, 'back to every renewMs: 10, 15, 20, 25, 30 s');
    assert.deepEqual(reasons(a), ['joined'], 'the lease never lapsed');
    await a.m.stop();
  });

  it('an expelled member joins again with a new epoch and waits for its activeAt; a stale view takes nothing', async () => {
    const e = env();
    const a = member(e, 'a');
    const b = member(e, 'b');
    await a.m.join();
    await to(e, 1_000);
    await b.m.join();
    await walk(e, 8_000, [a, b]);
    a.store.fault = 'hang'; // a's renewal at 10 000 hangs; its lease (renewed at 5 000) ends at 20 000
    // a's snapshot says b's lease ends at 16 000; b renewed since, so a must not take b's checks then.
    await walk(e, 26_000, [a, b]);
    assert.deepEqual(owned(e, a), []);
    assert.deepEqual(owned(e, b), e.checks);
    assert.equal(e.db.rows.has('a'), false, "b's renewal at 26 000 expelled a");

    await to(e, 27_000);
    a.store.fault = 'none';
    a.store.release();
    await e.base.advance(0);
    assert.equal(warnings(a, 'was expelled'), 1);
    assert.equal(a.m.epoch(), 3, 'a new epoch');
    assert.equal(e.db.rows.get('a')?.activeAt, T0 + 27_000 + RENEW + 1_000);
    assert.deepEqual(owned(e, a), [], 'not active yet');
    await walk(e, 32_999, [a, b]);
    await to(e, 33_000);
    assertConsistent(e, [a, b], 33_000);
    assert.deepEqual(owned(e, a), share(e, 'a', ['a', 'b']));
    assert.deepEqual(reasons(a), ['joined', 'member-joined', 'lease-lost', 'joined']);
    assert.deepEqual(reasons(b), ['joined', 'joined', 'member-left', 'member-joined']);
    assert.equal(warnings(a, 'was expelled'), 1);
    await walk(e, 45_000, [a, b]);
    await Promise.all([a.m.stop(), b.m.stop()]);
  });

  it('a member cut off from the database takes no check on stale news at the shortest lease (3 s, renewed every 1 s), though a renewal came 40 ms late', async () => {
    const e = env();
    const lease = { ttlMs: 3_000, renewMs: 1_000 };
    const a = member(e, 'a', 0, lease);
    const b = member(e, 'b', 0, lease);
    await a.m.join(); // renews at 1 000, 2 000, ...
    await to(e, 980);
    await b.m.join(); // renews at 1 980, 2 980, 3 980, 4 980
    await walk(e, 4_979, [a, b], 10);
    // b's renewal at 4 980 reaches the database 40 ms late. a's renewal at 5 000 reads b's row as renewed
    // at 3 980 (ends 6 980); then a is cut off. b is healthy: its lease now ends at 8 030, and it keeps it.
    b.store.fault = 'hang';
    await to(e, 5_001);
    a.store.fault = 'reject';
    await to(e, 5_020);
    b.store.fault = 'none';
    b.store.release();
    await e.base.advance(0);
    // a's own lease (renewed at 5 000) holds until 8 000: it keeps its checks, and must not take b's at 6 980.
    await walk(e, 7_999, [a, b], 10);
    assert.deepEqual(owned(e, b), share(e, 'b', ['a', 'b']));
    await to(e, 8_000);
    assert.deepEqual(owned(e, a), []);
    assertConsistent(e, [a, b], 8_000); // b, which renews on time, takes a's checks the instant a's lease ends
    assert.deepEqual(reasons(a), ['joined', 'member-joined', 'lease-lost'], 'a never gained a check of b');
    await walk(e, 12_000, [b], 10);
    assert.deepEqual(owned(e, b), e.checks);
    await Promise.all([a.m.stop(), b.m.stop()]);
  });

  it('checksChanged() hands new checks out and drops removed ones', async () => {
    const e = env(0, names('check', 30));
    const [a, b] = [member(e, 'a'), member(e, 'b')];
    await a.m.join();
    await b.m.join();
    await to(e, 7_000);
    e.checks = [...e.checks.slice(10), ...names('new', 20)];
    assert.ok(e.checks.filter((c) => c.startsWith('new')).every((c) => !a.m.owns(c) && !b.m.owns(c)));
    for (const x of [a, b]) x.m.checksChanged();
    assertConsistent(e, [a, b], 7_000);
    for (const x of [a, b]) {
      const change = x.changes.at(-1);
      assert.equal(change?.reason, 'checks-changed');
      assert.deepEqual(
        change?.gained,
        share(e, x.id, ['a', 'b']).filter((c) => c.startsWith('new')),
      );
      assert.ok(change?.lost.every((c) => names('check', 10).includes(c)));
    }
    await walk(e, 20_000, [a, b]);
    await Promise.all([a.m.stop(), b.m.stop()]);
  });

  it('stop() gives every check up, leaves, and clears its timers; a failing leave is logged, never thrown', async () => {
    const e = env();
    const [a, b, c] = [member(e, 'a'), member(e, 'b'), member(e, 'c')];
    await a.m.join();
    await b.m.join();
    await c.m.join();
    await to(e, 7_000);
    const bHad = owned(e, b);
    await b.m.stop();
    assert.deepEqual(b.changes.at(-1), { reason: 'stopped', gained: [], lost: bHad, members: ['a', 'c'], owned: 0 });
    assert.deepEqual(owned(e, b), []);
    assert.equal(b.leaseStates.at(-1), false);
    assert.equal(b.clock.pending, 0);
    assert.equal(e.db.rows.has('b'), false, 'left');
    await to(e, 10_000); // a and c read the member list at their next renewal
    assertConsistent(e, [a, c], 10_000);
    assert.equal(a.changes.at(-1)?.reason, 'member-left');

    c.store.fault = 'reject';
    await c.m.stop();
    assert.equal(warnings(c, 'leaving failed'), 1);
    assert.equal(c.changes.at(-1)?.reason, 'stopped');
    await a.m.stop();
    assert.equal(a.clock.pending, 0);
  });

  it('gives the same answers whatever the skew between the local clocks and the database clock', async () => {
    const run = async (skew: { a: number; b: number; c: number; db: number }) => {
      const e = env(skew.db);
      const [a, b, c] = [member(e, 'a', skew.a), member(e, 'b', skew.b), member(e, 'c', skew.c)];
      const trace: string[] = [];
      for (const x of [a, b, c]) {
        const report = x.changes.push.bind(x.changes);
        x.changes.push = (...changes) => {
          for (const ch of changes) trace.push(`${e.base.now() - T0} ${x.id} ${ch.reason} +${ch.gained} -${ch.lost}`);
          return report(...changes);
        };
      }
      await a.m.join();
      await to(e, 2_000);
      await b.m.join();
      await to(e, 3_000);
      await c.m.join();
      await to(e, 9_000);
      c.clock.kill();
      await to(e, 12_000);
      a.store.fault = 'hang';
      await to(e, 27_000);
      a.store.fault = 'none';
      a.store.release();
      for (let t = 27_000; t <= 45_000; t += 250) {
        await to(e, t);
        trace.push(`${t} ${[a, b].map((x) => `${x.id}:${x.m.epoch()}:${owned(e, x).join('.')}`).join(' ')}`);
      }
      await Promise.all([a.m.stop(), b.m.stop()]);
      return trace;
    };
    const plain = await run({ a: 0, b: 0, c: 0, db: 0 });
    const skewed = await run({ a: 3_600_000, b: -7_321, c: 42, db: 12_345 });
    assert.ok(plain.some((l) => l.includes('lease-lost')) && plain.some((l) => l.includes('member-left')));
    assert.deepEqual(skewed, plain);
  });
});
