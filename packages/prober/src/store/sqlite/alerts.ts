import type Database from 'better-sqlite3';
import type { DurableAlertState, Incident } from '../../domain/alerts.js';
import { flattenChanges, type OutboxRow, oldestFirst, toOutboxEntry } from '../alert-rows.js';
import type { AlertStore, AttemptRecord } from '../store.js';
import type { SqliteContext } from './context.js';

/** Alert state, incidents and the notification outbox (schema v4); the semantics are AlertStore's. */
export interface SqliteAlerts extends AlertStore {
  /** Prepares the statements; called by migrate(), once the tables exist. */
  prepare(): void;
}

const NEWEST_INCIDENTS = 'started_at >= ? AND started_at < ? ORDER BY started_at DESC, id DESC LIMIT ?';

export function createSqliteAlerts(ctx: SqliteContext): SqliteAlerts {
  const { db } = ctx;
  let stmts: ReturnType<typeof prepareStatements>;
  const listings = new Map<string, Database.Statement>();

  function prepareStatements() {
    return {
      upsertState: db.prepare(
        `INSERT INTO alert_states (check_name, status, updated_at, state) VALUES (?, ?, ?, ?)
         ON CONFLICT (check_name) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, state = excluded.state`,
      ),
      upsertIncident: db.prepare(
        `INSERT INTO incidents (id, check_name, started_at, ended_at, incident) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET check_name = excluded.check_name, started_at = excluded.started_at,
           ended_at = excluded.ended_at, incident = excluded.incident`,
      ),
      insertNotification: db.prepare(
        `INSERT INTO outbox (id, key, channel, check_name, kind, incident_id, payload, created_at, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      ),
      states: db.prepare('SELECT state FROM alert_states'),
      forget: db.prepare('DELETE FROM alert_states WHERE check_name = ?'),
      incidents: db.prepare(`SELECT incident FROM incidents WHERE ${NEWEST_INCIDENTS}`),
      incidentsOf: db.prepare(`SELECT incident FROM incidents WHERE check_name = ? AND ${NEWEST_INCIDENTS}`),
      // The partial index outbox_due finds the due rows; RETURNING gives them in no set order.
      claim: db.prepare(
        `UPDATE outbox SET next_attempt_at = ? WHERE id IN (
           SELECT id FROM outbox WHERE status = 'pending' AND channel = ? AND next_attempt_at <= ?
           ORDER BY created_at, id LIMIT ?) RETURNING *`,
      ),
      delivered: db.prepare(
        "UPDATE outbox SET attempts = attempts + 1, status = 'delivered', delivered_at = ? WHERE id = ? AND status = 'pending'",
      ),
      retry: db.prepare(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ? AND status = 'pending'",
      ),
      expedite: db.prepare(
        `UPDATE outbox SET next_attempt_at = ? WHERE channel = ? AND status = 'pending' AND attempts > 0
           AND next_attempt_at > ? AND id NOT IN (SELECT value FROM json_each(?))`,
      ),
      dead: db.prepare(
        "UPDATE outbox SET attempts = attempts + 1, status = 'dead', last_error = ? WHERE id = ? AND status = 'pending'",
      ),
      counts: db.prepare(
        `SELECT channel, sum(status = 'pending') AS pending, sum(status = 'dead') AS dead
         FROM outbox WHERE status IN ('pending', 'dead') GROUP BY channel`,
      ),
    };
  }

  const recordTx = db.transaction((changes: Parameters<AlertStore['recordAlerts']>[0]) => {
    const { states, incidents, notifications } = flattenChanges(changes);
    for (const s of states) stmts.upsertState.run(s.check, s.status, s.updatedAt, JSON.stringify(s));
    for (const i of incidents) {
      stmts.upsertIncident.run(i.id, i.check, i.startedAt, i.endedAt ?? null, JSON.stringify(i));
    }
    for (const n of notifications) {
      stmts.insertNotification.run(
        n.id ?? null,
        n.key ?? null,
        n.channel ?? null,
        n.check ?? null,
        n.kind ?? null,
        n.incidentId ?? null,
        n.payload === undefined || n.payload === null ? null : JSON.stringify(n.payload),
        n.createdAt ?? null,
        n.nextAttemptAt ?? null,
      );
    }
  });
  const forgetTx = db.transaction((checks: readonly string[]) => {
    for (const check of checks) stmts.forget.run(check);
  });
  const claimTx = db.transaction((channel: string, now: number, limit: number, leaseUntil: number) =>
    (stmts.claim.all(leaseUntil, channel, now, limit) as OutboxRow[]).map(toOutboxEntry).sort(oldestFirst),
  );

  return {
    prepare() {
      stmts = prepareStatements();
    },
    async recordAlerts(changes) {
      ctx.ensure();
      if (changes.length > 0) recordTx(changes);
    },
    async alertStates() {
      ctx.ensure();
      const rows = stmts.states.all() as { state: string }[];
      const out = new Map<string, DurableAlertState>();
      for (const row of rows) {
        const state = JSON.parse(row.state) as DurableAlertState;
        out.set(state.check, state);
      }
      return out;
    },
    async forgetAlertStates(checks) {
      ctx.ensure();
      if (checks.length > 0) forgetTx(checks);
    },
    async incidents(query) {
      ctx.ensure();
      const range = [query.since ?? 0, query.until ?? Number.MAX_SAFE_INTEGER, query.limit];
      const rows = (
        query.check === undefined ? stmts.incidents.all(...range) : stmts.incidentsOf.all(query.check, ...range)
      ) as { incident: string }[];
      return rows.map((row) => JSON.parse(row.incident) as Incident);
    },
    async claimNotifications(channel, now, limit, leaseUntil) {
      ctx.ensure();
      if (limit <= 0) return [];
      // IMMEDIATE: the write lock is taken before the rows are read.
      return claimTx.immediate(channel, now, limit, leaseUntil);
    },
    async expediteNotifications(channel, now, exclude) {
      ctx.ensure();
      return Number(stmts.expedite.run(now, channel, now, JSON.stringify(exclude)).changes);
    },
    async recordAttempt(id, attempt: AttemptRecord) {
      ctx.ensure();
      if (attempt.status === 'delivered') stmts.delivered.run(attempt.at, id);
      else if (attempt.status === 'pending') stmts.retry.run(attempt.nextAttemptAt, attempt.error, id);
      else stmts.dead.run(attempt.error, id);
    },
    async notifications(query) {
      ctx.ensure();
      const where = ['created_at < ?'];
      const args: (string | number)[] = [query.until ?? Number.MAX_SAFE_INTEGER];
      if (query.status !== undefined) {
        where.push('status = ?');
        args.push(query.status);
      }
      if (query.check !== undefined) {
        where.push('check_name = ?');
        args.push(query.check);
      }
      // The filters are fixed SQL with bound values: four shapes at most, each prepared once.
      const sql = `SELECT * FROM outbox WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ?`;
      let statement = listings.get(sql);
      if (!statement) {
        statement = db.prepare(sql);
        listings.set(sql, statement);
      }
      const rows = statement.all(...args, query.limit) as OutboxRow[];
      return rows.map(toOutboxEntry);
    },
    async outboxCounts() {
      ctx.ensure();
      const rows = stmts.counts.all() as { channel: string; pending: number; dead: number }[];
      return new Map(rows.map((r) => [r.channel, { pending: r.pending, dead: r.dead }]));
    },
  };
}
