import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { serviceMissing } from '../../../../test/support/services.js';
import { POSTGRES_MIGRATIONS } from '../store/postgres/migrations.js';
import { createPostgresStore, SCHEMA_MIGRATIONS_TABLE } from '../store/postgres/postgres-store.js';
import { SQLITE_MIGRATIONS } from '../store/sqlite/migrations.js';
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
  /** A new database of its own at an older schema version, as an older lifeline left it (removed after the suite). */
  legacy(version: number): Promise<LegacyDatabase>;
}

/** A database at an older schema version, for migration tests: fill it with raw SQL, then open it with this build. */
export interface LegacyDatabase {
  /** Runs one statement on a connection of its own (parameters: `?` on SQLite, `$1`... on PostgreSQL). */
  run(sql: string, params?: readonly unknown[]): Promise<void>;
  /** Closes that connection and opens a store of this build on the database, not migrated yet. */
  open(): Promise<Store>;
}

/** A LegacyDatabase and how to end its connection, whether or not open() was called (the suite does it after). */
type Legacy = LegacyDatabase & { end(): Promise<void> };

/** Applies the first `version` SQLite migrations to a new file, as the store did then. */
function sqliteLegacy(path: string, version: number): Legacy {
  const db = new Database(path);
  const end = async () => {
    if (db.open) db.close();
  };
  try {
    for (let v = 0; v < version; v++) db.exec(SQLITE_MIGRATIONS[v] as string);
    db.pragma(`user_version = ${version}`);
  } catch (error) {
    db.close();
    throw error;
  }
  return {
    async run(sql, params = []) {
      db.prepare(sql).run(...params);
    },
    async open() {
      await end();
      return createSqliteStore(path);
    },
    end,
  };
}

/** Applies the first `version` PostgreSQL migrations in a new schema, recorded as the store records them. */
async function postgresLegacy(schema: string, version: number): Promise<Legacy> {
  const client = new pg.Client({ connectionString: PG_URL });
  let ended = false;
  const end = async () => {
    if (ended) return;
    ended = true;
    await client.end();
  };
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`SET search_path TO ${schema}`);
    await client.query(SCHEMA_MIGRATIONS_TABLE);
    for (let v = 0; v < version; v++) {
      await client.query(POSTGRES_MIGRATIONS[v] as string);
      await client.query('INSERT INTO lifeline_schema_migrations (version) VALUES ($1)', [v + 1]);
    }
  } catch (error) {
    await end();
    throw error;
  }
  return {
    async run(sql, params = []) {
      await client.query(sql, [...params]);
    },
    async open() {
      await end();
      return createPostgresStore({ url: PG_URL, schema });
    },
    end,
  };
}

async function dropSchemas(schemas: readonly string[]): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
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
      legacy: async (version: number, n: number): Promise<Legacy> => sqliteLegacy(join(dir, `legacy-${n}.db`), version),
    },
    {
      name: 'postgres' as const,
      make: () => createPostgresStore({ url: PG_URL, schema }),
      missing: () => serviceMissing('PostgreSQL', '127.0.0.1', 5432),
      legacy: (version: number, n: number) => postgresLegacy(`${schema}_legacy_${n}`, version),
    },
  ];
  for (const { name, make, missing, legacy } of backends) {
    describe(`${title}: ${name}`, async () => {
      const skip = await missing();
      let store: Store | undefined;
      let legacies = 0;
      const opened: Legacy[] = [];
      before(async () => {
        if (skip) return;
        store = make();
        await store.migrate();
      });
      after(async () => {
        if (skip) return;
        await store?.close();
        for (const database of opened) await database.end();
        if (name === 'postgres')
          await dropSchemas([schema, ...Array.from({ length: legacies }, (_, i) => `${schema}_legacy_${i}`)]);
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
        async legacy(version) {
          const database = await legacy(version, legacies++);
          opened.push(database);
          return database;
        },
      });
    });
  }
}
