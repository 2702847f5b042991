import type { StorageConfig } from '../config/resolved.js';
import { createPostgresStore } from './postgres/postgres-store.js';
import { createSqliteStore } from './sqlite/sqlite-store.js';
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
  const store =
    config.kind === 'sqlite'
      ? createSqliteStore(config.path, { lockWaitMs: options.lockWaitMs ?? LOCK_WAIT_MS })
      : createPostgresStore({ url: config.url });
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
  return store;
}
