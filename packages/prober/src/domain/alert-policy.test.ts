import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  durablePart,
  initialAlertState,
  needsTick,
  nextReminderAt,
  onResult,
  onTick,
  restoreAlertState,
} from './alert-policy.js';
import { type AlertPolicy, type AlertState, DEFAULT_ALERT_POLICY } from './alerts.js';

const T0 = Date.parse('2026-11-27T08:00:00.000Z');
const MIN = 60_000;
const timeout = { code: 'timeout', message: 'no answer within 5s', phase: 'ttfb' } as const;
const refused = { code: 'refused', message: 'connection refused' } as const;

const policy = (overrides: Partial<AlertPolicy> = {}): AlertPolicy => ({
  ...DEFAULT_ALERT_POLICY,
  channels: ['oncall'],
  ...overrides,
});

/**
 * Replays a history: 'F' a failure, 'P' a pass, 'f'/'p' the same inside a
 * maintenance window, 't' a tick outside a window; one step a minute.
 * Returns every notification as "<minute>:<kind>:<incident start minute>".
 */
function replay(history: string, alertPolicy: AlertPolicy = policy()) {
  let state: AlertState = initialAlertState('api', T0);
  const sent: string[] = [];
  const incidents: string[] = [];
  [...history].forEach((step, minute) => {
    const time = T0 + minute * MIN;
    const out =
      step === 't'
        ? onTick(state, time, false, alertPolicy)
        : onResult(
            state,
            {
              time,
              ok: step === 'P' || step === 'p',
              error: step === 'F' || step === 'f' ? (minute % 2 ? refused : timeout) : null,
              maintenance: step === 'f' || step === 'p',
            },
            alertPolicy,
          );
    for (const n of out.notifications) sent.push(`${minute}:${n.kind}:${(n.incident.startedAt - T0) / MIN}`);
    for (const i of out.incidents) incidents.push(`${i.endedAt === null ? 'open' : 'closed'}@${minute}`);
    if (out.notifications.length > 0 || out.incidents.length > 0) assert.ok(out.changed, `step ${minute} changed`);
    state = out.state;
  });
  return { sent, incidents, state };
}

