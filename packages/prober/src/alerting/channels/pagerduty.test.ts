import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { channelBase, makePayload, type Recorder, STARTED_AT, startRecorder } from '../../testing/channels.js';
import { createChannel } from './index.js';
import { pagerdutyBody, SUMMARY_CHARS } from './pagerduty.js';

const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefabcdef';

let receiver: Recorder;
before(async () => {
  receiver = await startRecorder((req, res) => {
    const body = JSON.parse(req.body) as { routing_key: string; dedup_key: string };
    if (req.path === '/v2/bad') {
      res.writeHead(400, { 'content-type': 'application/json' });
      return res.end(
        JSON.stringify({ status: 'invalid event', message: `Event object is invalid for ${body.routing_key}` }),
      );
    }
    if (req.path === '/v2/busy') return res.writeHead(429).end();
    res.writeHead(202, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: body.dedup_key }));
  });
});
after(() => receiver.close());

function pagerduty(path = '/v2/enqueue') {
  const url = `${receiver.url}${path}`;
  return createChannel({
    ...channelBase('oncall', url, [ROUTING_KEY]),
    type: 'pagerduty',
    url,
    routingKey: ROUTING_KEY,
  });
}

describe('pagerduty channel', () => {
  it('firing: an Events API v2 trigger keyed by the check', async () => {
    const channel = pagerduty();
    const outcome = await channel.send(makePayload());
    await channel.close?.();
    assert.equal(outcome.ok, true);
    assert.equal(outcome.status, 202);
    const request = await receiver.next();
    assert.equal(request.path, '/v2/enqueue');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(request.body), {
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: 'api',
      payload: {
        summary: 'api is failing: timeout — no complete response within the timeout (stopped in ttfb)',
        source: 'http://api.shop.svc:3000/healthz',
        severity: 'critical',
        timestamp: '2026-01-02T03:04:05.000Z',
        component: 'api',
        group: 'payments',
        class: 'timeout',
        custom_details: {
          kind: 'firing',
          key: `api:${STARTED_AT}:firing`,
          incident: `api:${STARTED_AT}`,
          started: '2026-01-02T03:04:05.000Z',
          failures: 3,
          error_code: 'timeout',
          error_message: 'no complete response within the timeout (stopped in ttfb)',
          url: 'http://api.shop.svc:3000/healthz',
          labels: { team: 'payments', 'app.kubernetes.io/name': 'api' },
        },
      },
      links: [{ href: 'http://lifeline.monitoring:8080/api/checks/api', text: 'api in Lifeline' }],
    });
  });

  it('resolved: only routing_key, event_action and dedup_key', async () => {
    const channel = pagerduty();
    assert.equal((await channel.send(makePayload({ kind: 'resolved' }))).ok, true);
    await channel.close?.();
    assert.deepEqual(JSON.parse((await receiver.next()).body), {
      routing_key: ROUTING_KEY,
      event_action: 'resolve',
      dedup_key: 'api',
    });
  });

  it('summary cut at 1024 characters; severity mapped; a test is info under its own dedup_key; no team, no group', () => {
    const base = makePayload();
    const long = {
      ...base,
      check: { ...base.check, labels: {}, severity: 'warn' },
      incident: { ...base.incident, error: { code: 'http_status' as const, message: 'x'.repeat(5000) } },
    };
    const body = pagerdutyBody(long, ROUTING_KEY) as { payload: Record<string, unknown> };
    assert.equal((body.payload.summary as string).length, SUMMARY_CHARS);
    assert.equal(body.payload.severity, 'warning');
    assert.equal('group' in body.payload, false);
    const test = pagerdutyBody(makePayload({ kind: 'test' }), ROUTING_KEY) as {
      dedup_key: string;
      payload: Record<string, unknown>;
    };
    assert.equal(test.payload.severity, 'info');
    assert.equal(test.dedup_key, `api:${STARTED_AT}:test`);
  });

  it('400 final (the routing key it echoes is scrubbed), 429 retryable', async () => {
    const bad = pagerduty('/v2/bad');
    const refused = await bad.send(makePayload());
    await bad.close?.();
    await receiver.next();
    assert.deepEqual([refused.ok, refused.status, refused.retryable], [false, 400, false]);
    assert.doesNotMatch(refused.message, new RegExp(ROUTING_KEY));
    assert.match(refused.message, /invalid for \*\*\*/);
    const busy = pagerduty('/v2/busy');
    const limited = await busy.send(makePayload());
    await busy.close?.();
    await receiver.next();
    assert.deepEqual([limited.ok, limited.status, limited.retryable], [false, 429, true]);
  });
});
