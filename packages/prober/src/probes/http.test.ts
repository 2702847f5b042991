import assert from 'node:assert/strict';
import type { LookupFunction } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { closedPort, startNxdomainDns, startTarget, type Target } from '../testing/targets.js';
import { createHttpProber, probeHttp } from './http.js';

const base = { method: 'GET', headers: {}, timeoutMs: 2_000 };

describe('probeHttp against real servers on loopback', () => {
  let ok: Target;
  let unavailable: Target;
  let slow: Target;
  let slowBody: Target;
  let reset: Target;
  let headers: Record<string, string | string[] | undefined> = {};
  const pending: NodeJS.Timeout[] = [];

  before(async () => {
    ok = await startTarget((req, res) => {
      headers = req.headers;
      res.writeHead(200, { 'content-type': 'application/health+json' }).end('{"status":"pass"}');
    });
    unavailable = await startTarget((_req, res) => res.writeHead(503).end('{"status":"fail"}'));
    slow = await startTarget((_req, res) => {
      pending.push(setTimeout(() => res.writeHead(200).end('late'), 5_000));
    });
    slowBody = await startTarget((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      pending.push(setTimeout(() => res.end(), 5_000));
    });
    reset = await startTarget((req) => req.socket.destroy());
  });
  after(async () => {
    for (const t of pending) clearTimeout(t);
    await Promise.all([ok, unavailable, slow, slowBody, reset].map((t) => t.close()));
  });

  it('reports the status of a 200 target, with the request headers it was given', async () => {
    const obs = await probeHttp({ ...base, url: `${ok.url}/healthcheck`, headers: { 'x-probe': 'yes' } });
    assert.equal(obs.status, 200);
    assert.equal(obs.error, undefined);
    assert.ok(obs.durationMs >= 0);
    assert.equal(headers['x-probe'], 'yes');
    assert.match(String(headers['user-agent']), /^lifeline-prober\//);
  });

  it('reports a 503 as a status, not as a transport error', async () => {
    const obs = await probeHttp({ ...base, url: unavailable.url });
    assert.equal(obs.status, 503);
    assert.equal(obs.error, undefined);
  });

  it('gives up on a target slower than the timeout, naming the phase', async () => {
    const obs = await probeHttp({ ...base, url: slow.url, timeoutMs: 200 });
    assert.equal(obs.status, null);
    assert.equal(obs.error?.code, 'timeout');
    assert.equal(obs.error?.phase, 'ttfb');
    assert.match(obs.error?.message ?? '', /stopped in ttfb/);
  });

  it('times out on a body that stops arriving, keeping the status it saw', async () => {
    const obs = await probeHttp({ ...base, url: slowBody.url, timeoutMs: 200 });
    assert.equal(obs.status, 200);
    assert.equal(obs.error?.code, 'timeout');
    assert.equal(obs.error?.phase, 'transfer');
  });

  it('classifies a closed port as refused', async () => {
    const obs = await probeHttp({ ...base, url: `http://127.0.0.1:${await closedPort()}/` });
    assert.equal(obs.status, null);
    assert.equal(obs.error?.code, 'refused');
    assert.match(obs.error?.message ?? '', /ECONNREFUSED/);
  });

  it('classifies a connection dropped before any response as reset', async () => {
    const obs = await probeHttp({ ...base, url: reset.url });
    assert.equal(obs.error?.code, 'reset');
  });

  it('classifies an unresolvable host as dns_nxdomain, through a real DNS answer', async () => {
    const dns = await startNxdomainDns();
    try {
      const obs = await probeHttp({
        ...base,
        url: 'http://no-such-service.default.svc.cluster.local:3000/',
        lookup: dns.lookup,
      });
      assert.equal(obs.status, null);
      assert.equal(obs.error?.code, 'dns_nxdomain');
      assert.ok(dns.queries() >= 1, 'the query reached the test DNS server');
    } finally {
      await dns.close();
    }
  });

  it('stops at once when cancelled', async () => {
    const abort = new AbortController();
    const pendingProbe = probeHttp({ ...base, url: slow.url, timeoutMs: 10_000, signal: abort.signal });
    abort.abort();
    const obs = await pendingProbe;
    assert.equal(obs.error?.code, 'timeout');
    assert.match(obs.error?.message ?? '', /cancelled/);
  });

  it('reads at most maxBodyBytes and still reports the status', async () => {
    const big = await startTarget((_req, res) => {
      res.writeHead(200);
      res.end(Buffer.alloc(256 * 1024, 'x'));
    });
    try {
      const obs = await probeHttp({ ...base, url: big.url, maxBodyBytes: 1024 });
      assert.equal(obs.status, 200);
      assert.equal(obs.error, undefined);
    } finally {
      await big.close();
    }
  });
});

describe('HttpProber: connections kept per check', () => {
  let target: Target;
  let hang = false;
  const pending: NodeJS.Timeout[] = [];
  before(async () => {
    target = await startTarget((req, res) => {
      if (hang) {
        pending.push(setTimeout(() => res.writeHead(200).end(), 5_000));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(`{"port":${req.socket.remotePort}}`);
    });
  });
  after(async () => {
    for (const t of pending) clearTimeout(t);
    await target.close();
  });
  const request = (timeoutMs = 2_000) => ({ ...base, url: `${target.url}/healthcheck`, timeoutMs, readBody: true });
  const portOf = (body: string | undefined) => (JSON.parse(body ?? '{}') as { port: number }).port;
  const kept = (key: string) => ({ key, keepAlive: true });

  it('reuses one connection for the runs of a keep-alive check, with zero connect phases after the first', async () => {
    const prober = createHttpProber();
    try {
      const first = await prober.probe(request(), kept('api'));
      const second = await prober.probe(request(), kept('api'));
      const third = await prober.probe(request(), kept('api'));
      assert.equal(first.status, 200);
      assert.equal(portOf(second.body), portOf(first.body), 'the same client socket answered');
      assert.equal(portOf(third.body), portOf(first.body));
      assert.ok(first.phases.connect > 0, 'the first run connected');
      assert.equal(second.phases.connect, 0);
      assert.equal(second.phases.dns, 0);
      assert.ok(second.phases.ttfb > 0);
      assert.equal(second.ip, '127.0.0.1', 'a reused connection still reports the peer');
      assert.equal(second.connected, true);
    } finally {
      await prober.close();
    }
  });

  it('reports a resolver that throws as a result, run after run', async () => {
    const prober = createHttpProber();
    let calls = 0;
    const lookup = (() => {
      calls += 1;
      throw Object.assign(new Error('resolver exploded'), { code: 'EBOOM' });
    }) as unknown as LookupFunction;
    try {
      for (let run = 0; run < 2; run++) {
        const obs = await prober.probe({ ...base, url: 'http://api.test:3000/', lookup }, kept('api'));
        assert.equal(obs.error?.code, 'unknown');
        assert.match(obs.error?.message ?? '', /EBOOM: resolver exploded/);
      }
      assert.equal(calls, 2, 'the second run tried again');
    } finally {
      await prober.close();
    }
  });

  it('lets a run under way finish when its check is forgotten (a reload changed it)', async () => {
    const prober = createHttpProber();
    const late = await startTarget((_req, res) => {
      pending.push(setTimeout(() => res.writeHead(200).end('{}'), 100));
    });
    try {
      const running = prober.probe({ ...base, url: late.url }, kept('api'));
      await new Promise((r) => setTimeout(r, 20));
      await Promise.all([prober.forget('api'), running]);
      const obs = await running;
      assert.equal(obs.status, 200);
      assert.equal(obs.error, undefined);
      // The next run of the changed check gets a client of its own.
      assert.equal((await prober.probe({ ...base, url: late.url }, kept('api'))).status, 200);
    } finally {
      await prober.close();
      await late.close();
    }
  });

  it('connects afresh for every run of a check without keepAlive', async () => {
    const prober = createHttpProber();
    try {
      const owner = { key: 'api', keepAlive: false };
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await prober.probe(request(), owner));
      assert.equal(new Set(runs.map((r) => portOf(r.body))).size, 3);
      assert.ok(runs.every((r) => r.phases.connect > 0 && r.status === 200));
    } finally {
      await prober.close();
    }
  });

  it('gives each check its own connection, and a fresh one to a probe without an owner', async () => {
    const prober = createHttpProber();
    try {
      const a = portOf((await prober.probe(request(), kept('a'))).body);
      const b = portOf((await prober.probe(request(), kept('b'))).body);
      const fresh1 = portOf((await prober.probe(request())).body);
      const fresh2 = portOf((await prober.probe(request())).body);
      assert.equal(new Set([a, b, fresh1, fresh2]).size, 4);
    } finally {
      await prober.close();
    }
  });

  it('connects afresh after forget(), after a timeout, and after the server closed the socket', async () => {
    const prober = createHttpProber();
    try {
      const first = portOf((await prober.probe(request(), kept('api'))).body);
      await prober.forget('api');
      const afterForget = await prober.probe(request(), kept('api'));
      assert.notEqual(portOf(afterForget.body), first);
      assert.ok(afterForget.phases.connect > 0);

      hang = true;
      const timedOut = await prober.probe(request(200), kept('api'));
      hang = false;
      assert.equal(timedOut.error?.code, 'timeout');
      assert.equal(timedOut.error?.phase, 'ttfb');
      const afterTimeout = await prober.probe(request(), kept('api'));
      assert.equal(afterTimeout.status, 200);
      assert.notEqual(portOf(afterTimeout.body), portOf(afterForget.body));

      // The server ends the keep-alive connection (as a draining pod does with Connection: close).
      const closing = await startTarget((_req, res) => res.writeHead(200, { connection: 'close' }).end('{}'));
      try {
        const url = `${closing.url}/`;
        const one = await prober.probe({ ...base, url }, kept('closing'));
        await new Promise((r) => setTimeout(r, 50));
        const two = await prober.probe({ ...base, url }, kept('closing'));
        assert.equal(one.status, 200);
        assert.equal(two.status, 200);
        assert.ok(two.phases.connect > 0, 'a new connection was made');
      } finally {
        await closing.close();
      }
    } finally {
      await prober.close();
    }
  });
});
