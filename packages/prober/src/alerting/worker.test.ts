import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { ChannelConfig } from '../config/resolved.js';
import type { NotificationPayload } from '../domain/alerts.js';
import type { AlertStore, NewOutboxEntry } from '../store/store.js';
import type { Channel, DeliveryOutcome } from './channel.js';
import { createMemoryAlertStore } from './memory-store.js';
import { backoffMs, type ConfiguredChannel, createDeliveryWorker, MAX_BACKOFF_MS, type WorkerDeps } from './worker.js';

const T0 = Date.parse('2026-11-27T08:00:00.000Z');
const silent = pino({ level: 'silent' });

const config = (overrides: Partial<ChannelConfig> = {}): ChannelConfig =>
  ({
    name: 'hook',
    type: 'webhook',
    url: 'http://receiver.test/hook',
    headers: {},
    timeoutMs: 1_000,
    concurrency: 2,
    maxAttempts: 3,
    secrets: [],
    displayUrl: 'http://receiver.test/hook',
    ...overrides,
  }) as ChannelConfig;

function entry(n: number, channel = 'hook'): NewOutboxEntry {
  const incident = { id: `api:${T0 + n}`, check: 'api', startedAt: T0 + n, endedAt: null, error: null, failures: 3 };
  const payload: NotificationPayload = {
    kind: 'firing',
    key: `${incident.id}:firing`,
    check: { name: 'api', url: 'http://api:3000/healthcheck', labels: {}, severity: 'critical' },
    incident,
    createdAt: T0 + n,
  };
  return {
    id: `${payload.key}@${channel}`,
    key: payload.key,
    channel,
    check: 'api',
    kind: 'firing',
    incidentId: incident.id,
    payload,
    createdAt: T0 + n,
    nextAttemptAt: T0,
  };
}

/** A channel that answers from a script and reports every call; sends wait until released when `hold` is set. */
function scriptedChannel(answers: DeliveryOutcome[], hold = false) {
  const events = new EventEmitter();
  const calls: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const releases: (() => void)[] = [];
  const channel: Channel = {
    name: 'hook',
    type: 'webhook',
    async send(payload, signal) {
      calls.push(payload.key);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      events.emit('call', payload.key);
      if (hold)
        await new Promise<void>((resolve) => {
          releases.push(resolve);
          signal?.addEventListener('abort', () => resolve(), { once: true });
        });
      inFlight -= 1;
      if (signal?.aborted) return { ok: false, message: 'aborted', retryable: true };
      return answers.shift() ?? { ok: true, status: 200, message: 'ok', retryable: false };
    },
  };
  return { channel, events, calls, releases, maxInFlight: () => maxInFlight };
}

