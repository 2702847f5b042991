import type pg from 'pg';
import type { DurableAlertState, Incident } from '../../domain/alerts.js';
import { flattenChanges, type OutboxRow, oldestFirst, toOutboxEntry } from '../alert-rows.js';
import type { AlertStore, AttemptRecord } from '../store.js';
import type { PostgresContext } from './context.js';

/**
 * Alert state, incidents and the notification outbox (schema v4); the
 * semantics are AlertStore's. Every statement goes through the pool, so it
 * has the store's statement and client-side query bounds; recordAlerts is one
 * transaction of three statements (states, incidents, notifications), each
 * taking its rows as one JSON array.
 */
export function createPostgresAlerts(ctx: PostgresContext): AlertStore {
  const { pool } = ctx;

  return {
    async recordAlerts(changes) {
      ctx.ensure();
      if (changes.length === 0) return;
      const { states, incidents, notifications } = flattenChanges(changes);
      await ctx.transaction(async (client) => {
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
      });
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
      // One statement: the rows another monitor holds are skipped, not waited for, and a row
      // moved past `now` by a claim that committed meanwhile is re-checked and left out.
      const { rows } = await pool.query<OutboxRow>(
        `UPDATE lifeline_outbox SET next_attempt_at = $4 WHERE id IN (
           SELECT id FROM lifeline_outbox WHERE status = 'pending' AND channel = $1 AND next_attempt_at <= $2
           ORDER BY created_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [channel, now, limit, leaseUntil],
      );
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
