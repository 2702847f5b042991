import {
  bucketStart,
  foldResults,
  mergeRollups,
  RESOLUTIONS,
  type Resolution,
  type Rollup,
  type RollupDelta,
} from '../../domain/rollup.js';
import { yieldToLoop } from '../../runtime/yield-to-loop.js';
import { ROLLUP_COLUMNS, type RollupRecord, rollupOf } from '../rollup-record.js';
import { type RawRollupRow, type RollupRow, rawRollupInput, type Store } from '../store.js';
import type { CompactionProgress, SqliteContext } from './context.js';
import { checkpoint } from './maintenance.js';

type SqliteRollupRecord = RollupRecord<Buffer | string>;

/** Histograms are uint32 BLOBs; schema v1 wrote JSON text, which is still read. */
const histFrom = (hist: Buffer | string): number[] =>
  typeof hist === 'string'
    ? (JSON.parse(hist) as number[])
    : Array.from(new Uint32Array(hist.buffer.slice(hist.byteOffset, hist.byteOffset + hist.length)));
const histTo = (histogram: readonly number[]): Buffer => Buffer.from(new Uint32Array(histogram).buffer);

const toRollup = (r: SqliteRollupRecord): Rollup => rollupOf(r, histFrom(r.hist));

const WATERMARK = 'compacted_until';
/** A pass stopped between chunks (CompactionProgress as JSON); absent between passes. */
const PROGRESS = 'compacting';

/**
 * Compaction runs in chunks, each its own transaction with the event loop
 * free between them: a chunk reads at most this many raw rows, of at most
 * COMPACT_CHUNK_CHECKS checks (each check read costs an index seek and up to
 * three rollup read-modify-writes). At these sizes a chunk holds the loop for
 * a few ms (docs/benchmarks.md, bench:compaction). A check with more raw rows
 * than this in the backlog is split across chunks by time.
 */
export const COMPACT_CHUNK_ROWS = 2_000;
export const COMPACT_CHUNK_CHECKS = 100;

interface ChunkOutcome {
  folded: number;
  watermark: number;
  progress: CompactionProgress | undefined;
}

/** Compaction of raw results into minute, hour and day rollups, and the rollup reads. */
export interface SqliteRollups extends Pick<Store, 'compact' | 'rollups' | 'totals'> {
  /** Prepares the statements; called by migrate(), once the tables exist. */
  prepare(): void;
  /** Where the last compaction stopped, as stored in the meta table. */
  storedWatermark(): number | undefined;
  /** The pass a compaction left between two chunks (a crash or a close), as stored in the meta table. */
  storedProgress(): CompactionProgress | undefined;
  /** Merges deltas into stored rows (read, add, write); call inside a transaction. */
  mergeInto(deltas: Iterable<RollupDelta>): void;
}