async function setup(
  channel: Channel,
  overrides: Partial<ChannelConfig> = {},
  store: AlertStore = createMemoryAlertStore(),
  extra: Partial<WorkerDeps> = {},
) {
  let now = T0;
  const outcomes: string[] = [];
  const recorded = new EventEmitter();
  const channels = new Map<string, ConfiguredChannel>([['hook', { config: config(overrides), channel }]]);
  const worker = createDeliveryWorker({
    store,
    logger: silent,
    channels: () => channels,
    firing: () => [],
    onOutcome: (_channel, outcome) => {
      outcomes.push(outcome);
      recorded.emit('outcome', outcome);
    },
    now: () => now,
    random: () => 0.5,
    pollMs: 60_000,
    ...extra,
  });
  return {
    store,
    worker,
    outcomes,
    recorded,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('delivery worker', () => {
  it('backs off exponentially from 1 s with jitter, capped, and honours Retry-After', () => {
    assert.equal(backoffMs(1, 0), 500);
    assert.equal(backoffMs(1, 0.999), 1_000);
    assert.equal(backoffMs(4, 0.5), 6_000);
    assert.equal(backoffMs(30, 1), MAX_BACKOFF_MS);
    assert.equal(backoffMs(1, 0, 20_000), 20_000);
  });

  it('retries a retryable failure after its backoff and records the tries', async () => {
    const script = scriptedChannel([{ ok: false, status: 500, message: 'HTTP 500', retryable: true }]);
    const t = await setup(script.channel);
    await t.store.recordAlerts([{ state: stateOf(), incidents: [], notifications: [entry(1)] }]);
    t.worker.start();
    assert.equal(await onceOutcome(t), 'retry');
    let [stored] = await t.store.notifications({ limit: 10 });
    assert.equal(stored?.status, 'pending');
    assert.equal(stored?.attempts, 1);
    assert.equal(stored?.lastError, 'HTTP 500');
    assert.equal(stored?.nextAttemptAt, T0 + 750, 'first backoff: 1 s with jitter 0.5 -> 750 ms');
    t.worker.wake();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(script.calls.length, 1, 'not before its backoff');
    t.advance(750);
    t.worker.wake();
    assert.equal(await onceOutcome(t), 'delivered');
    [stored] = await t.store.notifications({ limit: 10 });
    assert.equal(stored?.status, 'delivered');
    assert.equal(stored?.attempts, 2);
    await t.worker.stop(1_000);
  });

  it('gives up after maxAttempts into a dead letter, and at once on a permanent refusal', async () => {
    const failing = { ok: false, status: 503, message: 'HTTP 503', retryable: true };
    const script = scriptedChannel([
      failing,
      failing,
      failing,
      { ok: false, status: 400, message: 'HTTP 400', retryable: false },
    ]);
    const t = await setup(script.channel, { maxAttempts: 3 });
    await t.store.recordAlerts([{ state: stateOf(), incidents: [], notifications: [entry(1)] }]);
    t.worker.start();
    for (let i = 0; i < 3; i++) {
      await onceOutcome(t);
      t.advance(MAX_BACKOFF_MS);
      t.worker.wake();
    }
    assert.deepEqual(t.outcomes, ['retry', 'retry', 'dead']);
    const [dead] = await t.store.notifications({ status: 'dead', limit: 10 });
    assert.equal(dead?.attempts, 3);
    await t.store.recordAlerts([{ state: stateOf(), incidents: [], notifications: [entry(2)] }]);
    t.worker.wake();
    assert.equal(await onceOutcome(t), 'dead', 'a 400 is not retried');
    assert.deepEqual((await t.store.outboxCounts()).get('hook'), { pending: 0, dead: 2 });
    await t.worker.stop(1_000);
  });

  it('keeps at most `concurrency` sends in flight per channel, and sends everything', async () => {
    const script = scriptedChannel([], true);
    const t = await setup(script.channel, { concurrency: 2 });
    await t.store.recordAlerts([
      { state: stateOf(), incidents: [], notifications: [1, 2, 3, 4, 5].map((n) => entry(n)) },
    ]);
    t.worker.start();
    await once(script.events, 'call');
    await new Promise((resolve) => setImmediate(resolve));
    while (script.calls.length < 5) {
      const release = script.releases.shift();
      release?.();
      await once(t.recorded, 'outcome');
    }
    for (const release of script.releases.splice(0)) release();
    while (t.outcomes.length < 5) await once(t.recorded, 'outcome');
    assert.equal(script.maxInFlight(), 2);
    assert.deepEqual(
      script.calls,
      [1, 2, 3, 4, 5].map((n) => `api:${T0 + n}:firing`),
      'oldest first',
    );
    await t.worker.stop(1_000);
  });

  it('sends more than 10 at once on its one abort signal without a MaxListenersExceededWarning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    const script = scriptedChannel([], true);
    const t = await setup(script.channel, { concurrency: 12 });
    try {
      const entries = Array.from({ length: 12 }, (_, n) => entry(n));
      await t.store.recordAlerts([{ state: stateOf(), incidents: [], notifications: entries }]);
      t.worker.start();
      while (script.calls.length < 12) await once(script.events, 'call');
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a later tick
      assert.equal(script.maxInFlight(), 12);
      assert.deepEqual(warnings, []);
      for (const release of script.releases.splice(0)) release();
      while (t.outcomes.length < 12) await once(t.recorded, 'outcome');
    } finally {
      await t.worker.stop(1_000);
      process.off('warning', onWarning);
    }
  });

  it('a send cut short by stop() is left claimed and sent again after its lease by the next worker', async () => {
    const store = createMemoryAlertStore();
    const held = scriptedChannel([], true);
    const first = await setup(held.channel, {}, store);
    await store.recordAlerts([{ state: stateOf(), incidents: [], notifications: [entry(1)] }]);
    first.worker.start();
    await once(held.events, 'call');
    await first.worker.stop(1_000); // the process "dies" mid-send
    assert.equal((await store.notifications({ limit: 1 }))[0]?.status, 'pending');

    const next = scriptedChannel([]);
    const second = await setup(next.channel, {}, store);
    second.worker.start();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(next.calls.length, 0, 'still leased to the first worker');
    second.advance(1_000 + 10_000); // the channel timeout + the lease margin
    second.worker.wake();
    assert.equal(await onceOutcome(second), 'delivered');
    assert.deepEqual(next.calls, [`api:${T0 + 1}:firing`], 'the same key: receivers can drop the repeat');
    await second.worker.stop(1_000);
  });
});

function stateOf() {
  return {
    check: 'api',
    status: 'failing' as const,
    incident: null,
    notified: null,
    notifiedAt: null,
    reminders: 0,
    updatedAt: T0,
  };
}

async function onceOutcome(t: { recorded: EventEmitter }): Promise<string> {
  const [outcome] = (await once(t.recorded, 'outcome')) as [string];
  return outcome;
}

describe('delivery worker: a receiver that answers again', () => {
  it("brings the channel's waiting retries forward at once", async () => {
    const failing = { ok: false, status: 503, message: 'HTTP 503', retryable: true };
    // Tries 1-3 (each notification once) fail, then 1 and 2 fail again, then 3 is delivered.
    const script = scriptedChannel([failing, failing, failing, failing, failing]);
    const t = await setup(script.channel, { concurrency: 1, maxAttempts: 10 });
    await t.store.recordAlerts([{ state: stateOf(), incidents: [], notifications: [1, 2, 3].map((n) => entry(n)) }]);
    t.worker.start();
    for (let i = 0; i < 3; i++) {
      assert.equal(await onceOutcome(t), 'retry');
      t.worker.wake();
    }
    t.advance(750); // the first backoff of all three
    t.worker.wake();
    assert.equal(await onceOutcome(t), 'retry');
    assert.equal(await onceOutcome(t), 'retry'); // 1 and 2 now wait 1.5 s more
    assert.equal(await onceOutcome(t), 'delivered'); // 3 gets through: the receiver is back
    // Without the clock moving, 1 and 2 are sent now rather than in 1.5 s.
    assert.equal(await outcomeWithin(t, 10_000), 'delivered');
    assert.equal(await outcomeWithin(t, 10_000), 'delivered');
    assert.deepEqual(script.calls.slice(-2).sort(), [`api:${T0 + 1}:firing`, `api:${T0 + 2}:firing`]);
    await t.worker.stop(1_000);
  });
});

/** The next outcome, or a failed test (not a hung one) after ms. */
async function outcomeWithin(t: { recorded: EventEmitter }, ms: number): Promise<string> {
  const timer = setTimeout(() => t.recorded.emit('error', new Error(`no delivery outcome within ${ms} ms`)), ms);
  try {
    return await onceOutcome(t);
  } finally {
    clearTimeout(timer);
  }
}

describe('delivery worker: cluster leases', () => {
  /** A logger whose lines are events a test can await. */
  function listening() {
    const lines = new EventEmitter();
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.emit('line', JSON.parse(line).msg) });
    /** The next line containing `part`, or a failed test (not a hung one) after ms. */
    const line = async (part: string, ms = 10_000) => {
      const timer = setTimeout(() => lines.emit('error', new Error(`no log line with "${part}" within ${ms} ms`)), ms);
      try {
        for (;;) {
          const [msg] = (await once(lines, 'line')) as [string];
          if (msg.includes(part)) return msg;
        }
      } finally {
        clearTimeout(timer);
      }
    };
    return { logger, line };
  }

  it('claims nothing and sends nothing while this member holds no lease; sends once it does', async () => {
    const inner = createMemoryAlertStore();
    let claims = 0;
    const store: AlertStore = {
      ...inner,
      async claimNotifications(...args) {
        claims += 1;
        return inner.claimNotifications(...args);
      },
    };
    let valid = false;
    const script = scriptedChannel([]);
    const t = await setup(script.channel, {}, store, { leaseValid: () => valid });
    await store.recordAlerts([{ state: stateOf(), incidents: [], notifications: [entry(1)] }]);
    t.worker.start();
    t.worker.wake();
    await new Promise((resolve) => setImmediate(resolve)); // the woken poll has run
    assert.equal(claims, 0, 'no claim without a lease');
    assert.deepEqual(script.calls, []);
    valid = true;
    t.worker.wake();
    assert.equal(await outcomeWithin(t, 10_000), 'delivered');
    assert.ok(claims > 0, 'claimed once the lease holds');
    await t.worker.stop(1_000);
  });

  it('does not start a send when the cluster lease ended while claiming; the entry is sent after its claim lease', async () => {
    const inner = createMemoryAlertStore();
    let valid = true;
    const store: AlertStore = {
      ...inner,
      async claimNotifications(...args) {
        const claimed = await inner.claimNotifications(...args);
        valid = false; // the lease lapsed while the claim was on its way
        return claimed;
      },
    };
    const { logger, line } = listening();
    const script = scriptedChannel([]);
    const t = await setup(script.channel, {}, store, { leaseValid: () => valid, logger });
    await store.recordAlerts([{ state: stateOf(), incidents: [], notifications: [entry(1)] }]);
    const skipped = line('not sent');
    t.worker.start();
    await skipped;
    assert.deepEqual(script.calls, [], 'no send started');
    const [waiting] = await inner.notifications({ limit: 1 });
    assert.equal(waiting?.status, 'pending');
    assert.equal(waiting?.attempts, 0, 'no try recorded: it was never sent');
    await t.worker.stop(1_000);
  });

  it("does not start a send whose claim's lease passed before it could start; it is claimed again after", async () => {
    const inner = createMemoryAlertStore();
    let slow = true;
    let clock: { advance(ms: number): void } | undefined;
    const store: AlertStore = {
      ...inner,
      async claimNotifications(...args) {
        const claimed = await inner.claimNotifications(...args);
        if (slow) clock?.advance(1_000 + 10_000); // the claim took as long as its lease (timeout + margin)
        slow = false;
        return claimed;
      },
    };
    const { logger, line } = listening();
    const script = scriptedChannel([]);
    const t = await setup(script.channel, {}, store, { logger });
    clock = t;
    await store.recordAlerts([{ state: stateOf(), incidents: [], notifications: [entry(1)] }]);
    const skipped = line('not sent');
    t.worker.start();
    await skipped;
    assert.deepEqual(script.calls, [], 'no send started after the lease');
    assert.equal((await inner.notifications({ limit: 1 }))[0]?.attempts, 0);
    t.worker.wake(); // the clock is at the claim's lease now: it is due again
    assert.equal(await outcomeWithin(t, 10_000), 'delivered');
    assert.deepEqual(script.calls, [`api:${T0 + 1}:firing`]);
    await t.worker.stop(1_000);
  });
});
