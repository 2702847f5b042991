import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startSilentPeer } from '../testing/faults.js';
import { closedPort, startTarget } from '../testing/targets.js';
import { createPushForwarder, FORWARD_MAX_ANSWER_BYTES, FORWARDED_HEADER } from './push-forward.js';

const ping = (body = '') => ({
  method: 'POST',
  path: '/api/v1/push/seed-job?x=1',
  authorization: 'Bearer 0123456789abcdef',
  contentType: 'text/plain',
  body: Buffer.from(body),
});

describe('push forwarding to the owner', () => {
  const forwarder = createPushForwarder('member-a', 300);
  after(() => forwarder.close());

  it('sends method, path, token, type, body and its own mark, and relays status and JSON', async () => {
    let seen: { method?: string; url?: string; headers?: Record<string, unknown>; body?: string } = {};
    const owner = await startTarget((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"check":"seed-job","accepted":true}');
      });
    });
    try {
      const outcome = await forwarder.forward(owner.url, ping('done in 3 s'));
      assert.deepEqual(outcome, { ok: true, status: 200, body: { check: 'seed-job', accepted: true } });
      assert.equal(seen.method, 'POST');
      assert.equal(seen.url, '/api/v1/push/seed-job?x=1');
      assert.equal(seen.body, 'done in 3 s');
      assert.equal(seen.headers?.authorization, 'Bearer 0123456789abcdef');
      assert.equal(seen.headers?.['content-type'], 'text/plain');
      assert.equal(seen.headers?.[FORWARDED_HEADER], 'member-a');
    } finally {
      await owner.close();
    }
  });

  it('relays an error status with its JSON', async () => {
    const owner = await startTarget((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":"unauthorized"}}');
    });
    try {
      assert.deepEqual(await forwarder.forward(owner.url, ping()), {
        ok: true,
        status: 401,
        body: { error: { code: 'unauthorized' } },
      });
    } finally {
      await owner.close();
    }
  });

  for (const kind of ['tcp', 'headers', 'half-body'] as const) {
    it(`gives up on a silent owner (${kind}) within its bound and closes the connection`, async () => {
      const peer = await startSilentPeer(kind);
      try {
        const outcome = await forwarder.forward(`http://127.0.0.1:${peer.port}`, ping());
        assert.equal(outcome.ok, false);
        assert.match((outcome as { message: string }).message, /no answer within 300 ms|timeout/i);
        await peer.settled(1, 5_000);
      } finally {
        await peer.close();
      }
    });
  }

  it('says so when the owner refuses, resets, or answers garbage', async () => {
    const refused = await forwarder.forward(`http://127.0.0.1:${await closedPort()}`, ping());
    assert.equal(refused.ok, false);
    const garbage = await startSilentPeer('garbage');
    try {
      const outcome = await forwarder.forward(`http://127.0.0.1:${garbage.port}`, ping());
      assert.equal(outcome.ok, false);
    } finally {
      await garbage.close();
    }
    assert.deepEqual(await forwarder.forward('not a url', ping()), {
      ok: false,
      message: 'the owner\'s address "not a url" is not a URL',
    });
  });

  it('stops reading an answer past its bound, and one that is not JSON', async () => {
    const big = await startTarget((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('x'.repeat(FORWARD_MAX_ANSWER_BYTES * 4));
    });
    const html = await startTarget((_req, res) => res.writeHead(502).end('<html>bad gateway</html>'));
    try {
      const outcome = await forwarder.forward(big.url, ping());
      assert.deepEqual(outcome, {
        ok: false,
        message: `the owner's answer is larger than ${FORWARD_MAX_ANSWER_BYTES} bytes`,
      });
      assert.deepEqual(await forwarder.forward(html.url, ping()), {
        ok: false,
        message: 'the owner answered 502 without JSON',
      });
    } finally {
      await big.close();
      await html.close();
    }
  });
});
