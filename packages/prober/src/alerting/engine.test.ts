import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { MaintenanceWindow, ResolvedCheck } from '../config/resolved.js';
import { DEFAULT_ALERT_POLICY } from '../domain/alerts.js';
import type { CheckResult } from '../domain/result.js';
import { FencedError } from '../store/cluster.js';
import type { AlertStore } from '../store/store.js';
import { makeCheck, runResult } from '../testing/check.js';
import { createAlertWriter } from './alert-writer.js';
import { createAlertEngine } from './engine.js';
import { createMaintenanceCalendar } from './maintenance.js';
import { createMemoryAlertStore } from './memory-store.js';

const T0 = Date.parse('2026-11-27T08:00:00.000Z');
const SEC = 1_000;
const silent = pino({ level: 'silent' });

const api = makeCheck({
  name: 'api',
  labels: { team: 'payments' },
  alerts: { ...DEFAULT_ALERT_POLICY, failureThreshold: 2, successThreshold: 1, channels: ['oncall', 'am'] },
});

const result = runResult;

function build(
  store = createMemoryAlertStore(),
  checks: readonly ResolvedCheck[] = [api],
  windows: MaintenanceWindow[] = [],
) {
  let now = T0;
  const writer = createAlertWriter(store);
  let current = checks;
  const engine = createAlertEngine({
    store,
    writer,
    logger: silent,
    checks: () => current,
    calendar: () => createMaintenanceCalendar(windows),
    baseUrl: () => 'http://lifeline-monitor:8080',
    now: () => now,
  });
  return {
    store,
    writer,
    engine,
    setChecks(next: readonly ResolvedCheck[]) {
      current = next;
    },
    async feed(...steps: [number, boolean][]) {
      for (const [at, ok] of steps) {
        now = at;
        const marked = engine.inMaintenance('api', at) ? { ...result(at, ok), maintenance: true } : result(at, ok);
        engine.observe(marked);
      }
      await writer.flush();
    },
  };
}

describe('alert engine', () => {
  it('stores the incident and one outbox entry per channel, with a payload a channel can format', async () => {
    const t = build();
    await t.feed([T0, false], [T0 + 10 * SEC, false]);
    const notifications = await t.store.notifications({ limit: 10 });
    assert.deepEqual(notifications.map((n) => n.id).sort(), [`api:${T0}:firing@am`, `api:${T0}:firing@oncall`]);
    const payload = notifications[0]?.payload;
    assert.deepEqual(payload?.check, {
      name: 'api',
      url: 'http://api:3000/healthcheck',
      labels: { team: 'payments' },
      severity: 'critical',
    });
    assert.equal(payload?.link, 'http://lifeline-monitor:8080/api/v1/checks/api');
    assert.deepEqual(payload?.incident.error, { code: 'refused', message: 'connection refused' });
    const [incident] = await t.store.incidents({ limit: 10 });
    assert.equal(incident?.endedAt, null);
    assert.deepEqual(
      t.engine.firing().map((f) => [f.check, f.notified]),
      [['api', true]],
    );
    assert.equal(t.engine.firingPayloads('am').length, 1);
    assert.equal(t.engine.firingPayloads('elsewhere').length, 0);
  });

  it('a restart neither repeats a sent firing nor forgets the open incident', async () => {
    const store = createMemoryAlertStore();
    const first = build(store);
    await first.feed([T0, false], [T0 + 10 * SEC, false], [T0 + 20 * SEC, false]);
    const second = build(store);
    await second.engine.restore(new Map([['api', result(T0 + 20 * SEC, false)]]));
    await second.feed([T0 + 30 * SEC, false], [T0 + 40 * SEC, true]);
    const keys = (await store.notifications({ limit: 10 })).map((n) => n.key).sort();
    assert.deepEqual(keys, [`api:${T0}:firing`, `api:${T0}:firing`, `api:${T0}:resolved`, `api:${T0}:resolved`]);
    const [incident] = await store.incidents({ limit: 10 });
    assert.equal(incident?.endedAt, T0 + 40 * SEC);
    assert.equal(incident?.failures, 4, 'every failed run counted, before and after the restart');
  });

  it('a restart that lost the transition (results stored, state not) opens the incident at the next failure', async () => {
    const store = createMemoryAlertStore();
    const t = build(store);
    const stored = [result(T0 + 10 * SEC, false), result(T0, false)];
    const engine = createAlertEngine({
      store,
      writer: t.writer,
      logger: silent,
      checks: () => [api],
      calendar: () => createMaintenanceCalendar([]),
      baseUrl: () => undefined,
      recent: async () => stored,
      now: () => T0 + 20 * SEC,
    });
    await engine.restore(new Map([['api', stored[0] as CheckResult]]));
    engine.observe(result(T0 + 20 * SEC, false));
    await t.writer.flush();
    const [incident] = await store.incidents({ limit: 1 });
    assert.equal(incident?.startedAt, T0, 'the streak began before the restart');
  });

  it('results inside a maintenance window are marked and notify nobody; what is still open notifies when it ends', async () => {
    const window: MaintenanceWindow = {
      name: 'deploy',
      schedule: { pattern: '0 8 * * *', timezone: 'UTC' },
      durationMs: 60 * SEC,
      checks: ['api'],
    };
    const t = build(createMemoryAlertStore(), [api], [window]);
    assert.equal(t.engine.inMaintenance('api', T0 + 30 * SEC), true);
    assert.equal(t.engine.inMaintenance('other', T0 + 30 * SEC), false);
    await t.feed([T0, false], [T0 + 10 * SEC, false], [T0 + 50 * SEC, false]);
    assert.equal((await t.store.notifications({ limit: 10 })).length, 0);
    assert.deepEqual(
      t.engine.firing().map((f) => f.notified),
      [false],
    );
    await t.feed([T0 + 70 * SEC, false]);
    assert.deepEqual(
      (await t.store.notifications({ limit: 10 })).map((n) => n.kind),
      ['firing', 'firing'],
    );
  });

  it('a reload that removes a firing check tells its receivers it resolved', async () => {
    const t = build();
    await t.feed([T0, false], [T0 + 10 * SEC, false]);
    t.setChecks([]);
    t.engine.removed([api]);
    await t.writer.flush();
    const kinds = (await t.store.notifications({ limit: 10 })).map((n) => n.kind).sort();
    assert.deepEqual(kinds, ['firing', 'firing', 'resolved', 'resolved']);
    assert.deepEqual(t.engine.firing(), []);
  });
});

