// (c) SQLite store: batched write throughput, 30-day uptime for 1,000 checks
// from rollups, and bytes per stored raw result.
//   node --import tsx bench/prober/storage.ts
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import type { CheckResult } from '../../packages/prober/src/domain/result.js';
import { createSqliteStore } from '../../packages/prober/src/store/sqlite/sqlite-store.js';

const DAY = 86_400_000;
const phases = { dns: 0.41, connect: 0.22, tls: 0, ttfb: 1.87, transfer: 0.11, total: 2.61 };

function result(check: number, at: number, ok = true): CheckResult {
  return {
    time: new Date(at).toISOString(),
    check: `check-${check}`,
    url: `http://svc-${check}.default.svc.cluster.local:8080/healthcheck`,
    status: ok ? 200 : 503,
    ok,
    durationMs: 2.61 + (check % 7) * 0.37,
    phases,
    scheduledAt: new Date(at - 3).toISOString(),
    ...(ok ? {} : { error: { code: 'http_status' as const, message: 'status 503 is not in 200-399' } }),
  };
}

export async function storageBench() {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-store-'));

  // Write throughput: 200k results from 1,000 checks, in batches of 1,000 (the batch writer's size).
  const path = join(dir, 'write.db');
  const store = createSqliteStore(path);
  await store.migrate();
  const N = 200_000;
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const batches: CheckResult[][] = [];
  for (let i = 0; i < N; i += 1000)
    batches.push(Array.from({ length: 1000 }, (_, j) => result(j, t0 + (i / 1000) * 1000, (i + j) % 997 !== 0)));
  const w0 = performance.now();
  for (const batch of batches) await store.write(batch);
  const writeSeconds = (performance.now() - w0) / 1000;
  // Rollups are folded from raw rows by the compaction task: its cost belongs to the same results.
  const c0 = performance.now();
  await store.compact(t0 + N + 120_000);
  const compactSeconds = (performance.now() - c0) / 1000;
  await store.close();

  // Bytes per raw result: the database after a WAL checkpoint, divided by the results it holds;
  // the raw table alone from SQLite's own page accounting where dbstat is available.
  const db = new Database(path);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('VACUUM');
  const fileBytes = statSync(path).size;
  let rawTableBytes: number | undefined;
  try {
    rawTableBytes = (db.prepare("SELECT sum(pgsize) AS b FROM dbstat WHERE name = 'results'").get() as { b: number }).b;
  } catch {
    rawTableBytes = undefined;
  }
  db.close();

  // 30-day uptime for 1,000 checks from rollups: seed 30 days of hourly runs (720k results), then time the query.
  const upPath = join(dir, 'uptime.db');
  const up = createSqliteStore(upPath);
  await up.migrate();
  const end = Date.parse('2026-06-30T00:00:00Z');
  for (let t = end - 30 * DAY; t < end; t += 3_600_000) {
    await up.write(Array.from({ length: 1000 }, (_, j) => result(j, t, (t / 3_600_000 + j) % 50 !== 0)));
  }
  await up.compact(end);
  // What GET /api/v1/checks does for 30 d: per-check totals from daily rollups, never raw rows.
  const timings: number[] = [];
  let checks = 0;
  let meanUptime = 0;
  for (let i = 0; i < 7; i++) {
    const q0 = performance.now();
    const totals = await up.totals('day', end - 30 * DAY, end);
    const uptimes = [...totals.values()].map((x) => (x.count - x.failures) / x.count);
    timings.push(performance.now() - q0);
    checks = uptimes.length;
    meanUptime = uptimes.reduce((a, b) => a + b, 0) / uptimes.length;
  }
  await up.close();
  timings.sort((a, b) => a - b);
  return {
    writesPerSecond: N / writeSeconds,
    writeAndCompactPerSecond: N / (writeSeconds + compactSeconds),
    bytesPerResultFile: fileBytes / N,
    bytesPerResultRawTable: rawTableBytes === undefined ? undefined : rawTableBytes / N,
    uptimeQueryMs: timings[Math.floor(timings.length / 2)] as number,
    uptimeChecks: checks,
    meanUptime,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await storageBench());
}
