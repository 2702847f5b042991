import type Database from 'better-sqlite3';
import type { RetentionConfig } from '../../config/resolved.js';
import { RESOLUTIONS } from '../../domain/rollup.js';
import { yieldToLoop } from '../../runtime/yield-to-loop.js';
import { cutoffs, type PruneCounts, type Store } from '../store.js';
import type { SqliteContext } from './context.js';

/**
 * Retention deletes in chunks, each its own transaction with the event loop
 * free between them: a chunk deletes at most this many rows, visiting at most
 * PRUNE_CHUNK_CHECKS checks (an index seek each).
 */
export const PRUNE_CHUNK_ROWS = 2_000;
export const PRUNE_CHUNK_CHECKS = 200;

/**
 * Moves the WAL into the file and truncates it; best effort. Never waits for
 * a reader (an external sqlite3 or backup): better-sqlite3 would block the
 * event loop while it waits. A full disk or a busy reader: the next one tries again.
 */
export function checkpoint(db: Database.Database): void {
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch {
    // See above.
  } finally {
    db.pragma('busy_timeout = 5000');
  }
}

type Kind = Exclude<keyof PruneCounts, 'notifications'>;

/**
 * Retention: deletes raw rows, rollups and finished notifications past their
 * age, then checkpoints the WAL. Rows go check by check in chunks (see
 * PRUNE_CHUNK_ROWS); a crash between chunks leaves only old rows to delete
 * next time, and the counts are those of this call.
 */
export function createSqliteMaintenance(ctx: SqliteContext): Pick<Store, 'prune'> {
  const { db } = ctx;
  let stmts: ReturnType<typeof prepare> | undefined;
  const prepare = () => ({
    checkIds: db.prepare('SELECT id FROM checks WHERE id >= ? ORDER BY id LIMIT ?').pluck(),
    // A check's oldest rows first, by its primary key (check_id, t): never a scan of the table.
    raw: db.prepare(
      'DELETE FROM results WHERE check_id = ? AND t IN (SELECT t FROM results WHERE check_id = ? AND t < ? ORDER BY t LIMIT ?)',
    ),
    rollups: db.prepare(
      'DELETE FROM rollups WHERE res = ? AND check_id = ? AND bucket IN (SELECT bucket FROM rollups WHERE res = ? AND check_id = ? AND bucket < ? ORDER BY bucket LIMIT ?)',
    ),
    // Delivered and dead notifications go with the raw results; pending ones are never pruned.
    notifications: db.prepare(
      "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status IN ('delivered', 'dead') AND created_at < ? LIMIT ?)",
    ),
  });

  /** One chunk: deletes what is due of checks from `check` on; returns the rows deleted and where to go on (or undefined: done). */
  const chunk = db.transaction(
    (jobs: readonly { kind: Kind; before: number }[], at: { job: number; check: number }) => {
      const s = stmts as ReturnType<typeof prepare>;
      const deleted: Partial<Record<Kind, number>> = {};
      let left = PRUNE_CHUNK_ROWS;
      let visits = PRUNE_CHUNK_CHECKS;
      let { job, check } = at;
      while (job < jobs.length) {
        const { kind, before } = jobs[job] as { kind: Kind; before: number };
        const ids = s.checkIds.all(check, visits) as number[];
        for (const id of ids) {
          const n =
            kind === 'raw'
              ? s.raw.run(id, id, before, left).changes
              : s.rollups.run(RESOLUTIONS[kind], id, RESOLUTIONS[kind], id, before, left).changes;
          deleted[kind] = (deleted[kind] ?? 0) + n;
          left -= n;
          visits -= 1;
          // A check with more to delete than the budget left: this chunk ends on it, the next goes on with it.
          check = n > 0 && left === 0 ? id : id + 1;
          if (left === 0 || visits === 0) return { deleted, next: { job, check } };
        }
        // No check left for this kind of row: the next kind, from the first check.
        job += 1;
        check = 0;
      }
      return { deleted, next: undefined };
    },
  );

  return {
    async prune(now: number, retention: RetentionConfig): Promise<PruneCounts> {
      ctx.ensure();
      stmts ??= prepare();
      const c = cutoffs(now, retention);
      const jobs: { kind: Kind; before: number }[] = [];
      // Raw rows not folded into rollups yet are kept whatever their age.
      if (c.raw !== null) jobs.push({ kind: 'raw', before: Math.min(c.raw, ctx.watermark ?? 0) });
      for (const kind of ['minute', 'hour', 'day'] as const) {
        const before = c[kind];
        if (before !== null) jobs.push({ kind, before });
      }
      const counts = { raw: 0, minute: 0, hour: 0, day: 0, notifications: 0 };
      let at: { job: number; check: number } | undefined = { job: 0, check: 0 };
      while (at !== undefined) {
        const done: { deleted: Partial<Record<Kind, number>>; next: { job: number; check: number } | undefined } =
          chunk(jobs, at);
        for (const [kind, n] of Object.entries(done.deleted)) counts[kind as Kind] += n;
        at = done.next;
        await yieldToLoop();
        // A close() while the loop was free: the next start prunes the rest.
        if (!db.open) return counts;
      }
      if (c.raw !== null) {
        for (;;) {
          const n = stmts.notifications.run(c.raw, PRUNE_CHUNK_ROWS).changes;
          counts.notifications += n;
          if (n < PRUNE_CHUNK_ROWS) break;
          await yieldToLoop();
          if (!db.open) return counts;
        }
      }
      checkpoint(db);
      return counts;
    },
  };
}
