// Issue #14: compaction and retention must not hold the event loop. The SQLite
// store (synchronous) does both in chunks, one transaction each, with the loop
// free between them. These tests count the loop's turns during the work (no
// timing: how long a chunk takes is measured in bench:compaction) and check the
// outcome is what one pass over the same rows gives.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CheckResult } from '../../domain/result.js';
import { foldResults, RESOLUTIONS, type Resolution, type Rollup } from '../../domain/rollup.js';
import { rollupInput, type Store } from '../store.js';
import { PRUNE_CHUNK_ROWS } from './maintenance.js';
import { COMPACT_CHUNK_ROWS } from './rollups.js';
import { createSqliteStore } from './sqlite-store.js';

const T0 = Date.parse('2026-05-01T08:00:00.000Z');
const CHECKS = 200;
const MINUTES = 60;
/** One check with more results in one minute than a chunk reads: the chunk boundary falls inside it. */
const BUSY = Math.ceil(COMPACT_CHUNK_ROWS * 2.5);

/** Phases in hundredths of a ms, as stored: rollups sum them as integers, exact whatever the chunking. */
const phasesOf = (i: number) => ({
  dns: ((i * 7) % 500) / 100,
  connect: ((i * 11) % 300) / 100,
  tls: ((i * 13) % 700) / 100,
  ttfb: ((i * 17) % 9000) / 100,
  transfer: ((i * 3) % 100) / 100,
});
/** Durations in quarter milliseconds: their sums are exact, whatever order they are added in. */
function result(check: string, at: number, i: number): CheckResult {
  const durationMs = ((i * 37) % 4000) / 4;
  return {
    time: new Date(at).toISOString(),
    check,
    url: `http://${check}:3000/healthcheck`,
    status: i % 13 === 0 ? 503 : 200,
    ok: i % 13 !== 0,
    ...(i % 7 === 0 && i % 13 !== 0 ? { degraded: true } : {}),
    durationMs,
    phases: { ...phasesOf(i), total: durationMs },
  };
}

/** 200 checks every 30 s for an hour, and one check every 10 ms during a minute: 29,000 results. */
function backlog(): CheckResult[] {
  const out: CheckResult[] = [];
  let i = 0;
  for (let m = 0; m < MINUTES; m++) {
    for (let c = 0; c < CHECKS; c++) {
      for (const s of [0, 30_000]) out.push(result(`c${c}`, T0 + m * 60_000 + s + c, i++));
    }
  }
  for (let k = 0; k < BUSY; k++) out.push(result('busy', T0 + 5 * 60_000 + k * 10, i++));
  return out;
}

const key = (check: string, resolution: Resolution, bucket: number) => `${check}|${resolution}|${bucket}`;

/** What one pass over these results folds, as rows keyed check|resolution|bucket. */
function onePass(results: readonly CheckResult[]): Map<string, Rollup> {
  const out = new Map<string, Rollup>();
  for (const d of foldResults(results.map(rollupInput)).values())
    out.set(key(d.check, d.resolution, d.bucket), d.rollup);
  return out;
}

async function stored(store: Store): Promise<Map<string, Rollup>> {
  const out = new Map<string, Rollup>();
  for (const resolution of Object.keys(RESOLUTIONS) as Resolution[]) {
    for (const row of await store.rollups(null, resolution, 0, T0 + 10 * 86_400_000)) {
      out.set(key(row.check, resolution, row.bucket), row.rollup);
    }
  }
  return out;
}

/** Counts the event loop's turns (setImmediate callbacks) until stopped. */
function turnCounter(onTurn: (turn: number) => void = () => {}) {
  let turns = 0;
  let running = true;
  const tick = () => {
    if (!running) return;
    turns += 1;
    onTurn(turns);
    setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop() {
      running = false;
      return turns;
    },
  };
}

async function writeAll(store: Store, results: readonly CheckResult[]) {
  for (let i = 0; i < results.length; i += 5_000) await store.write(results.slice(i, i + 5_000));
}

