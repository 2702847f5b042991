import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { memoryIo } from '../testing/cli-io.js';
import { closedPort, startTarget, type Target } from '../testing/targets.js';
import { main } from './main.js';

const io = memoryIo;

const dir = mkdtempSync(join(tmpdir(), 'lifeline-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
function configFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('lifeline CLI', () => {
  let up: Target;
  let down: Target;
  let closed: number;
  before(async () => {
    up = await startTarget((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/health+json' }).end('{"status":"pass"}'),
    );
    down = await startTarget((_req, res) => res.writeHead(503).end());
    closed = await closedPort();
  });
  after(async () => {
    await up.close();
    await down.close();
  });

  it('check --once prints one JSON line per check in config order and exits 0 when all pass', async () => {
    const file = configFile(
      'ok.yaml',
      `checks:\n  - name: a\n    url: ${up.url}/healthcheck\n    schedule: "0 8 * * *"\n  - name: b\n    url: ${up.url}/x\n    every: 10s\n`,
    );
    const t = io();
    assert.equal(await main(['check', '--once', '--config', file], t.io), 0);
    const lines = t.lines();
    assert.deepEqual(
      lines.map((l) => [l.check, l.status, l.ok]),
      [
        ['a', 200, true],
        ['b', 200, true],
      ],
    );
    for (const line of lines) {
      assert.match(line.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(typeof line.durationMs, 'number');
      assert.equal(line.url.startsWith(up.url), true);
      assert.equal(line.error, undefined);
    }
  });

  it('check --once exits 1 when any check fails, with the error code in the line', async () => {
    const file = configFile(
      'mixed.yaml',
      `checks:\n  - name: up\n    url: ${up.url}\n    every: 10s\n  - name: down\n    url: ${down.url}\n    every: 10s\n  - name: closed\n    url: http://127.0.0.1:${closed}/\n    every: 10s\n`,
    );
    const t = io();
    assert.equal(await main(['check', '--once', '-c', file], t.io), 1);
    const byName = Object.fromEntries(t.lines().map((l) => [l.check, l]));
    assert.equal(byName.up.ok, true);
    assert.deepEqual([byName.down.status, byName.down.ok, byName.down.error.code], [503, false, 'http_status']);
    assert.deepEqual([byName.closed.status, byName.closed.error.code], [null, 'refused']);
  });

  it('takes the config from LIFELINE_CONFIG', async () => {
    const file = configFile('env.yaml', `checks:\n  - name: a\n    url: ${up.url}\n    every: 10s\n`);
    const t = io({ LIFELINE_CONFIG: file });
    assert.equal(await main(['check', '--once'], t.io), 0);
  });

  it('exits 2 on a bad config, printing every problem and starting nothing', async () => {
    const file = configFile(
      'bad.yaml',
      `checks:\n  - name: a\n    url: ${up.url}\n    schedule: "0 25 * * *"\n    timeout: -1s\n`,
    );
    for (const command of ['check', 'run', 'validate']) {
      const t = io();
      assert.equal(await main([command, '--config', file], t.io), 2, command);
      assert.equal(t.out(), '', `${command} printed no result`);
      assert.match(t.err(), new RegExp(`${file}:4:15: checks\\[0\\]\\.schedule: invalid cron expression`));
      assert.match(t.err(), new RegExp(`${file}:5:14: checks\\[0\\]\\.timeout:`));
      assert.match(t.err(), /2 problems .* \[LIFELINE_ERR_CONFIG\]; nothing was started/);
    }
  });

  it('exits 2 on bad usage', async () => {
    const noConfig = io();
    assert.equal(await main(['check', '--once'], noConfig.io), 2);
    assert.match(noConfig.err(), /no config given/);
    const unknown = io();
    assert.equal(await main(['frobnicate'], unknown.io), 2);
    const badFormat = io();
    assert.equal(await main(['check', '--format', 'xml', '-c', 'x'], badFormat.io), 2);
    const missing = io();
    assert.equal(await main(['validate', '-c', join(dir, 'missing.yaml')], missing.io), 2);
    assert.match(missing.err(), /missing\.yaml: cannot read the config: file not found/);
  });

  it('validate exits 0 and shows each check and its next run', async () => {
    const file = configFile(
      'v.yaml',
      `checks:\n  - name: api\n    url: http://api:3000/healthcheck\n    schedule: "0 8 * * *"\n    timezone: Europe/Berlin\n`,
    );
    const t = io();
    assert.equal(await main(['validate', '-c', file], t.io), 0);
    assert.match(t.out(), /ok, 1 check\(s\)/);
    assert.match(
      t.out(),
      /api: GET http:\/\/api:3000\/healthcheck, cron "0 8 \* \* \*" \(Europe\/Berlin\), next \d{4}-.*, timeout 5s/,
    );
  });

  it('run logs results on schedule and exits 0 on SIGTERM after in-flight checks finish', async () => {
    const file = configFile('run.yaml', `storage: none\nchecks:\n  - name: a\n    url: ${up.url}\n    every: 100ms\n`);
    const t = io();
    const running = main(['run', '--config', file, '--port', '0'], t.io);
    while (t.lines().filter((l) => l.check === 'a').length < 2) await new Promise((r) => setTimeout(r, 20));
    t.signals.emit('SIGTERM', 'SIGTERM');
    assert.equal(await running, 0);
    const lines = t.lines();
    assert.equal(lines.at(-1).msg, 'lifeline monitor stopped');
    assert.ok(lines.some((l) => l.check === 'a' && l.status === 200 && l.ok === true));
    // The default 5 s timeout outlasts the 100 ms interval: said once, in a line that is not a result.
    const warnings = lines.filter((l) => l.timeoutLongerThanInterval);
    assert.equal(warnings.length, 1);
    assert.deepEqual(
      [warnings[0].timeoutLongerThanInterval, warnings[0].count, warnings[0].check],
      [['a'], 1, undefined],
    );
    assert.match(
      warnings[0].msg,
      /^1 check\(s\) have a timeout longer than the time between runs, e\.g\. a: timeout 5s is longer than the 100ms between runs/,
    );
    assert.ok(
      lines.filter((l) => l.check === 'a').every((l) => typeof l.ok === 'boolean' || l.msg.includes('skipped')),
    );
  });

  it('--format pretty prints one line per result: name, outcome, status, ms, error', async () => {
    const file = configFile(
      'p.yaml',
      `checks:\n  - name: a\n    url: ${up.url}\n    every: 10s\n  - name: b\n    url: ${down.url}\n    every: 10s\n  - name: t\n    url: tcp://127.0.0.1:${closed}\n    every: 10s\n`,
    );
    const t = io();
    assert.equal(await main(['check', '--once', '-c', file, '--format', 'pretty'], t.io), 1);
    const lines = t.out().trimEnd().split('\n');
    assert.equal(lines.length, 3, t.out());
    assert.match(lines[0] ?? '', /^\[.*\]: a {2}up {2}200 {2}\d+ms$/);
    assert.match(lines[1] ?? '', /^\[.*\]: b {2}down {2}503 {2}\d+ms {2}http_status: /);
    assert.match(lines[2] ?? '', /^\[.*\]: t {2}down {2}- {2}\d+ms {2}refused: /);
  });

  it('a passed tcp, tls or dns check says "passed", not "passed: null"', async () => {
    const file = configFile(
      'tcp.yaml',
      `checks:\n  - name: t\n    url: tcp://${new URL(up.url).host}\n    every: 10s\n`,
    );
    const t = io();
    assert.equal(await main(['check', '--once', '-c', file], t.io), 0);
    assert.equal(t.lines()[0].msg, 'check t passed');
  });

  it('validate says what each kind of check does, with secrets redacted, and warns when a timeout outlasts the gap', async () => {
    const file = configFile(
      'kinds.yaml',
      `checks:
  - name: h
    url: https://user:hunter22@api/x?token=abc123&q=1
    method: HEAD
    every: 10s
  - name: t
    url: tcp://redis:6379
    every: 10s
  - name: s
    url: tls://api:443
    every: 10s
  - name: d
    url: dns:///api.default.svc.cluster.local?type=AAAA
    every: 10s
  - name: c
    url: http://api/
    schedule: "* * * * *"
    timeout: 2m
  - name: e
    url: http://api/
    every: 200ms
    timeout: 2s
`,
    );
    const t = io();
    assert.equal(await main(['validate', '-c', file], t.io), 0);
    const out = t.out();
    assert.match(out, /h: HEAD https:\/\/user:\*\*\*@api\/x\?token=\*\*\*&q=1, every 10s/);
    assert.match(out, /t: connect to tcp:\/\/redis:6379, every 10s/);
    assert.match(out, /s: TLS handshake with tls:\/\/api:443, every 10s/);
    assert.match(out, /d: resolve dns:\/\/\/api\.default\.svc\.cluster\.local\?type=AAAA, every 10s/);
    assert.match(out, /c: GET http:\/\/api\/, cron .* timeout 2m\n/);
    assert.match(
      out,
      /\nwarning: check c: timeout 2m is longer than the 1m between runs: a run still in progress when the next is due makes that next run skipped/,
    );
    assert.match(out, /\nwarning: check e: timeout 2s is longer than the 200ms between runs/);
    assert.equal(out.match(/warning:/g)?.length, 2);
    assert.doesNotMatch(out, /GET (tcp|tls|dns):|hunter22|abc123/);
  });

  it('validate lists the alert channels (secrets redacted) and the next maintenance windows', async () => {
    const file = configFile(
      'alerts.yaml',
      [
        'alerting:',
        '  defaults: {channels: [oncall]}',
        '  channels:',
        '    - {name: oncall, type: webhook, url: "https://hooks.example/x?token=${HOOK_TOKEN}", secret: "${HOOK_SECRET}"}',
        '    - {name: mail, type: email, url: "smtp://u:${SMTP_PASS}@smtp.example:587", from: a@example.com, to: b@example.com}',
        'maintenance:',
        '  - {name: nightly, schedule: "0 2 * * *", duration: 30m, timezone: Europe/Berlin}',
        'checks:',
        '  - {name: api, url: "http://api/", every: 10s}',
        '  - {name: db, url: "tcp://db:5432", every: 10s, alerts: {channels: [oncall, mail]}}',
      ].join('\n'),
    );
    const env = {
      HOOK_TOKEN: 'tok-123456789',
      HOOK_SECRET: 'a-signing-secret-of-32-chars',
      SMTP_PASS: 'smtp-pass-987',
    };
    const t = io(env);
    assert.equal(await main(['validate', '-c', file], t.io), 0);
    const out = t.out();
    assert.match(
      out,
      /\n {2}channel oncall: webhook https:\/\/hooks\.example\/x\?token=\*\*\*, notified by 2 check\(s\)\n/,
    );
    assert.match(out, /\n {2}channel mail: email smtp:\/\/u:\*\*\*@smtp\.example:587, notified by 1 check\(s\)\n/);
    assert.match(
      out,
      /\n {2}maintenance nightly: 30m from cron "0 2 \* \* \*" \(Europe\/Berlin\), next \S+Z, every check\n/,
    );
    for (const secret of Object.values(env)) assert.ok(!out.includes(secret), 'no secret printed');
  });

  it('prints at most 50 problems and counts the rest', async () => {
    const file = configFile('lots.yaml', `checks: [${Array(500).fill('1').join(', ')}]\n`);
    const t = io();
    assert.equal(await main(['validate', '-c', file], t.io), 2);
    const lines = t.err().trimEnd().split('\n');
    assert.equal(lines.length, 52);
    assert.equal(lines[50], '... and 450 more problems');
    assert.match(lines[51] ?? '', /^lifeline: 500 problems in .* \[LIFELINE_ERR_CONFIG\]; nothing was started$/);
  });

  it('--version prints the version', async () => {
    const t = io();
    assert.equal(await main(['--version'], t.io), 0);
    assert.match(t.out(), /^\d+\.\d+\.\d+\n$/);
  });
});
