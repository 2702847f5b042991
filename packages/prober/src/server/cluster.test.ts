// Issue #13: GET /api/v1/cluster and the cluster metrics.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createHealth } from '@lifeline/health';
import type { ClusterView, MemberView } from '../cluster/view.js';
import type { ServerAuth } from '../config/resolved.js';
import type { CheckResult } from '../domain/result.js';
import { makeCheck } from '../testing/check.js';
import { type ApiDeps, createApiServer } from './app.js';
import { createMetrics } from './metrics.js';
import { OPENAPI } from './openapi.js';

const T0 = Date.parse('2026-12-01T09:00:00.000Z');
const TOKEN = 'cluster-token-0123456789';
const AUTH: ServerAuth = { bearer: TOKEN, metrics: 'protected', statusPage: 'public', badges: 'protected' };

const member = (id: string, epoch: number, over: Partial<MemberView> = {}): MemberView => ({
  id,
  epoch,
  host: `${id}-host`,
  api: `http://${id}:8080`,
  startedAt: T0 + epoch * 1_000,
  activeAt: T0 + epoch * 1_000 + 6_000,
  renewedAt: T0 + 60_000,
  expiresAt: T0 + 75_000,
  self: false,
  live: true,
  active: true,
  checksOwned: 0,
  ...over,
});

/** Three members as a membership would show them: b is joining (not active yet), c's lease has ended. */
const OWNED: Readonly<Record<string, string[]>> = { a: ['api', 'db'], b: [], c: [] };
const VIEW: ClusterView = {
  mode: 'cluster',
  self: 'a',
  epoch: 7,
  leaseTtlMs: 15_000,
  renewMs: 5_000,
  members: [
    member('a', 7, { self: true, checksOwned: 2 }),
    member('b', 9, { api: null, activeAt: T0 + 90_000, active: false }),
    member('c', 3, { live: false, active: false, expiresAt: T0 + 30_000 }),
  ],
  checksOf: (id) => [...(OWNED[id] ?? [])],
};

