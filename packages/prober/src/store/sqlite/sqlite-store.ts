import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { RetentionConfig } from '../../config/resolved.js';
import type { CheckResult } from '../../domain/result.js';
import { foldResults, mergeRollups, RESOLUTIONS, type Resolution, type Rollup } from '../../domain/rollup.js';
import { cutoffs, decode, encode, type PruneCounts, type RawRow, type RollupRow, type Store } from '../store.js';
import { SQLITE_MIGRATIONS } from './migrations.js';

interface RollupRecord {
  n: number;
  fails: number;
  degraded: number;
  sum_ms: number;
  max_ms: number;
  hist: string;
}

const toRollup = (r: RollupRecord): Rollup => ({
  count: r.n,
  failures: r.fails,
  degraded: r.degraded,
  sumMs: r.sum_ms,
  maxMs: r.max_ms,
  histogram: JSON.parse(r.hist) as number[],
});

/**
 * The embedded default: one file, WAL mode, no server to run. better-sqlite3
 * is synchronous; every call here is short (a prepared statement or one
 * transaction), so it does not hold the event loop for long.
 */
export function createSqliteStore(path: string): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');

  let ready = false;
  const ids = new Map<string, number>();
  const urls = new Map<number, { name: string; url: string }>();
  let stmts: ReturnType<typeof prepare>;

  function prepare() {
    return {
      upsertCheck: db.prepare(
        'INSERT INTO checks (name, url) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET url = excluded.url RETURNING id',
      ),
      insert: db.prepare(
        'INSERT OR IGNORE INTO results (check_id, t, lag, ok, status, dur, dns, conn, tls, ttfb, xfer, attempts, err, detail) VALUES (@check_id, @t, @lag, @ok, @status, @dur, @dns, @conn, @tls, @ttfb, @xfer, @attempts, @err, @detail)',
      ),
      getRollup: db.prepare(
        'SELECT n, fails, degraded, sum_ms, max_ms, hist FROM rollups WHERE res = ? AND check_id = ? AND bucket = ?',
      ),
      putRollup: db.prepare(
        'INSERT OR REPLACE INTO rollups (check_id, res, bucket, n, fails, degraded, sum_ms, max_ms, hist) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      results: db.prepare('SELECT * FROM results WHERE check_id = ? AND t >= ? AND t < ? ORDER BY t DESC LIMIT ?'),
      latest: db.prepare('SELECT * FROM results WHERE check_id = ? ORDER BY t DESC LIMIT 1'),
      rollupsOne: db.prepare(
        'SELECT check_id, bucket, n, fails, degraded, sum_ms, max_ms, hist FROM rollups WHERE res = ? AND check_id = ? AND bucket >= ? AND bucket < ? ORDER BY bucket',
      ),
      rollupsAll: db.prepare(
        'SELECT check_id, bucket, n, fails, degraded, sum_ms, max_ms, hist FROM rollups WHERE res = ? AND bucket >= ? AND bucket < ? ORDER BY bucket',
      ),
      lastScheduled: db.prepare(
        'SELECT t - lag AS s FROM results WHERE check_id = ? AND lag IS NOT NULL ORDER BY t DESC LIMIT 1',
      ),
    };
  }

  function loadChecks() {
    for (const row of db.prepare('SELECT id, name, url FROM checks').all() as {
      id: number;
      name: string;
      url: string;
    }[]) {
      ids.set(row.name, row.id);
      urls.set(row.id, { name: row.name, url: row.url });
    }
  }

  function idFor(name: string, url: string): number {
    const known = ids.get(name);
    if (known !== undefined && urls.get(known)?.url === url) return known;
    const { id } = stmts.upsertCheck.get(name, url) as { id: number };
    ids.set(name, id);
    urls.set(id, { name, url });
    return id;
  }

  const writeTx = db.transaction((results: readonly CheckResult[]) => {
    for (const result of results) {
      stmts.insert.run({ check_id: idFor(result.check, result.url), ...encode(result) });
    }
    const folded = foldResults(
      results.map((r) => ({
        check: r.check,
        timeMs: Date.parse(r.time),
        ok: r.ok,
        degraded: Boolean(r.degraded),
        durationMs: r.durationMs,
      })),
    );
    for (const { check, resolution, bucket, rollup } of folded.values()) {
      const checkId = ids.get(check) as number;
      const res = RESOLUTIONS[resolution];
      const existing = stmts.getRollup.get(res, checkId, bucket) as RollupRecord | undefined;
      const merged = existing ? mergeRollups(toRollup(existing), rollup) : rollup;
      stmts.putRollup.run(
        checkId,
        res,
        bucket,
        merged.count,
        merged.failures,
        merged.degraded,
        merged.sumMs,
        merged.maxMs,
        JSON.stringify(merged.histogram),
      );
    }
  });

  const ensure = () => {
    if (!ready) throw new Error('store used before migrate()');
  };

  return {
    kind: 'sqlite',
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async migrate() {
      const current = db.pragma('user_version', { simple: true }) as number;
      if (current > SQLITE_MIGRATIONS.length) {
        throw new Error(
          `the database at ${path} has schema version ${current}, newer than this lifeline (${SQLITE_MIGRATIONS.length}); upgrade lifeline`,
        );
      }
      for (let version = current; version < SQLITE_MIGRATIONS.length; version++) {
        db.transaction(() => {
          db.exec(SQLITE_MIGRATIONS[version] as string);
          db.pragma(`user_version = ${version + 1}`);
        })();
      }
      stmts = prepare();
      loadChecks();
      ready = true;
      return SQLITE_MIGRATIONS.length;
    },
    async write(results) {
      ensure();
      if (results.length > 0) writeTx(results);
    },
    async results(check, query) {
      ensure();
      const id = ids.get(check);
      if (id === undefined) return [];
      const rows = stmts.results.all(
        id,
        query.since ?? 0,
        query.until ?? Number.MAX_SAFE_INTEGER,
        query.limit,
      ) as RawRow[];
      const url = urls.get(id)?.url ?? '';
      return rows.map((row) => decode(check, url, row));
    },
    async latest() {
      ensure();
      const out = new Map<string, CheckResult>();
      for (const [id, { name, url }] of urls) {
        const row = stmts.latest.get(id) as RawRow | undefined;
        if (row) out.set(name, decode(name, url, row));
      }
      return out;
    },
    async rollups(check, resolution: Resolution, since, until) {
      ensure();
      const res = RESOLUTIONS[resolution];
      let records: (RollupRecord & { check_id: number; bucket: number })[];
      if (check === null) records = stmts.rollupsAll.all(res, since, until) as typeof records;
      else {
        const id = ids.get(check);
        if (id === undefined) return [];
        records = stmts.rollupsOne.all(res, id, since, until) as typeof records;
      }
      return records.map(
        (r): RollupRow => ({
          check: urls.get(r.check_id)?.name ?? String(r.check_id),
          bucket: r.bucket,
          rollup: toRollup(r),
        }),
      );
    },
    async lastScheduled(check) {
      ensure();
      const id = ids.get(check);
      if (id === undefined) return undefined;
      const row = stmts.lastScheduled.get(id) as { s: number } | undefined;
      return row?.s;
    },
    async prune(now: number, retention: RetentionConfig): Promise<PruneCounts> {
      ensure();
      const c = cutoffs(now, retention);
      const del = (sql: string, ...args: number[]) => db.prepare(sql).run(...args).changes;
      return db.transaction(() => ({
        raw: c.raw === null ? 0 : del('DELETE FROM results WHERE t < ?', c.raw),
        minute:
          c.minute === null ? 0 : del('DELETE FROM rollups WHERE res = ? AND bucket < ?', RESOLUTIONS.minute, c.minute),
        hour: c.hour === null ? 0 : del('DELETE FROM rollups WHERE res = ? AND bucket < ?', RESOLUTIONS.hour, c.hour),
        day: c.day === null ? 0 : del('DELETE FROM rollups WHERE res = ? AND bucket < ?', RESOLUTIONS.day, c.day),
      }))();
    },
    async close() {
      db.close();
    },
  };
}
