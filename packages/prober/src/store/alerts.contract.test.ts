// The alert store's contract (issue #10), run against every backend: SQLite
// (a temp file) and PostgreSQL (a schema of its own on 127.0.0.1:5432).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { DurableAlertState, Incident, OutboxEntry } from '../domain/alerts.js';
import { describeEachStore } from '../testing/store-backends.js';
import type { NewOutboxEntry, Store } from './store.js';

const T0 = Date.parse('2026-05-01T08:00:00.000Z');
const DAY = 86_400_000;

function incident(check: string, startedAt: number, extra: Partial<Incident> = {}): Incident {
  return {
    id: `${check}:${startedAt}`,
    check,
    startedAt,
    endedAt: null,
    error: { code: 'timeout', message: 'no response within 5000 ms', phase: 'ttfb' },
    failures: 3,
    ...extra,
  };
}

function state(check: string, open: Incident | null, extra: Partial<DurableAlertState> = {}): DurableAlertState {
  return {
    check,
    status: open ? 'failing' : 'ok',
    incident: open,
    notified: open,
    notifiedAt: open ? open.startedAt + 1_000 : null,
    reminders: 0,
    updatedAt: T0,
    ...extra,
  };
}

/** A notification of `check` to `channel`, due at once. */
function entry(id: string, channel: string, createdAt: number, extra: Partial<NewOutboxEntry> = {}): NewOutboxEntry {
  const check = extra.check ?? 'outbox';
  const open = incident(check, T0);
  return {
    id,
    key: `${open.id}:firing`,
    channel,
    check,
    kind: 'firing',
    incidentId: open.id,
    payload: {
      kind: 'firing',
      key: `${open.id}:firing`,
      check: { name: check, url: 'https://api.example/healthz', labels: { team: 'core' }, severity: 'critical' },
      incident: open,
      link: `http://lifeline:8080/api/v1/checks/${check}`,
      createdAt,
    },
    createdAt,
    nextAttemptAt: createdAt,
    ...extra,
  };
}

const notify = (store: Store, ...entries: NewOutboxEntry[]) =>
  store.recordAlerts([{ state: state(`owner-of-${entries[0]?.id}`, null), incidents: [], notifications: entries }]);
const ids = (list: readonly OutboxEntry[]) => list.map((n) => n.id);

