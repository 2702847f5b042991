import type { StorageConfig } from '../config/resolved.js';
import { createPostgresStore } from './postgres/postgres-store.js';
import { createSqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** Opens and migrates the configured store; undefined for `storage: none`. */
export async function openStore(config: StorageConfig): Promise<Store | undefined> {
  if (config.kind === 'none') return undefined;
  const store = config.kind === 'sqlite' ? createSqliteStore(config.path) : createPostgresStore({ url: config.url });
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
  return store;
}
