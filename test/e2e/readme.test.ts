import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createHealth } from '@lifeline/health';
import { parseConfig } from '../../packages/prober/src/config/load.js';
import type { CheckResult } from '../../packages/prober/src/domain/result.js';
import { createApiServer } from '../../packages/prober/src/server/app.js';
import { createMetrics } from '../../packages/prober/src/server/metrics.js';
import { createSqliteStore } from '../../packages/prober/src/store/sqlite/sqlite-store.js';
import { ROOT, run } from './helpers.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({
  lang: m[1],
  body: (m[2] as string).trimEnd(),
}));

// The README is the first thing a newcomer runs; these keep it true to the code.
describe('README', () => {
  it('has a quick start of exactly two commands: npm ci && npm start, and npm test', () => {
    const quick = readme.split('## Quick start')[1]?.split('\n## ')[0] ?? '';
    const commands = [...quick.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => (m[1] as string).trim());
    assert.deepEqual(commands, ['npm ci && npm start', 'npm test']);
  });

  it('.ci/run ends with the README test command', () => {
    const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8').trim().split('\n');
    assert.equal(ci.at(-1), 'npm test');
    assert.ok(ci.includes('npm ci'));
  });

  it('shows the validate output the CLI really prints', async () => {
    const block = blocks.find((b) => b.body.startsWith('$ npx lifeline validate --config bad.yaml'));
    assert.ok(block, 'the README has the validate example');
    const expected = block.body.split('\n').slice(1);
    const cli = run(
      process.execPath,
      [join(ROOT, 'packages/prober/bin/lifeline.js'), 'validate', '--config', 'bad.yaml'],
      {
        cwd: join(ROOT, 'test/fixtures'),
      },
    );
    assert.equal((await cli.exited).code, 2);
    assert.deepEqual(cli.lines, expected);
  });

  it('shows a config that loads, the same as examples/kubernetes.yaml', () => {
    const block = blocks.find((b) => b.lang === 'yaml' && b.body.includes('api-healthcheck'));
    assert.ok(block);
    const fromReadme = parseConfig(block.body, { file: 'README.md', env: {} }).checks;
    const example = parseConfig(readFileSync(join(ROOT, 'examples/kubernetes.yaml'), 'utf8'), {
      file: 'x',
      env: {},
    }).checks;
    assert.deepEqual(fromReadme, example);
  });
});

describe('README library example', () => {
  it('quotes examples/express-service.ts verbatim, so the example it shows is the one the suite runs', () => {
    const example = readFileSync(join(ROOT, 'examples/express-service.ts'), 'utf8');
    const snippets = blocks.filter(
      (b) => b.lang === 'ts' && (b.body.includes('createHealth(') || b.body.includes('health.attach(')),
    );
    assert.ok(snippets.length >= 2);
    for (const snippet of snippets) assert.ok(example.includes(snippet.body), `not in the example:\n${snippet.body}`);
  });
});

describe('README alerts', () => {
  const section = readme.split('## Alerts')[1]?.split('\n## ')[0] ?? '';
  const yaml = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  const env = {
    WEBHOOK_SECRET: 'a-webhook-secret-of-32-characters',
    SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/XXXX',
    PAGERDUTY_ROUTING_KEY: '0123456789abcdef0123456789abcdef',
    SMTP_PASSWORD: 'smtp-password',
  };
  const check = 'checks:\n  - {name: api, url: "http://api:3000/healthcheck", every: 30s}\n';

  it('shows the six-line config of the issue, and it loads as written', () => {
    const config = parseConfig(yaml[0] as string, { file: 'README.md', env });
    assert.deepEqual(config.checks[0]?.alerts.channels, ['oncall']);
    assert.equal(config.checks[0]?.alerts.failureThreshold, 2);
    assert.equal(config.alerting.channels[0]?.type, 'webhook');
  });

  it('shows a maintenance window and a channel of every type that load', () => {
    const maintenance = parseConfig(`${yaml[1]}${check}`, { file: 'README.md', env });
    assert.equal(maintenance.maintenance[0]?.name, 'nightly-backup');
    const channels = parseConfig(`${yaml[2]}${check}`, { file: 'README.md', env }).alerting.channels;
    assert.deepEqual(channels.map((c) => c.type).sort(), ['alertmanager', 'email', 'pagerduty', 'slack', 'webhook']);
    for (const channel of channels)
      for (const secret of Object.values(env)) assert.ok(!channel.displayUrl.includes(secret));
  });
});