describeEachStore('Alert store contract', (t) => {
  it('round-trips every field of a durable alert state, upserts it by check, and forgets only the named checks', {
    skip: t.skip,
  }, async () => {
    const open = incident('rt-a', T0, { maintenance: true });
    const failingState = state('rt-a', open, { reminders: 2, notifiedAt: T0 + 7_200_000, updatedAt: T0 + 1 });
    const closed = incident('rt-b', T0 - DAY, { endedAt: T0 - DAY + 60_000, error: null });
    const waiting = state('rt-b', null, { notified: closed, notifiedAt: T0 - DAY + 5_000 });
    const quiet = state('rt-c', null);
    await t.store.recordAlerts([
      { state: failingState, incidents: [open], notifications: [] },
      { state: waiting, incidents: [closed], notifications: [] },
      { state: quiet, incidents: [], notifications: [] },
    ]);
    let states = await t.store.alertStates();
    assert.deepEqual(states.get('rt-a'), failingState);
    assert.deepEqual(states.get('rt-b'), waiting);
    assert.deepEqual(states.get('rt-c'), quiet);

    const recovered = state('rt-a', null, { updatedAt: T0 + 2 });
    await t.store.recordAlerts([{ state: recovered, incidents: [], notifications: [] }]);
    assert.deepEqual((await t.store.alertStates()).get('rt-a'), recovered);

    await t.store.forgetAlertStates(['rt-a', 'rt-c', 'never-stored']);
    await t.store.forgetAlertStates([]);
    states = await t.store.alertStates();
    assert.equal(states.has('rt-a'), false);
    assert.equal(states.has('rt-c'), false);
    assert.deepEqual(states.get('rt-b'), waiting);
    assert.deepEqual(await t.store.incidents({ check: 'rt-a', limit: 10 }), [open], 'incidents stay in history');
  });

  it('upserts an incident by id from open to closed', { skip: t.skip }, async () => {
    const open = incident('upsert', T0);
    await t.store.recordAlerts([{ state: state('upsert', open), incidents: [open], notifications: [] }]);
    assert.deepEqual(await t.store.incidents({ check: 'upsert', limit: 10 }), [open]);
    const closed = { ...open, endedAt: T0 + 600_000, failures: 40 };
    await t.store.recordAlerts([{ state: state('upsert', null), incidents: [closed], notifications: [] }]);
    assert.deepEqual(await t.store.incidents({ check: 'upsert', limit: 10 }), [closed]);
  });

  it('lists incidents newest first, by check, since (inclusive), until (exclusive) and limit, ties by id', {
    skip: t.skip,
  }, async () => {
    const base = T0 + 50 * DAY;
    const a = [0, 1, 2, 3].map((i) => incident('inc-a', base + i * 60_000));
    const b = incident('inc-b', base + 60_000); // same start as a[1]: ordered by id, descending
    await t.store.recordAlerts([
      { state: state('inc-a', null), incidents: a, notifications: [] },
      { state: state('inc-b', null), incidents: [b], notifications: [] },
    ]);
    const window = { since: base, until: base + 4 * 60_000 };
    assert.deepEqual(await t.store.incidents({ check: 'inc-a', ...window, limit: 10 }), [a[3], a[2], a[1], a[0]]);
    assert.deepEqual(await t.store.incidents({ ...window, limit: 10 }), [a[3], a[2], b, a[1], a[0]]);
    assert.deepEqual(await t.store.incidents({ ...window, limit: 2 }), [a[3], a[2]]);
    assert.deepEqual(await t.store.incidents({ since: base + 60_000, until: base + 3 * 60_000, limit: 10 }), [
      a[2],
      b,
      a[1],
    ]);
    assert.deepEqual(await t.store.incidents({ check: 'inc-a', until: base + 60_000, since: base, limit: 10 }), [a[0]]);
    assert.deepEqual(await t.store.incidents({ check: 'nobody', limit: 10 }), []);
  });

  it('keeps nothing of a call when one of its statements fails', { skip: t.skip }, async () => {
    const open = incident('atom-1', T0);
    const good = {
      state: state('atom-1', open),
      incidents: [open],
      notifications: [entry('atom-1-n', 'atom', T0, { check: 'atom-1' })],
    };
    const broken = {
      state: state('atom-2', null),
      incidents: [],
      notifications: [entry('atom-2-n', null as unknown as string, T0, { check: 'atom-2' })],
    };
    await assert.rejects(t.store.recordAlerts([good, broken]));
    assert.equal((await t.store.alertStates()).has('atom-1'), false);
    assert.equal((await t.store.alertStates()).has('atom-2'), false);
    assert.deepEqual(await t.store.incidents({ check: 'atom-1', limit: 10 }), []);
    assert.deepEqual(await t.store.notifications({ check: 'atom-1', limit: 100 }), []);
    // The store works on after the failed call, and the good change alone is kept whole.
    await t.store.recordAlerts([good]);
    assert.deepEqual((await t.store.alertStates()).get('atom-1'), good.state);
    assert.deepEqual(ids(await t.store.notifications({ check: 'atom-1', limit: 100 })), ['atom-1-n']);
  });

  it('inserts a notification once: a retried write leaves the stored one as it is', { skip: t.skip }, async () => {
    const first = entry('once', 'once', T0 + 1);
    await notify(t.store, first);
    await t.store.recordAttempt('once', { status: 'pending', nextAttemptAt: T0 + 60_000, error: 'HTTP 503' });
    await notify(t.store, { ...first, payload: { ...first.payload, link: 'http://other/' } }, first);
    const stored = await t.store.notifications({ check: 'outbox', status: 'pending', limit: 100 });
    const once = stored.filter((n) => n.id === 'once');
    assert.equal(once.length, 1);
    assert.deepEqual(once[0], {
      ...first,
      attempts: 1,
      nextAttemptAt: T0 + 60_000,
      status: 'pending',
      lastError: 'HTTP 503',
      deliveredAt: null,
    });
  });

  it('claims due pending notifications of one channel, oldest first, up to the limit, and leases them', {
    skip: t.skip,
  }, async () => {
    const at = (s: number) => T0 + s * 1_000;
    await notify(
      t.store,
      entry('c-late', 'claim', at(1), { nextAttemptAt: at(50) }), // oldest, but not due before 50 s
      entry('c-2', 'claim', at(3)),
      entry('c-1', 'claim', at(2)),
      entry('c-3b', 'claim', at(4)), // c-3a and c-3b share createdAt: by id
      entry('c-3a', 'claim', at(4)),
      entry('c-other', 'claim-other', at(0)),
    );
    const now = at(10);
    const lease = at(40);
    const first = await t.store.claimNotifications('claim', now, 3, lease);
    assert.deepEqual(ids(first), ['c-1', 'c-2', 'c-3a']);
    for (const n of first) {
      assert.equal(n.nextAttemptAt, lease);
      assert.equal(n.attempts, 0);
      assert.equal(n.status, 'pending');
    }
    assert.deepEqual(first[0], {
      ...entry('c-1', 'claim', at(2)),
      attempts: 0,
      nextAttemptAt: lease,
      status: 'pending',
      lastError: null,
      deliveredAt: null,
    });
    assert.deepEqual(ids(await t.store.claimNotifications('claim', now, 10, lease)), ['c-3b']);
    assert.deepEqual(await t.store.claimNotifications('claim', now, 10, lease), [], 'leased rows are hidden');
    assert.deepEqual(await t.store.claimNotifications('claim', now, 0, lease), []);
    assert.deepEqual(ids(await t.store.claimNotifications('claim', lease - 1, 10, at(100))), []);
    // At the lease's end the claimed rows are due again (a worker that died mid-send).
    assert.deepEqual(ids(await t.store.claimNotifications('claim', lease, 10, at(45))), ['c-1', 'c-2', 'c-3a', 'c-3b']);
    assert.deepEqual(ids(await t.store.claimNotifications('claim', at(50), 10, at(100))), [
      'c-late',
      'c-1',
      'c-2',
      'c-3a',
      'c-3b',
    ]);
    assert.deepEqual(ids(await t.store.claimNotifications('claim-other', now, 10, lease)), ['c-other']);
    assert.deepEqual(await t.store.claimNotifications('no-such-channel', now, 10, lease), []);
  });

  it('never hands the same notification to two claims running at once', { skip: t.skip }, async () => {
    // PostgreSQL: two store instances (two pools), as two monitors would be. SQLite allows one process per file.
    const other = t.name === 'postgres' ? t.make() : t.store;
    if (other !== t.store) await other.migrate();
    try {
      for (let round = 0; round < 20; round++) {
        const channel = `race-${round}`;
        const wanted = Array.from({ length: 7 }, (_, i) => `race-${round}-${i}`);
        await notify(t.store, ...wanted.map((id, i) => entry(id, channel, T0 + i)));
        const [a, b] = await Promise.all([
          t.store.claimNotifications(channel, T0 + 100, 4, T0 + 60_000),
          other.claimNotifications(channel, T0 + 100, 4, T0 + 60_000),
        ]);
        const rest = await t.store.claimNotifications(channel, T0 + 100, 10, T0 + 60_000);
        const all = [...ids(a), ...ids(b), ...ids(rest)];
        assert.ok(a.length <= 4 && b.length <= 4);
        assert.equal(new Set(all).size, all.length, `round ${round}: a row claimed twice: ${all.join(' ')}`);
        assert.deepEqual([...all].sort(), [...wanted].sort());
      }
    } finally {
      if (other !== t.store) await other.close();
    }
  });

  it('records attempts: retry, delivered and dead, and delivered and dead are final', { skip: t.skip }, async () => {
    await notify(t.store, entry('att-ok', 'attempts', T0), entry('att-dead', 'attempts', T0 + 1));
    const get = async (id: string) =>
      (await t.store.notifications({ check: 'outbox', limit: 1_000 })).find((n) => n.id === id);

    await t.store.recordAttempt('att-ok', { status: 'pending', nextAttemptAt: T0 + 5_000, error: 'refused' });
    assert.deepEqual(
      [(await get('att-ok'))?.attempts, (await get('att-ok'))?.nextAttemptAt, (await get('att-ok'))?.lastError],
      [1, T0 + 5_000, 'refused'],
    );
    await t.store.recordAttempt('att-ok', { status: 'delivered', at: T0 + 6_000 });
    const delivered = await get('att-ok');
    assert.deepEqual(
      [delivered?.status, delivered?.attempts, delivered?.deliveredAt, delivered?.nextAttemptAt],
      ['delivered', 2, T0 + 6_000, T0 + 5_000],
    );
    await t.store.recordAttempt('att-ok', { status: 'dead', at: T0 + 7_000, error: 'late' });
    await t.store.recordAttempt('att-ok', { status: 'pending', nextAttemptAt: T0 + 9_000, error: 'late' });
    assert.deepEqual(await get('att-ok'), delivered, 'a delivered notification is never changed again');

    await t.store.recordAttempt('att-dead', { status: 'dead', at: T0 + 8_000, error: 'HTTP 400: bad payload' });
    const dead = await get('att-dead');
    assert.deepEqual(
      [dead?.status, dead?.attempts, dead?.lastError, dead?.deliveredAt],
      ['dead', 1, 'HTTP 400: bad payload', null],
    );
    await t.store.recordAttempt('att-dead', { status: 'delivered', at: T0 + 9_000 });
    assert.deepEqual(await get('att-dead'), dead, 'a dead notification is never changed again');
    assert.deepEqual(await t.store.claimNotifications('attempts', T0 + DAY, 10, T0 + 2 * DAY), []);

    await t.store.recordAttempt('no-such-id', { status: 'delivered', at: T0 });
  });

  it('brings a channel forward: retries waiting for their backoff become due, nothing else moves', {
    skip: t.skip,
  }, async () => {
    const at = (s: number) => T0 + 10 * DAY + s * 1_000;
    await notify(
      t.store,
      entry('ex-wait', 'expedite', at(0)),
      entry('ex-flight', 'expedite', at(1)),
      entry('ex-fresh', 'expedite', at(2), { nextAttemptAt: at(50) }),
      entry('ex-done', 'expedite', at(3)),
      entry('ex-other', 'elsewhere', at(4)),
      entry('ex-mine', 'expedite', at(5)),
    );
    for (const id of ['ex-wait', 'ex-flight', 'ex-done', 'ex-mine'])
      await t.store.recordAttempt(id, { status: 'pending', nextAttemptAt: at(100), error: 'HTTP 503' });
    await t.store.recordAttempt('ex-done', { status: 'delivered', at: at(6) });
    await t.store.recordAttempt('ex-other', { status: 'pending', nextAttemptAt: at(100), error: 'HTTP 503' });
    // ex-flight is claimed again (its lease is in the future): this process says it is in flight.
    assert.equal(await t.store.expediteNotifications('expedite', at(10), ['ex-flight']), 2);
    const byId = new Map((await t.store.notifications({ limit: 100 })).map((n) => [n.id, n]));
    assert.equal(byId.get('ex-wait')?.nextAttemptAt, at(10));
    assert.equal(byId.get('ex-mine')?.nextAttemptAt, at(10));
    assert.equal(byId.get('ex-flight')?.nextAttemptAt, at(100), 'in flight: left alone');
    assert.equal(byId.get('ex-fresh')?.nextAttemptAt, at(50), 'never tried (claimed or not due): left alone');
    assert.equal(byId.get('ex-other')?.nextAttemptAt, at(100), 'another channel');
    assert.equal(byId.get('ex-done')?.status, 'delivered');
    assert.equal(await t.store.expediteNotifications('expedite', at(10), []), 1, 'only ex-flight was still waiting');
  });

  it('lists notifications newest first, filtered by status, check and until, and pages back', {
    skip: t.skip,
  }, async () => {
    const at = (m: number) => T0 + 30 * DAY + m * 60_000;
    const list = [0, 1, 2, 3, 4].map((m) => entry(`list-${m}`, 'list', at(m), { check: 'list-a' }));
    const tie = entry('list-2b', 'list', at(2), { check: 'list-a' });
    const elsewhere = entry('list-b', 'list', at(5), { check: 'list-b' });
    await notify(t.store, ...list, tie, elsewhere);
    await t.store.recordAttempt('list-1', { status: 'dead', at: at(9), error: 'gone' });
    await t.store.recordAttempt('list-3', { status: 'delivered', at: at(9) });

    assert.deepEqual(ids(await t.store.notifications({ check: 'list-a', limit: 10 })), [
      'list-4',
      'list-3',
      'list-2b',
      'list-2',
      'list-1',
      'list-0',
    ]);
    const page = await t.store.notifications({ check: 'list-a', limit: 3 });
    assert.deepEqual(ids(page), ['list-4', 'list-3', 'list-2b']);
    const oldest = page.at(-1)?.createdAt as number;
    assert.deepEqual(ids(await t.store.notifications({ check: 'list-a', until: oldest, limit: 3 })), [
      'list-1',
      'list-0',
    ]);
    assert.deepEqual(ids(await t.store.notifications({ check: 'list-a', status: 'dead', limit: 10 })), ['list-1']);
    assert.deepEqual(ids(await t.store.notifications({ check: 'list-a', status: 'delivered', limit: 10 })), ['list-3']);
    assert.deepEqual(ids(await t.store.notifications({ check: 'list-a', status: 'pending', limit: 10 })), [
      'list-4',
      'list-2b',
      'list-2',
      'list-0',
    ]);
    const dead = await t.store.notifications({ status: 'dead', until: at(6), limit: 100 });
    assert.ok(dead.some((n) => n.id === 'list-1') && dead.every((n) => n.status === 'dead' && n.createdAt < at(6)));
    assert.deepEqual(ids(await t.store.notifications({ until: at(6), limit: 1 })), ['list-b']);
    assert.deepEqual(await t.store.notifications({ check: 'nobody', limit: 10 }), []);
  });

  it('counts pending (claimed included) and dead notifications per channel', { skip: t.skip }, async () => {
    await notify(
      t.store,
      entry('cnt-1', 'count-a', T0),
      entry('cnt-2', 'count-a', T0 + 1),
      entry('cnt-3', 'count-a', T0 + 2),
      entry('cnt-4', 'count-a', T0 + 3),
      entry('cnt-5', 'count-b', T0),
      entry('cnt-6', 'count-c', T0),
    );
    await t.store.claimNotifications('count-a', T0 + 10, 1, T0 + 60_000);
    await t.store.recordAttempt('cnt-2', { status: 'dead', at: T0, error: 'x' });
    await t.store.recordAttempt('cnt-3', { status: 'delivered', at: T0 });
    await t.store.recordAttempt('cnt-5', { status: 'dead', at: T0, error: 'x' });
    await t.store.recordAttempt('cnt-6', { status: 'delivered', at: T0 });
    const counts = await t.store.outboxCounts();
    assert.deepEqual(counts.get('count-a'), { pending: 2, dead: 1 });
    assert.deepEqual(counts.get('count-b'), { pending: 0, dead: 1 });
    assert.equal(counts.has('count-c'), false, 'a channel with nothing pending or dead is absent');
  });

  it('prunes delivered and dead notifications past the raw retention, and never a pending one', {
    skip: t.skip,
  }, async () => {
    const old = T0 - 30 * DAY;
    await notify(
      t.store,
      entry('pr-delivered', 'prune', old),
      entry('pr-dead', 'prune', old + 1),
      entry('pr-pending', 'prune', old + 2),
      entry('pr-recent', 'prune', T0 - DAY),
    );
    await t.store.recordAttempt('pr-delivered', { status: 'delivered', at: old });
    await t.store.recordAttempt('pr-dead', { status: 'dead', at: old, error: 'x' });
    await t.store.recordAttempt('pr-recent', { status: 'delivered', at: T0 - DAY });
    const counts = await t.store.prune(T0, { rawMs: 7 * DAY, minuteMs: null, hourMs: null, dayMs: null });
    assert.equal(counts.notifications, 2);
    const left = await t.store.notifications({ until: T0, limit: 1_000 });
    assert.deepEqual(
      ids(left.filter((n) => n.channel === 'prune')),
      ['pr-recent', 'pr-pending'],
      'pending and recent ones stay',
    );
    const again = await t.store.prune(T0, { rawMs: 7 * DAY, minuteMs: null, hourMs: null, dayMs: null });
    assert.equal(again.notifications, 0);
  });

  it('keeps states, incidents and the outbox across a restart', { skip: t.skip }, async () => {
    const open = incident('restart', T0 + 2 * DAY, { maintenance: true });
    const kept = state('restart', open, { reminders: 1 });
    await t.store.recordAlerts([
      {
        state: kept,
        incidents: [open],
        notifications: [entry('rs-1', 'restart', T0 + 2 * DAY), entry('rs-2', 'restart', T0 + 2 * DAY + 1)],
      },
    ]);
    await t.store.recordAttempt('rs-1', { status: 'pending', nextAttemptAt: T0 + 3 * DAY, error: 'timeout' });
    const before = {
      states: await t.store.alertStates(),
      incidents: await t.store.incidents({ limit: 1_000 }),
      notifications: await t.store.notifications({ limit: 1_000 }),
    };
    await t.reopen();
    assert.equal(await t.store.migrate(), 6);
    assert.deepEqual((await t.store.alertStates()).get('restart'), kept);
    assert.deepEqual(await t.store.alertStates(), before.states);
    assert.deepEqual(await t.store.incidents({ limit: 1_000 }), before.incidents);
    assert.deepEqual(await t.store.notifications({ limit: 1_000 }), before.notifications);
    assert.deepEqual(ids(await t.store.claimNotifications('restart', T0 + 3 * DAY, 10, T0 + 4 * DAY)), [
      'rs-1',
      'rs-2',
    ]);
    const [rs1] = await t.store.notifications({
      check: 'outbox',
      status: 'pending',
      until: T0 + 2 * DAY + 1,
      limit: 1,
    });
    assert.deepEqual([rs1?.id, rs1?.attempts, rs1?.lastError], ['rs-1', 1, 'timeout']);
  });
});
