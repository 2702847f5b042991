import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig } from '../../packages/prober/src/config/load.js';
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
