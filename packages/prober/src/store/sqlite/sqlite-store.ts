import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { RetentionConfig } from '../../config/resolved.js';
import type { CheckResult } from '../../domain/result.js';
import {
  bucketStart,
  foldResults,
  mergeRollups,
  RESOLUTIONS,
  type Resolution,
  type Rollup,
  type RollupDelta,
} from '../../domain/rollup.js';
import {
  cutoffs,
  decode,
  encode,
  type FailureState,
  type PruneCounts,
  type RawRow,
  type ResultQuery,
  type RollupRow,
  rawRollupInput,
  rollupInput,
  type Store,
} from '../store.js';
import { type FileLock, lockSqliteFile } from './lock.js';
import { SQLITE_MIGRATIONS } from './migrations.js';

export interface SqliteStoreOptions {
  /** How long to wait for another process that holds the file (ms, default 0: refuse at once). */
  readonly lockWaitMs?: number;
}

/**
 * The WAL is checkpointed every 1,000 pages (SQLite's default, about 4 MiB)
 * and cut back to this size after a checkpoint; compaction and retention end
 * with a TRUNCATE checkpoint. A WAL of 16,384 pages (64 MiB) filled small
 * volumes and kept them full (issue #9).
 */
const WAL_LIMIT_BYTES = 4 * 1024 * 1024;

interface RollupRecord {
  n: number;
  fails: number;
  degraded: number;
  sum_ms: number;
  max_ms: number;
  hist: Buffer | string;
}

/** Histograms are uint32 BLOBs; schema v1 wrote JSON text, which is still read. */
const histFrom = (hist: Buffer | string): number[] =>
  typeof hist === 'string'
    ? (JSON.parse(hist) as number[])
    : Array.from(new Uint32Array(hist.buffer.slice(hist.byteOffset, hist.byteOffset + hist.length)));
const histTo = (histogram: readonly number[]): Buffer => Buffer.from(new Uint32Array(histogram).buffer);

const toRollup = (r: RollupRecord): Rollup => ({
  count: r.n,
  failures: r.fails,
  degraded: r.degraded,
  sumMs: r.sum_ms,
  maxMs: r.max_ms,
  histogram: histFrom(r.hist),
});

const WATERMARK = 'compacted_until';

/**
 * The embedded default: one file, WAL mode, no server to run. better-sqlite3
 * is synchronous; every call here is short (a prepared statement or one
 * transaction), so it does not hold the event loop for long.
 */
