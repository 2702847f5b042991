import type { ClusterSnapshot, ClusterStore, MemberInfo } from '../cluster.js';
import { DB_NOW_MS, type PostgresContext } from './context.js';

/** A lifeline_members row as read, with the database clock of the statement that read it. */
interface MemberRow {
  readonly db_now: number;
  readonly id: string | null;
  readonly epoch: number;
  readonly host: string;
  readonly api: string | null;
  readonly started_at: number;
  readonly active_at: number;
  readonly renewed_at: number;
  readonly expires_at: number;
}

/**
 * Every statement ends with this: one row per member (or one row of NULLs
 * when there is none), each carrying the clock the statement read, so a
 * snapshot is one round trip. `after` is the member set the statement leaves.
 */
const SNAPSHOT = (after: string, extra = '') => `
  SELECT now.ms AS db_now${extra}, a.* FROM now LEFT JOIN (${after}) a ON true ORDER BY a.id`;

/**
 * join: one transaction of two statements. Joins are serialized by an
 * advisory lock taken first, so two members starting at once do not both see
 * an empty cluster and both own every check at once: the second sees the
 * first's lease and waits activeDelay. The insert replaces a row of the same
 * id with a new epoch (that older process is fenced from then on). The
 * snapshot is the rows as they were plus the one written (a statement does not
 * see its own writes).
 */
const JOIN_LOCK = "SELECT pg_advisory_xact_lock(hashtext('lifeline-join:' || current_schema()))";
const JOIN = `
  WITH now AS (SELECT ${DB_NOW_MS} AS ms),
  others AS (
    SELECT EXISTS (SELECT 1 FROM lifeline_members m, now WHERE m.id <> $1 AND m.expires_at > now.ms) AS live
  ),
  joined AS (
    INSERT INTO lifeline_members AS m (id, epoch, host, api, started_at, active_at, renewed_at, expires_at)
    SELECT $1::text, nextval('lifeline_member_epochs'), $2::text, $3::text, now.ms,
      CASE WHEN others.live THEN now.ms + $5::bigint ELSE now.ms END, now.ms, now.ms + $4::bigint
    FROM now, others
    ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch, host = excluded.host, api = excluded.api,
      started_at = excluded.started_at, active_at = excluded.active_at, renewed_at = excluded.renewed_at,
      expires_at = excluded.expires_at
    RETURNING m.*
  )
  ${SNAPSHOT(
    'SELECT * FROM lifeline_members WHERE id <> $1 UNION ALL SELECT * FROM joined',
    ', (SELECT epoch FROM joined) AS joined_epoch',
  )}`;

/**
 * renew: one statement, one round trip. Extends (id, epoch), lapsed or not;
 * deletes (expels) the other rows whose lease ended more than expelAfter ago.
 * Those are taken FOR UPDATE SKIP LOCKED: a row being renewed right now (its
 * member is alive) or held by a write of that member is left for the next
 * renew, and two members expelling at once never wait on or deadlock with each
 * other. This member's own row is never expelled here: while it is stored,
 * its epoch is not fenced, so extending it is safe however late. The snapshot
 * is the rows as they were, less the expelled, with this row as renewed.
 * A lease renewed after it lapsed, while other members' leases held, turns
 * active again only after activeDelay, as a joiner does: the others took its
 * checks at the lapse and keep them until they have seen it back.
 */
