import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { alertMethods } from '../alert-rows.js';
import type { Store } from '../store.js';
import { createSqliteAlerts } from './alerts.js';
import { createSqliteChecks } from './checks.js';
import type { SqliteContext } from './context.js';
import { type FileLock, lockSqliteFile } from './lock.js';
import { createSqliteMaintenance } from './maintenance.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { createSqliteResults } from './results.js';
import { createSqliteRollups } from './rollups.js';
import { createSqliteSummaries } from './summaries.js';

export interface SqliteStoreOptions {
  /** How long to wait for another process that holds the file (ms, default 0: refuse at once). */
  readonly lockWaitMs?: number;
}

/**
 * The WAL is checkpointed every 1,000 pages (SQLite's default, about 4 MiB)
 * and cut back to this size after a checkpoint; compaction and retention end
 * with a TRUNCATE checkpoint (maintenance.ts). A WAL of 16,384 pages (64 MiB)
 * filled small volumes and kept them full (issue #9).
 */
const WAL_LIMIT_BYTES = 4 * 1024 * 1024;

/**
 * The embedded default: one file, WAL mode, no server to run. better-sqlite3
 * is synchronous; every call here is short (a prepared statement or one
 * transaction), so it does not hold the event loop for long. Compaction and
 * retention, whose work grows with the backlog, run in chunks of one
 * transaction each with the loop free between them (rollups.ts, maintenance.ts).
 *
 * This opens the file and composes one module per concern: results.ts (the
 * write path and raw reads), rollups.ts (compaction and rollup reads) and
 * maintenance.ts (retention and WAL checkpoints) and alerts.ts (alert state,
 * incidents and the notification outbox), over the check cache in checks.ts.
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

  let ready = false;
  const ctx: SqliteContext = {
    db,
    checks: createSqliteChecks(db),
    watermark: undefined,
    progress: undefined,
    ensure() {
      if (!ready) throw new Error('store used before migrate()');
    },
  };
  const rollups = createSqliteRollups(ctx);
  const results = createSqliteResults(ctx, { mergeInto: rollups.mergeInto });
  const maintenance = createSqliteMaintenance(ctx);
  const summaries = createSqliteSummaries(ctx);
  const alerts = createSqliteAlerts(ctx);

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
      ctx.checks.prepare();
      results.prepare();
      rollups.prepare();
      summaries.prepare();
      alerts.prepare();
      ctx.checks.load();
      ctx.watermark = rollups.storedWatermark();
      ctx.progress = rollups.storedProgress();
      ready = true;
      return SQLITE_MIGRATIONS.length;
    },
    write: results.write,
    compact: rollups.compact,
    results: results.results,
    latest: results.latest,
    rollups: rollups.rollups,
    totals: rollups.totals,
    summaries: summaries.summaries,
    lastScheduled: results.lastScheduled,
    prune: maintenance.prune,
    async close() {
      try {
        if (db.open) db.close();
      } finally {
        lock?.release();
      }
    },
    resultsByOutcome: results.resultsByOutcome,
    failureStates: results.failureStates,
    ...alertMethods(alerts),
  };
}
