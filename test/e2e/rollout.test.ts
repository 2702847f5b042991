// Zero-loss rollout: two api instances behind a round-robin proxy that, like
// kube-proxy, keeps sending to an instance until its /readyz fails (it polls,
// and never retries a failed request). Keep-alive load runs through the proxy
// while one instance gets SIGTERM and a replacement starts. Not one request
// may fail, and the stopped instance must exit 0.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { freePort, json, run, type Spawned } from './helpers.js';

interface Backend {
  readonly name: string;
  readonly port: number;
  readonly agent: http.Agent;
  ready: boolean;
  proc: Spawned;
}

const READY_POLL_MS = 100;

async function startApi(name: string): Promise<Backend> {
  const port = await freePort();
  const proc = run(process.execPath, ['apps/api/dist/main.js'], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', SHUTDOWN_DELAY_MS: '1000', DRAIN_TIMEOUT_MS: '5000' },
  });
  await proc.waitForLine((l) => json(l)?.msg?.toString().startsWith('api listening') === true, 15_000);
  return { name, port, proc, ready: false, agent: new http.Agent({ keepAlive: true, maxSockets: 16 }) };
}

function startProxy(backends: Backend[]) {
  let next = 0;
  let polling = true;
  const poll = async () => {
    while (polling) {
      await Promise.all(
        backends.map(
          (b) =>
            new Promise<void>((resolve) => {
              const req = http.get(
                { host: '127.0.0.1', port: b.port, path: '/readyz', agent: false, timeout: 500 },
                (res) => {
                  b.ready = res.statusCode === 200;
                  res.resume();
                  resolve();
                },
              );
              req.on('error', () => {
                b.ready = false;
                resolve();
              });
              req.on('timeout', () => req.destroy());
            }),
        ),
      );
      await new Promise((r) => setTimeout(r, READY_POLL_MS));
    }
  };
  const polled = poll();
  const server = http.createServer((req, res) => {
    const ready = backends.filter((b) => b.ready);
    if (ready.length === 0) {
      res.writeHead(503).end('no ready backend');
      return;
    }
    const backend = ready[next++ % ready.length] as Backend;
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: backend.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
        agent: backend.agent,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, { 'x-backend': backend.name });
        up.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'x-backend': backend.name });
      res.end(`upstream ${backend.name} failed: ${error.message}`);
    });
    req.pipe(upstream);
  });
  return {
    server,
    listen: () =>
      new Promise<number>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
      ),
    async close() {
      polling = false;
      await polled;
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('zero-loss rollout', () => {
  it('SIGTERM one of two instances and start a replacement under keep-alive load: 0 failed requests, exit 0', async () => {
    const a = await startApi('a');
    const b = await startApi('b');
    const backends = [a, b];
    const proxy = startProxy(backends);
    const port = await proxy.listen();
    while (!a.ready || !b.ready) await new Promise((r) => setTimeout(r, 20));

    const client = new http.Agent({ keepAlive: true, maxSockets: 8 });
    let stop = false;
    const results = { ok: 0, failed: [] as string[], byBackend: new Map<string, number>() };
    const worker = async () => {
      while (!stop) {
        await new Promise<void>((resolve) => {
          const req = http.get({ host: '127.0.0.1', port, path: '/', agent: client }, (res) => {
            let body = '';
            res.on('data', (d) => {
              body += d;
            });
            res.on('end', () => {
              const backend = String(res.headers['x-backend']);
              if (res.statusCode === 200) {
                results.ok += 1;
                results.byBackend.set(backend, (results.byBackend.get(backend) ?? 0) + 1);
              } else results.failed.push(`${res.statusCode} from ${backend}: ${body}`);
              resolve();
            });
          });
          req.on('error', (error) => {
            results.failed.push(`client: ${error.message}`);
            resolve();
          });
        });
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    // Load is counted in requests, not in time: a slow machine takes longer, it does not fail.
    const served = async (n: number, what: string) => {
      const end = Date.now() + 30_000;
      while (results.ok < n) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what} (${results.ok} of ${n} served)`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    let c: Backend | undefined;
    try {
      await served(51, 'load through both instances');
      const beforeStop = results.ok;
      a.proc.child.kill('SIGTERM');
      c = await startApi('c');
      backends.push(c);
      while (!c.ready) await new Promise((r) => setTimeout(r, 20));
      const exit = await a.proc.exited;
      const afterExit = results.ok;
      await served(afterExit + 51, 'load after the stopped instance exited');
      stop = true;
      await Promise.all(workers);

      assert.deepEqual(results.failed, [], 'no request failed');
      assert.deepEqual(exit, { code: 0, signal: null }, 'the stopped instance exited 0');
      assert.ok(
        beforeStop > 50 && results.ok > beforeStop + 50,
        `load ran throughout (${beforeStop} before, ${results.ok} in all)`,
      );
      assert.ok(
        (results.byBackend.get('a') ?? 0) > 0 && (results.byBackend.get('c') ?? 0) > 0,
        'traffic moved from a to c',
      );
      assert.ok(a.proc.lines.some((l) => json(l)?.msg === 'shutdown complete'));
    } finally {
      stop = true;
      client.destroy();
      await proxy.close();
      for (const backend of backends) {
        backend.agent.destroy();
        if (backend.proc.child.exitCode === null) {
          backend.proc.child.kill('SIGTERM');
          await backend.proc.exited;
        }
      }
    }
  });
});
