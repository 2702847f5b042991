import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { serviceMissing } from '../support/services.js';
import { freePort, json, ROOT, run } from './helpers.js';

/** PostgreSQL and Redis run on this machine kind; under CI=true their absence fails the test. */
async function servicesMissing(): Promise<string | undefined> {
  return (await serviceMissing('PostgreSQL', '127.0.0.1', 5432)) ?? (await serviceMissing('Redis', '127.0.0.1', 6379));
}

const node = process.execPath;

/** The real api on a free loopback port, once it logs that it listens; no shutdown delay. */
async function startApi(env: Record<string, string> = {}) {
  const port = await freePort();
  const api = run(node, ['apps/api/dist/main.js'], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', SHUTDOWN_DELAY_MS: '0', ...env },
  });
  const listening = json(
    await api.waitForLine((l) => json(l)?.msg?.toString().startsWith('api listening') === true, 15_000),
  );
  return { api, port, url: `http://127.0.0.1:${port}`, listening };
}

describe('api process', () => {
  it('listens on PORT and HOST, answers /healthcheck, and exits 0 on SIGTERM', async () => {
    const { api, url, listening } = await startApi();
    try {
      assert.equal(listening?.host, '127.0.0.1');
      const res = await fetch(`${url}/healthcheck`);
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { status: string }).status, 'pass');
      api.child.kill('SIGTERM');
      assert.deepEqual(await api.exited, { code: 0, signal: null });
    } finally {
      api.child.kill('SIGKILL');
    }
  });

  it('checks PostgreSQL and Redis from DATABASE_URL and REDIS_URL, and fails readiness when they are unreachable', async (t) => {
    const missing = await servicesMissing();
    if (missing) return t.skip(missing);
    const up = await startApi({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    const closed = await freePort();
    const down = await startApi({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${closed}/test`,
      REDIS_URL: `redis://127.0.0.1:${closed}`,
    });
    try {
      const ready = await fetch(`${up.url}/readyz?verbose`);
      assert.equal(ready.status, 200);
      assert.match(await ready.text(), /\[\+\]postgres ok\n\[\+\]redis ok\n/);
      const report = (await (await fetch(`${up.url}/healthcheck`)).json()) as {
        status: string;
        checks: Record<string, unknown>;
      };
      assert.equal(report.status, 'pass');
      assert.ok(report.checks['postgres:responseTime'] && report.checks['redis:responseTime']);

      const notReady = await fetch(`${down.url}/readyz?verbose`);
      assert.equal(notReady.status, 503);
      assert.match(
        await notReady.text(),
        /\[-\]postgres failed: reason withheld\n\[-\]redis failed: reason withheld\n/,
      );
      assert.equal((await fetch(`${down.url}/livez`)).status, 200, 'liveness never depends on a dependency');
    } finally {
      for (const { api } of [up, down]) {
        api.child.kill('SIGTERM');
        assert.equal((await api.exited).code, 0, 'hooks close the pool and the client, then exit 0');
      }
    }
  });

  it('refuses a bad PORT with a clear message and exit 2', async () => {
    const api = run(node, ['apps/api/dist/main.js'], { env: { ...process.env, PORT: 'eighty' } });
    assert.equal((await api.exited).code, 2);
    assert.ok(
      api.lines.some((l) => l.includes('PORT must be an integer from 0 to 65535, got \\"eighty\\"')),
      api.lines.join('\n'),
    );
  });
});

