import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { DEFAULT_ALERT_POLICY } from '../domain/alerts.js';
import type { CheckResult } from '../domain/result.js';
import type { AlertStore } from '../store/store.js';
import { makeCheck, runResult } from '../testing/check.js';
import { createAlertWriter } from './alert-writer.js';
import { createAlertEngine } from './engine.js';
import { createMaintenanceCalendar } from './maintenance.js';
import { createMemoryAlertStore } from './memory-store.js';

// Two engines on one store are two cluster members: the check moves from one to the other.

const T0 = Date.parse('2026-11-27T08:00:00.000Z');
const SEC = 1_000;

const api = makeCheck({
  name: 'api',
  alerts: { ...DEFAULT_ALERT_POLICY, failureThreshold: 2, successThreshold: 1, channels: ['oncall', 'am'] },
});

const result = runResult;

function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** One member's engine and writer on a shared store; `recent` stands in for the stored results. */
function member(
  store: AlertStore,
  options: { check?: typeof api; recent?: (check: string, limit: number) => Promise<readonly CheckResult[]> } = {},
) {
  let now = T0;
  const logs: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line).msg) });
  const writer = createAlertWriter(store);
  const engine = createAlertEngine({
    store,
    writer,
    logger,
    checks: () => [options.check ?? api],
    calendar: () => createMaintenanceCalendar([]),
    baseUrl: () => undefined,
    ...(options.recent ? { recent: options.recent } : {}),
    now: () => now,
  });
  return {
    engine,
    writer,
    logs,
    async feed(...steps: [number, boolean][]) {
      for (const [at, ok] of steps) {
        now = at;
        engine.observe(result(at, ok));
      }
      await writer.flush();
    },
    at(time: number) {
      now = time;
    },
  };
}

const keys = async (store: AlertStore) => (await store.notifications({ limit: 100 })).map((n) => n.id).sort();

