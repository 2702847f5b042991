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
  // v4: alerting (issue #10). Each check's durable alert state, its incidents and
  // the notification outbox; check names are plain text (these tables are small).
  // JSON columns hold the values as the domain types define them (domain/alerts.ts).
  `
  CREATE TABLE alert_states (
    check_name TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    state TEXT NOT NULL
  );
  CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    check_name TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    incident TEXT NOT NULL
  );
  CREATE INDEX incidents_by_check ON incidents (check_name, started_at DESC, id DESC);
  CREATE INDEX incidents_by_start ON incidents (started_at DESC, id DESC);
  CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    channel TEXT NOT NULL,
    check_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    last_error TEXT,
    delivered_at INTEGER
  );
  -- The delivery worker's query: the due pending rows of one channel. Delivered
  -- and dead rows are not in this index.
  CREATE INDEX outbox_due ON outbox (channel, next_attempt_at) WHERE status = 'pending';
  CREATE INDEX outbox_by_status ON outbox (status, created_at);
  CREATE INDEX outbox_by_check ON outbox (check_name, created_at);
  CREATE INDEX outbox_by_created ON outbox (created_at);
  `,
  // v5: the dashboard (issue #12). Rollups keep per-phase latency sums and how
  // many runs they cover (`phased`): rows folded before hold 0 of both, so their
  // buckets show no phase means rather than wrong zeros, and a bucket folded
  // partly before and partly after averages only the runs that had phases.
  // The sums are in hundredths of a ms, as results store phases: integers, exact
  // in any order of adding. Raw results keep the peer certificate's expiry
  // (epoch seconds). Added columns with constant defaults: no table is rewritten.
  `
  ALTER TABLE rollups ADD COLUMN phased INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE rollups ADD COLUMN sum_dns INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE rollups ADD COLUMN sum_conn INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE rollups ADD COLUMN sum_tls INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE rollups ADD COLUMN sum_ttfb INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE rollups ADD COLUMN sum_xfer INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE results ADD COLUMN cert INTEGER;
  `,
  // v6: run slots (issue #13). `slot` is the run's scheduledAt (epoch ms): a
  // unique index stores each (check, slot) once, so a run written twice (a
  // retried batch, or two writers of one slot) is stored, and counted in
  // rollups, once, as on PostgreSQL, where cluster members share the database.
  // It is partial: rows without a slot (check --once, older rows, which stay
  // NULL) are never duplicates of each other and cost the index nothing.
  // `epoch` is the lease epoch of a cluster member: a SQLite monitor runs
  // alone and sets none, but both dialects store the same result alike.
  `
  ALTER TABLE results ADD COLUMN slot INTEGER;
  ALTER TABLE results ADD COLUMN epoch INTEGER;
  CREATE UNIQUE INDEX results_slot ON results (check_id, slot) WHERE slot IS NOT NULL;
  `,
];