describe('lifeline binary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-e2e-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('check --once against the real api process exits 0 with a status-200 line', async () => {
    const { api, port } = await startApi();
    try {
      const config = join(dir, 'api.yaml');
      writeFileSync(
        config,
        `checks:\n  - name: api\n    url: http://127.0.0.1:${port}/healthcheck\n    schedule: "0 8 * * *"\n`,
      );
      const check = run(node, ['packages/prober/bin/lifeline.js', 'check', '--once', '--config', config]);
      assert.equal((await check.exited).code, 0, check.lines.join('\n'));
      assert.equal(check.lines.length, 1);
      const line = json(check.lines[0] as string);
      assert.deepEqual([line?.check, line?.status, line?.ok], ['api', 200, true]);
    } finally {
      api.child.kill('SIGTERM');
      await api.exited;
    }
  });

  it('is runnable as `npx lifeline` inside the repository', async () => {
    const npx = run('npx', ['--no-install', 'lifeline', 'validate', '--config', 'examples/kubernetes.yaml']);
    assert.equal((await npx.exited).code, 0, npx.lines.join('\n'));
    assert.ok(npx.lines.some((l) => l.includes('api-healthcheck: GET http://api:3000/healthcheck')));
  });

  it('run keeps a keepAlive check on one connection, and every buffered line is out when it exits on SIGTERM', async () => {
    const { api, port } = await startApi();
    try {
      const config = join(dir, 'keep.yaml');
      writeFileSync(
        config,
        `storage: none\nchecks:\n  - name: api\n    url: http://127.0.0.1:${port}/healthcheck\n    every: 100ms\n    keepAlive: true\n`,
      );
      const monitor = run(node, ['packages/prober/bin/lifeline.js', 'run', '--config', config, '--port', '0']);
      const results = () => monitor.lines.map(json).filter((l) => l?.check === 'api');
      await monitor.waitForLine(() => results().length >= 5, 15_000);
      monitor.child.kill('SIGTERM');
      assert.equal((await monitor.exited).code, 0, monitor.lines.join('\n'));
      assert.equal(json(monitor.lines.at(-1) as string)?.msg, 'lifeline monitor stopped');
      const seen = results();
      assert.ok(seen.every((r) => r?.ok === true && r?.status === 200));
      // The first run connects; the later ones ride the same connection.
      const connects = seen.map((r) => (r?.phases as { connect?: number } | undefined)?.connect);
      assert.ok((connects[0] ?? 0) > 0, String(connects));
      assert.ok(
        connects.slice(1).every((ms) => ms === 0),
        String(connects),
      );
    } finally {
      api.child.kill('SIGTERM');
      await api.exited;
    }
  });

  it('run keeps checking while nobody reads its stdout', async () => {
    const port = await freePort();
    const target = http.createServer((_req, res) => res.writeHead(200).end('ok'));
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/`;
    const config = join(dir, 'unread.yaml');
    const checks = Array.from(
      { length: 50 },
      (_, i) => `  - name: c${i}\n    url: ${url}\n    every: 100ms\n    keepAlive: true`,
    );
    writeFileSync(config, `storage: none\nchecks:\n${checks.join('\n')}\n`);
    const child = spawn(node, ['packages/prober/bin/lifeline.js', 'run', '--config', config, '--port', String(port)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // Read nothing: the pipe (64 KiB) fills within a second at 500 lines/s.
    child.stdout?.pause();
    const results = async () => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return [...text.matchAll(/lifeline_check_results_total\{[^}]*\} (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    };
    try {
      let before = 0;
      for (const end = Date.now() + 15_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
        before = await results().catch(() => 0);
        if (before > 2_000) break; // well past what the pipe holds
      }
      assert.ok(before > 2_000, `only ${before} results while stdout was unread`);
      await new Promise((r) => setTimeout(r, 1_000));
      const after = await results();
      assert.ok(after - before >= 250, `${after - before} results in the second after the pipe filled`);
    } finally {
      child.kill('SIGKILL');
      target.close();
    }
  });

  it('exits 2 on malformed YAML, naming file and line on stderr', async () => {
    const config = join(dir, 'broken.yaml');
    writeFileSync(config, 'checks:\n  - name: api\n    url: [unclosed\n');
    const check = run(node, ['packages/prober/bin/lifeline.js', 'run', '--config', config]);
    assert.equal((await check.exited).code, 2);
    assert.ok(
      check.lines.some((l) => l.startsWith(`${config}:`) && l.includes('YAML syntax')),
      check.lines.join('\n'),
    );
  });
});

describe('examples/express-service.ts', () => {
  it('runs as written: readiness with Postgres and Redis, warn for a down non-critical billing, exit 0 on SIGTERM', async (t) => {
    const missing = await servicesMissing();
    if (missing) return t.skip(missing);
    const port = await freePort();
    const billing = await freePort(); // nothing listens there: billing is down
    const example = run(node, ['--import', 'tsx', 'examples/express-service.ts'], {
      env: {
        ...process.env,
        PORT: String(port),
        BILLING_URL: `http://127.0.0.1:${billing}/readyz`,
        SHUTDOWN_DELAY_MS: '0',
      },
    });
    try {
      await example.waitForLine((l) => l === 'listening', 20_000);
      const base = `http://127.0.0.1:${port}`;
      const ready = await fetch(`${base}/readyz?verbose`);
      assert.equal(ready.status, 200);
      assert.equal(
        await ready.text(),
        '[+]shutdown ok\n[+]postgres ok\n[+]redis ok\n[-]billing failed (non-critical): reason withheld\nreadyz check passed\n',
      );
      const report = (await (await fetch(`${base}/healthcheck`)).json()) as { status: string };
      assert.equal(report.status, 'warn');
      assert.deepEqual(await (await fetch(`${base}/orders/count`)).json(), { count: 42 });
      example.child.kill('SIGTERM');
      assert.equal((await example.exited).code, 0);
    } finally {
      example.child.kill('SIGKILL');
    }
  });
});
