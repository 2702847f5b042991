// One measurement of bench:compaction in a process of its own: argv[2] is JSON
// { src, backend, op, checks, rounds, dir }. `src` is a prober source tree
// (packages/prober/src of this or another build); the store is created from it.
// Prints one JSON line: per round the longest stretch without an event loop
// turn (ms), the turns, the duration (ms) and the rows the operation handled.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { CheckResult } from '../../packages/prober/src/domain/result.js';
import type { Store } from '../../packages/prober/src/store/store.js';

interface Args {
  src: string;
  backend: 'sqlite' | 'postgres';
  op: 'compact' | 'prune';
  checks: number;
  rounds: number;
  dir: string;
  pgUrl: string;
}
const args = JSON.parse(process.argv[2] as string) as Args;

const MINUTE = 60_000;
/** A minute boundary well in the past, so retention arithmetic stays simple. */
const T0 = Math.floor(Date.parse('2026-05-01T08:00:00.000Z') / MINUTE) * MINUTE;
const phases = { dns: 0.1, connect: 0.2, tls: 0, ttfb: 1.5, transfer: 0.2, total: 2 };

/** One run of every check in the minute starting at `minute` (push checks every 60 s: one result each). */
function minuteOf(minute: number): CheckResult[] {
  const out: CheckResult[] = [];
  for (let c = 0; c < args.checks; c++) {
    const at = minute + ((c * 7) % 59_000);
    out.push({
      time: new Date(at).toISOString(),
      check: `push-${c}`,
      url: `push://push-${c}`,
      status: null,
      ok: c % 50 !== 0,
      durationMs: 1 + (c % 300) / 4,
      phases,
    });
  }
  return out;
}

async function writeMinute(store: Store, minute: number) {
  const results = minuteOf(minute);
  for (let i = 0; i < results.length; i += 5_000) await store.write(results.slice(i, i + 5_000));
}

/** The longest stretch (ms) between two turns of the event loop while `work` runs, and the turns. */
async function measure(work: () => Promise<number>) {
  let last = performance.now();
  let longest = 0;
  let turns = 0;
  let running = true;
  const tick = () => {
    const t = performance.now();
    longest = Math.max(longest, t - last);
    last = t;
    if (!running) return;
    turns += 1;
    setImmediate(tick);
  };
  setImmediate(tick);
  const start = performance.now();
  const rows = await work();
  const ms = performance.now() - start;
  running = false;
  longest = Math.max(longest, performance.now() - last);
  return { longestMs: longest, turns, ms, rows };
}

async function open(): Promise<Store> {
  const url = (p: string) => pathToFileURL(join(args.src, p)).href;
  if (args.backend === 'sqlite') {
    const { createSqliteStore } = (await import(
      url('store/sqlite/sqlite-store.ts')
    )) as typeof import('../../packages/prober/src/store/sqlite/sqlite-store.js');
    return createSqliteStore(join(args.dir, 'lifeline.db'));
  }
  const { createPostgresStore } = (await import(
    url('store/postgres/postgres-store.ts')
  )) as typeof import('../../packages/prober/src/store/postgres/postgres-store.js');
  return createPostgresStore({ url: args.pgUrl, schema: `bench_compaction_${process.pid}` });
}

const store = await open();
const rounds = [];
try {
  await store.migrate();
  if (args.op === 'compact') {
    // Steady state: the hour and day rows exist (a minute compacted before), then
    // each round compacts the next minute, as the monitor does every 30 s.
    await writeMinute(store, T0);
    await store.compact(T0 + MINUTE);
    for (let r = 1; r <= args.rounds; r++) {
      await writeMinute(store, T0 + r * MINUTE);
      rounds.push(await measure(() => store.compact(T0 + (r + 1) * MINUTE)));
    }
  } else {
    // Retention every 10 minutes deletes ten minutes of raw rows (and their minute rollups).
    const retention = { rawMs: 10 * MINUTE, minuteMs: 10 * MINUTE, hourMs: null, dayMs: null };
    for (let r = 1; r <= args.rounds; r++) {
      const from = (r - 1) * 10;
      for (let m = from; m < from + 10; m++) await writeMinute(store, T0 + m * MINUTE);
      await store.compact(T0 + (from + 10) * MINUTE);
      rounds.push(
        await measure(async () => {
          const c = await store.prune(T0 + (from + 20) * MINUTE, retention);
          return c.raw + c.minute;
        }),
      );
    }
  }
} finally {
  if (args.backend === 'postgres') {
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: args.pgUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS bench_compaction_${process.pid} CASCADE`);
    await client.end();
  }
  await store.close();
}
process.stdout.write(`${JSON.stringify(rounds)}\n`);
