import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { ChannelConfig } from '../config/resolved.js';
import type { NotificationPayload } from '../domain/alerts.js';
import type { AlertStore, NewOutboxEntry } from '../store/store.js';
import type { Channel, DeliveryOutcome } from './channel.js';
import { createMemoryAlertStore } from './memory-store.js';
import { backoffMs, type ConfiguredChannel, createDeliveryWorker, MAX_BACKOFF_MS } from './worker.js';

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
