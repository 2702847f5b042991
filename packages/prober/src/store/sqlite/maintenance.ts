import type Database from 'better-sqlite3';
import type { RetentionConfig } from '../../config/resolved.js';
import { RESOLUTIONS } from '../../domain/rollup.js';
import { cutoffs, type PruneCounts, type Store } from '../store.js';
import { pruneNotifications } from './alerts.js';
import type { SqliteContext } from './context.js';

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

/** Retention: deletes raw rows, rollups and finished notifications past their age, then checkpoints the WAL. */
export function createSqliteMaintenance(ctx: SqliteContext): Pick<Store, 'prune'> {
  const { db } = ctx;
  return {
    async prune(now: number, retention: RetentionConfig): Promise<PruneCounts> {
      ctx.ensure();
      const c = cutoffs(now, retention);
      const del = (sql: string, ...args: number[]) => db.prepare(sql).run(...args).changes;
      const counts = db.transaction(() => ({
        // Raw rows not folded into rollups yet are kept whatever their age.
        raw: c.raw === null ? 0 : del('DELETE FROM results WHERE t < ?', Math.min(c.raw, ctx.watermark ?? 0)),
        minute:
          c.minute === null ? 0 : del('DELETE FROM rollups WHERE res = ? AND bucket < ?', RESOLUTIONS.minute, c.minute),
        hour: c.hour === null ? 0 : del('DELETE FROM rollups WHERE res = ? AND bucket < ?', RESOLUTIONS.hour, c.hour),
        day: c.day === null ? 0 : del('DELETE FROM rollups WHERE res = ? AND bucket < ?', RESOLUTIONS.day, c.day),
        // Delivered and dead notifications go with the raw results; pending ones are never pruned.
        notifications: c.raw === null ? 0 : pruneNotifications(ctx, c.raw),
      }))();
      checkpoint(db);
      return counts;
    },
  };
}