export function createSqliteStore(path: string, options: SqliteStoreOptions = {}): Store {
  let lock: FileLock | undefined;
  let db: Database.Database;
  try {
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true });
      lock = lockSqliteFile(path, options.lockWaitMs ?? 0);
    }
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    // Each batch appends to every check's newest leaf page: keep those pages cached.
    db.pragma('cache_size = -65536');
    db.pragma(`journal_size_limit = ${WAL_LIMIT_BYTES}`);
  } catch (error) {
    lock?.release();
    throw error;
  }
  /**
   * Moves the WAL into the file and truncates it; best effort. Never waits for
   * a reader (an external sqlite3 or backup): better-sqlite3 would block the
   * event loop while it waits. A full disk or a busy reader: the next one tries again.
   */
  const checkpoint = () => {
    try {
      db.pragma('busy_timeout = 0');
      db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // See above.
    } finally {
      db.pragma('busy_timeout = 5000');
    }
  };

  let ready = false;
  const ids = new Map<string, number>();
  const urls = new Map<number, { name: string; url: string }>();
  let watermark: number | undefined;
  let stmts: ReturnType<typeof prepare>;

  function prepare() {
    return {
      upsertCheck: db.prepare(
        'INSERT INTO checks (name, url) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET url = excluded.url RETURNING id',
      ),
      insert: db.prepare(
        'INSERT OR IGNORE INTO results (check_id, t, lag, ok, status, dur, dns, conn, tls, ttfb, xfer, attempts, err, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
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
      totals: db.prepare(
        'SELECT check_id, sum(n) AS n, sum(fails) AS fails, sum(degraded) AS degraded FROM rollups WHERE res = ? AND bucket >= ? AND bucket < ? GROUP BY check_id',
      ),
      lastScheduled: db.prepare(
        'SELECT t - lag AS s FROM results WHERE check_id = ? AND lag IS NOT NULL ORDER BY t DESC LIMIT 1',
      ),
      getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
      putMeta: db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
      firstResult: db.prepare('SELECT min(t) AS t FROM results'),
      raw: db.prepare('SELECT t, ok, dur FROM results WHERE check_id = ? AND t >= ? AND t < ?'),
      countChecks: db.prepare('SELECT count(*) AS n FROM checks'),
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

  function put(checkId: number, res: number, bucket: number, r: Rollup) {
    stmts.putRollup.run(checkId, res, bucket, r.count, r.failures, r.degraded, r.sumMs, r.maxMs, histTo(r.histogram));
  }

  /** Merges deltas into stored rows (read, add, write). */
  function mergeInto(deltas: Iterable<RollupDelta>) {
    for (const { check, resolution, bucket, rollup } of deltas) {
      const checkId = ids.get(check) as number;
      const res = RESOLUTIONS[resolution];
      const existing = stmts.getRollup.get(res, checkId, bucket) as RollupRecord | undefined;
      put(checkId, res, bucket, existing ? mergeRollups(toRollup(existing), rollup) : rollup);
    }
  }

  const writeTx = db.transaction((results: readonly CheckResult[]) => {
    const late = [];
    for (const result of results) {
      const row = encode(result);
      const checkId = idFor(result.check, result.url);
      stmts.insert.run(
        checkId,
        row.t,
        row.lag,
        row.ok,
        row.status,
        row.dur,
        row.dns,
        row.conn,
        row.tls,
        row.ttfb,
        row.xfer,
        row.attempts,
        row.err,
        row.detail,
      );
      // A result for a minute that was already compacted goes straight into its rollups.
      if (watermark !== undefined && row.t < watermark) {
        late.push(rollupInput(result));
      }
    }
    if (late.length > 0) mergeInto(foldResults(late).values());
  });

  /**
   * Rollups are built from raw rows, so the write path is one insert per
   * result and a rollup can always be rebuilt. Each compaction folds the
   * finished minutes since the last one into minute, hour and day rows.
   */
  const compactTx = db.transaction((now: number): number => {
    const until = bucketStart(now, 'minute');
    // Checks written by another process (a CronJob's check --once) are in the table, maybe not in this cache.
    if ((stmts.countChecks.get() as { n: number }).n !== ids.size) loadChecks();
    if (watermark === undefined) {
      const first = (stmts.firstResult.get() as { t: number | null }).t;
      watermark = first === null ? until : bucketStart(first, 'minute');
    }
    if (watermark >= until) return 0;
    const inputs = [];
    for (const [id, { name }] of urls) {
      for (const r of stmts.raw.iterate(id, watermark, until) as Iterable<{ t: number; ok: number; dur: number }>) {
        inputs.push(rawRollupInput(name, r));
      }
    }
    mergeInto(foldResults(inputs).values());
    watermark = until;
    stmts.putMeta.run(WATERMARK, String(until));
    return inputs.length;
  });

  const ensure = () => {
    if (!ready) throw new Error('store used before migrate()');
  };

  // The API's read queries. Failures are read through the partial index
  // results_failures (schema v3), named because the planner otherwise prefers
  // the covering primary key and walks every row of the check.
  let readStmts: ReturnType<typeof prepareReads> | undefined;
  const prepareReads = () => ({
    failed: db.prepare(
      'SELECT * FROM results INDEXED BY results_failures WHERE check_id = ? AND ok = 0 AND t >= ? AND t < ? ORDER BY t DESC LIMIT ?',
    ),
    passed: db.prepare(
      'SELECT * FROM results WHERE check_id = ? AND ok <> 0 AND t >= ? AND t < ? ORDER BY t DESC LIMIT ?',
    ),
    lastFailure: db.prepare(
      'SELECT * FROM results INDEXED BY results_failures WHERE check_id = ? AND ok = 0 ORDER BY t DESC LIMIT 1',
    ),
    lastPass: db.prepare('SELECT t FROM results WHERE check_id = ? AND ok <> 0 ORDER BY t DESC LIMIT 1'),
    firstFailureAfter: db.prepare(
      'SELECT t FROM results INDEXED BY results_failures WHERE check_id = ? AND ok = 0 AND t > ? ORDER BY t LIMIT 1',
    ),
  });
  const reads = () => {
    readStmts ??= prepareReads();
    return readStmts;
  };
  /** One page of a check's raw results, newest first, from a statement taking (id, since, until, limit). */
  const page = (check: string, query: ResultQuery, statement: Database.Statement): CheckResult[] => {
    const id = ids.get(check);
    if (id === undefined) return [];
    const rows = statement.all(id, query.since ?? 0, query.until ?? Number.MAX_SAFE_INTEGER, query.limit) as RawRow[];
    const url = urls.get(id)?.url ?? '';
    return rows.map((row) => decode(check, url, row));
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
      const stored = stmts.getMeta.get(WATERMARK) as { value: string } | undefined;
      watermark = stored ? Number(stored.value) : undefined;
      ready = true;
      return SQLITE_MIGRATIONS.length;
    },
    async write(results) {
      ensure();
      if (results.length > 0) writeTx(results);
    },
    async compact(now) {
      ensure();
      const folded = compactTx(now);
      checkpoint();
      return folded;
    },
    async results(check, query: ResultQuery) {
      ensure();
      return page(check, query, stmts.results);
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
    async totals(resolution, since, until) {
      ensure();
      const rows = stmts.totals.all(RESOLUTIONS[resolution], since, until) as {
        check_id: number;
        n: number;
        fails: number;
        degraded: number;
      }[];
      return new Map(
        rows.map((r) => [
          urls.get(r.check_id)?.name ?? String(r.check_id),
          { count: r.n, failures: r.fails, degraded: r.degraded },
        ]),
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
      const counts = db.transaction(() => ({
        // Raw rows not folded into rollups yet are kept whatever their age.
        raw: c.raw === null ? 0 : del('DELETE FROM results WHERE t < ?', Math.min(c.raw, watermark ?? 0)),
        minute:
          c.minute === null ? 0 : del('DELETE FROM rollups WHERE res = ? AND bucket < ?', RESOLUTIONS.minute, c.minute),
        hour: c.hour === null ? 0 : del('DELETE FROM rollups WHERE res = ? AND bucket < ?', RESOLUTIONS.hour, c.hour),
        day: c.day === null ? 0 : del('DELETE FROM rollups WHERE res = ? AND bucket < ?', RESOLUTIONS.day, c.day),
      }))();
      checkpoint();
      return counts;
    },
    async close() {
      try {
        if (db.open) db.close();
      } finally {
        lock?.release();
      }
    },
    async resultsByOutcome(check, ok, query: ResultQuery) {
      ensure();
      return page(check, query, ok ? reads().passed : reads().failed);
    },
    async failureStates(checks) {
      ensure();
      const out = new Map<string, FailureState>();
      for (const check of checks) {
        const id = ids.get(check);
        const failure = id === undefined ? undefined : (reads().lastFailure.get(id) as RawRow | undefined);
        if (id === undefined || failure === undefined) {
          out.set(check, { lastFailure: null, downSince: null });
          continue;
        }
        const lastPass = (reads().lastPass.get(id) as { t: number } | undefined)?.t;
        const down = lastPass === undefined || lastPass < failure.t;
        const first = down ? (reads().firstFailureAfter.get(id, lastPass ?? -1) as { t: number }).t : null;
        out.set(check, { lastFailure: decode(check, urls.get(id)?.url ?? '', failure), downSince: first });
      }
      return out;
    },
  };
}
