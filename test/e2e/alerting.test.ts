import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type http from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  alertmanagerMissing,
  type RunningAlertmanager,
  startAlertmanager,
} from '../../packages/prober/src/testing/alertmanager.js';
import { type Received, type Recorder, startRecorder } from '../../packages/prober/src/testing/channels.js';
import { runLifeline } from '../../packages/prober/src/testing/cli.js';
import { closedPort } from '../../packages/prober/src/testing/targets.js';
import { json } from './helpers.js';
import { apiOf, cleanup, getJson, startTarget, until, WAIT_MS } from './monitor.js';

/**
 * Alerting as a user meets it: the real `lifeline` binary, a target the test
 * switches between 200 and 503, webhook receivers on loopback and a real
 * Alertmanager, with state in SQLite across a SIGKILL.
 */

const SECRET = 'e2e-webhook-secret-0123456789abcdef';
/** Every wait is bounded by this; the machine is slow, the events come in a few seconds. */

const body = (r: Received) => JSON.parse(r.body) as Record<string, any>;
const key = (r: Received) => r.headers['idempotency-key'] as string | undefined;

const logged = (text: string) => (l: string) => json(l)?.msg?.toString().includes(text) === true;

describe('alerting, whole system', () => {
  const clean = cleanup('lifeline-e2e-alerting-');

  it('exactly one firing and one resolved per channel: a signed webhook and a real Alertmanager', async (t) => {
    const missing = alertmanagerMissing();
    if (missing) return t.skip(missing);
    const dir = clean.dir();
    const target = clean.add(await startTarget(200), (s) => s.close());
    const hook = clean.add(await startRecorder(), (r) => r.close());
    const amReceiver = clean.add(await startRecorder(), (r) => r.close());
    const am = clean.add(
      await startAlertmanager({ receiverUrl: `${amReceiver.url}/`, groupWait: '1s', groupInterval: '1s' }),
      (a: RunningAlertmanager) => a.close(),
    );
    const config = monitorConfig(dir, target.url, {
      channels: [
        `{ name: hook, type: webhook, url: "${hook.url}/hook", secret: "${SECRET}", timeout: 2s }`,
        `{ name: am, type: alertmanager, url: "${am.url}", timeout: 2s }`,
      ],
      alerts: '{ failureThreshold: 2, successThreshold: 2, channels: [hook, am] }',
    });
    const monitor = clean.monitor(config);
    const api = await apiOf(monitor);
    // A few passing runs first: nothing is sent for them.
    await monitor.waitForLine(
      () => monitor.lines.filter((l) => json(l)?.check === 'api' && json(l)?.ok === true).length >= 3,
      WAIT_MS,
    );
    const amStatus = (status: string) =>
      amReceiver.received.some((r) => body(r).alerts.some((a: any) => a.labels.check === 'api' && a.status === status));

    target.set(503);
    await until(hook, () => hook.received.length >= 1, 'the webhook firing');
    await until(amReceiver, () => amStatus('firing'), "Alertmanager's firing notification");
    await monitor.waitForLine(logged('alert: firing for api delivered to am'), WAIT_MS);

    target.set(200);
    await until(hook, () => hook.received.length >= 2, 'the webhook resolved');
    await until(amReceiver, () => amStatus('resolved'), "Alertmanager's resolved notification");
    await monitor.waitForLine(logged('alert: resolved for api delivered to am'), WAIT_MS);

    const incidents = (await getJson(`${api}/api/v1/incidents`)).incidents as Record<string, any>[];
    assert.equal(incidents.length, 1, JSON.stringify(incidents));
    const [incident] = incidents as [Record<string, any>];
    assert.equal(incident.check, 'api');
    assert.notEqual(incident.endedAt, null, 'closed');
    assert.ok(incident.failures >= 2, JSON.stringify(incident));
    const metrics = await (await fetch(`${api}/metrics`)).text();
    assert.match(metrics, /^lifeline_notifications_total\{channel="hook",outcome="delivered"\} 2$/m);
    assert.match(metrics, /^lifeline_notifications_total\{channel="am",outcome="delivered"\} 2$/m);
    assert.match(metrics, /^lifeline_alerts_firing 0$/m);

    monitor.child.kill('SIGTERM');
    assert.equal((await monitor.exited).code, 0, monitor.lines.join('\n'));

    // The webhook: firing then resolved, one incident, keyed and signed as documented.
    assert.deepEqual(
      hook.received.map((r) => [r.method, r.path, body(r).status, body(r).lifeline.kind]),
      [
        ['POST', '/hook', 'firing', 'firing'],
        ['POST', '/hook', 'resolved', 'resolved'],
      ],
    );
    assert.deepEqual(hook.received.map(key), [`${incident.id}:firing`, `${incident.id}:resolved`]);
    for (const r of hook.received) {
      assert.equal(body(r).groupKey, incident.id);
      assert.equal(body(r).lifeline.incident.id, incident.id);
      const signature = `sha256=${createHmac('sha256', SECRET).update(r.body).digest('hex')}`;
      assert.equal(r.headers['x-lifeline-signature'], signature);
    }

    // Alertmanager: one notification with the alert firing, one with it resolved.
    const seen = amReceiver.received.flatMap((r) =>
      (body(r).alerts as any[]).filter((a) => a.labels.check === 'api').map((a) => [body(r).status, a.status]),
    );
    assert.deepEqual(seen, [
      ['firing', 'firing'],
      ['resolved', 'resolved'],
    ]);
    const [firingAlert] = body(amReceiver.received[0] as Received).alerts;
    assert.equal(firingAlert.labels.alertname, 'LifelineCheckFailing');
    assert.equal(firingAlert.annotations.incident, incident.id);
  });

  it('a SIGKILL mid-retry: after the restart the notification is delivered once, under the same key', async () => {
    const dir = clean.dir();
    const target = clean.add(await startTarget(503), (s) => s.close());
    const { hook, okByKey } = await countingHook(clean, (n, res) => {
      if (n > 3) return false;
      res.writeHead(500).end('not yet');
      return true;
    });
    const config = hookConfig(dir, target.url, hook.url);
    const first = clean.monitor(config);
    await apiOf(first);
    // Two tries answered 500, each recorded (the line is logged after the store write).
    await first.waitForLine(
      () => first.lines.filter(logged('alert: firing for api not delivered to hook')).length >= 2,
      WAIT_MS,
    );
    first.child.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');
    const opened = first.lines.map(json).find((l) => l?.msg === 'alert: api is failing (incident opened)');
    const incidentId = opened?.incident as string;
    assert.ok(incidentId, first.lines.join('\n'));

    const second = clean.monitor(config);
    const api = await apiOf(second);
    await second.waitForLine(logged('alert: firing for api delivered to hook'), WAIT_MS);

    const firingKey = `${incidentId}:firing`;
    assert.deepEqual([...okByKey], [[firingKey, 1]], 'delivered once, with a 200');
    assert.deepEqual(new Set(hook.received.map(key)), new Set([firingKey]), 'no other key: no second firing');
    const notifications = (await getJson(`${api}/api/v1/notifications`)).notifications as Record<string, any>[];
    assert.deepEqual(
      notifications.map((n) => [n.key, n.channel, n.status, n.incident]),
      [[firingKey, 'hook', 'delivered', incidentId]],
    );
    const attempts = notifications[0]?.attempts as number;
    assert.ok(
      attempts >= 3 && attempts <= hook.received.length,
      `${attempts} attempts, ${hook.received.length} requests`,
    );
    const incidents = (await getJson(`${api}/api/v1/incidents`)).incidents as Record<string, any>[];
    assert.deepEqual(
      incidents.map((i) => [i.id, i.endedAt]),
      [[incidentId, null]],
      'the same incident, still open: the target still fails',
    );
    assert.equal(second.lines.filter(logged('(incident opened)')).length, 0, 'the restart opened no incident');

    second.child.kill('SIGTERM');
    assert.equal((await second.exited).code, 0, second.lines.join('\n'));
    assert.deepEqual([...okByKey], [[firingKey, 1]]);
  });

  it('a SIGKILL while a send is in flight: the restart sends it again after the lease, under the same key', async () => {
    const dir = clean.dir();
    const target = clean.add(await startTarget(503), (s) => s.close());
    // The first request is never answered: the monitor is killed while waiting for it.
    const { hook, okByKey } = await countingHook(clean, (n) => n === 1);
    // The lease is timeout + 10 s: the restart re-sends within about 12 s of the claim.
    const config = hookConfig(dir, target.url, hook.url);
    const before = clean.monitor(config);
    await apiOf(before);
    const held = await hook.next(WAIT_MS);
    before.child.kill('SIGKILL');
    await before.exited;
    const firingKey = key(held) as string;
    assert.match(firingKey, /^api:\d+:firing$/);

    const afterKill = clean.monitor(config);
    const api = await apiOf(afterKill);
    await afterKill.waitForLine(logged('alert: firing for api delivered to hook'), WAIT_MS);
    assert.deepEqual([...okByKey], [[firingKey, 1]], 'delivered once, with a 200');
    assert.deepEqual(new Set(hook.received.map(key)), new Set([firingKey]));
    const notifications = (await getJson(`${api}/api/v1/notifications`)).notifications as Record<string, any>[];
    assert.deepEqual(
      notifications.map((n) => [n.key, n.status]),
      [[firingKey, 'delivered']],
    );
    afterKill.child.kill('SIGTERM');
    assert.equal((await afterKill.exited).code, 0, afterKill.lines.join('\n'));
  });

  it('check --once: a failure sends one firing and exits 1, a pass sends nothing and exits 0, a down receiver changes no exit code', async () => {
    const dir = clean.dir();
    const target = clean.add(await startTarget(503), (s) => s.close());
    const hook = clean.add(await startRecorder(), (r) => r.close());
    const write = (name: string, url: string) => {
      const config = join(dir, name);
      writeFileSync(
        config,
        [
          'alerting:',
          '  channels:',
          `    - { name: hook, type: webhook, url: "${url}", secret: "${SECRET}", timeout: 2s }`,
          'checks:',
          '  - name: api',
          `    url: ${target.url}`,
          '    every: 1m',
          '    alerts: { channels: [hook] }',
          '',
        ].join('\n'),
      );
      return config;
    };
    const config = write('once.yaml', `${hook.url}/`);

    const failing = await runLifeline(['check', '--once', '--config', config]);
    assert.equal(failing.code, 1, failing.stdout + failing.stderr);
    assert.equal(hook.received.length, 1);
    const [firing] = hook.received as [Received];
    assert.equal(body(firing).lifeline.kind, 'firing');
    assert.match(key(firing) ?? '', /^api:\d+:firing$/);
    assert.equal(
      firing.headers['x-lifeline-signature'],
      `sha256=${createHmac('sha256', SECRET).update(firing.body).digest('hex')}`,
    );

    target.set(200);
    const passing = await runLifeline(['check', '--once', '--config', config]);
    assert.equal(passing.code, 0, passing.stdout + passing.stderr);
    assert.equal(hook.received.length, 1, 'a passing run sends nothing');

    target.set(503);
    const down = write('down.yaml', `http://127.0.0.1:${await closedPort()}/`);
    const unsent = await runLifeline(['check', '--once', '--config', down]);
    assert.equal(unsent.code, 1, unsent.stdout + unsent.stderr);
    const lines = `${unsent.stdout}\n${unsent.stderr}`.split('\n').map(json);
    assert.ok(
      lines.some(
        (l) => l?.level === 'error' && String(l.msg).startsWith('alert: firing for api not delivered to hook'),
      ),
      unsent.stdout + unsent.stderr,
    );
    assert.equal(hook.received.length, 1);
  });

  it('alert test --channel: delivered (0), NOT delivered (1), unknown channel (2)', async () => {
    const dir = clean.dir();
    const good = clean.add(await startRecorder(), (r) => r.close());
    const bad = clean.add(await startRecorder((_req, res) => res.writeHead(500).end('broken')), (r) => r.close());
    const write = (name: string, url: string) => {
      const config = join(dir, name);
      writeFileSync(
        config,
        [
          'alerting:',
          '  channels:',
          `    - { name: hook, type: webhook, url: "${url}", timeout: 2s, maxAttempts: 1 }`,
          'checks:',
          '  - name: api',
          '    url: http://127.0.0.1:9/',
          '    every: 1m',
          '',
        ].join('\n'),
      );
      return config;
    };
    const ok = await runLifeline([
      'alert',
      'test',
      '--channel',
      'hook',
      '--config',
      write('good.yaml', `${good.url}/`),
    ]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /\bdelivered\b/);
    assert.doesNotMatch(ok.stdout, /NOT delivered/);
    assert.equal(good.received.length, 1);
    assert.equal(body(good.received[0] as Received).lifeline.kind, 'test');

    const failed = await runLifeline([
      'alert',
      'test',
      '--channel',
      'hook',
      '--config',
      write('bad.yaml', `${bad.url}/`),
    ]);
    assert.equal(failed.code, 1, failed.stdout + failed.stderr);
    assert.match(failed.stdout + failed.stderr, /NOT delivered/);
    assert.ok(bad.received.length >= 1);

    const unknown = await runLifeline(['alert', 'test', '--channel', 'nope', '--config', join(dir, 'good.yaml')]);
    assert.equal(unknown.code, 2, unknown.stdout + unknown.stderr);
    assert.match(unknown.stderr, /no channel named "nope".*\(channels: hook\)/);
  });

  it('maintenance: results in an open window are marked and notify nobody', async () => {
    const dir = clean.dir();
    const target = clean.add(await startTarget(503), (s) => s.close());
    const hook = clean.add(await startRecorder(), (r) => r.close());
    const config = monitorConfig(dir, target.url, {
      channels: [`{ name: hook, type: webhook, url: "${hook.url}/", timeout: 2s }`],
      // Opens every minute for a minute: open the whole test.
      extra: ['maintenance:', '  - { name: always, schedule: "* * * * *", duration: 1m, checks: [api] }'],
      alerts: '{ failureThreshold: 1, successThreshold: 1, channels: [hook] }',
    });
    const monitor = clean.monitor(config);
    const api = await apiOf(monitor);
    const results = () => monitor.lines.map(json).filter((l) => l?.check === 'api' && l?.ok === false);
    await monitor.waitForLine(() => results().length >= 5, WAIT_MS);
    assert.ok(
      results().every((r) => r?.maintenance === true),
      JSON.stringify(results()),
    );
    const stored = (await getJson(`${api}/api/v1/checks/api/results?limit=5`)) as Record<string, any>;
    const rows = stored.results as Record<string, any>[];
    assert.ok(rows.length > 0 && rows.every((r) => r.maintenance === true && r.ok === false), JSON.stringify(stored));
    // The incident opens (marked), but its firing waits for the window's end: nothing queued.
    await monitor.waitForLine(logged('alert: api is failing (incident opened)'), WAIT_MS);
    const firing = (await getJson(`${api}/api/v1/alerts`)).alerts as Record<string, any>[];
    assert.deepEqual(
      firing.map((a) => [a.check, Boolean(a.notified), a.incident.maintenance]),
      [['api', false, true]],
      JSON.stringify(firing),
    );
    assert.deepEqual((await getJson(`${api}/api/v1/notifications`)).notifications, []);

    monitor.child.kill('SIGTERM');
    assert.equal((await monitor.exited).code, 0, monitor.lines.join('\n'));
    assert.equal(hook.received.length, 0, 'nothing sent while the window is open');
    assert.equal(monitor.lines.filter(logged('delivered to hook')).length, 0);
  });
});

