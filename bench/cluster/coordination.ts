// What coordinating N members costs PostgreSQL, measured statement by
// statement (pg_stat_statements needs shared_preload_libraries, which the
// shared server does not load, so it cannot be used here):
// - membership: the store's own RENEW statement (store/postgres/cluster.ts),
//   as a member sends it, with N member rows in the table;
// - fencing: the store's own results INSERT (store/postgres/results.ts) of
//   one member's batch, with epochs (each row looks up and key-share locks its
//   member row) and without (epoch NULL skips that), the difference being the
//   fencing share of a write.
// The statement texts are taken from the real store calls (a spy on
// pg.Client#query records the first one of each), then each is timed by the
// server: EXPLAIN (ANALYZE, TIMING OFF) inside a transaction that is rolled
// back, planning + execution, repeated and interleaved; medians. All in a
// schema of its own (created and dropped here), never the members' schema:
// a member row added there would take checks.
import pg from 'pg';
import type { CheckResult } from '../../packages/prober/src/domain/result.js';
import { createPostgresStore } from '../../packages/prober/src/store/postgres/postgres-store.js';
import { encode, type Store } from '../../packages/prober/src/store/store.js';
import { percentile } from '../common.js';

interface Statement {
  readonly text: string;
  readonly values: readonly unknown[];
}

type Query = (...args: unknown[]) => unknown;

/** Runs `during` and returns the first statement the store sent whose text contains `marker`. */
async function capture(marker: string, during: () => Promise<unknown>): Promise<Statement> {
  const proto = pg.Client.prototype as unknown as { query: Query };
  const original = proto.query;
  let found: Statement | undefined;
  proto.query = function spy(this: unknown, ...args: unknown[]) {
    const [text, values] = args;
    if (found === undefined && typeof text === 'string' && text.includes(marker))
      found = { text, values: Array.isArray(values) ? [...values] : [] };
    return original.apply(this, args);
  };
  try {
    await during();
  } finally {
    proto.query = original;
  }
  if (found === undefined) throw new Error(`the store sent no statement containing ${JSON.stringify(marker)}`);
  return found;
}

/** Server time of one statement (planning + execution, ms), its effects rolled back. */
async function serverMs(client: pg.Client, text: string, values: readonly unknown[]): Promise<number> {
  await client.query('BEGIN');
  try {
    const { rows } = await client.query<{ 'QUERY PLAN': { 'Planning Time': number; 'Execution Time': number }[] }>(
      `EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ${text}`,
      [...values],
    );
    const plan = rows[0]?.['QUERY PLAN'][0];
    if (!plan) throw new Error('EXPLAIN returned no plan');
    return plan['Planning Time'] + plan['Execution Time'];
  } finally {
    await client.query('ROLLBACK');
  }
}

const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

export interface Coordination {
  /** Member rows in the table while the renew was timed. */
  readonly members: number;
  /** Rows per write batch timed. */
  readonly batchRows: number;
  /** Median server time of one renew (ms), and its round trip through the store (ms). */
  readonly renewMs: number;
  readonly renewRoundTripMs: number;
  /** Median server time of one write of batchRows rows, with and without epochs (ms). */
  readonly writeWithEpochMs: number;
  readonly writeWithoutEpochMs: number;
  /** Median of the per-pair differences (with − without), ms: the fencing share of one write. */
  readonly fencingMs: number;
  readonly reps: number;
}

/** One batch of `rows` results of checks f0…, a run slot each at `slot`, stamped with `epoch` when given. */
function batch(rows: number, slot: number, epoch: number | undefined): CheckResult[] {
  return Array.from({ length: rows }, (_, i) => ({
    time: new Date(slot + 3).toISOString(),
    scheduledAt: new Date(slot).toISOString(),
    check: `f${i}`,
    url: `http://127.0.0.1:1/healthcheck?c=${i}`,
    status: 200,
    ok: true,
    durationMs: 1.2,
    phases: { dns: 0, connect: 0.3, tls: 0, ttfb: 0.8, transfer: 0.1, total: 1.2 },
    ...(epoch === undefined ? {} : { epoch }),
  }));
}

