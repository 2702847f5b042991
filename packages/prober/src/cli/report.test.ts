import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Recorder, startRecorder } from '../testing/channels.js';
import { runLifeline } from '../testing/cli.js';
import { closedPort, startTarget, type Target } from '../testing/targets.js';

const TOKEN = 'report-token-0123456789abcdef';

describe('lifeline check --once --report', () => {
  let dir: string;
  let target: Target;
  let monitor: Recorder;
  let config: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lifeline-report-'));
    target = await startTarget((req, res) => {
      res.writeHead(req.url === '/down' ? 503 : 200).end('{}');
    });
    monitor = await startRecorder((req, res) => {
      res.writeHead(req.headers.authorization === `Bearer ${TOKEN}` ? 200 : 401, {
        'content-type': 'application/json',
      });
      res.end('{"accepted":true}');
    });
    config = join(dir, 'job.yaml');
    writeFileSync(
      config,
      [
        'checks:',
        `  - {name: up, url: "${target.url}/up", every: 1m}`,
        `  - {name: down, url: "${target.url}/down", every: 1m}`,
        '  - {name: seed-job, type: push, every: 1m, grace: 10s, token: "${PUSH_TOKEN:-unused-token-0123456789}"}',
      ].join('\n'),
    );
  });
  after(async () => {
    await target.close();
    await monitor.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends every probed result to the push check with its token; the exit code stays the checks' own", async () => {
    const run = await runLifeline(
      ['check', '--once', '-c', config, '--report', `${monitor.url}/api/v1/push/seed-job`],
      {
        env: { LIFELINE_REPORT_TOKEN: TOKEN },
      },
    );
    assert.equal(run.code, 1, run.stderr);
    const request = await monitor.next();
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/api/v1/push/seed-job/report');
    assert.equal(request.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(request.headers['content-type'], 'application/json');
    const body = JSON.parse(request.body) as { results: { check: string; ok: boolean }[] };
    assert.deepEqual(
      body.results.map((r) => [r.check, r.ok]),
      [
        ['up', true],
        ['down', false],
      ],
      'push checks are not run by check --once',
    );
    assert.equal(run.stderr, '');
  });

  it('a monitor that is down: said on stderr, exit code unchanged; the token never printed', async () => {
    const port = await closedPort();
    const run = await runLifeline(
      ['check', '--once', '-c', config, '--report', `http://127.0.0.1:${port}/api/v1/push/seed-job`],
      { env: { LIFELINE_REPORT_TOKEN: TOKEN } },
    );
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /could not report to http:\/\/127\.0\.0\.1:\d+\/api\/v1\/push\/seed-job after 3 tries: refused/,
    );
    assert.match(run.stderr, /the exit code is the checks' own/);
    assert.ok(!`${run.stdout}${run.stderr}`.includes(TOKEN));
  });

  it('report: in the config does the same without the flag, its token from ${VAR}', async () => {
    const withReport = join(dir, 'with-report.yaml');
    writeFileSync(
      withReport,
      [
        `report: {url: "${monitor.url}/api/v1/push/seed-job", token: "\${PUSH_TOKEN}"}`,
        'checks:',
        `  - {name: up, url: "${target.url}/up", every: 1m}`,
      ].join('\n'),
    );
    const before = monitor.received.length;
    const run = await runLifeline(['check', '--once', '-c', withReport], { env: { PUSH_TOKEN: TOKEN } });
    assert.equal(run.code, 0, run.stderr);
    const request = await monitor.next();
    assert.equal(monitor.received.length, before + 1);
    assert.equal(request.headers.authorization, `Bearer ${TOKEN}`);
    assert.deepEqual(
      (JSON.parse(request.body) as { results: { check: string }[] }).results.map((r) => r.check),
      ['up'],
    );
  });

  it('a refused token is not retried; bad usage is exit 2', async () => {
    const before = monitor.received.length;
    const refused = await runLifeline(
      ['check', '--once', '-c', config, '--report', `${monitor.url}/api/v1/push/seed-job`],
      {
        env: { LIFELINE_REPORT_TOKEN: 'a-wrong-token-0123456789' },
      },
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /after 1 try: HTTP 401/);
    assert.equal(monitor.received.length, before + 1);
    const noToken = await runLifeline(['check', '--once', '-c', config, '--report', `${monitor.url}/x`], {
      env: { LIFELINE_REPORT_TOKEN: '' },
    });
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /LIFELINE_REPORT_TOKEN/);
    const badUrl = await runLifeline(['check', '--once', '-c', config, '--report', 'lifeline-monitor:8080'], {
      env: { LIFELINE_REPORT_TOKEN: TOKEN },
    });
    assert.equal(badUrl.code, 2);
  });
});

describe('lifeline check --once --report with more results than a report carries', () => {
  it('sends the heartbeat alone (to /fail when a check failed) and says so on stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-report-many-'));
    const monitor = await startRecorder();
    try {
      const file = join(dir, 'many.yaml');
      const lines = ['checks:'];
      // 101 checks against a closed port: they all fail, fast.
      const port = await closedPort();
      for (let i = 0; i <= 100; i++) lines.push(`  - {name: c${i}, url: "http://127.0.0.1:${port}/", every: 1m}`);
      writeFileSync(file, lines.join('\n'));
      const run = await runLifeline(['check', '--once', '-c', file, '--report', `${monitor.url}/api/v1/push/job`], {
        env: { LIFELINE_REPORT_TOKEN: TOKEN },
      });
      assert.equal(run.code, 1);
      assert.match(
        run.stderr,
        /101 results are more than one report carries \(100\): the monitor got this run's heartbeat/,
      );
      const ping = await monitor.next();
      assert.equal(ping.path, '/api/v1/push/job/fail');
      assert.match(ping.body, /^101 of 101 check\(s\) failed: c0 refused, c1 refused/);
    } finally {
      await monitor.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
