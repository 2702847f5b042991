import type pg from 'pg';
import type { DurableAlertState, Incident } from '../../domain/alerts.js';
import { flattenChanges, type OutboxRow, oldestFirst, toOutboxEntry } from '../alert-rows.js';
import { FencedError } from '../cluster.js';
import type { AlertStore, AttemptRecord } from '../store.js';
import { DB_NOW_MS, type PostgresContext } from './context.js';

/**
 * Alert fencing (issue #13): the lease of `epoch` is live by the database
 * clock. FOR SHARE holds the member row until the transaction ends, so the
 * member cannot be expelled nor join again (a new epoch) while its alert
 * writes commit; its renew waits for them (one short transaction).
 */
const liveLease = (epoch: string) =>
  `SELECT 1 FROM lifeline_members WHERE epoch = ${epoch} AND expires_at > ${DB_NOW_MS} FOR SHARE`;

/** claimNotifications' one statement, fenced (the epoch is $5) or not; see there. */
const claim = (fenced: boolean) => `
  ${fenced ? `WITH lease AS (${liveLease('$5')})` : ''}
  UPDATE lifeline_outbox SET next_attempt_at = $4 WHERE id IN (
    SELECT id FROM lifeline_outbox WHERE status = 'pending' AND channel = $1 AND next_attempt_at <= $2
      ${fenced ? 'AND EXISTS (SELECT 1 FROM lease)' : ''}
    ORDER BY created_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
  RETURNING *`;
const CLAIM = claim(false);
const CLAIM_FENCED = claim(true);

/**
 * Alert state, incidents and the notification outbox (schema v4); the
 * semantics are AlertStore's. Every statement goes through the pool, so it
 * has the store's statement and client-side query bounds; recordAlerts is one
 * transaction of three statements (states, incidents, notifications), each
 * taking its rows as one JSON array.
 *
 * Once ClusterStore.useFence was called (ctx.fence), recordAlerts first checks
 * in its transaction that this process's epoch holds a live lease, and rejects
 * with FencedError, writing nothing, when it does not; claimNotifications
 * claims nothing then (the check is part of its one statement).
 */
