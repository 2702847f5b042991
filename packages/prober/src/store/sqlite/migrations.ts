/** SQLite schema, one entry per version; the index + 1 is the version (PRAGMA user_version). */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE checks (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL
  );
  -- One row per run. WITHOUT ROWID keyed by (check, time): the key is the index,
  -- and a passing row is about 40 bytes.
  CREATE TABLE results (
    check_id INTEGER NOT NULL,
    t INTEGER NOT NULL,
    lag INTEGER,
    ok INTEGER NOT NULL,
    status INTEGER,
    dur INTEGER NOT NULL,
    dns INTEGER NOT NULL,
    conn INTEGER NOT NULL,
    tls INTEGER NOT NULL,
    ttfb INTEGER NOT NULL,
    xfer INTEGER NOT NULL,
    attempts INTEGER,
    err TEXT,
    detail TEXT,
    PRIMARY KEY (check_id, t)
  ) WITHOUT ROWID;
  CREATE TABLE rollups (
    check_id INTEGER NOT NULL,
    res INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    n INTEGER NOT NULL,
    fails INTEGER NOT NULL,
    degraded INTEGER NOT NULL,
    sum_ms REAL NOT NULL,
    max_ms REAL NOT NULL,
    hist TEXT NOT NULL,
    PRIMARY KEY (res, check_id, bucket)
  ) WITHOUT ROWID;
  `,
  // v2: hour and day rollups are compacted from minutes; the watermark lives here.
  // Histograms are stored as BLOBs of uint32 from now on (v1 wrote JSON text; both are read).
  `
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // v3: failures are few; a partial index finds the newest one, and a check's
  // failures page, without walking its passing rows (the API's lastFailure,
  // downSince and ?ok=false).
  `
  CREATE INDEX results_failures ON results (check_id, t) WHERE ok = 0;
  `,
];