export function createSqliteRollups(ctx: SqliteContext): SqliteRollups {
  const { db, checks } = ctx;
  let stmts: ReturnType<typeof prepareStatements>;

  function prepareStatements() {
    return {
      getRollup: db.prepare(`SELECT ${ROLLUP_COLUMNS} FROM rollups WHERE res = ? AND check_id = ? AND bucket = ?`),
      putRollup: db.prepare(
        `INSERT OR REPLACE INTO rollups (check_id, res, bucket, ${ROLLUP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      rollupsOne: db.prepare(
        `SELECT check_id, bucket, ${ROLLUP_COLUMNS} FROM rollups WHERE res = ? AND check_id = ? AND bucket >= ? AND bucket < ? ORDER BY bucket`,
      ),
      rollupsAll: db.prepare(
        `SELECT check_id, bucket, ${ROLLUP_COLUMNS} FROM rollups WHERE res = ? AND bucket >= ? AND bucket < ? ORDER BY bucket`,
      ),
      totals: db.prepare(
        'SELECT check_id, sum(n) AS n, sum(fails) AS fails, sum(degraded) AS degraded FROM rollups WHERE res = ? AND bucket >= ? AND bucket < ? GROUP BY check_id',
      ),
      getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
      putMeta: db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
      deleteMeta: db.prepare('DELETE FROM meta WHERE key = ?'),
      firstResult: db.prepare('SELECT min(t) AS t FROM results'),
      checkIds: db.prepare('SELECT id FROM checks WHERE id >= ? ORDER BY id LIMIT ?').pluck(),
      raw: db.prepare(
        'SELECT t, ok, dur, dns, conn, tls, ttfb, xfer FROM results WHERE check_id = ? AND t >= ? AND t < ? ORDER BY t LIMIT ?',
      ),
    };
  }

  function put(checkId: number, res: number, bucket: number, r: Rollup) {
    const p = r.phaseSums;
    stmts.putRollup.run(
      checkId,
      res,
      bucket,
      r.count,
      r.failures,
      r.degraded,
      r.sumMs,
      r.maxMs,
      histTo(r.histogram),
      r.phased,
      p.dns,
      p.connect,
      p.tls,
      p.ttfb,
      p.transfer,
    );
  }

  function mergeInto(deltas: Iterable<RollupDelta>) {
    for (const { check, resolution, bucket, rollup } of deltas) {
      const checkId = checks.ids.get(check) as number;
      const res = RESOLUTIONS[resolution];
      const existing = stmts.getRollup.get(res, checkId, bucket) as SqliteRollupRecord | undefined;
      put(checkId, res, bucket, existing ? mergeRollups(toRollup(existing), rollup) : rollup);
    }
  }

  const nameOf = (id: number): string => {
    let check = checks.urls.get(id);
    // Written by another process (a CronJob's check --once): in the table, not in this cache yet.
    if (check === undefined) {
      checks.load();
      check = checks.urls.get(id);
    }
    return check?.name ?? String(id);
  };

  /**
   * Rollups are built from raw rows, so the write path is one insert per
   * result and a rollup can always be rebuilt. A compaction pass folds the
   * finished minutes since the last one into minute, hour and day rows, check
   * by check in id order, one chunk per transaction. Each chunk stores where
   * it stopped (the watermark, or the pass's progress) with its rollups, so a
   * crash between chunks loses nothing and folds nothing twice.
   */
  const compactChunk = db.transaction((now: number): ChunkOutcome => {
    let watermark = ctx.watermark;
    if (watermark === undefined) {
      const until = bucketStart(now, 'minute');
      const first = (stmts.firstResult.get() as { t: number | null }).t;
      watermark = first === null ? until : bucketStart(first, 'minute');
    }
    let cursor = ctx.progress;
    if (cursor === undefined) {
      const until = bucketStart(now, 'minute');
      if (watermark >= until) return { folded: 0, watermark, progress: undefined };
      cursor = { until, check: 0, t: watermark };
    }
    const inputs = [];
    let left = COMPACT_CHUNK_ROWS;
    const ids = stmts.checkIds.all(cursor.check, COMPACT_CHUNK_CHECKS) as number[];
    for (const id of ids) {
      const from = id === cursor.check ? cursor.t : watermark;
      const rows = stmts.raw.all(id, from, cursor.until, left) as RawRollupRow[];
      const name = rows.length > 0 ? nameOf(id) : '';
      for (const r of rows) inputs.push(rawRollupInput(name, r));
      left -= rows.length;
      if (left === 0) {
        // The budget ends inside (or exactly at the end of) this check: go on after its last row read.
        cursor = { until: cursor.until, check: id, t: Number((rows[rows.length - 1] as { t: number }).t) + 1 };
        break;
      }
      cursor = { until: cursor.until, check: id + 1, t: watermark };
    }
    mergeInto(foldResults(inputs).values());
    if (left > 0 && ids.length < COMPACT_CHUNK_CHECKS) {
      // No check left: the pass is done.
      stmts.putMeta.run(WATERMARK, String(cursor.until));
      stmts.deleteMeta.run(PROGRESS);
      return { folded: inputs.length, watermark: cursor.until, progress: undefined };
    }
    // The watermark too: on the very first pass it is not stored yet, and a restart must find both.
    stmts.putMeta.run(WATERMARK, String(watermark));
    stmts.putMeta.run(PROGRESS, JSON.stringify(cursor));
    return { folded: inputs.length, watermark, progress: cursor };
  });

  return {
    prepare() {
      stmts = prepareStatements();
    },
    storedWatermark() {
      const stored = stmts.getMeta.get(WATERMARK) as { value: string } | undefined;
      return stored ? Number(stored.value) : undefined;
    },
    storedProgress() {
      const stored = stmts.getMeta.get(PROGRESS) as { value: string } | undefined;
      return stored ? (JSON.parse(stored.value) as CompactionProgress) : undefined;
    },
    mergeInto,
    async compact(now) {
      ctx.ensure();
      if (checks.stored() !== checks.ids.size) checks.load();
      let folded = 0;
      for (;;) {
        const chunk = compactChunk(now);
        // Committed: the write path folds a late result by this from now on (context.ts isFolded).
        ctx.watermark = chunk.watermark;
        ctx.progress = chunk.progress;
        folded += chunk.folded;
        if (chunk.progress === undefined) break;
        await yieldToLoop();
        // A close() while the loop was free ends the pass here; the next start goes on from the stored progress.
        if (!db.open) return folded;
      }
      checkpoint(db);
      return folded;
    },
    async rollups(check, resolution: Resolution, since, until) {
      ctx.ensure();
      const res = RESOLUTIONS[resolution];
      let records: (SqliteRollupRecord & { check_id: number; bucket: number })[];
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
