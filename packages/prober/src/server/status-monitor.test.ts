// Issue #12, wired by `lifeline run` (startMonitor): the status page follows
// the config file through hot reloads, checks carry their group, and
// server.auth's statusPage / badges settings reach the API.
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfigFile } from '../config/load.js';
import { startMonitor } from '../main.js';
import { captureLogger } from '../testing/log.js';
import { startTarget, type Target } from '../testing/targets.js';

const TOKEN = 'monitor-token-0123456789';

/** Polls `fn` until it gives a value, for at most 10 s. */
async function until<T>(what: string, fn: () => T | Promise<T>): Promise<NonNullable<T>> {
  const end = Date.now() + 10_000;
  for (;;) {
    const value = await fn();
    if (value) return value as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('lifeline run: status page and badges', () => {
  let target: Target;
  let dir: string;
  before(async () => {
    target = await startTarget((_req, res) => res.end('ok'));
    dir = mkdtempSync(join(tmpdir(), 'lifeline-status-run-'));
  });
  after(async () => {
    await target.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page of the running config, reloads it, and applies server.auth to it and the badges', async () => {
    const file = join(dir, 'lifeline.yaml');
    const write = (page: string) => {
      writeFileSync(
        `${file}.tmp`,
        `storage: ${join(dir, 'l.db')}\nserver:\n  host: 127.0.0.1\n  auth: {bearer: ${TOKEN}, badges: public}\n${page}` +
          `checks:\n  - {name: web, url: "${target.url}/", every: 100ms, group: Frontends}\n`,
      );
      renameSync(`${file}.tmp`, file);
    };
    write('statusPage:\n  title: Before\n  groups: [{name: Sites, checks: [{check: web, label: Website}]}]\n');
    const { logger, lines } = captureLogger();
    const monitor = await startMonitor({ config: loadConfigFile(file, {}), logger, watch: file, env: {}, port: 0 });
    const get = (path: string, token = false) =>
      fetch(`${monitor.url}${path}`, token ? { headers: { authorization: `Bearer ${TOKEN}` } } : {});
    try {
      const page = await until('the check to be up on the page', async () => {
        const text = await (await get('/status')).text();
        return text.includes('<span class="state t-up">Operational</span>') ? text : undefined;
      });
      assert.match(page, /<h1>Before<\/h1>/);
      assert.match(page, /<h3>Website<\/h3>/);
      assert.ok(!page.includes(target.url), 'no URL on the page');
      assert.equal((await get('/api/v1/checks/web/badge/status.svg')).status, 200, 'badges: public');
      assert.equal((await get('/api/v1/checks')).status, 401, 'the API still needs the token');
      const list = (await (await get('/api/v1/checks', true)).json()) as { checks: { group: string | null }[] };
      assert.deepEqual(
        list.checks.map((c) => c.group),
        ['Frontends'],
      );

      write('statusPage:\n  title: After\n  groups: [{name: Sites, checks: [web]}]\n');
      await until('the reload', () => lines.find((l) => String(l.msg).startsWith('config reloaded:')));
      const reloaded = await (await get('/status')).text();
      assert.match(reloaded, /<h1>After<\/h1>/);
      assert.match(reloaded, /<h3>web<\/h3>/, 'without a label, the check name');

      write('');
      await until('the second reload', () => lines.filter((l) => String(l.msg).startsWith('config reloaded:'))[1]);
      assert.equal((await get('/status')).status, 404, 'no statusPage: no page');
    } finally {
      await monitor.stop();
    }
  });
});
