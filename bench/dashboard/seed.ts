// A monitor's SQLite history as if it had run CHECKS checks `every: 60s` for
// 90 days: daily rollups for 90 days and hourly ones for the last 48 hours,
// written straight into the store's tables (folding 1.3 billion results would
// take hours). The store migrates the file first, so the schema is the code's.
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { BIN_BOUNDS, binOf } from '../../packages/prober/src/domain/rollup.js';
import { openStore } from '../../packages/prober/src/store/open.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Deterministic pseudo-random numbers (mulberry32): the same history on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const checkName = (i: number) => `svc-${String(i).padStart(5, '0')}`;
export const groupName = (i: number) => `team-${String(i % 40).padStart(2, '0')}`;

/** The monitor's config: `checks` http checks of one target, in 40 groups, every 60 s spread over the minute. */
export function writeConfig(path: string, opts: { checks: number; target: string; db: string; port: number }): void {
  const lines = [
    'server:',
    '  host: 127.0.0.1',
    `  port: ${opts.port}`,
    `storage: ${JSON.stringify(opts.db)}`,
    'checks:',
  ];
  for (let i = 0; i < opts.checks; i++) {
    lines.push(
      `  - name: ${checkName(i)}`,
      `    group: ${groupName(i)}`,
      `    url: ${opts.target}?c=${i}`,
      '    every: 60s',
      // Spread over the minute, as a large monitor should be: without it all of them start on the same second.
      '    jitter: 60s',
    );
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

function histogram(rand: () => number, count: number, baseMs: number): { hist: Buffer; sumMs: number; maxMs: number } {
  const bins = new Uint32Array(BIN_BOUNDS.length);
  let sumMs = 0;
  let maxMs = 0;
  // A few samples spread over the bucket's count: the shape of a real latency distribution is not what is measured here.
  const samples = 8;
  for (let s = 0; s < samples; s++) {
    const ms = baseMs * (0.6 + rand() * 0.8) * (rand() < 0.05 ? 4 : 1);
    const share = s === samples - 1 ? count - Math.floor(count / samples) * (samples - 1) : Math.floor(count / samples);
    const bin = binOf(ms);
    bins[bin] = (bins[bin] ?? 0) + share;
    sumMs += ms * share;
    if (ms > maxMs) maxMs = ms;
  }
  return { hist: Buffer.from(bins.buffer), sumMs, maxMs };
}

/** Writes the history of `checks` checks up to `now` into the SQLite file at `path` (created and migrated). */
export async function seedHistory(path: string, checks: number, now: number): Promise<{ rows: number }> {
  const store = await openStore({ kind: 'sqlite', path });
  await store?.close();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const addCheck = db.prepare('INSERT INTO checks (name, url) VALUES (?, ?) RETURNING id');
  const addRollup = db.prepare(
    'INSERT INTO rollups (check_id, res, bucket, n, fails, degraded, sum_ms, max_ms, hist) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const today = Math.floor(now / DAY) * DAY;
  const thisHour = Math.floor(now / HOUR) * HOUR;
  let rows = 0;
  const seedOne = db.transaction((i: number) => {
    const rand = random(i + 1);
    const { id } = addCheck.get(checkName(i), `http://target/?c=${i}`) as { id: number };
    const baseMs = 2 + rand() * 40;
    // One check in 25 had a bad day or two; one in 200 is flaky every day.
    const flaky = i % 200 === 0;
    const badDay = i % 25 === 0 ? Math.floor(rand() * 90) : -1;
    for (let d = 89; d >= 0; d--) {
      const bucket = today - d * DAY;
      const count = d === 0 ? Math.max(1, Math.floor((now - today) / 60_000)) : 1440;
      const fails = flaky ? Math.floor(rand() * 30) : d === badDay ? Math.floor(rand() * 300) : 0;
      const h = histogram(rand, count, baseMs);
      addRollup.run(id, DAY, bucket, count, fails, 0, h.sumMs, h.maxMs, h.hist);
      rows++;
    }
    for (let k = 47; k >= 0; k--) {
      const bucket = thisHour - k * HOUR;
      const count = k === 0 ? Math.max(1, Math.floor((now - thisHour) / 60_000)) : 60;
      const fails = flaky ? Math.floor(rand() * 2) : 0;
      const h = histogram(rand, count, baseMs);
      addRollup.run(id, HOUR, bucket, count, fails, 0, h.sumMs, h.maxMs, h.hist);
      rows++;
    }
  });
  for (let i = 0; i < checks; i++) seedOne(i);
  db.close();
  return { rows };
}