export function createPostgresAlerts(ctx: PostgresContext): AlertStore {
  const { pool } = ctx;

  return {
    async recordAlerts(changes) {
      ctx.ensure();
      if (changes.length === 0) return;
      const { states, incidents, notifications } = flattenChanges(changes);
      const fence = ctx.fence.epoch;
      const epoch = fence?.();
      if (fence && epoch === undefined) throw new FencedError();
      // A fenced call ends its transaction normally (nothing written) and rejects after: an error
      // inside would cost the pooled connection (see createTransaction).
      const fenced = await ctx.transaction(async (client) => {
        if (fence && (await client.query(liveLease('$1'), [epoch])).rowCount === 0) return true;
        if (states.length > 0) {
          await client.query(
            `INSERT INTO lifeline_alert_states (check_name, status, updated_at, state)
             SELECT s->>'check', s->>'status', (s->>'updatedAt')::bigint, s FROM jsonb_array_elements($1::jsonb) AS s
             ON CONFLICT (check_name) DO UPDATE SET
               status = excluded.status, updated_at = excluded.updated_at, state = excluded.state`,
            [JSON.stringify(states)],
          );
        }
        if (incidents.length > 0) {
          await client.query(
            `INSERT INTO lifeline_incidents (id, check_name, started_at, ended_at, incident)
             SELECT i->>'id', i->>'check', (i->>'startedAt')::bigint, (i->>'endedAt')::bigint, i
             FROM jsonb_array_elements($1::jsonb) AS i
             ON CONFLICT (id) DO UPDATE SET check_name = excluded.check_name, started_at = excluded.started_at,
               ended_at = excluded.ended_at, incident = excluded.incident`,
            [JSON.stringify(incidents)],
          );
        }
        if (notifications.length > 0) {
          // A missing field is SQL NULL (a JSON null payload too), so a NOT NULL column rejects the whole call.
          await client.query(
            `INSERT INTO lifeline_outbox (id, key, channel, check_name, kind, incident_id, payload, created_at, next_attempt_at)
             SELECT n->>'id', n->>'key', n->>'channel', n->>'check', n->>'kind', n->>'incidentId',
               nullif(n->'payload', 'null'::jsonb), (n->>'createdAt')::bigint, (n->>'nextAttemptAt')::bigint
             FROM jsonb_array_elements($1::jsonb) AS n
             ON CONFLICT (id) DO NOTHING`,
            [JSON.stringify(notifications)],
          );
        }
        return false;
      });
      if (fenced) throw new FencedError();
    },
    async alertStates() {
      ctx.ensure();
      const { rows } = await pool.query<{ state: DurableAlertState }>('SELECT state FROM lifeline_alert_states');
      return new Map(rows.map((row) => [row.state.check, row.state]));
    },
    async forgetAlertStates(checks) {
      ctx.ensure();
      if (checks.length === 0) return;
      await pool.query('DELETE FROM lifeline_alert_states WHERE check_name = ANY($1::text[])', [[...checks]]);
    },
    async incidents(query) {
      ctx.ensure();
      const values: unknown[] = [query.since ?? 0, query.until ?? Number.MAX_SAFE_INTEGER, query.limit];
      if (query.check !== undefined) values.push(query.check);
      const { rows } = await pool.query<{ incident: Incident }>(
        `SELECT incident FROM lifeline_incidents WHERE started_at >= $1 AND started_at < $2
         ${query.check === undefined ? '' : 'AND check_name = $4'}
         ORDER BY started_at DESC, id DESC LIMIT $3`,
        values,
      );
      return rows.map((row) => row.incident);
    },
    async claimNotifications(channel, now, limit, leaseUntil) {
      ctx.ensure();
      if (limit <= 0) return [];
      const fence = ctx.fence.epoch;
      const epoch = fence?.();
      if (fence && epoch === undefined) return [];
      // One statement: the rows another monitor holds are skipped, not waited for, and a row
      // moved past `now` by a claim that committed meanwhile is re-checked and left out. Fenced,
      // it claims only while this member's lease is live.
      const values = [channel, now, limit, leaseUntil];
      const { rows } = await pool.query<OutboxRow>(fence ? CLAIM_FENCED : CLAIM, fence ? [...values, epoch] : values);
      return rows.map(toOutboxEntry).sort(oldestFirst);
    },
    async expediteNotifications(channel, now, exclude) {
      ctx.ensure();
      const { rowCount } = await pool.query(
        `UPDATE lifeline_outbox SET next_attempt_at = $2 WHERE channel = $1 AND status = 'pending' AND attempts > 0
           AND next_attempt_at > $2 AND NOT (id = ANY($3::text[]))`,
        [channel, now, [...exclude]],
      );
      return rowCount ?? 0;
    },
    async recordAttempt(id, attempt: AttemptRecord) {
      ctx.ensure();
      const finalGuard = "WHERE id = $1 AND status = 'pending'";
      if (attempt.status === 'delivered') {
        await pool.query(
          `UPDATE lifeline_outbox SET attempts = attempts + 1, status = 'delivered', delivered_at = $2 ${finalGuard}`,
          [id, attempt.at],
        );
      } else if (attempt.status === 'pending') {
        await pool.query(
          `UPDATE lifeline_outbox SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3 ${finalGuard}`,
          [id, attempt.nextAttemptAt, attempt.error],
        );
      } else {
        await pool.query(
          `UPDATE lifeline_outbox SET attempts = attempts + 1, status = 'dead', last_error = $2 ${finalGuard}`,
          [id, attempt.error],
        );
      }
    },
    async notifications(query) {
      ctx.ensure();
      const where = ['created_at < $1'];
      const values: unknown[] = [query.until ?? Number.MAX_SAFE_INTEGER];
      if (query.status !== undefined) {
        values.push(query.status);
        where.push(`status = $${values.length}`);
      }
      if (query.check !== undefined) {
        values.push(query.check);
        where.push(`check_name = $${values.length}`);
      }
      values.push(query.limit);
      const { rows } = await pool.query<OutboxRow>(
        `SELECT * FROM lifeline_outbox WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${values.length}`,
        values,
      );
      return rows.map(toOutboxEntry);
    },
    async outboxCounts() {
      ctx.ensure();
      const { rows } = await pool.query<{ channel: string; pending: number; dead: number }>(
        `SELECT channel, count(*) FILTER (WHERE status = 'pending')::int AS pending,
           count(*) FILTER (WHERE status = 'dead')::int AS dead
         FROM lifeline_outbox WHERE status IN ('pending', 'dead') GROUP BY channel`,
      );
      return new Map(rows.map((r) => [r.channel, { pending: r.pending, dead: r.dead }]));
    },
  };
}

/** Deletes delivered and dead notifications created before `before` (pending ones stay); inside prune's transaction. */
export async function pruneNotifications(ctx: PostgresContext, client: pg.PoolClient, before: number): Promise<number> {
  const { rowCount } = await client.query(
    ctx.long("DELETE FROM lifeline_outbox WHERE status IN ('delivered', 'dead') AND created_at < $1", [before]),
  );
  return rowCount ?? 0;
}