/** One check against `target`, failing at its first failed run, notifying one webhook (2 s timeout, 10 tries). */
function hookConfig(dir: string, target: string, hook: string): string {
  return monitorConfig(dir, target, {
    channels: [`{ name: hook, type: webhook, url: "${hook}/", timeout: 2s, maxAttempts: 10 }`],
    alerts: '{ failureThreshold: 1, channels: [hook] }',
  });
}

/** A monitor config in `dir`: SQLite there, loopback, these channels, and one check "api" every 200 ms against `target`. */
function monitorConfig(
  dir: string,
  target: string,
  options: { channels: string[]; alerts: string; extra?: string[] },
): string {
  const config = join(dir, 'lifeline.yaml');
  writeFileSync(
    config,
    [
      `storage: ${join(dir, 'lifeline.db')}`,
      'server: { host: 127.0.0.1 }',
      'alerting:',
      '  channels:',
      ...options.channels.map((channel) => `    - ${channel}`),
      ...(options.extra ?? []),
      'checks:',
      '  - name: api',
      `    url: ${target}`,
      '    every: 200ms',
      '    timeout: 2s',
      `    alerts: ${options.alerts}`,
      '',
    ].join('\n'),
  );
  return config;
}

/**
 * A webhook that counts its 200s per Idempotency-Key. `spoil(n, res)` sees
 * request n first: it answers it otherwise (or never) and returns true, or
 * returns false to let it be answered 200 and counted.
 */
async function countingHook(
  clean: ReturnType<typeof cleanup>,
  spoil: (n: number, res: http.ServerResponse) => boolean,
): Promise<{ hook: Recorder; okByKey: Map<string, number> }> {
  const okByKey = new Map<string, number>();
  let n = 0;
  const hook = clean.add(
    await startRecorder((req, res) => {
      n += 1;
      if (spoil(n, res)) return;
      const k = String(req.headers['idempotency-key']);
      okByKey.set(k, (okByKey.get(k) ?? 0) + 1);
      res.end('ok');
    }),
    (r) => r.close(),
  );
  return { hook, okByKey };
}
