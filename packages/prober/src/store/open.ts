import type { StorageConfig } from '../config/resolved.js';
import type { Store } from './store.js';

/** How long opening a SQLite store waits for another process holding the file, by default. */
export const LOCK_WAIT_MS = 2_000;

export interface OpenStoreOptions {
  /**
   * How long to wait for another process holding the SQLite file (ms, default 2000):
   * a check --once holds it for milliseconds, a monitor for good.
   */
  readonly lockWaitMs?: number;
}

/** Opens and migrates the configured store; undefined for `storage: none`. */
export async function openStore(config: StorageConfig, options: OpenStoreOptions = {}): Promise<Store | undefined> {
  if (config.kind === 'none') return undefined;
  // Each dialect's driver is loaded only when configured: pg and its imports cost a SQLite
  // monitor ~0.6 MiB of RSS and ~18 ms of start for nothing (issue #14), better-sqlite3 a
  // PostgreSQL one its native addon.
  const store =
    config.kind === 'sqlite'
      ? (await import('./sqlite/sqlite-store.js')).createSqliteStore(config.path, {
          lockWaitMs: options.lockWaitMs ?? LOCK_WAIT_MS,
        })
      : (await import('./postgres/postgres-store.js')).createPostgresStore({ url: config.url });
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
  return store;
}