/**
 * Times the coordination statements with `members` member rows and write
 * batches of `batchRows` rows, `reps` times each, in a new schema `schema`
 * (dropped before returning).
 */
export async function measureCoordination(o: {
  pgUrl: string;
  schema: string;
  members: number;
  batchRows: number;
  reps: number;
  ttlMs: number;
  renewMs: number;
}): Promise<Coordination> {
  const admin = new pg.Client({ connectionString: o.pgUrl });
  await admin.connect();
  let store: Store | undefined;
  const client = new pg.Client({ connectionString: o.pgUrl, options: `-c search_path=${o.schema}` });
  try {
    await admin.query(`CREATE SCHEMA ${o.schema}`);
    store = createPostgresStore({ url: o.pgUrl, schema: o.schema });
    await store.migrate();
    const cluster = store.cluster;
    if (!cluster) throw new Error('the PostgreSQL store has no cluster store');
    // The member rows, joined as members join (the lease long enough to outlast the measurement).
    let epoch = 0;
    for (let i = 0; i < o.members; i++)
      epoch = (await cluster.join({ id: `bench-${i}`, host: 'bench', api: null }, 3_600_000, o.renewMs + 1_000)).epoch;
    const id = `bench-${o.members - 1}`;
    // The member's own arguments (membership.ts): ttl, expelAfter = renewMs, activeDelay = renewMs + 1 s.
    const renew = await capture('expelled AS', () => cluster.renew(id, epoch, o.ttlMs, o.renewMs, o.renewMs + 1_000));
    const base = Date.now() - 3_600_000;
    const write = await capture('json_to_recordset', () => (store as Store).write(batch(o.batchRows, base, epoch)));
    await client.connect();
    const ids = new Map(
      (await client.query<{ id: number; name: string }>('SELECT id, name FROM lifeline_checks')).rows.map((r) => [
        r.name,
        r.id,
      ]),
    );
    const json = (slot: number, stamp: number | undefined) =>
      JSON.stringify(batch(o.batchRows, slot, stamp).map((r) => ({ check_id: ids.get(r.check), ...encode(r) })));

    const renewTimes: number[] = [];
    const renewTrips: number[] = [];
    const withEpoch: number[] = [];
    const without: number[] = [];
    const diffs: number[] = [];
    for (let rep = 0; rep < o.reps; rep++) {
      const slot = base + (rep + 1) * 60_000;
      const timeWith = () => serverMs(client, write.text, [json(slot, epoch)]);
      const timeWithout = () => serverMs(client, write.text, [json(slot, undefined)]);
      // Alternate which goes first, so a drift of the machine's load falls on both alike.
      let stamped: number;
      let plain: number;
      if (rep % 2 === 0) {
        stamped = await timeWith();
        plain = await timeWithout();
      } else {
        plain = await timeWithout();
        stamped = await timeWith();
      }
      withEpoch.push(stamped);
      without.push(plain);
      diffs.push(stamped - plain);
      renewTimes.push(await serverMs(client, renew.text, renew.values));
      const t0 = performance.now();
      await cluster.renew(id, epoch, o.ttlMs, o.renewMs, o.renewMs + 1_000);
      renewTrips.push(performance.now() - t0);
    }
    return {
      members: o.members,
      batchRows: o.batchRows,
      renewMs: median(renewTimes),
      renewRoundTripMs: median(renewTrips),
      writeWithEpochMs: median(withEpoch),
      writeWithoutEpochMs: median(without),
      fencingMs: median(diffs),
      reps: o.reps,
    };
  } finally {
    await client.end().catch(() => undefined);
    await store?.close().catch(() => undefined);
    await admin.query(`DROP SCHEMA IF EXISTS ${o.schema} CASCADE`).catch(() => undefined);
    await admin.end().catch(() => undefined);
  }
}
