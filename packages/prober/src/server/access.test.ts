// Issue #12: with server.auth set, /status is public unless `statusPage:
// protected`, and badges are protected unless `badges: public`; the rest of the
// API needs the credentials whatever these say.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createHealth } from '@lifeline/health';
import type { ServerAuth } from '../config/resolved.js';
import type { CheckResult } from '../domain/result.js';
import { makeCheck } from '../testing/check.js';
import { createApiServer } from './app.js';
import { createMetrics } from './metrics.js';

const TOKEN = 'tok_0123456789abcdefXYZ';

async function startApi(auth: ServerAuth | undefined) {
  const latest = new Map<string, CheckResult>();
  const health = createHealth({ checks: {} });
  const server = createApiServer({
    checks: () => [makeCheck({ name: 'api' })],
    latest: () => latest,
    metrics: createMetrics(() => latest),
    health,
    statusPage: () => ({
      title: 'Status',
      description: null,
      groups: [{ name: 'G', checks: [{ check: 'api', label: 'API' }] }],
    }),
    ...(auth ? { auth } : {}),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    async get(path: string, withToken = false) {
      const res = await fetch(`${base}${path}`, withToken ? { headers: { authorization: `Bearer ${TOKEN}` } } : {});
      await res.arrayBuffer();
      return {
        status: res.status,
        challenge: res.headers.get('www-authenticate'),
        cache: res.headers.get('cache-control'),
      };
    },
    async close() {
      health.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const BADGES = ['status.svg', 'uptime.svg?window=7d', 'response-time.svg'].map((b) => `/api/v1/checks/api/badge/${b}`);
/** The badges answer 503 without a store: what matters here is that it is not a 401. */
const served = (status: number) => status === 200 || status === 503;

describe('server.auth: the status page and the badges', () => {
  for (const statusPage of ['public', 'protected'] as const) {
    for (const badges of ['public', 'protected'] as const) {
      it(`statusPage: ${statusPage}, badges: ${badges}`, async () => {
        const api = await startApi({ bearer: TOKEN, metrics: 'protected', statusPage, badges });
        try {
          const page = await api.get('/status');
          assert.equal(page.status, statusPage === 'public' ? 200 : 401, '/status without credentials');
          if (statusPage === 'protected') assert.equal(page.challenge, 'Bearer realm="lifeline"');
          assert.equal((await api.get('/status', true)).status, 200, '/status with the token');
          for (const path of BADGES) {
            const anonymous = await api.get(path);
            if (badges === 'public') assert.ok(served(anonymous.status), `${path}: ${anonymous.status}`);
            else assert.equal(anonymous.status, 401, path);
            assert.ok(served((await api.get(path, true)).status), `${path} with the token`);
          }
          const badge = await api.get(BADGES[0] as string, true);
          assert.equal(badge.cache, `${badges === 'public' ? 'public' : 'private'}, max-age=60`);
          // Whatever these say, the rest stays behind the credentials.
          for (const path of [
            '/api/v1/checks',
            '/api/v1/checks/api',
            '/metrics',
            '/api/v1/checks/api/badge/status.svg/x',
          ])
            assert.equal((await api.get(path)).status, 401, path);
        } finally {
          await api.close();
        }
      });
    }
  }

  it('without server.auth, the page and the badges are open like everything else', async () => {
    const api = await startApi(undefined);
    try {
      assert.equal((await api.get('/status')).status, 200);
      const badge = await api.get(BADGES[0] as string);
      assert.equal(badge.status, 200);
      assert.equal(badge.cache, 'public, max-age=60');
    } finally {
      await api.close();
    }
  });
});
