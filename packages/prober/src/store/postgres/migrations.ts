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
  // v4: alerting (issue #10). Each check's durable alert state, its incidents and
  // the notification outbox; check names are plain text (these tables are small).
  // JSONB columns hold the values as the domain types define them (domain/alerts.ts).
  // Ids sort bytewise (COLLATE "C"), as in SQLite, for the same tie order everywhere.
  `
  CREATE TABLE lifeline_alert_states (
    check_name TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    state JSONB NOT NULL
  );
  CREATE TABLE lifeline_incidents (
    id TEXT COLLATE "C" PRIMARY KEY,
    check_name TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    incident JSONB NOT NULL
  );
  CREATE INDEX lifeline_incidents_by_check ON lifeline_incidents (check_name, started_at DESC, id DESC);
  CREATE INDEX lifeline_incidents_by_start ON lifeline_incidents (started_at DESC, id DESC);
  CREATE TABLE lifeline_outbox (
    id TEXT COLLATE "C" PRIMARY KEY,
    key TEXT NOT NULL,
    channel TEXT NOT NULL,
    check_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    payload JSONB NOT NULL,
    created_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    last_error TEXT,
    delivered_at BIGINT
  );
  -- The delivery worker's query: the due pending rows of one channel. Delivered
  -- and dead rows are not in this index.
  CREATE INDEX lifeline_outbox_due ON lifeline_outbox (channel, next_attempt_at) WHERE status = 'pending';
  CREATE INDEX lifeline_outbox_by_status ON lifeline_outbox (status, created_at);
  CREATE INDEX lifeline_outbox_by_check ON lifeline_outbox (check_name, created_at);
  CREATE INDEX lifeline_outbox_by_created ON lifeline_outbox (created_at);
  `,
  // v5: the dashboard (issue #12). Rollups keep per-phase latency sums and how
  // many runs they cover (`phased`): rows folded before hold 0 of both, so their
  // buckets show no phase means rather than wrong zeros, and a bucket folded
  // partly before and partly after (or by an older monitor still running, which
  // leaves these columns alone) averages only the runs that had phases. The
  // sums are in hundredths of a ms, as results store phases: integers, exact in
  // any order of adding. Raw results keep the peer certificate's expiry (epoch
  // seconds). Columns with constant defaults: PostgreSQL 11+ adds them without
  // rewriting the tables.
  `
  ALTER TABLE lifeline_rollups
    ADD COLUMN phased INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN sum_dns BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN sum_conn BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN sum_tls BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN sum_ttfb BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN sum_xfer BIGINT NOT NULL DEFAULT 0;
  ALTER TABLE lifeline_results ADD COLUMN cert BIGINT;
  `,
  // v6: high availability (issue #13). Several monitors share the database;
  // each check is run by one of them, but for a moment around a handover two
  // may run the same run slot (the scheduler puts runs on a grid, so both plan
  // the same scheduledAt). `slot` is that scheduledAt (epoch ms): a unique index
  // stores each (check, slot) once, whoever writes first, and rollups count it
  // once. It is partial: rows without a slot (check --once, older rows, which
  // stay NULL) are never duplicates of each other, and the index does not grow
  // with them. `epoch` is the lease epoch of the member that ran the check.
  // lifeline_members holds one row per member and its lease, in the database's
  // clock (store/postgres/cluster.ts); an epoch is drawn from the sequence at
  // every join and never reused, so a row whose epoch is gone (expelled or
  // re-joined) fences that process's results and alerts for good. Ids sort
  // bytewise (COLLATE "C"), as the alert tables' do.
  `
  ALTER TABLE lifeline_results ADD COLUMN slot BIGINT, ADD COLUMN epoch BIGINT;
  CREATE UNIQUE INDEX lifeline_results_slot ON lifeline_results (check_id, slot) WHERE slot IS NOT NULL;
  CREATE SEQUENCE lifeline_member_epochs;
  CREATE TABLE lifeline_members (
    id TEXT COLLATE "C" PRIMARY KEY,
    epoch BIGINT NOT NULL UNIQUE,
    host TEXT NOT NULL,
    api TEXT,
    started_at BIGINT NOT NULL,
    active_at BIGINT NOT NULL,
    renewed_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  `,
];
