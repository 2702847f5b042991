import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import pg from 'pg';
import { serviceMissing } from '../../../../test/support/services.js';
import { createPostgresStore } from '../store/postgres/postgres-store.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';

export const PG_URL = process.env.LIFELINE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface Backend {
  readonly name: 'sqlite' | 'postgres';
  /** Why this backend cannot run here (it is skipped), or undefined. Throws under CI=true when PostgreSQL is missing. */
  readonly skip: string | undefined;
  /** The migrated store of this suite (set before its tests run). */
  readonly store: Store;
  /** Another store on the same database (a second pool, as a second process would have). */
  make(): Store;
  /** Closes the suite's store and opens a new one on the same database, not migrated: a restart. */
  reopen(): Promise<Store>;
}

/**
 * One contract, every backend: runs `body` in a describe block per backend,
 * SQLite on a temp file and PostgreSQL in a schema of its own on
 * 127.0.0.1:5432, each migrated before and removed after.
 */
export function describeEachStore(title: string, body: (backend: Backend) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-store-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const schema = `lifeline_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const backends = [
    {
      name: 'sqlite' as const,
      make: () => createSqliteStore(join(dir, 'lifeline.db')),
      missing: async () => undefined,
    },
    {
      name: 'postgres' as const,
      make: () => createPostgresStore({ url: PG_URL, schema }),
      missing: () => serviceMissing('PostgreSQL', '127.0.0.1', 5432),
    },
  ];
  for (const { name, make, missing } of backends) {
    describe(`${title}: ${name}`, async () => {
      const skip = await missing();
      let store: Store | undefined;
      before(async () => {
        if (skip) return;
        store = make();
        await store.migrate();
      });
      after(async () => {
        if (skip) return;
        await store?.close();
        if (name === 'postgres') {
          const client = new pg.Client({ connectionString: PG_URL });
          await client.connect();
          await client.query(`DROP SCHEMA ${schema} CASCADE`);
          await client.end();
        }
      });
      body({
        name,
        skip,
        get store() {
          if (!store) throw new Error('the store is opened in before()');
          return store;
        },
        make,
        async reopen() {
          await store?.close();
          store = make();
          return store;
        },
      });
    });
  }
}
