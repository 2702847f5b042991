/** PostgreSQL schema, one entry per version; applied in order, recorded in lifeline_schema_migrations. */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE lifeline_checks (
    id SERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL
  );
  CREATE TABLE lifeline_results (
    check_id INTEGER NOT NULL REFERENCES lifeline_checks (id) ON DELETE CASCADE,
    t BIGINT NOT NULL,
    lag INTEGER,
    ok SMALLINT NOT NULL,
    status SMALLINT,
    dur INTEGER NOT NULL,
    dns INTEGER NOT NULL,
    conn INTEGER NOT NULL,
    tls INTEGER NOT NULL,
    ttfb INTEGER NOT NULL,
    xfer INTEGER NOT NULL,
    attempts SMALLINT,
    err TEXT,
    detail TEXT,
    PRIMARY KEY (check_id, t)
  );
  CREATE TABLE lifeline_rollups (
    check_id INTEGER NOT NULL REFERENCES lifeline_checks (id) ON DELETE CASCADE,
    res INTEGER NOT NULL,
    bucket BIGINT NOT NULL,
    n INTEGER NOT NULL,
    fails INTEGER NOT NULL,
    degraded INTEGER NOT NULL,
    sum_ms DOUBLE PRECISION NOT NULL,
    max_ms DOUBLE PRECISION NOT NULL,
    hist INTEGER[] NOT NULL,
    PRIMARY KEY (res, check_id, bucket)
  );
  `,
  // v2: hour and day rollups are compacted from minutes; the watermark lives here.
  `
  CREATE TABLE lifeline_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // v3: failures are few; a partial index finds the newest one, and a check's
  // failures page, without walking its passing rows (the API's lastFailure,
  // downSince and ?ok=false).
  `
  CREATE INDEX lifeline_results_failures ON lifeline_results (check_id, t) WHERE ok = 0;
  `,
];
