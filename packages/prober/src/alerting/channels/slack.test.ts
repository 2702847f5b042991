import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { channelBase, makePayload, type Recorder, startRecorder } from '../../testing/channels.js';
import { createChannel } from './index.js';
import { slackText } from './slack.js';

/** Slack's answers: 200 ok, and the errors its docs list for incoming webhooks. */
const ANSWERS: Readonly<Record<string, [number, string, Record<string, string>?]>> = {
  ok: [200, 'ok'],
  invalid: [400, 'invalid_payload'],
  forbidden: [403, 'action_prohibited'],
  missing: [404, 'no_service'],
  gone: [410, 'channel_is_archived'],
  limited: [429, 'rate_limited', { 'retry-after': '30' }],
  down: [503, 'service unavailable'],
};

let receiver: Recorder;
before(async () => {
  receiver = await startRecorder((req, res) => {
    const [status, body, headers] = ANSWERS[req.path.split('/').pop() ?? ''] ?? [500, 'no such case'];
    res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(body);
  });
});
after(() => receiver.close());

const TOKEN = 'T0001/B0001/abcdefSECRET';
function slack(answer: string) {
  const url = `${receiver.url}/services/${TOKEN}/${answer}`;
  return createChannel({ ...channelBase('team-slack', url, [TOKEN]), type: 'slack', url });
}

describe('slack channel', () => {
  it('firing: a one-line text and a section with the fields', async () => {
    const channel = slack('ok');
    const outcome = await channel.send(makePayload());
    await channel.close?.();
    assert.deepEqual(outcome, { ok: true, status: 200, message: 'HTTP 200 OK: ok', retryable: false });
    const request = await receiver.next();
    assert.equal(request.headers['content-type'], 'application/json');
    const text =
      ':red_circle: [FIRING] api is failing: timeout — no complete response within the timeout (stopped in ttfb)';
    assert.deepEqual(JSON.parse(request.body), {
      text,
      blocks: [
        {
          type: 'section',
          text: { type: 'mrkdwn', text },
          fields: [
            { type: 'mrkdwn', text: '*Check*\napi (http://api.shop.svc:3000/healthz)' },
            { type: 'mrkdwn', text: '*Error*\ntimeout: no complete response within the timeout (stopped in ttfb)' },
            { type: 'mrkdwn', text: '*Started*\n2026-01-02T03:04:05.000Z' },
            { type: 'mrkdwn', text: '*Failures*\n3' },
            { type: 'mrkdwn', text: '*Link*\n<http://lifeline.monitoring:8080/api/checks/api|open>' },
          ],
        },
      ],
    });
  });

  it('resolved, reminder and test lines; mrkdwn control characters escaped; one line whatever the error says', () => {
    assert.equal(
      slackText(makePayload({ kind: 'resolved' })),
      ':large_green_circle: [RESOLVED] api recovered after 4m12s',
    );
    assert.match(
      slackText(makePayload({ kind: 'reminder' })),
      /^:red_circle: \[REMINDER\] api is still failing: timeout/,
    );
    assert.equal(slackText(makePayload({ kind: 'test' })), ':large_blue_circle: [TEST] test notification for api');
    const base = makePayload();
    const hostile = {
      ...base,
      incident: { ...base.incident, error: { code: 'http_status' as const, message: 'got <b>&\n<!channel>' } },
    };
    assert.equal(
      slackText(hostile),
      ':red_circle: [FIRING] api is failing: http_status — got &lt;b&gt;&amp; &lt;!channel&gt;',
    );
  });

  it("Slack's refusals are final, 429 and 5xx retryable; the token never reaches the message", async () => {
    const results: Record<string, unknown> = {};
    for (const answer of Object.keys(ANSWERS).filter((a) => a !== 'ok')) {
      const channel = slack(answer);
      const outcome = await channel.send(makePayload());
      await channel.close?.();
      await receiver.next();
      assert.doesNotMatch(outcome.message, /abcdefSECRET/);
      results[answer] = [outcome.status, outcome.retryable, outcome.retryAfterMs];
    }
    assert.deepEqual(results, {
      invalid: [400, false, undefined],
      forbidden: [403, false, undefined],
      missing: [404, false, undefined],
      gone: [410, false, undefined],
      limited: [429, true, 30_000],
      down: [503, true, undefined],
    });
  });
});
