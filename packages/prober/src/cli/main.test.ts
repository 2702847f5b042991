import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { closedPort, startTarget, type Target } from '../testing/targets.js';
import { type CliIo, main } from './main.js';

function io(env: Record<string, string> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => {
    out += d;
  });
  stderr.on('data', (d) => {
    err += d;
  });
  const signals = new EventEmitter();
  const value: CliIo = { stdout, stderr, env, signals: signals as unknown as CliIo['signals'] };
  return {
    io: value,
    signals,
    out: () => out,
    err: () => err,
    lines: () =>
      out
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'lifeline-cli-'));
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
  });

  it('--format pretty prints for people', async () => {
    const file = configFile('p.yaml', `checks:\n  - name: a\n    url: ${up.url}\n    every: 10s\n`);
    const t = io();
    assert.equal(await main(['check', '--once', '-c', file, '--format', 'pretty'], t.io), 0);
    assert.match(t.out(), /check a passed: 200/);
    assert.throws(() => JSON.parse(t.out()));
  });
});