describe('alert engine: handover between cluster members', () => {
  it('adopt picks up the state another member stored, and counts on from it', async () => {
    const store = createMemoryAlertStore();
    const a = member(store);
    await a.feed([T0, false], [T0 + 10 * SEC, false]);
    const b = member(store);
    assert.deepEqual(b.engine.firing(), []);
    await b.engine.adopt(['api']);
    assert.deepEqual(
      b.engine.firing().map((f) => [f.incident.id, f.notified]),
      [[`api:${T0}`, true]],
      "the other member's incident, already told",
    );
    await b.feed([T0 + 20 * SEC, false]);
    const [incident] = await store.incidents({ limit: 10 });
    assert.equal(incident?.failures, 3, 'the same incident, counted on');
    assert.equal((await store.incidents({ limit: 10 })).length, 1);
  });

  it('an incident opened by another member and resolved here sends one resolved, same id, no second firing', async () => {
    const store = createMemoryAlertStore();
    const a = member(store);
    await a.feed([T0, false], [T0 + 10 * SEC, false]);
    const b = member(store);
    a.engine.release(['api']);
    await b.engine.adopt(['api']);
    await b.feed([T0 + 20 * SEC, false], [T0 + 30 * SEC, true]);
    a.engine.tick();
    b.engine.tick();
    await a.writer.flush();
    await b.writer.flush();
    assert.deepEqual(await keys(store), [
      `api:${T0}:firing@am`,
      `api:${T0}:firing@oncall`,
      `api:${T0}:resolved@am`,
      `api:${T0}:resolved@oncall`,
    ]);
    const resolved = await store.notifications({ limit: 100 });
    for (const n of resolved.filter((x) => x.kind === 'resolved')) {
      assert.equal(n.key, `api:${T0}:resolved`);
      assert.equal(n.payload.incident.id, `api:${T0}`);
      assert.equal(n.payload.incident.endedAt, T0 + 30 * SEC);
    }
    assert.deepEqual(b.engine.firing(), []);
  });

  it('results observed while the adopt reads are applied after it, in order', async () => {
    const inner = createMemoryAlertStore();
    const reading = gate();
    let reads = 0;
    const store: AlertStore = {
      ...inner,
      async alertStates() {
        reads += 1;
        await reading.opened;
        return inner.alertStates();
      },
    };
    const b = member(store);
    const adopted = b.engine.adopt(['api']);
    await b.feed([T0, false], [T0 + 10 * SEC, false], [T0 + 20 * SEC, true]);
    assert.equal(reads, 1);
    assert.deepEqual(await inner.incidents({ limit: 10 }), [], 'nothing evaluated before the state is read');
    reading.open();
    await adopted;
    await b.writer.flush();
    const incidents = await inner.incidents({ limit: 10 });
    assert.deepEqual(
      incidents.map((i) => [i.startedAt, i.endedAt]),
      [[T0, T0 + 20 * SEC]],
      'opened by the two failures, closed by the pass after them',
    );
    assert.deepEqual(await keys(inner), [
      `api:${T0}:firing@am`,
      `api:${T0}:firing@oncall`,
      `api:${T0}:resolved@am`,
      `api:${T0}:resolved@oncall`,
    ]);
  });

  it('counts a result once when it was both stored before the read and observed during it', async () => {
    const inner = createMemoryAlertStore();
    const reading = gate();
    const store: AlertStore = {
      ...inner,
      async alertStates() {
        await reading.opened;
        return inner.alertStates();
      },
    };
    // The failure at T0 was stored (and so read back with the recent results) before the adopt read them.
    const b = member(store, { recent: async () => [result(T0, false)] });
    const adopted = b.engine.adopt(['api']);
    await b.feed([T0, false]);
    reading.open();
    await adopted;
    await b.writer.flush();
    assert.deepEqual(b.engine.firing(), [], 'one failure, counted once: below the threshold of 2');
    await b.feed([T0 + 10 * SEC, false]);
    assert.deepEqual(
      b.engine.firing().map((f) => f.incident.startedAt),
      [T0],
    );
  });

  it('keeps the newest max(thresholds) + 1 results waiting per check', async () => {
    const inner = createMemoryAlertStore();
    const reading = gate();
    const store: AlertStore = {
      ...inner,
      async alertStates() {
        await reading.opened;
        return inner.alertStates();
      },
    };
    const b = member(store);
    const adopted = b.engine.adopt(['api']);
    await b.feed(...[0, 1, 2, 3, 4].map((n): [number, boolean] => [T0 + n * 10 * SEC, false]));
    reading.open();
    await adopted;
    await b.writer.flush();
    const [incident] = await inner.incidents({ limit: 10 });
    assert.equal(incident?.startedAt, T0 + 20 * SEC, 'the two oldest of five (thresholds 2 and 1: keep 3) dropped');
    assert.equal(incident?.failures, 3);
  });

  it('release stops ticks, reminders and evaluation here; the new owner reminds', async () => {
    const withReminders = makeCheck({ name: 'api', alerts: { ...api.alerts, reminderMs: 60 * SEC } });
    const store = createMemoryAlertStore();
    const a = member(store, { check: withReminders });
    await a.feed([T0, false], [T0 + 10 * SEC, false]);
    const b = member(store, { check: withReminders });
    await b.engine.adopt(['api']);
    a.engine.release(['api']);
    a.at(T0 + 5 * 60 * SEC);
    a.engine.tick();
    // Runs that were in flight at the handover: not evaluated here (they would open an incident of their own).
    await a.feed([T0 + 5 * 60 * SEC, false], [T0 + 5 * 60 * SEC + 1, false]);
    assert.deepEqual(a.engine.firing(), []);
    assert.equal((await keys(store)).filter((k) => k.includes('reminder')).length, 0, 'the old owner reminds nobody');
    b.at(T0 + 5 * 60 * SEC);
    b.engine.tick();
    await b.writer.flush();
    assert.deepEqual(
      (await keys(store)).filter((k) => k.includes('reminder')),
      [`api:${T0}:reminder:1@am`, `api:${T0}:reminder:1@oncall`],
    );
    assert.equal((await store.incidents({ limit: 1 }))[0]?.failures, 2, 'the released member counted nothing');
  });

  it('an adopt still reading is superseded by a release and a newer adopt: the newer read wins', async () => {
    const inner = createMemoryAlertStore();
    const a = member(inner);
    await a.feed([T0, false], [T0 + 10 * SEC, false]);
    const gates = [gate(), gate()];
    let reads = 0;
    const store: AlertStore = {
      ...inner,
      async alertStates() {
        const snapshot = await inner.alertStates(); // read now, answered when its gate opens
        await gates[reads++]?.opened;
        return snapshot;
      },
    };
    const b = member(store);
    const first = b.engine.adopt(['api']); // reads the open incident
    await new Promise((resolve) => setImmediate(resolve));
    b.engine.release(['api']);
    await a.engine.adopt(['api']);
    await a.feed([T0 + 20 * SEC, true]); // the other member closes it meanwhile
    a.engine.release(['api']);
    const second = b.engine.adopt(['api']); // reads the closed state
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(reads, 2);
    gates[0]?.open();
    await first;
    gates[1]?.open();
    await second;
    assert.deepEqual(b.engine.firing(), [], 'the stale read of the first adopt was not applied');
    await b.feed([T0 + 30 * SEC, false]);
    assert.deepEqual(b.engine.firing(), []);
  });

  it('a check released and adopted again starts from the stored state, not from what it held', async () => {
    const store = createMemoryAlertStore();
    const a = member(store);
    const b = member(store);
    await a.feed([T0, false], [T0 + 10 * SEC, false]);
    a.engine.release(['api']);
    await b.engine.adopt(['api']);
    await b.feed([T0 + 20 * SEC, true]);
    b.engine.release(['api']);
    await a.engine.adopt(['api']);
    assert.deepEqual(a.engine.firing(), [], 'closed by the other member meanwhile');
    await a.feed([T0 + 30 * SEC, false]);
    assert.deepEqual(a.engine.firing(), [], 'the counters came from the store, not from the old streak');
  });

  it('an adopt whose read fails keeps the results waiting and is tried again at the next tick', async () => {
    const inner = createMemoryAlertStore();
    const a = member(inner);
    await a.feed([T0, false], [T0 + 10 * SEC, false]);
    let fail = true;
    const store: AlertStore = {
      ...inner,
      async alertStates() {
        if (fail) throw new Error('connection terminated');
        return inner.alertStates();
      },
    };
    const b = member(store);
    await b.engine.adopt(['api']); // resolves: the failure is logged, not thrown
    assert.ok(b.logs.some((msg) => msg.includes('adopted check(s) failed')));
    await b.feed([T0 + 20 * SEC, true]);
    assert.deepEqual(await keys(inner), [`api:${T0}:firing@am`, `api:${T0}:firing@oncall`], 'the pass waits');
    fail = false;
    b.engine.tick();
    await new Promise((resolve) => setImmediate(resolve));
    await b.writer.flush();
    assert.deepEqual(
      (await keys(inner)).filter((k) => k.includes('resolved')),
      [`api:${T0}:resolved@am`, `api:${T0}:resolved@oncall`],
    );
    assert.ok(b.logs.some((msg) => msg.includes('works again')));
  });

  it('a reload that removes a released check leaves telling its receivers to the owner', async () => {
    const store = createMemoryAlertStore();
    const a = member(store);
    await a.feed([T0, false], [T0 + 10 * SEC, false]);
    const b = member(store);
    await b.engine.adopt(['api']);
    a.engine.release(['api']);
    a.engine.removed([api]);
    await a.writer.flush();
    assert.equal((await keys(store)).filter((k) => k.includes('resolved')).length, 0);
    assert.equal((await store.alertStates()).has('api'), true, 'the owner still holds its stored state');
    b.engine.removed([api]);
    await b.writer.flush();
    assert.equal((await keys(store)).filter((k) => k.includes('resolved')).length, 2);
  });
});