describe('README: watching scheduled jobs', () => {
  const section = readme.split('## Watching scheduled jobs')[1]?.split('\n## ')[0] ?? '';
  const yaml = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  const sh = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => (m[1] as string).trim());
  const env = { BACKUP_PUSH_TOKEN: 'a-backup-push-token-0123456789' };

  it('shows a push check that loads as written', () => {
    const [check] = parseConfig(yaml[0] as string, { file: 'README.md', env }).checks;
    assert.equal(check?.kind, 'push');
    assert.deepEqual(check?.push, { graceMs: 15 * 60_000, maxRunTimeMs: 3_600_000, token: env.BACKUP_PUSH_TOKEN });
  });

  it('its curl one-liner pings a real monitor', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-readme-push-'));
    const file = join(dir, 'lifeline.yaml');
    writeFileSync(file, `storage: none\nserver: {host: 127.0.0.1}\n${yaml[0]}`);
    const monitor = run(
      process.execPath,
      [join(ROOT, 'packages/prober/bin/lifeline.js'), 'run', '-c', file, '--port', '0'],
      {
        env: { ...process.env, ...env },
      },
    );
    try {
      const started = await monitor.waitForLine((l) => l.includes('lifeline monitor started'), 20_000);
      const api = String(JSON.parse(started).api);
      const curl = sh.find((c) => c.startsWith('curl'));
      assert.ok(curl, 'the section has a curl one-liner');
      const ping = run('sh', ['-c', curl.replace('http://lifeline-monitor:8080', api)], {
        env: { ...process.env, ...env },
      });
      assert.equal((await ping.exited).code, 0, ping.lines.join('\n'));
      assert.equal(JSON.parse(ping.lines.join('')).check, 'nightly-backup');
      const wrong = run('sh', ['-c', curl.replace('http://lifeline-monitor:8080', api)], {
        env: { ...process.env, BACKUP_PUSH_TOKEN: 'not-the-token-0123456789' },
      });
      assert.equal((await wrong.exited).code, 22, 'curl -f: a 401 is a failure');
    } finally {
      monitor.child.kill('SIGTERM');
      await monitor.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('README: status page and badges', () => {
  const section = readme.split('## Status page and badges')[1]?.split('\n## ')[0] ?? '';
  const yaml = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  const markdown = [...section.matchAll(/```markdown\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  const env = { LIFELINE_TOKEN: 'readme-token-0123456789', BACKUP_PUSH_TOKEN: 'a-backup-push-token-0123456789' };

  it('shows a config that loads as written, and a monitor serves its page and badges as the section says', async () => {
    const config = parseConfig(yaml[0] as string, { file: 'README.md', env });
    assert.deepEqual(
      config.statusPage?.groups.map((g) => [g.name, g.checks.map((c) => c.label)]),
      [
        ['Core', ['api-healthcheck', 'Website']],
        ['Jobs', ['Nightly backup']],
      ],
    );
    assert.deepEqual([config.server.auth?.statusPage, config.server.auth?.badges], ['public', 'public']);
    assert.equal(config.checks.find((c) => c.name === 'api-healthcheck')?.group, 'Core');

    const dir = mkdtempSync(join(tmpdir(), 'lifeline-readme-status-'));
    const store = createSqliteStore(join(dir, 'l.db'));
    await store.migrate();
    const latest = new Map<string, CheckResult>();
    const health = createHealth({ checks: {} });
    const server = createApiServer({
      checks: () => config.checks,
      latest: () => latest,
      store,
      metrics: createMetrics(() => latest),
      health,
      statusPage: () => config.statusPage,
      ...(config.server.auth ? { auth: config.server.auth } : {}),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const page = await fetch(`${api}/status`);
      assert.equal(page.status, 200, 'no credentials needed');
      const html = await page.text();
      for (const shown of ['<h1>Acme status</h1>', '<h3>Website</h3>', '<h3>Nightly backup</h3>'])
        assert.ok(html.includes(shown), shown);
      assert.ok(!html.includes('internal-db') && !html.includes('http://'), 'not what the page does not list');
      const urls = [...(markdown[0] ?? '').matchAll(/\((http:\/\/lifeline-monitor:8080[^)]*)\)/g)].map((m) => m[1]);
      assert.equal(urls.length, 2);
      for (const url of urls) {
        const badge = await fetch((url as string).replace('http://lifeline-monitor:8080', api));
        assert.equal(badge.status, 200, url);
        assert.equal(badge.headers.get('content-type'), 'image/svg+xml');
        assert.match(await badge.text(), /^<svg /);
      }
      assert.equal((await fetch(`${api}/api/v1/checks`)).status, 401, 'the API still needs the token');
    } finally {
      health.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('README: high availability (PostgreSQL)', () => {
  const section = readme.split('### High availability (PostgreSQL)')[1]?.split('\n## ')[0] ?? '';
  const yaml = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  const env = { DATABASE_URL: 'postgres://lifeline@db:5432/lifeline', POD_NAME: 'lifeline-0', POD_IP: '10.0.0.5' };
  const check = 'checks:\n  - {name: api, url: "http://api:3000/healthcheck", every: 30s}\n';

  it('shows a cluster section that loads as written, and its table names every key with its default', () => {
    const config = parseConfig(`${yaml[0]}${check}`, { file: 'README.md', env });
    assert.deepEqual(config.cluster, {
      id: 'lifeline-0',
      leaseTtlMs: 15_000,
      renewMs: 5_000,
      advertiseUrl: 'http://10.0.0.5:8080',
    });
    const rows = [...section.matchAll(/^\| `cluster\.(\w+)` +\| ([^|]*?) +\|/gm)].map((m) => [m[1], m[2]]);
    assert.deepEqual(rows, [
      ['id', '`<host name>-<6 random characters>`'],
      ['leaseTtl', '`15s`'],
      ['renewEvery', '`5s`'],
      ['advertiseUrl', ''],
    ]);
    const defaults = parseConfig(`storage: ${env.DATABASE_URL}\n${check}`, { file: 'README.md', env: {} }).cluster;
    assert.deepEqual(defaults, { leaseTtlMs: 15_000, renewMs: 5_000 }, 'the defaults the table gives');
  });
});
