import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import { describe, it } from 'node:test';
import { createHealth } from './health.js';
import { deferred, listen, sleep } from './testing/helpers.js';

function get(
  agent: http.Agent,
  url: string,
): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
      })
      .on('error', reject);
  });
}

async function setup(
  options: { shutdownDelay?: number; drainTimeout?: number; hookTimeout?: number; onShutdown?: (() => unknown)[] } = {},
  events: string[] = [],
) {
  const health = createHealth({ checks: { db: () => undefined } });
  const slowGate = deferred();
  const srv = await listen(async (req, res) => {
    if (health.handle(req, res)) return;
    if (req.url === '/slow') await slowGate.promise;
    res.once('finish', () => events.push(`sent ${req.url}`));
    res.writeHead(200).end('done');
  });
  const signals = new EventEmitter();
  const exits: number[] = [];
  const exited = deferred<number>();
  const lifecycle = health.attach(srv.server, {
    shutdownDelay: 100,
    drainTimeout: 2_000,
    ...options,
    signalSource: signals,
    exit: (code) => {
      exits.push(code);
      exited.resolve(code);
    },
  });
  return { health, srv, signals, exits, exited: exited.promise, lifecycle, slowGate };
}

describe('graceful shutdown', () => {
  it('fails readiness at once on SIGTERM, keeps liveness, keeps serving through the delay, then exits 0', async () => {
    const t = await setup({ shutdownDelay: 300 });
    const agent = new http.Agent({ keepAlive: true });
    try {
      assert.equal((await get(agent, `${t.srv.url}/readyz`)).status, 200);
      t.signals.emit('SIGTERM');
      assert.equal((await get(agent, `${t.srv.url}/readyz`)).status, 503, 'readiness fails at once');
      assert.equal((await get(agent, `${t.srv.url}/livez`)).status, 200, 'liveness stays 200');
      assert.equal((await get(agent, `${t.srv.url}/work`)).body, 'done', 'still serving during the delay');
      assert.equal(t.lifecycle.state, 'delaying');
      assert.equal(await t.exited, 0);
      assert.deepEqual(t.exits, [0]);
      await assert.rejects(get(new http.Agent(), `${t.srv.url}/livez`), /ECONNREFUSED/, 'the listener is closed');
    } finally {
      agent.destroy();
    }
  });

  it('finishes in-flight requests with Connection: close, then runs the hooks in order', async () => {
    const order: string[] = [];
    const t = await setup(
      {
        shutdownDelay: 50,
        onShutdown: [
          () => {
            order.push('hook1');
          },
          async () => {
            await sleep(20);
            order.push('hook2');
          },
        ],
      },
      order,
    );
    const agent = new http.Agent({ keepAlive: true });
    const inflight = get(agent, `${t.srv.url}/slow`);
    await sleep(30);
    assert.equal(t.lifecycle.inFlight, 1);
    t.signals.emit('SIGTERM');
    await sleep(150);
    assert.equal(t.lifecycle.state, 'draining', 'waits for the request in flight');
    assert.deepEqual(order, []);
    t.slowGate.resolve();
    const res = await inflight;
    assert.deepEqual([res.status, res.body, res.connection], [200, 'done', 'close']);
    assert.equal(await t.exited, 0);
    assert.deepEqual(order, ['sent /slow', 'hook1', 'hook2']);
    agent.destroy();
  });

  it('closes idle keep-alive connections when it stops accepting', async () => {
    const t = await setup({ shutdownDelay: 50 });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    await get(agent, `${t.srv.url}/work`);
    const [socket] = Object.values(agent.freeSockets).flat();
    assert.ok(socket, 'a kept-alive socket');
    const closed = new Promise((resolve) => socket.once('close', resolve));
    t.signals.emit('SIGTERM');
    await closed;
    assert.equal(await t.exited, 0);
    agent.destroy();
  });

  it('bounds the drain and each hook, and still exits 0', async () => {
    const t = await setup({
      shutdownDelay: 0,
      drainTimeout: 100,
      hookTimeout: 100,
      onShutdown: [() => new Promise(() => {}), () => Promise.reject(new Error('pool gone'))],
    });
    const stuck = get(new http.Agent(), `${t.srv.url}/slow`).catch((error: Error) => error);
    await sleep(30);
    t.signals.emit('SIGINT');
    assert.equal(await t.exited, 0);
    assert.ok((await stuck) instanceof Error, 'the stuck request was cut off after drainTimeout');
  });

  it('a second signal exits at once with 130', async () => {
    const t = await setup({ shutdownDelay: 5_000 });
    t.signals.emit('SIGTERM');
    t.signals.emit('SIGTERM');
    assert.deepEqual(t.exits, [130]);
    t.health.stop();
    t.lifecycle.detach();
    await t.srv.close();
  });

  it('rejects bad lifecycle options with a TypeError', async () => {
    const health = createHealth();
    const srv = await listen(() => {});
    try {
      assert.throws(
        () => health.attach(srv.server, { shutdownDelay: -1 }),
        /shutdownDelay must be a number of milliseconds >= 0/,
      );
      assert.throws(
        () => health.attach(srv.server, { onShutdown: ['x' as never] }),
        /onShutdown\[0\] is not a function/,
      );
    } finally {
      health.stop();
      await srv.close();
    }
  });
});
