import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTarget, type Target } from '../testing/targets.js';
import { probeHttp } from './http.js';
import { errors } from './undici.js';

describe('the error undici ends a connection with', () => {
  let target: Target;
  before(async () => {
    target = await startTarget((_req, res) => res.writeHead(200).end('ok'));
  });
  after(() => target.close());

  it('carries no stack frames: a run on a new connection does not capture a stack trace (issue 14, goal 3)', async () => {
    // Every socket destroyed while the probe runs, with the error it is destroyed with.
    const seen: Error[] = [];
    const destroy = Socket.prototype.destroy;
    Socket.prototype.destroy = function (this: Socket, error?: Error) {
      if (error !== undefined) seen.push(error);
      return destroy.call(this, error);
    };
    try {
      const obs = await probeHttp({ method: 'GET', headers: {}, timeoutMs: 2_000, url: target.url });
      assert.equal(obs.status, 200);
    } finally {
      Socket.prototype.destroy = destroy;
    }
    const reset = seen.find((e) => (e as { code?: unknown }).code === 'UND_ERR_INFO');
    assert.ok(reset, `undici ended the connection with its reset error (errors seen: ${seen.map(String).join('; ')})`);
    assert.ok(reset instanceof errors.InformationalError);
    assert.equal(reset.message, 'reset');
    assert.equal(reset.stack, 'InformationalError: reset');
  });

  it('keeps the stack trace limit of everything else', () => {
    const limit = Error.stackTraceLimit;
    new errors.InformationalError('reset');
    assert.equal(Error.stackTraceLimit, limit);
    assert.match(new Error('other').stack ?? '', /\n {4}at /);
  });
});