describe('SQLite compaction and retention in chunks', () => {
  let dir: string;
  let n = 0;
  const path = () => join(dir, `lifeline-${++n}.db`);
  const all = backlog();
  const now = T0 + (MINUTES + 1) * 60_000;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lifeline-chunked-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('compacts a large backlog with the event loop turning between chunks, into the rollups one pass folds', async () => {
    const store = createSqliteStore(path());
    try {
      await store.migrate();
      await writeAll(store, all);
      const counter = turnCounter();
      const folded = await store.compact(now);
      const turns = counter.stop();
      assert.equal(folded, all.length);
      // A chunk reads at most COMPACT_CHUNK_ROWS raw rows, and the loop turns between two chunks.
      const chunks = Math.ceil(all.length / COMPACT_CHUNK_ROWS);
      assert.ok(turns >= chunks - 1, `${turns} turns of the event loop during ${chunks} or more chunks`);
      assert.deepEqual(await stored(store), onePass(all));
      assert.equal(await store.compact(now), 0, 'nothing twice');
    } finally {
      await store.close();
    }
  });

  it('goes on after a stop between chunks (what a crash leaves on disk), folding each result once, late ones included', async () => {
    const file = path();
    let store = createSqliteStore(file);
    const late = [result('c0', T0 + 3 * 60_000 + 7, 1), result(`c${CHECKS - 1}`, T0 + 3 * 60_000 + 7, 2)];
    let first: number;
    try {
      await store.migrate();
      await writeAll(store, all);
      const writes: Promise<unknown>[] = [];
      let closed: Promise<void> | undefined;
      const counter = turnCounter((turn) => {
        // Between chunks: a late result of a check the pass has done (folded by the write at
        // once) and of one it has not reached (folded by the pass); then the process stops.
        if (turn === 2) writes.push(store.write(late));
        if (turn === 4) closed = store.close();
      });
      first = await store.compact(now);
      counter.stop();
      await Promise.all(writes);
      await closed;
      assert.ok(first > 0 && first < all.length, `the first run folded ${first} of ${all.length} before the stop`);
    } finally {
      await store.close();
    }
    store = createSqliteStore(file);
    // After the restart, before compaction goes on: a late result of a check the pass had done.
    const lateAfter = [result('c1', T0 + 4 * 60_000 + 9, 3)];
    try {
      await store.migrate();
      await store.write(lateAfter);
      const rest = await store.compact(now);
      // The late results of checks already done were folded by their writes, not by compaction.
      assert.equal(first + rest, all.length + 1);
      assert.deepEqual(await stored(store), onePass([...all, ...late, ...lateAfter]));
      assert.equal(await store.compact(now + 60_000), 0);
    } finally {
      await store.close();
    }
  });

  it('prunes a large backlog with the event loop turning between chunks, and deletes exactly what is past retention', async () => {
    const store = createSqliteStore(path());
    try {
      await store.migrate();
      await writeAll(store, all);
      await store.compact(now);
      const rollups = await stored(store);
      const at = now + 7 * 86_400_000;
      const cut = T0 + 30 * 60_000; // raw rows and minute rollups of the first 30 minutes go
      const counter = turnCounter();
      const counts = await store.prune(at, { rawMs: at - cut, minuteMs: at - cut, hourMs: null, dayMs: null });
      const turns = counter.stop();
      const raw = all.filter((r) => Date.parse(r.time) < cut).length;
      const minutes = [...rollups.keys()].filter((k) => k.includes('|minute|') && Number(k.split('|')[2]) < cut);
      assert.deepEqual(counts, { raw, minute: minutes.length, hour: 0, day: 0, notifications: 0 });
      const chunks = Math.ceil((raw + minutes.length) / PRUNE_CHUNK_ROWS);
      assert.ok(turns >= chunks, `${turns} turns of the event loop during ${chunks} or more chunks`);
      for (const k of minutes) rollups.delete(k);
      assert.deepEqual(await stored(store), rollups);
      const left = await store.results('busy', { limit: 100_000 });
      assert.equal(left.length, 0, 'the busy minute was before the cut');
      const kept = await store.results('c7', { limit: 100_000 });
      assert.equal(kept.length, 2 * (MINUTES - 30));
      assert.deepEqual(await store.prune(at, { rawMs: at - cut, minuteMs: at - cut, hourMs: null, dayMs: null }), {
        raw: 0,
        minute: 0,
        hour: 0,
        day: 0,
        notifications: 0,
      });
    } finally {
      await store.close();
    }
  });
});
