import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { startRecorder } from '../../testing/channels.js';
import { startSilentPeer } from '../../testing/faults.js';
import { closedPort } from '../../testing/targets.js';
import type { DeliveryOutcome } from '../channel.js';
import {
  createHttpSender,
  type HttpSender,
  isRetryableStatus,
  MAX_ANSWER_BYTES,
  parseRetryAfter,
} from './http-send.js';

const JSON_HEADERS = { 'content-type': 'application/json' };
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function sender(url: string, timeoutMs = 2_000, secrets: readonly string[] = [], now?: () => number): HttpSender {
  const created = createHttpSender({ url, timeoutMs, concurrency: 2, secrets, ...(now ? { now } : {}) });
  cleanups.push(() => created.close());
  return created;
}

/** The send's own bound must hold; this only turns a hang into a clear failure. */
function settles(promise: Promise<DeliveryOutcome>, ms = 15_000): Promise<DeliveryOutcome> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`send did not settle within ${ms} ms`)), ms);
    }),
  ]);
}

describe('status classification', () => {
  it('2xx ok; 408, 425, 429, 5xx retryable; other 4xx and 3xx final', () => {
    for (const status of [408, 425, 429, 500, 502, 503, 504, 599])
      assert.equal(isRetryableStatus(status), true, `${status}`);
    for (const status of [301, 400, 401, 403, 404, 409, 410, 413, 422])
      assert.equal(isRetryableStatus(status), false, `${status}`);
  });

  it('Retry-After: seconds, an HTTP-date, a past date, garbage', () => {
    const now = Date.parse('2026-01-02T03:04:05Z');
    assert.equal(parseRetryAfter('7', now), 7_000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('Fri, 02 Jan 2026 03:04:35 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter('-5', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });
});

describe('the HTTP sender against hostile receivers', () => {
  it('a receiver that accepts and never answers: a retryable timeout, and the socket is closed', async () => {
    const peer = await startSilentPeer('tcp');
    cleanups.push(() => peer.close());
    const url = `http://127.0.0.1:${peer.port}/hook`;
    const outcome = await settles(sender(url, 300).post(url, '{}', JSON_HEADERS));
    assert.equal(outcome.ok, false);
    assert.equal(outcome.retryable, true);
    assert.equal(outcome.status, undefined);
    assert.match(outcome.message, /^timeout/);
    await peer.settled(1, 5_000); // the peer saw its only connection closed by the sender
  });

  it('a receiver that dribbles its headers a byte at a time: the overall bound still holds', async () => {
    const peer = await startSilentPeer('headers');
    cleanups.push(() => peer.close());
    const url = `http://127.0.0.1:${peer.port}/hook`;
    const outcome = await settles(sender(url, 300).post(url, '{}', JSON_HEADERS));
    assert.equal(outcome.retryable, true);
    assert.match(outcome.message, /^timeout/);
    await peer.settled(1, 5_000);
  });

  it('a reset in the middle of the request: retryable', async () => {
    const server = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => socket.resetAndDestroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const outcome = await settles(sender(url).post(url, JSON.stringify({ pad: 'x'.repeat(100_000) }), JSON_HEADERS));
    assert.equal(outcome.ok, false);
    assert.equal(outcome.retryable, true);
    assert.match(outcome.message, /^reset/);
  });

  it('a refused connection: retryable', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/hook`;
    const outcome = await settles(sender(url).post(url, '{}', JSON_HEADERS));
    assert.deepEqual([outcome.ok, outcome.retryable], [false, true]);
    assert.match(outcome.message, /^refused/);
  });

  it('500 retryable, 400 final, 2xx ok: with the status and what the receiver said', async () => {
    const receiver = await startRecorder((req, res) => {
      const status = Number(req.path.slice(1));
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`said ${status}\nsecond line`);
    });
    cleanups.push(() => receiver.close());
    const send = sender(receiver.url);
    const at = (status: number) => send.post(`${receiver.url}/${status}`, '{}', JSON_HEADERS);
    assert.deepEqual(await at(500), {
      ok: false,
      status: 500,
      retryable: true,
      message: 'HTTP 500 Internal Server Error: said 500 second line',
    });
    assert.deepEqual(await at(400), {
      ok: false,
      status: 400,
      retryable: false,
      message: 'HTTP 400 Bad Request: said 400 second line',
    });
    assert.deepEqual(await at(202), {
      ok: true,
      status: 202,
      retryable: false,
      message: 'HTTP 202 Accepted: said 202 second line',
    });
  });

  it('429 with Retry-After in seconds or as a date: retryAfterMs', async () => {
    const now = Date.parse('2026-01-02T03:04:05Z');
    const receiver = await startRecorder((req, res) =>
      res
        .writeHead(req.path === '/date' ? 503 : 429, {
          'retry-after': req.path === '/date' ? 'Fri, 02 Jan 2026 03:05:05 GMT' : '12',
        })
        .end('slow down'),
    );
    cleanups.push(() => receiver.close());
    const send = sender(receiver.url, 2_000, [], () => now);
    const seconds = await send.post(`${receiver.url}/seconds`, '{}', JSON_HEADERS);
    assert.deepEqual([seconds.status, seconds.retryable, seconds.retryAfterMs], [429, true, 12_000]);
    const date = await send.post(`${receiver.url}/date`, '{}', JSON_HEADERS);
    assert.deepEqual([date.status, date.retryable, date.retryAfterMs], [503, true, 60_000]);
  });

  it('a 10 MB answer is not read: the sender stops after a few KB and the download never finishes', async () => {
    let finished: boolean | undefined;
    let closed: () => void = () => {};
    const serverSawClose = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const receiver = await startRecorder((_req, res) => {
      const total = 10 * 1024 * 1024;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(total) });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      let sent = 0;
      const pump = () => {
        while (sent < total && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (sent >= total) res.end();
      };
      res.once('close', () => {
        finished = res.writableFinished;
        closed();
      });
      pump();
    });
    cleanups.push(() => receiver.close());
    const outcome = await settles(sender(receiver.url).post(receiver.url, '{}', JSON_HEADERS));
    assert.equal(outcome.ok, true);
    assert.equal(outcome.status, 200);
    assert.ok(outcome.message.length <= 200, `message of ${outcome.message.length} chars`);
    await serverSawClose;
    assert.equal(finished, false, 'the receiver finished sending 10 MB: the answer was read fully');
    assert.ok(MAX_ANSWER_BYTES < 10 * 1024 * 1024);
  });

  it('a secret in the URL (userinfo, path token) never reaches the message, even when the receiver echoes it', async () => {
    const receiver = await startRecorder((req, res) =>
      res.writeHead(403).end(`denied ${req.path} for ${req.headers.authorization} (https://bot:s3cr3t-pass@x/)`),
    );
    cleanups.push(() => receiver.close());
    const token = 'T000/B000/XXXXsecrettoken';
    const url = `${receiver.url.replace('http://', 'http://bot:s3cr3t-pass@')}/services/${token}`;
    const outcome = await sender(url, 2_000, [token, 's3cr3t-pass']).post(url, '{}', JSON_HEADERS);
    assert.equal(outcome.status, 403);
    assert.equal(outcome.retryable, false);
    assert.doesNotMatch(outcome.message, /XXXXsecrettoken|s3cr3t-pass/);
    assert.doesNotMatch(outcome.message, new RegExp(Buffer.from('bot:s3cr3t-pass').toString('base64')));
    assert.match(outcome.message, /\*\*\*/);
    // The userinfo became Basic auth, as curl would send it.
    assert.equal(
      receiver.received[0]?.headers.authorization,
      `Basic ${Buffer.from('bot:s3cr3t-pass').toString('base64')}`,
    );
  });

  it('the caller aborting: a retryable cancelled outcome, the connection closed', async () => {
    const peer = await startSilentPeer('tcp');
    cleanups.push(() => peer.close());
    const url = `http://127.0.0.1:${peer.port}/hook`;
    const controller = new AbortController();
    const connected = peer.nextConnection();
    const sending = sender(url, 60_000).post(url, '{}', JSON_HEADERS, controller.signal);
    await connected;
    controller.abort();
    const outcome = await settles(sending);
    assert.deepEqual([outcome.ok, outcome.retryable], [false, true]);
    assert.match(outcome.message, /^cancelled/);
    await peer.settled(1, 5_000);
  });

  it('close() ends a kept-alive connection; a send after it is refused without a request', async () => {
    const receiver = await startRecorder();
    cleanups.push(() => receiver.close());
    const send = sender(receiver.url);
    assert.equal((await send.post(receiver.url, '{}', JSON_HEADERS)).ok, true);
    assert.equal(receiver.connections(), 1, 'the connection is kept for the next notification');
    await send.close();
    await receiver.disconnected(5_000);
    const outcome = await send.post(receiver.url, '{}', JSON_HEADERS);
    assert.deepEqual([outcome.ok, outcome.retryable], [false, true]);
    assert.equal(receiver.received.length, 1);
  });
});
