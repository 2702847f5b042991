import type pg from 'pg';
import type { CheckResult } from '../../domain/result.js';

/** The lifeline_checks table, cached both ways: name to id, and id to name and URL. */
export interface PostgresChecks {
  readonly ids: Map<string, number>;
  readonly names: Map<number, { name: string; url: string }>;
  /** Reads every stored check into the cache. */
  load(pool: pg.Pool): Promise<void>;
  /** Inserts the checks of these results that the cache lacks (or knows with another URL), in one statement. */
  idsFor(client: pg.PoolClient, results: readonly CheckResult[]): Promise<void>;
}

export function createPostgresChecks(): PostgresChecks {
  const ids = new Map<string, number>();
  const names = new Map<number, { name: string; url: string }>();
  return {
    ids,
    names,
    async load(pool) {
      const checks = await pool.query<{ id: number; name: string; url: string }>(
        'SELECT id, name, url FROM lifeline_checks',
      );
      for (const row of checks.rows) {
        ids.set(row.name, row.id);
        names.set(row.id, { name: row.name, url: row.url });
      }
    },
    async idsFor(client, results) {
      const wanted = new Map<string, string>();
      for (const r of results) {
        const known = ids.get(r.check);
        if (known === undefined || names.get(known)?.url !== r.url) wanted.set(r.check, r.url);
      }
      if (wanted.size === 0) return;
      const { rows } = await client.query<{ id: number; name: string; url: string }>(
        `INSERT INTO lifeline_checks (name, url) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT (name) DO UPDATE SET url = excluded.url RETURNING id, name, url`,
        [[...wanted.keys()], [...wanted.values()]],
      );
      for (const row of rows) {
        ids.set(row.name, row.id);
        names.set(row.id, { name: row.name, url: row.url });
      }
    },
  };
}
