import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckResult } from '../domain/result.js';
import { NO_PHASES } from '../domain/result.js';
import { FakeClock } from '../testing/fake-clock.js';
import { captureLogger } from '../testing/log.js';
import { createPeerResults } from './peer-results.js';

const T = Date.parse('2026-11-27T08:00:00.000Z');
const result = (check: string, at: number, ok = true): CheckResult => ({
  time: new Date(at).toISOString(),
  check,
  url: `http://${check}`,
  status: ok ? 200 : 503,
  ok,
  durationMs: 1,
  phases: NO_PHASES,
});

function setup(stored: (since: number) => Promise<ReadonlyMap<string, CheckResult>>, owned = new Set(['mine'])) {
  const clock = new FakeClock(T);
  const known = new Map<string, CheckResult>([['theirs', result('theirs', T - 5_000)]]);
  const passed: CheckResult[] = [];
  const { logger, lines } = captureLogger();
  const peers = createPeerResults({
    read: stored,
    owns: (check) => owned.has(check),
    known: (check) => known.get(check),
    configured: (check) => check !== 'removed',
    onResult: (r) => {
      passed.push(r);
      known.set(r.check, r);
    },
    everyMs: 5_000,
    marginMs: () => 7_000,
    logger,
    clock,
  });
  return { clock, peers, passed, lines, known };
}

describe('results of checks other members run', () => {
  it('passes on newer stored results of checks this member does not run, every period', async () => {
    let stored = new Map([
      ['theirs', result('theirs', T - 1_000, false)],
      ['mine', result('mine', T)],
      ['removed', result('removed', T)],
      ['new', result('new', T - 2_000)],
    ]);
    const asked: number[] = [];
    const t = setup(async (since) => {
      asked.push(since);
      return new Map([...stored].filter(([, r]) => Date.parse(r.time) >= since));
    });
    t.peers.start();
    await t.clock.advance(4_999);
    assert.equal(t.passed.length, 0, 'nothing before the first period');
    await t.clock.advance(1);
    assert.deepEqual(
      t.passed.map((r) => [r.check, r.ok]),
      [
        ['theirs', false],
        ['new', true],
      ],
      'not its own checks (they reach it directly), not removed ones',
    );
    // The same stored results again: nothing new. A newer one: passed on.
    await t.clock.advance(5_000);
    assert.equal(t.passed.length, 2);
    stored = new Map([['theirs', result('theirs', T + 7_000)]]);
    await t.clock.advance(5_000);
    assert.deepEqual(
      t.passed.map((r) => r.time),
      [new Date(T - 1_000).toISOString(), new Date(T - 2_000).toISOString(), new Date(T + 7_000).toISOString()],
    );
    // An older stored result never replaces a newer known one.
    t.known.set('theirs', result('theirs', T + 60_000));
    await t.clock.advance(5_000);
    assert.equal(t.passed.length, 3);
    assert.deepEqual(asked, [0, T - 7_000, T - 7_000, T], 'each read goes back the margin before the newest seen');
    await t.peers.stop();
  });

  it('logs a failing read once, keeps going, and says when it works again', async () => {
    let fail = true;
    const t = setup(async () => {
      if (fail) throw new Error('connection terminated');
      return new Map([['theirs', result('theirs', T)]]);
    });
    t.peers.start();
    await t.clock.advance(15_000);
    assert.equal(t.lines.filter((l) => String(l.msg).includes('failed')).length, 1);
    fail = false;
    await t.clock.advance(5_000);
    assert.equal(t.passed.length, 1);
    assert.equal(t.lines.filter((l) => String(l.msg).includes('works again')).length, 1);
    await t.peers.stop();
  });

  it('runs one read at a time; stop() does not wait for it, applies nothing of it and arms nothing more', async () => {
    let release: (() => void) | undefined;
    let reads = 0;
    const t = setup(
      () =>
        new Promise((resolve) => {
          reads += 1;
          release = () => resolve(new Map([['theirs', result('theirs', T)]]));
        }),
    );
    t.peers.start();
    await t.clock.advance(5_000);
    const a = t.peers.refresh();
    const b = t.peers.refresh();
    assert.equal(reads, 1, 'a read in flight is shared');
    await t.peers.stop();
    release?.();
    await Promise.all([a, b]);
    assert.deepEqual(t.passed, [], 'a read that ends after stop() applies nothing');
    await t.clock.advance(60_000);
    assert.equal(reads, 1, 'no read after stop');
  });
});