describe('alert policy', () => {
  const cases: [string, string, string[], Partial<AlertPolicy>?][] = [
    ['passes only: nothing', 'PPPPP', []],
    ['two failures under a threshold of 3: nothing', 'PFFPP', []],
    ['three failures: one firing, at the third, for the incident that began at the first', 'PFFF', ['3:firing:1']],
    ['more failures: still one firing', 'FFFFFFF', ['2:firing:0']],
    ['recovery needs two passes in a row', 'FFFPFPP', ['2:firing:0', '6:resolved:0']],
    ['flapping around the threshold never fires', 'FFPFFPFFPFFP', []],
    ['flapping while failing never resolves', 'FFFPFPFPF', ['2:firing:0']],
    [
      'two incidents: two firings, two resolutions',
      'FFFPPFFFPP',
      ['2:firing:0', '4:resolved:0', '7:firing:5', '9:resolved:5'],
    ],
    ['sendResolved false: firing only', 'FFFPP', ['2:firing:0'], { sendResolved: false }],
    [
      'threshold 1 / 1: every edge',
      'FPFP',
      ['0:firing:0', '1:resolved:0', '2:firing:2', '3:resolved:2'],
      { failureThreshold: 1, successThreshold: 1 },
    ],
    [
      'reminder every 3 min while firing',
      'FFFFFFFFFPP',
      ['2:firing:0', '5:reminder:0', '8:reminder:0', '10:resolved:0'],
      { reminderMs: 3 * MIN },
    ],
    [
      'reminders fall due on ticks too',
      'FFFttttPP',
      ['2:firing:0', '4:reminder:0', '6:reminder:0', '8:resolved:0'],
      { reminderMs: 2 * MIN },
    ],
    ['an incident inside a maintenance window notifies nobody', 'PffffppPP', []],
    ['still open when the window ends: firing then', 'PffffFF', ['5:firing:1']],
    ['still open when the window ends, sent by a tick', 'Pfffft', ['5:firing:1']],
    [
      'resolved inside a window after firing before it: resolved when it ends',
      'FFFppt',
      ['2:firing:0', '5:resolved:0'],
    ],
    [
      'resolved in the window and a new incident opened in it: both told when it ends',
      'FFFppfffF',
      ['2:firing:0', '8:resolved:0', '8:firing:5'],
    ],
    ['a failure inside the window counts toward the threshold', 'FfF', ['2:firing:0']],
  ];
  for (const [name, history, expected, overrides] of cases) {
    it(name, () => assert.deepEqual(replay(history, policy(overrides)).sent, expected));
  }

  it('an incident holds its start, first error, failure count and end', () => {
    let state = initialAlertState('api', T0);
    const steps: [number, boolean][] = [
      [0, false],
      [1, false],
      [2, false],
      [3, false],
      [4, true],
      [5, true],
    ];
    let closed: unknown;
    for (const [minute, ok] of steps) {
      const out = onResult(
        state,
        { time: T0 + minute * MIN, ok, error: ok ? null : minute === 0 ? timeout : refused, maintenance: false },
        policy(),
      );
      for (const incident of out.incidents) if (incident.endedAt !== null) closed = incident;
      state = out.state;
    }
    assert.deepEqual(closed, {
      id: `api:${T0}`,
      check: 'api',
      startedAt: T0,
      endedAt: T0 + 5 * MIN,
      error: timeout,
      failures: 4,
    });
    assert.equal(state.status, 'ok');
    assert.equal(state.notified, null);
  });

  it('dedup keys are stable per incident and kind', () => {
    const keys: string[] = [];
    let state = initialAlertState('api', T0);
    for (const [minute, ok] of [...'FFFFFFPP'].map((c, i) => [i, c === 'P'] as const)) {
      const out = onResult(
        state,
        { time: T0 + minute * MIN, ok, error: ok ? null : timeout, maintenance: false },
        policy({ reminderMs: 2 * MIN }),
      );
      keys.push(...out.notifications.map((n) => n.key));
      state = out.state;
    }
    assert.deepEqual(keys, [`api:${T0}:firing`, `api:${T0}:reminder:1`, `api:${T0}:reminder:2`, `api:${T0}:resolved`]);
  });

  it('a reload that lowers the failure threshold mid-streak fires at the next failure', () => {
    let { state } = replay('FF', policy({ failureThreshold: 5 }));
    const out = onResult(
      state,
      { time: T0 + 2 * MIN, ok: false, error: timeout, maintenance: false },
      policy({ failureThreshold: 2 }),
    );
    assert.deepEqual(
      out.notifications.map((n) => n.kind),
      ['firing'],
    );
    assert.equal(out.incidents[0]?.startedAt, T0, 'the incident starts at the first failure of the streak');
    state = out.state;
    assert.equal(state.status, 'failing');
  });

  it('a reload that raises the success threshold mid-recovery needs the new count', () => {
    let { state } = replay('FFFP', policy({ successThreshold: 2 }));
    const strict = policy({ successThreshold: 3 });
    let out = onResult(state, { time: T0 + 4 * MIN, ok: true, error: null, maintenance: false }, strict);
    assert.deepEqual(out.notifications, []);
    state = out.state;
    out = onResult(state, { time: T0 + 5 * MIN, ok: true, error: null, maintenance: false }, strict);
    assert.deepEqual(
      out.notifications.map((n) => n.kind),
      ['resolved'],
    );
  });

  it('needsTick and nextReminderAt say when time alone matters', () => {
    const reminding = policy({ reminderMs: 5 * MIN });
    assert.equal(needsTick(replay('PP').state, reminding), false);
    const firing = replay('FFF', reminding).state;
    assert.equal(needsTick(firing, reminding), true);
    assert.equal(needsTick(firing, policy()), false, 'firing and told, no reminder: nothing to do until a result');
    assert.equal(nextReminderAt(firing, reminding), T0 + 2 * MIN + 5 * MIN);
    assert.equal(nextReminderAt(firing, policy()), null);
    assert.equal(needsTick(replay('fff').state, policy()), true, 'held back by maintenance');
    assert.equal(needsTick(replay('FFFpp').state, policy()), true, 'a resolution held back');
  });

  it('a restart rebuilds the counters from stored results and keeps the durable part', () => {
    const { state } = replay('FFFP');
    const durable = durablePart(state);
    assert.equal('consecutivePasses' in durable, false);
    const restored = restoreAlertState(durable, [
      { time: T0 + 3 * MIN, ok: true, error: null },
      { time: T0 + 2 * MIN, ok: false, error: refused },
    ]);
    assert.equal(restored.consecutivePasses, 1);
    const out = onResult(restored, { time: T0 + 4 * MIN, ok: true, error: null, maintenance: false }, policy());
    assert.deepEqual(
      out.notifications.map((n) => n.kind),
      ['resolved'],
      'the second pass after the restart resolves',
    );

    const pending = restoreAlertState(durablePart(initialAlertState('api', T0)), [
      { time: T0 + 2 * MIN, ok: false, error: refused },
      { time: T0 + MIN, ok: false, error: timeout },
      { time: T0, ok: true, error: null },
    ]);
    assert.equal(pending.consecutiveFailures, 2);
    assert.equal(pending.streakStart, T0 + MIN);
    assert.deepEqual(pending.streakError, timeout);
    const fired = onResult(pending, { time: T0 + 3 * MIN, ok: false, error: refused, maintenance: false }, policy());
    assert.deepEqual(
      fired.notifications.map((n) => [n.kind, n.incident.startedAt]),
      [['firing', T0 + MIN]],
    );
  });

  it('a failure inside the streak that is not the first does not change the incident error', () => {
    const { state } = replay('FFF');
    assert.deepEqual(state.incident?.error, timeout);
    assert.equal(state.incident?.failures, 3);
  });
});
