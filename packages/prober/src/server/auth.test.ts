// Issue #9, defect 9: the monitor API and /metrics need server.auth's
// credentials; the probe paths stay open.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createHealth } from '@lifeline/health';
import type { ServerAuth } from '../config/resolved.js';
import type { CheckResult } from '../domain/result.js';
import { makeCheck } from '../testing/check.js';
import { createApiServer } from './app.js';
import { createMetrics } from './metrics.js';

const TOKEN = 'tok_0123456789abcdefXYZ';
const USER = 'ops';
const PASSWORD = 'pass:word with spaces ü';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function startApi(auth: ServerAuth | undefined) {
  const latest = new Map<string, CheckResult>();
  const health = createHealth({
    checks: {
      store: async () => {
        throw new Error('the store is on fire');
      },
    },
    ...(auth?.bearer ? { detailsToken: auth.bearer } : {}),
  });
  const server = createApiServer({
    checks: () => [makeCheck({ name: 'api' })],
    latest: () => latest,
    metrics: createMetrics(() => latest),
    health,
    ...(auth ? { auth } : {}),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    async get(path: string, authorization?: string) {
      const res = await fetch(`${base}${path}`, authorization === undefined ? {} : { headers: { authorization } });
      const text = await res.text();
      return {
        status: res.status,
        challenge: res.headers.get('www-authenticate'),
        text,
        body: res.headers.get('content-type')?.includes('application/json') ? JSON.parse(text) : undefined,
      };
    },
    async close() {
      health.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('server.auth: bearer token', () => {
  let api: Awaited<ReturnType<typeof startApi>>;
  before(async () => {
    api = await startApi({ bearer: TOKEN, metrics: 'protected', statusPage: 'public', badges: 'protected' });
  });
  after(() => api.close());

  it('refuses a request without credentials: 401 JSON with a Bearer challenge', async () => {
    for (const path of ['/api/v1/checks', '/api/v1/checks/api/results', '/metrics', '/api/openapi.json', '/nope']) {
      const res = await api.get(path);
      assert.equal(res.status, 401, path);
      assert.equal(res.body.error, 'unauthorized', path);
      assert.match(res.body.message, /this API needs credentials: send Authorization: Bearer <token>/);
      assert.equal(res.challenge, 'Bearer realm="lifeline"');
    }
    assert.equal((await api.get('/api/v1/checks', '')).status, 401, 'an empty header');
  });

  it('refuses another scheme, a malformed header and a wrong token', async () => {
    const cases: [string, RegExp, string][] = [
      [
        basic(USER, TOKEN),
        /the Authorization scheme "Basic" is not accepted here; use Bearer/,
        'Bearer realm="lifeline"',
      ],
      [`Token ${TOKEN}`, /scheme "Token" is not accepted/, 'Bearer realm="lifeline"'],
      [TOKEN, /the Authorization header is malformed/, 'Bearer realm="lifeline"'],
      [`Bearer ${TOKEN} extra`, /malformed/, 'Bearer realm="lifeline"'],
      ['Bearer wrong', /the bearer token is not valid/, 'Bearer realm="lifeline", error="invalid_token"'],
      [`Bearer ${TOKEN.slice(0, -1)}`, /not valid/, 'Bearer realm="lifeline", error="invalid_token"'],
      [`Bearer ${TOKEN}x`, /not valid/, 'Bearer realm="lifeline", error="invalid_token"'],
      [`Bearer ${TOKEN.toUpperCase()}`, /not valid/, 'Bearer realm="lifeline", error="invalid_token"'],
    ];
    for (const [authorization, message, challenge] of cases) {
      const res = await api.get('/api/v1/checks', authorization);
      assert.equal(res.status, 401, authorization);
      assert.match(res.body.message, message, authorization);
      assert.equal(res.challenge, challenge, authorization);
      assert.ok(!res.text.includes(TOKEN), 'the token is never echoed');
    }
  });

  it('accepts the token with the scheme in any case', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      for (const path of ['/api/v1/checks', '/api/v1/checks/api', '/metrics', '/api/openapi.json']) {
        const res = await api.get(path, `${scheme} ${TOKEN}`);
        assert.equal(res.status, 200, path);
      }
    }
    assert.equal((await api.get('/api/v1/checks', `Bearer   ${TOKEN}  `)).status, 200, 'extra spaces');
    assert.equal((await api.get('/nope', `Bearer ${TOKEN}`)).status, 404, 'past the check, the routes as usual');
  });

  it('keeps /livez, /readyz and /healthcheck open, and shows why readiness fails only to the token', async () => {
    assert.equal((await api.get('/livez')).status, 200);
    const hidden = await api.get('/readyz?verbose');
    assert.equal(hidden.status, 503);
    assert.ok(!hidden.text.includes('on fire'), hidden.text);
    const shown = await api.get('/readyz?verbose', `Bearer ${TOKEN}`);
    assert.equal(shown.status, 503);
    assert.match(shown.text, /\[-\]store failed: .*the store is on fire/);
    assert.equal((await api.get('/readyz/store')).status, 503);
    assert.equal((await api.get('/healthcheck')).status, 503);
  });

  it('answers a malformed target with 400 before asking for credentials', async () => {
    const res = await api.get('/api/v1/checks/%ZZ');
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'bad_request');
  });
});

describe('server.auth: basic, and both schemes', () => {
  it('accepts the right username and password in any scheme case, refuses anything else', async () => {
    const api = await startApi({
      basic: { username: USER, password: PASSWORD },
      metrics: 'protected',
      statusPage: 'public',
      badges: 'protected',
    });
    try {
      const missing = await api.get('/api/v1/checks');
      assert.equal(missing.status, 401);
      assert.equal(missing.challenge, 'Basic realm="lifeline", charset="UTF-8"');
      assert.match(missing.body.message, /send Authorization: Basic <base64 of user:password>/);
      const right = basic(USER, PASSWORD).slice('Basic '.length);
      for (const scheme of ['Basic', 'basic', 'BASIC']) {
        assert.equal((await api.get('/api/v1/checks', `${scheme} ${right}`)).status, 200, scheme);
      }
      for (const wrong of [
        basic(USER, 'nope'),
        basic('root', PASSWORD),
        basic(USER, ''),
        basic('', PASSWORD),
        `Basic ${Buffer.from(USER).toString('base64')}`,
        'Basic !!!not-base64!!!',
        `Bearer ${PASSWORD.replaceAll(' ', '')}`,
      ]) {
        const res = await api.get('/api/v1/checks', wrong);
        assert.equal(res.status, 401, wrong);
      }
      assert.match((await api.get('/api/v1/checks', basic(USER, 'nope'))).body.message, /username or password/);
      assert.equal((await api.get('/readyz')).status, 503, 'probes stay open');
    } finally {
      await api.close();
    }
  });

  it('with both configured, either works and the 401 offers both', async () => {
    const api = await startApi({
      bearer: TOKEN,
      basic: { username: USER, password: PASSWORD },
      metrics: 'protected',
      statusPage: 'public',
      badges: 'protected',
    });
    try {
      const res = await api.get('/api/v1/checks');
      assert.equal(res.challenge, 'Bearer realm="lifeline", Basic realm="lifeline", charset="UTF-8"');
      assert.equal((await api.get('/api/v1/checks', `bearer ${TOKEN}`)).status, 200);
      assert.equal((await api.get('/api/v1/checks', basic(USER, PASSWORD))).status, 200);
      assert.equal((await api.get('/api/v1/checks', basic(USER, TOKEN))).status, 401);
    } finally {
      await api.close();
    }
  });
});

describe('server.auth: metrics open, and no auth', () => {
  it('metrics: open lets Prometheus scrape without credentials; the API still needs them', async () => {
    const api = await startApi({ bearer: TOKEN, metrics: 'open', statusPage: 'public', badges: 'protected' });
    try {
      assert.equal((await api.get('/metrics')).status, 200);
      assert.equal((await api.get('/api/v1/checks')).status, 401);
    } finally {
      await api.close();
    }
  });

  it('without server.auth every route is open, as before', async () => {
    const api = await startApi(undefined);
    try {
      for (const path of ['/api/v1/checks', '/metrics', '/api/openapi.json'])
        assert.equal((await api.get(path)).status, 200, path);
      assert.equal((await api.get('/api/v1/checks', 'Bearer anything')).status, 200);
    } finally {
      await api.close();
    }
  });
});