const RENEW = `
  WITH now AS (SELECT ${DB_NOW_MS} AS ms),
  renewed AS (
    UPDATE lifeline_members m SET renewed_at = now.ms, expires_at = now.ms + $3::bigint,
      active_at = CASE WHEN m.expires_at <= now.ms AND EXISTS (
          SELECT 1 FROM lifeline_members o WHERE o.id <> $1 AND o.expires_at > now.ms)
        THEN now.ms + $5::bigint ELSE m.active_at END
    FROM now WHERE m.id = $1 AND m.epoch = $2
    RETURNING m.id, m.epoch, m.host, m.api, m.started_at, m.active_at, m.renewed_at, m.expires_at
  ),
  expelled AS (
    DELETE FROM lifeline_members WHERE id IN (
      SELECT x.id FROM lifeline_members x
      WHERE x.expires_at < (SELECT ms FROM now) - $4::bigint AND NOT (x.id = $1 AND x.epoch = $2)
      FOR UPDATE OF x SKIP LOCKED)
    RETURNING id
  )
  ${SNAPSHOT(
    `SELECT * FROM lifeline_members WHERE NOT (id = $1 AND epoch = $2) AND id NOT IN (SELECT id FROM expelled)
     UNION ALL SELECT * FROM renewed`,
    ', EXISTS (SELECT 1 FROM renewed) AS renewed',
  )}`;

const MEMBERS = `WITH now AS (SELECT ${DB_NOW_MS} AS ms) ${SNAPSHOT('SELECT * FROM lifeline_members')}`;

function snapshotOf(rows: readonly MemberRow[]): ClusterSnapshot {
  const members: MemberInfo[] = [];
  for (const row of rows) {
    if (row.id === null) continue;
    members.push({
      id: row.id,
      epoch: row.epoch,
      host: row.host,
      api: row.api,
      startedAt: row.started_at,
      activeAt: row.active_at,
      renewedAt: row.renewed_at,
      expiresAt: row.expires_at,
    });
  }
  const now = rows[0]?.db_now;
  if (now === undefined) throw new Error('the cluster snapshot came back without the database clock');
  return { now, members };
}

/** Whether a number of ms is one a lease can use: a whole, non-negative number. */
function checkMs(name: string, ms: number): number {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`${name} must be a whole number of ms >= 0, got ${ms}`);
  return ms;
}

/**
 * Membership, leases and fencing on PostgreSQL (ClusterStore; schema v6):
 * the rows of lifeline_members, their locks and the database clock. Every
 * statement goes through the pool, so it has the store's statement and
 * client-side query bounds (queryTimeoutMs), and its connect bound.
 *
 * @example
 * ```ts
 * const store = createPostgresStore({ url });
 * await store.migrate();
 * const { epoch, snapshot } = await store.cluster!.join({ id: 'monitor-0', host: 'pod-a', api: null }, 15_000, 6_000);
 * ```
 */
export function createPostgresCluster(ctx: PostgresContext): ClusterStore {
  const { pool } = ctx;
  return {
    async join(member, ttlMs, activeDelayMs) {
      ctx.ensure();
      const values = [
        member.id,
        member.host,
        member.api,
        checkMs('ttlMs', ttlMs),
        checkMs('activeDelayMs', activeDelayMs),
      ];
      const rows = await ctx.transaction(async (client) => {
        await client.query(JOIN_LOCK);
        return (await client.query<MemberRow & { joined_epoch: number }>(JOIN, values)).rows;
      });
      const epoch = rows[0]?.joined_epoch;
      if (epoch === undefined) throw new Error(`joining the cluster as ${member.id} returned no epoch`);
      return { epoch, snapshot: snapshotOf(rows) };
    },
    async renew(id, epoch, ttlMs, expelAfterMs, activeDelayMs = 0) {
      ctx.ensure();
      const { rows } = await pool.query<MemberRow & { renewed: boolean }>(RENEW, [
        id,
        epoch,
        checkMs('ttlMs', ttlMs),
        checkMs('expelAfterMs', expelAfterMs),
        checkMs('activeDelayMs', activeDelayMs),
      ]);
      return { renewed: rows[0]?.renewed === true, snapshot: snapshotOf(rows) };
    },
    async leave(id, epoch) {
      ctx.ensure();
      await pool.query('DELETE FROM lifeline_members WHERE id = $1 AND epoch = $2', [id, epoch]);
    },
    async members() {
      ctx.ensure();
      return snapshotOf((await pool.query<MemberRow>(MEMBERS)).rows);
    },
    useFence(epoch) {
      ctx.fence.epoch = epoch;
    },
  };
}
