import type Database from 'better-sqlite3';

/** The checks table, cached both ways: name to id, and id to name and URL. */
export interface SqliteChecks {
  readonly ids: ReadonlyMap<string, number>;
  readonly urls: ReadonlyMap<number, { name: string; url: string }>;
  /** Prepares the statements; called by migrate(), once the tables exist. */
  prepare(): void;
  /** Reads every stored check into the cache. */
  load(): void;
  /** The id of a check, inserting it or updating its URL when the cache does not match. */
  idFor(name: string, url: string): number;
  /** How many checks the table holds, whoever wrote them. */
  stored(): number;
}

export function createSqliteChecks(db: Database.Database): SqliteChecks {
  const ids = new Map<string, number>();
  const urls = new Map<number, { name: string; url: string }>();
  let stmts: ReturnType<typeof prepareStatements>;

  function prepareStatements() {
    return {
      upsertCheck: db.prepare(
        'INSERT INTO checks (name, url) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET url = excluded.url RETURNING id',
      ),
      countChecks: db.prepare('SELECT count(*) AS n FROM checks'),
    };
  }

  return {
    ids,
    urls,
    prepare() {
      stmts = prepareStatements();
    },
    load() {
      for (const row of db.prepare('SELECT id, name, url FROM checks').all() as {
        id: number;
        name: string;
        url: string;
      }[]) {
        ids.set(row.name, row.id);
        urls.set(row.id, { name: row.name, url: row.url });
      }
    },
    idFor(name, url) {
      const known = ids.get(name);
      if (known !== undefined && urls.get(known)?.url === url) return known;
      const { id } = stmts.upsertCheck.get(name, url) as { id: number };
      ids.set(name, id);
      urls.set(id, { name, url });
      return id;
    },
    stored() {
      return (stmts.countChecks.get() as { n: number }).n;
    },
  };
}
