import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createHealth } from '@lifeline/health';
import type { FiringAlert } from '../alerting/engine.js';
import type { Incident } from '../domain/alerts.js';
import type { CheckResult } from '../domain/result.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { NewOutboxEntry, Store } from '../store/store.js';
import { makeCheck } from '../testing/check.js';
import { createApi } from './app.js';
import { createMetrics } from './metrics.js';

const T0 = Date.parse('2026-11-27T08:00:00.000Z');
const MIN = 60_000;
const refused = { code: 'refused' as const, message: 'connection refused' };

const incident = (check: string, minute: number, endMinute: number | null): Incident => ({
  id: `${check}:${T0 + minute * MIN}`,
  check,
  startedAt: T0 + minute * MIN,
  endedAt: endMinute === null ? null : T0 + endMinute * MIN,
  error: refused,
  failures: 3,
});

function outbox(inc: Incident, channel: string, kind: 'firing' | 'resolved', at: number): NewOutboxEntry {
  const key = `${inc.id}:${kind}`;
  return {
    id: `${key}@${channel}`,
    key,
    channel,
    check: inc.check,
    kind,
    incidentId: inc.id,
    payload: {
      kind,
      key,
      check: { name: inc.check, url: `http://${inc.check}/`, labels: {}, severity: 'critical' },
      incident: inc,
      createdAt: at,
    },
    createdAt: at,
    nextAttemptAt: at,
  };
}

describe('monitor API: alerts, incidents, notifications', () => {
  let store: Store;
  let dir: string;
  let server: http.Server;
  let bare: http.Server;
  let base: string;
  let bareBase: string;
  const latest = new Map<string, CheckResult>();
  const metrics = createMetrics(() => latest);
  const health = createHealth({ checks: {} });
  const open = incident('api', 30, null);
  const firing: FiringAlert[] = [
    { check: 'api', incident: open, notified: true },
    { check: 'db', incident: incident('db', 10, null), notified: false },
  ];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lifeline-alerts-api-'));
    store = createSqliteStore(join(dir, 'l.db'));
    await store.migrate();
    const closed = [incident('api', 0, 5), incident('api', 10, 12), incident('db', 20, 25)];
    await store.recordAlerts([
      {
        state: {
          check: 'api',
          status: 'failing',
          incident: open,
          notified: open,
          notifiedAt: T0 + 30 * MIN,
          reminders: 0,
          updatedAt: T0 + 30 * MIN,
        },
        incidents: [...closed, open],
        notifications: [
          outbox(closed[0] as Incident, 'hook', 'firing', T0),
          outbox(open, 'hook', 'firing', T0 + 30 * MIN),
        ],
      },
    ]);
    const [first] = await store.claimNotifications('hook', T0, 1, T0 + 1);
    await store.recordAttempt(first?.id as string, { status: 'dead', at: T0 + 1, error: 'HTTP 400: invalid_payload' });
    metrics.alerting({ firing: () => firing.length, outbox: () => new Map([['hook', { pending: 1, dead: 1 }]]) });
    metrics.notification('hook', 'dead');
    const checks = [makeCheck({ name: 'api' }), makeCheck({ name: 'db' })];
    server = http.createServer(
      createApi({
        checks: () => checks,
        latest: () => latest,
        store,
        alerts: { firing: () => [...firing], store },
        metrics,
        health,
      }),
    );
    bare = http.createServer(createApi({ checks: () => checks, latest: () => latest, metrics, health }));
    for (const s of [server, bare]) await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    bareBase = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
  });
  after(async () => {
    health.stop();
    server.close();
    bare.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (path: string, at = base) => {
    const res = await fetch(`${at}${path}`);
    return { status: res.status, body: (await res.json()) as any };
  };

  it('GET /api/v1/alerts: open incidents, oldest first, and whether receivers were told', async () => {
    const { status, body } = await get('/api/v1/alerts');
    assert.equal(status, 200);
    assert.deepEqual(
      body.alerts.map((a: any) => [a.check, a.notified, a.incident.startedAt, a.incident.endedAt]),
      [
        ['db', false, new Date(T0 + 10 * MIN).toISOString(), null],
        ['api', true, new Date(T0 + 30 * MIN).toISOString(), null],
      ],
    );
    assert.deepEqual(body.alerts[1].incident.error, refused);
  });

  it('GET /api/v1/incidents: newest first, filtered by check and time, paged with next', async () => {
    const all = await get('/api/v1/incidents');
    assert.deepEqual(
      all.body.incidents.map((i: any) => i.id),
      [open.id, `db:${T0 + 20 * MIN}`, `api:${T0 + 10 * MIN}`, `api:${T0}`],
    );
    assert.equal(all.body.next, null);
    const page = await get('/api/v1/incidents?check=api&limit=2');
    assert.deepEqual(
      page.body.incidents.map((i: any) => i.id),
      [open.id, `api:${T0 + 10 * MIN}`],
    );
    assert.ok(page.body.next);
    const rest = await get(page.body.next);
    assert.deepEqual(
      rest.body.incidents.map((i: any) => [i.id, i.endedAt]),
      [[`api:${T0}`, new Date(T0 + 5 * MIN).toISOString()]],
    );
    const since = await get(`/api/v1/incidents?since=${new Date(T0 + 15 * MIN).toISOString()}`);
    assert.equal(since.body.incidents.length, 2);
  });

  it('GET /api/v1/notifications: the outbox, and the dead letters with their error', async () => {
    const dead = await get('/api/v1/notifications?status=dead');
    assert.equal(dead.status, 200);
    assert.equal(dead.body.notifications.length, 1);
    assert.equal(dead.body.notifications[0].status, 'dead');
    assert.equal(dead.body.notifications[0].attempts, 1);
    assert.equal(dead.body.notifications[0].lastError, 'HTTP 400: invalid_payload');
    assert.equal(dead.body.notifications[0].nextAttemptAt, null);
    const pending = await get('/api/v1/notifications?status=pending&check=api');
    assert.deepEqual(
      pending.body.notifications.map((n: any) => n.key),
      [`${open.id}:firing`],
    );
  });

  it('bad parameters are a 400 naming them; without alerting the history routes say so', async () => {
    for (const [path, text] of [
      ['/api/v1/notifications?status=lost', 'status must be pending, delivered or dead'],
      ['/api/v1/incidents?limit=0', 'limit must be a whole number'],
      ['/api/v1/incidents?since=yesterday', 'since must be an ISO 8601 time'],
      ['/api/v1/incidents?page=2', 'page'],
      ['/api/v1/alerts?x=1', 'x'],
    ] as const) {
      const { status, body } = await get(path);
      assert.equal(status, 400, path);
      assert.ok(body.message.includes(text), `${path}: ${body.message}`);
    }
    assert.deepEqual((await get('/api/v1/alerts', bareBase)).body, { alerts: [] });
    assert.equal((await get('/api/v1/incidents', bareBase)).status, 503);
  });

  it('/metrics has the alerting series', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const line of [
      'lifeline_alerts_firing 2',
      'lifeline_outbox_pending{channel="hook"} 1',
      'lifeline_outbox_dead{channel="hook"} 1',
      'lifeline_notifications_total{channel="hook",outcome="dead"} 1',
    ]) {
      assert.ok(text.includes(line), line);
    }
  });
});
