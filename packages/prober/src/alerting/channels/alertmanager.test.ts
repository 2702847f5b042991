import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NotificationPayload } from '../../domain/alerts.js';
import { alertmanagerMissing, type RunningAlertmanager, startAlertmanager } from '../../testing/alertmanager.js';
import { channelBase, makePayload, type Recorder, STARTED_AT, startRecorder } from '../../testing/channels.js';
import { ALERTS_PER_REQUEST, alertsUrl } from './alertmanager.js';
import { createChannel } from './index.js';

function alertmanagerChannel(url: string, headers: Record<string, string> = {}) {
  return createChannel({ ...channelBase('am', url), type: 'alertmanager', url, headers });
}

/** A firing (or resolved) notification for another check, its incident started at `startedAt`. */
function forCheck(
  name: string,
  kind: NotificationPayload['kind'] = 'firing',
  startedAt = STARTED_AT,
  endedAt = startedAt + 252_000,
): NotificationPayload {
  const base = makePayload({ kind });
  const incident = {
    ...base.incident,
    id: `${name}:${startedAt}`,
    check: name,
    startedAt,
    endedAt: kind === 'resolved' ? endedAt : null,
  };
  return { ...base, key: `${incident.id}:${kind}`, check: { ...base.check, name }, incident };
}

describe('alertmanager channel: the request', () => {
  let receiver: Recorder;
  before(async () => {
    receiver = await startRecorder();
  });
  after(() => receiver.close());

  it('<url>/api/v2/alerts whatever the base ends with, keeping a path prefix', () => {
    assert.equal(alertsUrl('http://am:9093'), 'http://am:9093/api/v2/alerts');
    assert.equal(alertsUrl('http://am:9093/'), 'http://am:9093/api/v2/alerts');
    assert.equal(alertsUrl('http://proxy/alertmanager//'), 'http://proxy/alertmanager/api/v2/alerts');
  });

  it('firing and resolved: postable alerts, endsAt only when resolved', async () => {
    const channel = alertmanagerChannel(`${receiver.url}/`, { Authorization: 'Bearer am-token' });
    assert.equal((await channel.send(makePayload())).ok, true);
    assert.equal((await channel.send(makePayload({ kind: 'resolved' }))).ok, true);
    await channel.close?.();
    const firing = await receiver.next();
    assert.equal(firing.path, '/api/v2/alerts');
    assert.equal(firing.headers['content-type'], 'application/json');
    assert.equal(firing.headers.authorization, 'Bearer am-token');
    const labels = {
      alertname: 'LifelineCheckFailing',
      check: 'api',
      severity: 'critical',
      team: 'payments',
      app_kubernetes_io_name: 'api',
    };
    const message = 'no complete response within the timeout (stopped in ttfb)';
    assert.deepEqual(JSON.parse(firing.body), [
      {
        labels,
        annotations: {
          summary: 'api is failing: timeout',
          description: `http://api.shop.svc:3000/healthz fails (timeout: ${message}) since 2026-01-02T03:04:05.000Z, 3 failed results.`,
          error_code: 'timeout',
          error_message: message,
          incident: `api:${STARTED_AT}`,
        },
        startsAt: '2026-01-02T03:04:05.000Z',
        generatorURL: 'http://lifeline.monitoring:8080/api/checks/api',
      },
    ]);
    const [resolved] = JSON.parse((await receiver.next()).body);
    assert.equal(resolved.endsAt, '2026-01-02T03:08:17.000Z');
    assert.equal(resolved.annotations.summary, 'api recovered after 4m12s');
  });

  it(`refresh posts every firing alert, ${ALERTS_PER_REQUEST} at most per request`, async () => {
    const channel = alertmanagerChannel(receiver.url);
    const firing = Array.from({ length: 2 * ALERTS_PER_REQUEST + 1 }, (_, i) => forCheck(`check-${i}`));
    const outcome = await channel.refresh?.(firing);
    await channel.close?.();
    assert.equal(outcome?.ok, true);
    const sizes = [];
    const checks = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const alerts = JSON.parse((await receiver.next()).body) as { labels: { check: string } }[];
      sizes.push(alerts.length);
      for (const alert of alerts) checks.add(alert.labels.check);
    }
    assert.deepEqual(sizes, [ALERTS_PER_REQUEST, ALERTS_PER_REQUEST, 1]);
    assert.equal(checks.size, firing.length);
    assert.deepEqual(await alertmanagerChannel(receiver.url).refresh?.([]), {
      ok: true,
      message: 'nothing to refresh',
      retryable: false,
    });
  });
});

const missing = alertmanagerMissing();

describe('alertmanager channel: a real Alertmanager groups and resolves', { skip: missing }, () => {
  let receiver: Recorder;
  let alertmanager: RunningAlertmanager | undefined;
  let base: string;

  before(async () => {
    receiver = await startRecorder();
    alertmanager = await startAlertmanager({ receiverUrl: `${receiver.url}/` });
    base = alertmanager.url;
  });

  after(async () => {
    await alertmanager?.close();
    await receiver?.close();
  });

  /** The next notification Alertmanager sends the receiver whose status is `status`. */
  async function notification(status: string): Promise<{ status: string; alerts: Record<string, any>[] }> {
    for (;;) {
      const body = JSON.parse((await receiver.next(20_000)).body);
      if (body.status === status) return body;
    }
  }

  it('two failing checks become one grouped notification, then a resolved one', async () => {
    const channel = alertmanagerChannel(base);
    // Started now: Alertmanager flushes a new group at once, without group_wait, when its
    // alerts started longer than group_wait ago (dispatch.go), and this test is about grouping.
    const startedAt = Date.now();
    const sent = await Promise.all([
      channel.send(forCheck('api', 'firing', startedAt)),
      channel.send(forCheck('db', 'firing', startedAt)),
    ]);
    assert.deepEqual(
      sent.map((o) => [o.ok, o.status]),
      [
        [true, 200],
        [true, 200],
      ],
      JSON.stringify(sent),
    );
    const firing = await notification('firing');
    assert.equal(firing.alerts.length, 2, 'one notification for both checks');
    assert.deepEqual(firing.alerts.map((a) => a.labels.check).sort(), ['api', 'db']);
    for (const alert of firing.alerts) {
      assert.equal(alert.status, 'firing');
      assert.equal(alert.labels.alertname, 'LifelineCheckFailing');
      assert.equal(alert.labels.app_kubernetes_io_name, 'api');
      assert.equal(alert.annotations.error_code, 'timeout');
      assert.equal(alert.generatorURL, 'http://lifeline.monitoring:8080/api/checks/api');
    }
    // A refresh re-posts what is firing; Alertmanager takes it as the same alerts.
    assert.equal(
      (await channel.refresh?.([forCheck('api', 'firing', startedAt), forCheck('db', 'firing', startedAt)]))?.ok,
      true,
    );

    const endedAt = Date.now();
    const resolved = await Promise.all([
      channel.send(forCheck('api', 'resolved', startedAt, endedAt)),
      channel.send(forCheck('db', 'resolved', startedAt, endedAt)),
    ]);
    assert.ok(
      resolved.every((o) => o.ok),
      JSON.stringify(resolved),
    );
    const done = await notification('resolved');
    assert.deepEqual(done.alerts.map((a) => [a.labels.check, a.status]).sort(), [
      ['api', 'resolved'],
      ['db', 'resolved'],
    ]);
    await channel.close?.();
  });
});
