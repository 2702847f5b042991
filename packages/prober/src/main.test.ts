import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfigFile, parseConfig } from './config/load.js';
import { startMonitor } from './main.js';
import { captureLogger } from './testing/log.js';
import { startTarget, type Target } from './testing/targets.js';

const capture = captureLogger;

async function until<T>(what: string, fn: () => T | Promise<T>, ms = 10_000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('lifeline run (startMonitor)', () => {
  it('keeps running through every fault at once, with no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const faults = await startTarget((req, res) => {
      if (req.url === '/reset') req.socket.destroy();
      else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end(), 5_000).unref();
      else if (req.url === '/big') res.writeHead(200).end(Buffer.alloc(2 * 1024 * 1024));
      else if (req.url === '/loop') res.writeHead(302, { location: '/loop' }).end();
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<html>');
    });
    // Each fault twice: a new connection per run, and a kept connection (keepAlive) that the fault breaks.
    const checks = ['reset', 'slow', 'big', 'loop', 'html']
      .flatMap((name) =>
        ['', '-kept'].map(
          (suffix) =>
            `  - name: ${name}${suffix}\n    url: ${faults.url}/${name}\n    every: 100ms\n    timeout: 200ms\n    conditions: ["[BODY].status == pass"]${suffix ? '\n    keepAlive: true' : ''}`,
        ),
      )
      .concat(['  - name: closed\n    url: http://127.0.0.1:1/\n    every: 100ms'])
      .concat(['  - name: closed-kept\n    url: http://127.0.0.1:1/\n    every: 100ms\n    keepAlive: true'])
      .join('\n');
    const { logger, lines } = capture();
    const monitor = await startMonitor({
      config: parseConfig(`storage: none\nchecks:\n${checks}\n`, { file: 'faults.yaml', env: {} }),
      logger,
      port: 0,
    });
    try {
      const expected = ['reset', 'timeout', 'body_too_large', 'redirect_loop', 'invalid_json', 'refused'];
      const missing = () =>
        [false, true].flatMap((kept) => {
          const codes = new Set(
            lines
              .filter((l) => typeof l.check === 'string' && l.check.endsWith('-kept') === kept)
              .map((l) => (l.error as { code?: string } | undefined)?.code),
          );
          return expected.filter((code) => !codes.has(code)).map((code) => `${code}${kept ? ' (kept)' : ''}`);
        });
      // Every fault seen on both kinds of connection (bounded: a loaded machine runs fewer rounds a second).
      const end = Date.now() + 15_000;
      while (missing().length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(missing(), [], 'every fault seen on a new and on a kept connection');
      assert.equal((await fetch(`${monitor.url}/livez`)).status, 200, 'the monitor still answers');
      assert.ok(!lines.some((l) => l.level === 50 && String(l.msg).includes('crashed')), 'no run crashed');
    } finally {
      await monitor.stop();
      await faults.close();
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled, []);
  });

  let target: Target;
  let dir: string;
  before(async () => {
    target = await startTarget((req, res) => {
      if (req.url === '/down') res.writeHead(503).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"pass"}');
    });
    dir = mkdtempSync(join(tmpdir(), 'lifeline-monitor-'));
  });
  after(async () => {
    await target.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs checks, serves them on the API and /metrics, stores them, and reloads its config', async () => {
    const file = join(dir, 'lifeline.yaml');
    const write = (text: string) => {
      // As a ConfigMap update does: a new file moved into place.
      writeFileSync(`${file}.tmp`, text);
      renameSync(`${file}.tmp`, file);
    };
    const storage = join(dir, 'monitor.db');
    write(
      `storage: ${storage}\nchecks:\n  - name: up\n    url: ${target.url}/ok\n    every: 100ms\n    conditions: ["[BODY].status == pass"]\n  - name: down\n    url: ${target.url}/down\n    every: 100ms\n`,
    );
    const { logger, lines } = capture();
    const monitor = await startMonitor({ config: loadConfigFile(file, {}), logger, watch: file, env: {}, port: 0 });
    try {
      const checks = await until('both checks to have a result', async () => {
        const body = (await (await fetch(`${monitor.url}/api/v1/checks`)).json()) as {
          checks: { name: string; state: string }[];
        };
        return body.checks.every((c) => c.state !== 'unknown') ? body.checks : undefined;
      });
      assert.deepEqual(
        checks.map((c) => [c.name, c.state]),
        [
          ['up', 'up'],
          ['down', 'down'],
        ],
      );
      const metrics = await (await fetch(`${monitor.url}/metrics`)).text();
      assert.match(metrics, /lifeline_check_up\{check="down"\} 0/);
      assert.match(metrics, /lifeline_checks_configured 2/);
      assert.match(metrics, /lifeline_dns_lookups_in_flight \d+/);
      assert.match(metrics, /lifeline_scheduler_lag_seconds_count [1-9]/);

      // Results reach the store in batches.
      await until('stored results', async () => {
        const page = (await (await fetch(`${monitor.url}/api/v1/checks/up/results?limit=5`)).json()) as {
          results: { scheduledAt?: string }[];
        };
        return page.results.length > 0 && page.results.every((r) => r.scheduledAt) ? page : undefined;
      });

      // A broken config is refused; the running one stays.
      write('checks:\n  - name: up\n    url: nope\n');
      await until('the reload error', () =>
        lines.find((l) => l.msg === 'the changed config is invalid; still running the previous one'),
      );
      assert.equal(monitor.config().checks.length, 2);

      // A valid change applies without a restart: one removed, one added.
      write(
        `storage: ${storage}\nchecks:\n  - name: up\n    url: ${target.url}/ok\n    every: 100ms\n  - name: added\n    url: ${target.url}/ok\n    every: 100ms\n`,
      );
      const reloaded = await until('the reload', () => lines.find((l) => String(l.msg).startsWith('config reloaded:')));
      assert.ok(!lines.some((l) => String(l.msg).includes('only after a restart')), 'same storage: no restart needed');
      assert.deepEqual([reloaded.added, reloaded.removed, reloaded.changed], [['added'], ['down'], ['up']]);
      await until('the added check to run', () => lines.find((l) => l.check === 'added' && l.ok === true));
      const names = (
        (await (await fetch(`${monitor.url}/api/v1/checks`)).json()) as { checks: { name: string }[] }
      ).checks.map((c) => c.name);
      assert.deepEqual(names, ['up', 'added']);
      assert.doesNotMatch(await (await fetch(`${monitor.url}/metrics`)).text(), /check="down"/);
      assert.equal((await fetch(`${monitor.url}/readyz`)).status, 200);
    } finally {
      await monitor.stop();
    }
    assert.equal(lines.at(-1)?.msg, 'lifeline monitor stopped');
    await assert.rejects(fetch(`${monitor.url}/livez`));
  });

  it('does not bring back a check that a reload removed while its run was in flight', async () => {
    // The target holds each request until the test releases it, so the run is in flight for sure.
    let release: () => void = () => {};
    let arrived: () => void = () => {};
    const requestArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const held = await startTarget((_req, res) => {
      release = () => {
        if (!res.headersSent) res.writeHead(200).end();
      };
      arrived();
    });
    const file = join(dir, 'in-flight.yaml');
    const write = (text: string) => {
      writeFileSync(`${file}.tmp`, text);
      renameSync(`${file}.tmp`, file);
    };
    // `every` checks run once at start, then not again within the test.
    write(
      `storage: none\nchecks:\n  - name: held\n    url: ${held.url}/\n    every: 1h\n    timeout: 30s\n  - name: kept\n    url: ${target.url}/ok\n    every: 1h\n`,
    );
    const { logger, lines } = capture();
    const monitor = await startMonitor({ config: loadConfigFile(file, {}), logger, watch: file, env: {}, port: 0 });
    try {
      await requestArrived;
      write(`storage: none\nchecks:\n  - name: kept\n    url: ${target.url}/ok\n    every: 1h\n`);
      await until('the reload', () => lines.find((l) => String(l.msg).startsWith('config reloaded:')));
      release();
      await until('the held run to end', () => lines.find((l) => l.check === 'held'));
      const names = (
        (await (await fetch(`${monitor.url}/api/v1/checks`)).json()) as { checks: { name: string }[] }
      ).checks.map((c) => c.name);
      assert.deepEqual(names, ['kept']);
      assert.doesNotMatch(await (await fetch(`${monitor.url}/metrics`)).text(), /check="held"/);
    } finally {
      release();
      await monitor.stop();
      await held.close();
    }
  });
});
