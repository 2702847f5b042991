// Cluster in a box: pods reach `api` by its Service DNS name only, through a
// resolver with Kubernetes' search path, a Service address spread over the
// ready pods, and pods that come and go. See cluster.ts for the wiring.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { json, ROOT, type Spawned } from '../helpers.js';
import { Cluster, missingPrerequisite, type Pod } from './cluster.js';

const missing = missingPrerequisite();
if (missing && process.env.CI === 'true')
  throw new Error(`the cluster-in-a-box test cannot run: ${missing}, and CI=true`);

const node = process.execPath;
const dir = mkdtempSync(join(tmpdir(), 'lifeline-cluster-'));
const SEED = join(dir, 'seed.yaml');
writeFileSync(
  SEED,
  'checks:\n  - name: api\n    url: http://api:3000/healthcheck\n    schedule: "0 8 * * *"\n    timeout: 2s\n',
);

// Each test carries the skip, not the suite: the runner counts skipped tests, so a
// machine without the prerequisites shows them as skipped in the summary.
const skip = missing ?? false;

describe('cluster in a box', () => {
  const cluster = new Cluster();
  let prober: Pod;
  const apis: Pod[] = [];
  let n = 0;

  async function startApi(env: Record<string, string> = {}): Promise<Pod> {
    const pod = cluster.pod(`api${++n}`);
    const proc = cluster.exec(pod, node, [join(ROOT, 'apps/api/dist/main.js')], {
      PORT: '3000',
      HOST: '0.0.0.0',
      SHUTDOWN_DELAY_MS: '1000',
      DRAIN_TIMEOUT_MS: '3000',
      ...env,
    });
    await proc.waitForLine((l) => String(json(l)?.msg).startsWith('api listening'), 15_000);
    apis.push(pod);
    return pod;
  }
  const live = () => apis.filter((p) => p.processes.every((proc) => proc.child.exitCode === null));
  async function until(what: string, ok: () => boolean, ms = 10_000) {
    const end = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  async function stop(pod: Pod) {
    const proc = pod.processes[0] as Spawned;
    proc.child.kill('SIGTERM');
    const exit = await proc.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, `${pod.name} exits 0 after draining`);
  }
  async function checkOnce(config: string) {
    const check = cluster.exec(prober, node, [
      join(ROOT, 'packages/prober/bin/lifeline.js'),
      'check',
      '--once',
      '--config',
      config,
    ]);
    const { code } = await check.exited;
    const line = check.lines.map(json).find((l) => l?.check);
    return { code, line };
  }

  // The host's own setting, which the cluster changes and must put back.
  const ipForward = () => readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
  let ipForwardBefore = '';

  before(async () => {
    if (missing) return;
    ipForwardBefore = ipForward();
    await cluster.dns({ api: cluster.serviceIp });
    prober = cluster.pod('prober');
    await startApi();
    await startApi();
    cluster.service(3000, 3000, live);
    await until('both api pods ready', () => cluster.readyEndpoints().length === 2);
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    if (missing) return;
    await cluster.destroy();
    assert.equal(ipForward(), ipForwardBefore, 'net.ipv4.ip_forward is as the host had it');
  });

  it('both api pods up: lifeline check --once gets 200 from http://api:3000/healthcheck, exit 0', {
    skip,
  }, async () => {
    const { code, line } = await checkOnce(SEED);
    assert.equal(code, 0, JSON.stringify(line));
    assert.equal(line?.status, 200);
    assert.equal(line?.url, 'http://api:3000/healthcheck');
  });

  it('one api pod failing readiness: it leaves the Service, checks still get 200', { skip }, async () => {
    // A pod whose Redis is unreachable: /readyz answers 503, so the Service never routes to it.
    const sick = await startApi({ REDIS_URL: 'redis://127.0.0.1:1' });
    await stop(apis[1] as Pod);
    await until('only the healthy pod in the Service', () => cluster.readyEndpoints().length === 1);
    assert.ok(!cluster.readyEndpoints().includes(sick.ip));
    for (let i = 0; i < 5; i++) {
      const { code, line } = await checkOnce(SEED);
      assert.deepEqual([code, line?.status], [0, 200]);
    }
  });

  it('both down: exit 1 with refused or timeout', { skip }, async () => {
    for (const pod of live()) await stop(pod);
    await until('no endpoint', () => cluster.readyEndpoints().length === 0);
    const { code, line } = await checkOnce(SEED);
    assert.equal(code, 1);
    assert.ok(['refused', 'timeout'].includes(String((line?.error as { code?: string })?.code)), JSON.stringify(line));
  });

  it('a Service name that does not exist: dns_nxdomain', { skip }, async () => {
    const config = join(dir, 'nope.yaml');
    writeFileSync(config, 'checks:\n  - name: nope\n    url: http://billing:8080/healthcheck\n    every: 10s\n');
    const { code, line } = await checkOnce(config);
    assert.equal(code, 1);
    assert.equal((line?.error as { code?: string })?.code, 'dns_nxdomain', JSON.stringify(line));
  });

  it('a rolling restart of both api pods while the prober checks every 200 ms: 0 failed checks', { skip }, async () => {
    const a = await startApi();
    const b = await startApi();
    await until('two ready pods', () => cluster.readyEndpoints().length === 2);
    const config = join(dir, 'every.yaml');
    writeFileSync(
      config,
      'storage: none\nchecks:\n  - name: api\n    url: http://api:3000/healthcheck\n    every: 200ms\n    timeout: 2s\n',
    );
    const monitor = cluster.exec(prober, node, [
      join(ROOT, 'packages/prober/bin/lifeline.js'),
      'run',
      '--config',
      config,
      '--port',
      '0',
    ]);
    const results = () => monitor.lines.map(json).filter((l) => l?.check === 'api');
    await until('first results', () => results().length >= 3);
    // Like a Deployment with maxSurge 1, maxUnavailable 0: a new pod, ready, then an old one stops.
    for (const old of [a, b]) {
      const fresh = await startApi();
      await until(`${fresh.name} ready`, () => cluster.readyEndpoints().includes(fresh.ip));
      await stop(old);
    }
    const before = results().length;
    await until('checks after the restart', () => results().length >= before + 5);
    monitor.child.kill('SIGTERM');
    assert.equal((await monitor.exited).code, 0);
    const all = results();
    const failed = all.filter((r) => r?.ok !== true);
    assert.ok(all.length >= 20, `${all.length} checks ran`);
    assert.deepEqual(failed, [], `${failed.length} of ${all.length} checks failed`);
  });
});
