import {
  bucketStart,
  foldResults,
  mergeRollups,
  RESOLUTIONS,
  type Resolution,
  type Rollup,
  type RollupDelta,
} from '../../domain/rollup.js';
import { type RollupRow, rawRollupInput, type Store } from '../store.js';
import type { SqliteContext } from './context.js';
import { checkpoint } from './maintenance.js';

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

/** Compaction of raw results into minute, hour and day rollups, and the rollup reads. */
export interface SqliteRollups extends Pick<Store, 'compact' | 'rollups' | 'totals'> {
  /** Prepares the statements; called by migrate(), once the tables exist. */
  prepare(): void;
  /** Where the last compaction stopped, as stored in the meta table. */
  storedWatermark(): number | undefined;
  /** Merges deltas into stored rows (read, add, write); call inside a transaction. */
  mergeInto(deltas: Iterable<RollupDelta>): void;
}

export function createSqliteRollups(ctx: SqliteContext): SqliteRollups {
  const { db, checks } = ctx;
  let stmts: ReturnType<typeof prepareStatements>;

  function prepareStatements() {
    return {
      getRollup: db.prepare(
        'SELECT n, fails, degraded, sum_ms, max_ms, hist FROM rollups WHERE res = ? AND check_id = ? AND bucket = ?',
      ),
      putRollup: db.prepare(
        'INSERT OR REPLACE INTO rollups (check_id, res, bucket, n, fails, degraded, sum_ms, max_ms, hist) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      rollupsOne: db.prepare(
        'SELECT check_id, bucket, n, fails, degraded, sum_ms, max_ms, hist FROM rollups WHERE res = ? AND check_id = ? AND bucket >= ? AND bucket < ? ORDER BY bucket',
      ),
      rollupsAll: db.prepare(
        'SELECT check_id, bucket, n, fails, degraded, sum_ms, max_ms, hist FROM rollups WHERE res = ? AND bucket >= ? AND bucket < ? ORDER BY bucket',
      ),
      totals: db.prepare(
        'SELECT check_id, sum(n) AS n, sum(fails) AS fails, sum(degraded) AS degraded FROM rollups WHERE res = ? AND bucket >= ? AND bucket < ? GROUP BY check_id',
      ),
      getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
      putMeta: db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
      firstResult: db.prepare('SELECT min(t) AS t FROM results'),
      raw: db.prepare('SELECT t, ok, dur FROM results WHERE check_id = ? AND t >= ? AND t < ?'),
    };
  }

  function put(checkId: number, res: number, bucket: number, r: Rollup) {
    stmts.putRollup.run(checkId, res, bucket, r.count, r.failures, r.degraded, r.sumMs, r.maxMs, histTo(r.histogram));
  }

  function mergeInto(deltas: Iterable<RollupDelta>) {
    for (const { check, resolution, bucket, rollup } of deltas) {
      const checkId = checks.ids.get(check) as number;
      const res = RESOLUTIONS[resolution];
      const existing = stmts.getRollup.get(res, checkId, bucket) as RollupRecord | undefined;
      put(checkId, res, bucket, existing ? mergeRollups(toRollup(existing), rollup) : rollup);
    }
  }

  /**
   * Rollups are built from raw rows, so the write path is one insert per
   * result and a rollup can always be rebuilt. Each compaction folds the
   * finished minutes since the last one into minute, hour and day rows.
   */
  const compactTx = db.transaction((now: number): number => {
    const until = bucketStart(now, 'minute');
    // Checks written by another process (a CronJob's check --once) are in the table, maybe not in this cache.
    if (checks.stored() !== checks.ids.size) checks.load();
    if (ctx.watermark === undefined) {
      const first = (stmts.firstResult.get() as { t: number | null }).t;
      ctx.watermark = first === null ? until : bucketStart(first, 'minute');
    }
    if (ctx.watermark >= until) return 0;
    const inputs = [];
    for (const [id, { name }] of checks.urls) {
      for (const r of stmts.raw.iterate(id, ctx.watermark, until) as Iterable<{ t: number; ok: number; dur: number }>) {
        inputs.push(rawRollupInput(name, r));
      }
    }
    mergeInto(foldResults(inputs).values());
    ctx.watermark = until;
    stmts.putMeta.run(WATERMARK, String(until));
    return inputs.length;
  });

  return {
    prepare() {
      stmts = prepareStatements();
    },
    storedWatermark() {
      const stored = stmts.getMeta.get(WATERMARK) as { value: string } | undefined;
      return stored ? Number(stored.value) : undefined;
    },
    mergeInto,
    async compact(now) {
      ctx.ensure();
      const folded = compactTx(now);
      checkpoint(db);
      return folded;
    },
    async rollups(check, resolution: Resolution, since, until) {
      ctx.ensure();
      const res = RESOLUTIONS[resolution];
      let records: (RollupRecord & { check_id: number; bucket: number })[];
      if (check === null) records = stmts.rollupsAll.all(res, since, until) as typeof records;
      else {
        const id = checks.ids.get(check);
        if (id === undefined) return [];
        records = stmts.rollupsOne.all(res, id, since, until) as typeof records;
      }
      return records.map(
        (r): RollupRow => ({
          check: checks.urls.get(r.check_id)?.name ?? String(r.check_id),
          bucket: r.bucket,
          rollup: toRollup(r),
        }),
      );
    },
    async totals(resolution, since, until) {
      ctx.ensure();
      const rows = stmts.totals.all(RESOLUTIONS[resolution], since, until) as {
        check_id: number;
        n: number;
        fails: number;
        degraded: number;
      }[];
      return new Map(
        rows.map((r) => [
          checks.urls.get(r.check_id)?.name ?? String(r.check_id),
          { count: r.n, failures: r.fails, degraded: r.degraded },
        ]),
      );
    },
  };
}
