import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { channelBase, makePayload, type Recorder, STARTED_AT, startRecorder } from '../../testing/channels.js';
import { createChannel } from './index.js';

let receiver: Recorder;
before(async () => {
  receiver = await startRecorder((req, res) => res.writeHead(req.path === '/gone' ? 410 : 200).end('ok'));
});
after(() => receiver.close());

const ID = `api:${STARTED_AT}`;
const LABELS = {
  alertname: 'LifelineCheckFailing',
  check: 'api',
  severity: 'critical',
  team: 'payments',
  app_kubernetes_io_name: 'api',
};
const ERROR = { code: 'timeout', message: 'no complete response within the timeout (stopped in ttfb)', phase: 'ttfb' };

/** How a receiver checks the signature (the snippet in docs/alerting.md). */
function verify(secret: string, rawBody: string, header: string | undefined): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function webhook(path: string, extra: { secret?: string; headers?: Record<string, string> } = {}) {
  const url = `${receiver.url}${path}`;
  return createChannel({ ...channelBase('ops-hook', url), type: 'webhook', url, headers: {}, ...extra });
}

describe('webhook channel', () => {
  it('firing: Alertmanager webhook v4 shape plus `lifeline`, signed, keyed', async () => {
    const channel = webhook('/hook', {
      secret: 'hook-secret',
      headers: { 'X-Team': 'payments', 'Idempotency-Key': 'mine', 'content-type': 'text/plain' },
    });
    const payload = makePayload();
    const outcome = await channel.send(payload);
    await channel.close?.();
    assert.deepEqual(outcome, { ok: true, status: 200, message: 'HTTP 200 OK: ok', retryable: false });
    const request = await receiver.next();
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/hook');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['idempotency-key'], payload.key);
    assert.equal(request.headers['x-team'], 'payments', 'configured headers are sent');
    assert.ok(verify('hook-secret', request.body, request.headers['x-lifeline-signature'] as string));
    assert.equal(verify('other-secret', request.body, request.headers['x-lifeline-signature'] as string), false);
    const annotations = {
      summary: 'api is failing: timeout',
      description: `http://api.shop.svc:3000/healthz fails (timeout: ${ERROR.message}) since 2026-01-02T03:04:05.000Z, 3 failed results.`,
      error_code: 'timeout',
      error_message: ERROR.message,
    };
    assert.deepEqual(JSON.parse(request.body), {
      version: '4',
      receiver: 'ops-hook',
      status: 'firing',
      groupKey: ID,
      groupLabels: { check: 'api' },
      commonLabels: LABELS,
      commonAnnotations: annotations,
      externalURL: 'http://lifeline.monitoring:8080',
      alerts: [
        {
          status: 'firing',
          labels: LABELS,
          annotations,
          startsAt: '2026-01-02T03:04:05.000Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://lifeline.monitoring:8080/api/checks/api',
          fingerprint: ID,
        },
      ],
      lifeline: {
        kind: 'firing',
        key: `${ID}:firing`,
        check: {
          name: 'api',
          url: 'http://api.shop.svc:3000/healthz',
          labels: { team: 'payments', 'app.kubernetes.io/name': 'api' },
        },
        incident: { id: ID, startedAt: '2026-01-02T03:04:05.000Z', endedAt: null, failures: 3, error: ERROR },
      },
    });
  });

  it('resolved: status resolved, endsAt and endedAt set; unsigned without a secret; no link, empty URLs', async () => {
    const channel = webhook('/hook');
    const { link: _link, ...payload } = makePayload({ kind: 'resolved' });
    const outcome = await channel.send(payload);
    await channel.close?.();
    assert.equal(outcome.ok, true);
    const request = await receiver.next();
    assert.equal(request.headers['x-lifeline-signature'], undefined);
    assert.equal(request.headers['idempotency-key'], `${ID}:resolved`);
    const body = JSON.parse(request.body);
    assert.equal(body.status, 'resolved');
    assert.equal(body.externalURL, '');
    assert.deepEqual(body.alerts[0].status, 'resolved');
    assert.equal(body.alerts[0].endsAt, '2026-01-02T03:08:17.000Z');
    assert.equal(body.alerts[0].generatorURL, '');
    assert.equal(body.alerts[0].annotations.summary, 'api recovered after 4m12s');
    assert.equal(body.lifeline.kind, 'resolved');
    assert.equal(body.lifeline.incident.endedAt, '2026-01-02T03:08:17.000Z');
  });

  it('a reminder and a test are firing; a check label cannot override alertname, check or severity', async () => {
    const channel = webhook('/hook');
    const base = makePayload({ kind: 'reminder' });
    await channel.send({ ...base, check: { ...base.check, labels: { check: 'other', alertname: 'x', zone: 'a' } } });
    await channel.send(makePayload({ kind: 'test' }));
    await channel.close?.();
    const reminder = JSON.parse((await receiver.next()).body);
    assert.equal(reminder.status, 'firing');
    assert.deepEqual(reminder.alerts[0].labels, {
      alertname: 'LifelineCheckFailing',
      check: 'api',
      severity: 'critical',
      zone: 'a',
    });
    assert.equal(reminder.alerts[0].annotations.summary, 'api is still failing: timeout (for 1m1s)');
    const test = JSON.parse((await receiver.next()).body);
    assert.deepEqual([test.status, test.lifeline.kind], ['firing', 'test']);
  });

  it('410 from the receiver: final', async () => {
    const channel = webhook('/gone');
    const outcome = await channel.send(makePayload());
    await channel.close?.();
    await receiver.next();
    assert.deepEqual([outcome.ok, outcome.status, outcome.retryable], [false, 410, false]);
  });
});
