import Database from 'better-sqlite3';
import { STORE_LOCKED_CODE } from '../../domain/errors.js';

/** Thrown when another process holds the SQLite file; `code` is LIFELINE_ERR_STORE_LOCKED. */
export class StoreLockedError extends Error {
  readonly code = STORE_LOCKED_CODE;
  constructor(readonly path: string) {
    super(
      `the SQLite file ${path} is in use by another lifeline process (a running monitor or check --once); stop that process, or give this one its own storage path`,
    );
    this.name = 'StoreLockedError';
  }
}

export interface FileLock {
  release(): void;
}

/**
 * One process per SQLite file: two monitors on one file would both write
 * every check (double counts). The lock is SQLite's own exclusive lock
 * (POSIX advisory locks) on a small database next to the file, held by an
 * open connection in EXCLUSIVE locking mode: the kernel releases it when the
 * process ends, kill -9 included, so a stale lock file never blocks a restart.
 * The data file itself stays readable by other tools (sqlite3, backups).
 *
 * @param waitMs how long to wait for a holder that is about to finish (check --once holds it for milliseconds)
 */
export function lockSqliteFile(path: string, waitMs = 0): FileLock {
  const lockPath = `${path}.lock`;
  const db = new Database(lockPath, { timeout: waitMs });
  try {
    db.pragma('journal_mode = DELETE');
    db.pragma('locking_mode = EXCLUSIVE');
    // The first write takes the exclusive lock; in EXCLUSIVE mode it is kept until close.
    db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS holder (pid INTEGER); COMMIT');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) throw new StoreLockedError(path);
    throw error;
  }
  return { release: () => db.close() };
}