describe('alert writer', () => {
  it('writes a transition at once, and a failure that only counts within lazyMs, merged per check', async () => {
    const store = createMemoryAlertStore();
    let writes = 0;
    const counting = {
      ...store,
      recordAlerts: async (changes: Parameters<typeof store.recordAlerts>[0]) => {
        writes += 1;
        await store.recordAlerts(changes);
      },
    };
    const writer = createAlertWriter(counting, { lazyMs: 50 });
    const state = (failures: number) => ({
      state: {
        check: 'api',
        status: 'failing' as const,
        incident: { id: 'api:1', check: 'api', startedAt: 1, endedAt: null, error: null, failures },
        notified: null,
        notifiedAt: null,
        reminders: 0,
        updatedAt: failures,
      },
      incidents: [{ id: 'api:1', check: 'api', startedAt: 1, endedAt: null, error: null, failures }],
      notifications: [],
    });
    writer.add(state(3), true);
    await writer.flush();
    assert.equal(writes, 1);
    for (const failures of [4, 5, 6]) writer.add(state(failures), false);
    assert.equal(writer.pending, 1, 'merged into one change');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(writes, 1, 'not written at once');
    await once(setTimeoutEmitter(60), 'done');
    await writer.flush();
    assert.equal(writes, 2);
    assert.equal((await store.incidents({ limit: 1 }))[0]?.failures, 6);
    assert.equal(await writer.close(1_000), 0);
  });
});

describe('alert writer: cluster fencing', () => {
  const change = (check: string, updatedAt: number) => ({
    state: {
      check,
      status: 'ok' as const,
      incident: null,
      notified: null,
      notifiedAt: null,
      reminders: 0,
      updatedAt,
    },
    incidents: [],
    notifications: [],
  });

  it('drops a write refused with FencedError (not retried, counted); a later change still goes through', async () => {
    const store = createMemoryAlertStore();
    let refuse = true;
    let writes = 0;
    const fencedOnce: AlertStore = {
      ...store,
      async recordAlerts(changes) {
        writes += 1;
        if (refuse) {
          refuse = false;
          throw new FencedError();
        }
        await store.recordAlerts(changes);
      },
    };
    const fenced: number[] = [];
    const states: boolean[] = [];
    const writer = createAlertWriter(fencedOnce, {
      retryMinMs: 5,
      onFenced: (checks) => fenced.push(checks),
      onStateChange: (failing) => states.push(failing),
    });
    writer.add(change('api', 1), false);
    writer.add(change('db', 1), false);
    await writer.flush(); // one write of both
    assert.deepEqual(fenced, [2], 'both checks of the refused write counted');
    assert.equal(writer.pending, 0, 'dropped, not kept for a retry');
    assert.deepEqual(states, [], 'a fenced write is not a failing store');
    assert.deepEqual([...(await store.alertStates()).keys()], []);
    writer.add(change('web', 2));
    await writer.flush();
    assert.equal(writes, 2, 'one refused write, one that worked: the refused one was never tried again');
    assert.deepEqual([...(await store.alertStates()).keys()], ['web']);
    assert.equal(await writer.close(1_000), 0);
  });
});

function setTimeoutEmitter(ms: number): EventEmitter {
  const emitter = new EventEmitter();
  setTimeout(() => emitter.emit('done'), ms);
  return emitter;
}
