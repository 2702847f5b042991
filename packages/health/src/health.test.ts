import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import express5 from 'express';
// @ts-expect-error express4 is express@4 under an alias, without its own types; it is used untyped.
import express4 from 'express4';
import { createHealth, type Health } from './health.js';
import { healthJsonErrors, listen } from './testing/helpers.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(
  base: string,
  path: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      { method: init.method ?? 'GET', headers: init.headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const TOKEN = 'let-me-see-details';

function build(): Health {
  const redisUp = false;
  return createHealth({
    serviceId: 'api',
    version: '1.0.0',
    detailsToken: TOKEN,
    checks: {
      postgres: { run: () => undefined, componentType: 'datastore' },
      redis: {
        run: () => {
          if (!redisUp) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
        },
        componentType: 'datastore',
      },
      billing: { run: () => ({ status: 'fail', output: 'billing answered 500' }), critical: false },
      loop: { run: () => undefined, liveness: true, componentType: 'system' },
    },
  });
}

describe('health endpoints on a node:http server', () => {
  let health: Health;
  let base: string;
  let close: () => Promise<void>;
  let fellThrough: string[] = [];

  before(async () => {
    health = build();
    const server = await listen((req, res) => {
      if (health.handle(req, res)) return;
      fellThrough.push(req.url ?? '');
      res.writeHead(418).end('app');
    });
    base = server.url;
    close = server.close;
  });
  after(async () => {
    health.stop();
    await close();
  });

  it('/livez answers 200 "ok" and depends on no dependency (redis is down)', async () => {
    const res = await call(base, '/livez');
    assert.deepEqual([res.status, res.body], [200, 'ok']);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.match(String(res.headers['content-type']), /^text\/plain/);
  });

  it('/livez?verbose lists ping and the liveness checks only', async () => {
    const res = await call(base, '/livez?verbose');
    assert.equal(res.status, 200);
    assert.equal(res.body, '[+]ping ok\n[+]loop ok\nlivez check passed\n');
  });

  it('/readyz fails with 503 when a critical check fails, listing why', async () => {
    const res = await call(base, '/readyz');
    assert.equal(res.status, 503);
    assert.equal(
      res.body,
      '[+]shutdown ok\n[+]postgres ok\n[-]redis failed: reason withheld\n[-]billing failed (non-critical): reason withheld\nreadyz check failed\n',
    );
  });

  it('/readyz?exclude=redis passes without the failing critical check', async () => {
    const res = await call(base, '/readyz?exclude=redis');
    assert.deepEqual([res.status, res.body], [200, 'ok']);
    const verbose = await call(base, '/readyz?exclude=redis&verbose');
    assert.equal(verbose.status, 200);
    assert.match(verbose.body, /\[\+\]redis excluded: ok\nreadyz check passed\n$/);
  });

  it('/readyz/<check> answers for one check', async () => {
    assert.deepEqual(
      [(await call(base, '/readyz/postgres')).status, (await call(base, '/readyz/postgres')).body],
      [200, 'ok'],
    );
    const redis = await call(base, '/readyz/redis');
    assert.deepEqual([redis.status, redis.body], [503, '[-]redis failed: reason withheld\nredis check failed\n']);
    // Asked for by name, a failing non-critical check reports its own failure, as kube-apiserver's
    // /readyz/<name> does (issue #9, defect 10); only the aggregate /readyz treats it as a warning.
    const billing = await call(base, '/readyz/billing');
    assert.deepEqual(
      [billing.status, billing.body],
      [503, '[-]billing failed: reason withheld\nbilling check failed\n'],
    );
    const billingJson = await call(base, '/readyz/billing', { headers: { accept: 'application/health+json' } });
    assert.deepEqual([billingJson.status, JSON.parse(billingJson.body).status], [503, 'fail']);
    assert.deepEqual(
      [(await call(base, '/readyz?exclude=redis')).status, (await call(base, '/readyz?exclude=redis')).body],
      [200, 'ok'],
      'the aggregate still passes with only a non-critical failure',
    );
    assert.equal((await call(base, '/readyz/shutdown')).status, 200);
    assert.equal((await call(base, '/livez/loop')).status, 200);
    assert.equal((await call(base, '/livez/ping')).status, 200);
  });

  it('/livez/<name> reports a failing non-critical liveness check as 503; /livez still passes', async () => {
    const h = createHealth({
      checks: { memory: { run: () => ({ status: 'fail', output: 'rss high' }), critical: false, liveness: true } },
    });
    const srv = await listen((req, res) => {
      if (!h.handle(req, res)) res.writeHead(418).end();
    });
    try {
      const one = await call(srv.url, '/livez/memory');
      assert.deepEqual([one.status, one.body], [503, '[-]memory failed: reason withheld\nmemory check failed\n']);
      assert.deepEqual([(await call(srv.url, '/livez')).status, (await call(srv.url, '/livez')).body], [200, 'ok']);
      assert.equal((await call(srv.url, '/livez/ping')).status, 200);
    } finally {
      h.stop();
      await srv.close();
    }
  });

  it('/readyz/<unknown> and a check of the other kind answer 404', async () => {
    const unknown = await call(base, '/readyz/nope');
    assert.deepEqual([unknown.status, unknown.body], [404, 'check "nope" does not exist\n']);
    const wrongKind = await call(base, '/livez/postgres');
    assert.deepEqual([wrongKind.status, wrongKind.body], [404, 'check "postgres" is not a livez check\n']);
  });

  it('/healthcheck serves the full health+json report, valid against the draft', async () => {
    const res = await call(base, '/healthcheck');
    assert.equal(res.status, 503);
    assert.equal(res.headers['content-type'], 'application/health+json');
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = JSON.parse(res.body);
    assert.deepEqual(healthJsonErrors(body), []);
    assert.equal(body.status, 'fail');
    assert.deepEqual(Object.keys(body.checks).sort(), [
      'billing:responseTime',
      'loop:responseTime',
      'postgres:responseTime',
      'redis:responseTime',
    ]);
    assert.equal(body.checks['redis:responseTime'][0].output, 'reason withheld');
    assert.equal(body.serviceId, 'api');
  });

  it('matches paths whatever the query string or a trailing slash', async () => {
    fellThrough = [];
    for (const path of [
      '/healthcheck?verbose',
      '/healthcheck?x=1&y',
      '/healthcheck/',
      '/livez?',
      '/livez/?verbose',
      '/readyz?verbose=1',
    ]) {
      const res = await call(base, path);
      assert.notEqual(res.status, 418, `${path} was answered by the health handler`);
    }
    assert.deepEqual(fellThrough, []);
  });

  it('leaves every other path to the app', async () => {
    fellThrough = [];
    // Malformed or not: another path is the app's to answer, in the app's own way.
    const others = ['/', '/health', '/livezz', '/readyzz/x', '/api/healthcheck', '/api/%ZZ', '/x?q=%E0%A4%A'];
    for (const path of others) {
      assert.equal((await call(base, path)).status, 418, path);
    }
    assert.deepEqual(fellThrough, others);
  });

  it('answers HEAD with the status and headers, and no body', async () => {
    const live = await call(base, '/livez', { method: 'HEAD' });
    assert.deepEqual([live.status, live.body, live.headers['content-length']], [200, '', '2']);
    const ready = await call(base, '/readyz', { method: 'HEAD' });
    assert.deepEqual([ready.status, ready.body], [503, '']);
  });

  it('rejects other methods with 405 and Allow', async () => {
    const res = await call(base, '/readyz', { method: 'POST' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.allow, 'GET, HEAD');
  });

  it('serves health+json on /readyz and /livez when the client asks for it', async () => {
    const res = await call(base, '/livez', { headers: { accept: 'application/health+json' } });
    assert.equal(res.status, 200);
    const body = JSON.parse(res.body);
    assert.deepEqual(healthJsonErrors(body), []);
    assert.deepEqual(Object.keys(body.checks), ['ping:responseTime', 'loop:responseTime']);
  });

  it('shows error output only with the bearer token', async () => {
    const without = await call(base, '/readyz?verbose');
    assert.ok(!without.body.includes('ECONNREFUSED'));
    const wrong = await call(base, '/readyz?verbose', { headers: { authorization: 'Bearer nope' } });
    assert.ok(!wrong.body.includes('ECONNREFUSED'));
    const withToken = await call(base, '/readyz?verbose', { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.match(withToken.body, /\[-\]redis failed: connect ECONNREFUSED 127\.0\.0\.1:6379/);
    const json = JSON.parse((await call(base, '/healthcheck', { headers: { authorization: `Bearer ${TOKEN}` } })).body);
    assert.equal(json.checks['billing:responseTime'][0].output, 'billing answered 500');
    // The scheme is case-insensitive (RFC 9110 11.1); the token is not.
    const lower = await call(base, '/readyz?verbose', { headers: { authorization: `bearer ${TOKEN}` } });
    assert.match(lower.body, /ECONNREFUSED/);
    for (const authorization of [
      `Bearer ${TOKEN.toUpperCase()}`,
      `Bearer ${TOKEN}x`,
      `Basic ${TOKEN}`,
      TOKEN,
      'Bearer',
    ]) {
      const res = await call(base, '/readyz?verbose', { headers: { authorization } });
      assert.ok(!res.body.includes('ECONNREFUSED'), authorization);
    }
  });

  it('during shutdown, readiness fails at once while liveness stays 200', async () => {
    const h = createHealth({ checks: { db: () => undefined } });
    const srv = await listen((req, res) => void h.handle(req, res));
    try {
      assert.equal((await call(srv.url, '/readyz')).status, 200);
      h.beginShutdown();
      const ready = await call(srv.url, '/readyz');
      assert.deepEqual(
        [ready.status, ready.body],
        [503, '[-]shutdown failed: reason withheld\n[+]db ok\nreadyz check failed\n'],
      );
      assert.equal((await call(srv.url, '/livez')).status, 200);
      assert.equal((await call(srv.url, '/readyz/shutdown')).status, 503);
    } finally {
      h.stop();
      await srv.close();
    }
  });

  it('1,000 probe requests over HTTP cost the dependency one call', async () => {
    let calls = 0;
    const h = createHealth({
      cacheTtl: 60_000,
      checks: {
        db: async () => {
          calls += 1;
          await new Promise((r) => setTimeout(r, 20));
        },
      },
    });
    const srv = await listen((req, res) => void h.handle(req, res));
    const agent = new (await import('node:http')).Agent({ keepAlive: true, maxSockets: 20 });
    try {
      const paths = ['/readyz', '/readyz?verbose', '/healthcheck', '/readyz/db'];
      const statuses = await Promise.all(
        Array.from(
          { length: 1_000 },
          (_, i) =>
            new Promise<number>((resolve, reject) => {
              request(`${srv.url}${paths[i % paths.length]}`, { agent }, (res) => {
                res.resume();
                res.on('end', () => resolve(res.statusCode ?? 0));
              })
                .on('error', reject)
                .end();
            }),
        ),
      );
      assert.ok(statuses.every((s) => s === 200));
      assert.equal(calls, 1);
    } finally {
      agent.destroy();
      h.stop();
      await srv.close();
    }
  });

  it('a non-critical failure makes the report warn with 200', async () => {
    const h = createHealth({ checks: { db: () => undefined, cache: { run: () => false, critical: false } } });
    const srv = await listen((req, res) => void h.handle(req, res));
    try {
      const res = await call(srv.url, '/healthcheck');
      assert.equal(res.status, 200);
      assert.equal(JSON.parse(res.body).status, 'warn');
      assert.equal((await call(srv.url, '/readyz')).status, 200);
    } finally {
      h.stop();
      await srv.close();
    }
  });

  it('details: "always" shows output to everyone; paths are configurable', async () => {
    const h = createHealth({
      details: 'always',
      paths: { health: '/health', live: '/alive', ready: '/ready' },
      checks: { db: () => ({ status: 'fail', output: 'disk full' }) },
    });
    const srv = await listen((req, res) => {
      if (!h.handle(req, res)) res.writeHead(418).end();
    });
    try {
      assert.match((await call(srv.url, '/ready?verbose')).body, /\[-\]db failed: disk full/);
      assert.equal((await call(srv.url, '/alive')).status, 200);
      assert.equal((await call(srv.url, '/health')).status, 503);
      assert.equal((await call(srv.url, '/readyz')).status, 418);
    } finally {
      h.stop();
      await srv.close();
    }
  });
});

describe('Express adapters', () => {
  for (const [name, express] of [
    ['Express 5', express5],
    ['Express 4', express4],
  ] as const) {
    it(`${name}: health paths answered, the rest routed to the app`, async () => {
      const health = createHealth({ checks: { db: () => undefined } });
      const app = (express as unknown as () => import('express').Express)();
      app.use(health.express());
      app.get('/hello', (_req, res) => {
        res.send('world');
      });
      const srv = await listen(app as unknown as Parameters<typeof listen>[0]);
      try {
        assert.deepEqual(
          [(await call(srv.url, '/readyz?verbose')).status, (await call(srv.url, '/livez')).body],
          [200, 'ok'],
        );
        assert.equal(JSON.parse((await call(srv.url, '/healthcheck')).body).status, 'pass');
        assert.equal((await call(srv.url, '/healthcheck?verbose')).body, '[+]db ok\nhealthcheck check passed\n');
        assert.equal((await call(srv.url, '/hello')).body, 'world');
        assert.equal((await call(srv.url, '/missing')).status, 404);
      } finally {
        health.stop();
        await srv.close();
      }
    });
  }
});

describe('createHealth rejects bad options with a TypeError', () => {
  const cases: [string, unknown, RegExp][] = [
    [
      'an unknown check type',
      { checks: { db: 'SELECT 1' } },
      /check "db" is not a check: give a function or an object with a run\(\) function/,
    ],
    ['a negative timeout', { timeout: -1 }, /timeout must be a positive number of milliseconds, got -1/],
    [
      'a negative check timeout',
      { checks: { db: { run: () => {}, timeout: -5 } } },
      /check "db" timeout must be a positive/,
    ],
    ['a zero cache TTL', { cacheTtl: 0 }, /cacheTtl must be a positive/],
    [
      'duplicate names',
      {
        checks: [
          { name: 'db', run: () => {} },
          { name: 'db', run: () => {} },
        ],
      },
      /duplicate check name "db"/,
    ],
    ['a reserved name', { checks: { shutdown: () => {} } }, /"shutdown" is a built-in check name/],
    ['a name unfit for a URL', { checks: { 'my db': () => {} } }, /check "my db": names use letters/],
    ['an unknown option', { chekcs: {} }, /unknown option "chekcs"/],
    [
      'an unknown check option',
      { checks: { db: { run: () => {}, critcal: false } } },
      /check "db": unknown option "critcal"/,
    ],
    ['a bad details value', { details: 'sometimes' }, /details must be "always" or "never"/],
    ['a relative path', { paths: { ready: 'readyz' } }, /paths.ready must be an absolute path/],
    ['clashing paths', { paths: { ready: '/livez' } }, /must differ/],
    ['a short token', { detailsToken: 'abc' }, /detailsToken must be a string of at least 8 characters/],
  ];
  for (const [what, options, message] of cases) {
    it(what, () => {
      assert.throws(
        () => createHealth(options as never),
        (error: unknown) => error instanceof TypeError && message.test(error.message),
      );
    });
  }

  it('starts nothing when it throws, and nothing before first use', () => {
    let calls = 0;
    assert.throws(() =>
      createHealth({
        checks: {
          a: () => {
            calls += 1;
          },
          b: 'x' as never,
        },
      }),
    );
    const health = createHealth({
      checks: {
        a: () => {
          calls += 1;
        },
      },
    });
    assert.equal(calls, 0);
    health.stop();
  });
});