async function startApi(extra: Partial<ApiDeps>) {
  const latest = new Map<string, CheckResult>();
  const health = createHealth({ checks: {} });
  const server = createApiServer({
    checks: () => [makeCheck({ name: 'api' }), makeCheck({ name: 'db' })],
    latest: () => latest,
    metrics: createMetrics(() => latest),
    health,
    ...extra,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    async get(path: string, authorization?: string) {
      const res = await fetch(`${base}${path}`, authorization === undefined ? {} : { headers: { authorization } });
      const text = await res.text();
      return { status: res.status, type: res.headers.get('content-type'), body: JSON.parse(text) };
    },
    async close() {
      health.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

describe('GET /api/v1/cluster', () => {
  let api: Awaited<ReturnType<typeof startApi>>;
  let reads = 0;
  before(async () => {
    api = await startApi({
      auth: AUTH,
      cluster: () => {
        reads += 1;
        return VIEW;
      },
    });
  });
  after(() => api.close());
  const bearer = `Bearer ${TOKEN}`;

  it('serves the view: times in ISO 8601, every member field, no checks unless asked', async () => {
    const res = await api.get('/api/v1/cluster', bearer);
    assert.equal(res.status, 200);
    assert.match(String(res.type), /^application\/json/);
    assert.deepEqual(res.body, {
      mode: 'cluster',
      self: 'a',
      epoch: 7,
      leaseTtlMs: 15_000,
      renewMs: 5_000,
      members: [
        {
          id: 'a',
          self: true,
          host: 'a-host',
          api: 'http://a:8080',
          epoch: 7,
          startedAt: iso(T0 + 7_000),
          activeAt: iso(T0 + 13_000),
          renewedAt: iso(T0 + 60_000),
          expiresAt: iso(T0 + 75_000),
          live: true,
          active: true,
          checksOwned: 2,
        },
        {
          id: 'b',
          self: false,
          host: 'b-host',
          api: null,
          epoch: 9,
          startedAt: iso(T0 + 9_000),
          activeAt: iso(T0 + 90_000),
          renewedAt: iso(T0 + 60_000),
          expiresAt: iso(T0 + 75_000),
          live: true,
          active: false,
          checksOwned: 0,
        },
        {
          id: 'c',
          self: false,
          host: 'c-host',
          api: 'http://c:8080',
          epoch: 3,
          startedAt: iso(T0 + 3_000),
          activeAt: iso(T0 + 9_000),
          renewedAt: iso(T0 + 60_000),
          expiresAt: iso(T0 + 30_000),
          live: false,
          active: false,
          checksOwned: 0,
        },
      ],
    });
    assert.deepEqual((await api.get('/api/v1/cluster?checks=false', bearer)).body, res.body);
  });

  it('?checks=true adds the checks each member owns', async () => {
    const res = await api.get('/api/v1/cluster?checks=true', bearer);
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.members.map((m: { id: string; checks: string[] }) => [m.id, m.checks]),
      [
        ['a', ['api', 'db']],
        ['b', []],
        ['c', []],
      ],
    );
  });

  it('reads the view on every request (it changes as members come and go)', async () => {
    const before = reads;
    await api.get('/api/v1/cluster', bearer);
    await api.get('/api/v1/cluster', bearer);
    assert.equal(reads, before + 2);
  });

  it('needs the credentials of the rest of the API', async () => {
    const res = await api.get('/api/v1/cluster');
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'unauthorized');
    assert.equal((await api.get('/api/v1/cluster', 'Bearer not-the-token-0123456789')).status, 401);
  });

  const bad: [string, string, string][] = [
    [
      '/api/v1/cluster?checks=yes',
      'bad_parameter',
      'checks must be true (list the checks each member owns) or false, got "yes"',
    ],
    [
      '/api/v1/cluster?checks',
      'bad_parameter',
      'checks must be true (list the checks each member owns) or false, got ""',
    ],
    ['/api/v1/cluster?checks=true&checks=true', 'bad_parameter', 'checks is given 2 times; give it once'],
    ['/api/v1/cluster?member=a', 'unknown_parameter', 'unknown query parameter "member": this route takes checks'],
  ];
  for (const [path, error, message] of bad) {
    it(`refuses ${path} with a 400 naming the parameter`, async () => {
      const res = await api.get(path, bearer);
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, { error, message });
    });
  }

  it('is a 404 on a server without a cluster view, in the JSON error shape', async () => {
    const bare = await startApi({});
    try {
      const res = await bare.get('/api/v1/cluster');
      assert.equal(res.status, 404);
      assert.deepEqual(res.body, { error: 'not_found', message: 'this server has no cluster view' });
    } finally {
      await bare.close();
    }
  });

  it('is described in the OpenAPI document, with a schema naming every member field', () => {
    assert.deepEqual(Object.keys(OPENAPI.paths['/api/v1/cluster']), ['get']);
    const { Cluster, ClusterMember } = OPENAPI.components.schemas;
    assert.deepEqual(
      [...Cluster.required].sort(),
      Object.keys(VIEW)
        .filter((k) => k !== 'checksOf')
        .sort(),
    );
    assert.deepEqual(
      Object.keys(ClusterMember.properties).sort(),
      [...Object.keys(VIEW.members[0] as object), 'checks'].sort(),
    );
  });
});

describe('cluster metrics', () => {
  it('shows the gauges from the source at scrape time, and counts fenced writes and handovers', async () => {
    const metrics = createMetrics(() => new Map());
    const scrape = () => metrics.registry.metrics();
    const before = await scrape();
    assert.ok(!before.includes('lifeline_cluster_members'), 'no cluster gauges until a membership is wired');
    assert.ok(!before.includes('lifeline_cluster_lease_valid'));

    let state = { members: 3, owned: 12, leaseValid: true };
    metrics.cluster(() => state);
    let text = await scrape();
    for (const line of [
      'lifeline_cluster_members 3',
      'lifeline_checks_owned 12',
      'lifeline_cluster_lease_valid 1',
      'lifeline_cluster_fenced_total{kind="results"} 0',
      'lifeline_cluster_fenced_total{kind="alerts"} 0',
    ])
      assert.ok(text.split('\n').includes(line), `${line} in\n${text}`);
    assert.match(text, /^# HELP lifeline_cluster_lease_valid 1 while this member's lease is valid/m);
    assert.match(text, /^# TYPE lifeline_cluster_fenced_total counter$/m);
    assert.match(text, /^# TYPE lifeline_cluster_handovers_total counter$/m);

    state = { members: 2, owned: 0, leaseValid: false };
    metrics.fenced('results', 5);
    metrics.fenced('results', 2);
    metrics.fenced('alerts', 1);
    metrics.fenced('alerts', 0);
    metrics.handover('member-left');
    metrics.handover('lease-lost');
    metrics.handover('member-left');
    text = await scrape();
    for (const line of [
      'lifeline_cluster_members 2',
      'lifeline_checks_owned 0',
      'lifeline_cluster_lease_valid 0',
      'lifeline_cluster_fenced_total{kind="results"} 7',
      'lifeline_cluster_fenced_total{kind="alerts"} 1',
      'lifeline_cluster_handovers_total{reason="member-left"} 2',
      'lifeline_cluster_handovers_total{reason="lease-lost"} 1',
    ])
      assert.ok(text.split('\n').includes(line), `${line} in\n${text}`);

    // A second membership (a restart of it) replaces the source; the gauges are not registered twice.
    metrics.cluster(() => ({ members: 1, owned: 2, leaseValid: true }));
    text = await scrape();
    assert.ok(text.split('\n').includes('lifeline_cluster_members 1'), text);
    assert.equal(text.match(/^# TYPE lifeline_checks_owned gauge$/gm)?.length, 1);
  });
});
