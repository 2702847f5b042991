import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort, json, run } from './helpers.js';

// The README's first command, as a newcomer runs it: `npm start`, watch a
// check result arrive, press Ctrl-C (the terminal signals the whole process group).
function killGroup(pid: number) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

describe('npm start', () => {
  // Ctrl-C signals the whole foreground process group; a process manager signals npm alone.
  const cases = [
    ['SIGINT', 'group'],
    ['SIGTERM', 'group'],
    ['SIGTERM', 'npm'],
  ] as const;
  for (const [signal, target] of cases) {
    it(`runs the api and the prober, logs a 200 check result, and stops both with exit 0 on ${signal} to the ${target}`, async () => {
      const port = await freePort();
      const monitorPort = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'lifeline-start-'));
      const storage = join(dir, 'lifeline.db');
      const npm = run('npm', ['start', '--silent'], {
        env: {
          ...process.env,
          PORT: String(port),
          LIFELINE_PORT: String(monitorPort),
          LIFELINE_STORAGE: storage,
          NO_COLOR: '1',
        },
        detached: true,
      });
      try {
        const resultLine = await npm.waitForLine(
          (line) => line.startsWith('[lifeline]') && json(line)?.check === 'api-every-10s',
          60_000,
        );
        const result = json(resultLine);
        assert.equal(result?.status, 200, resultLine);
        assert.equal(result?.ok, true);
        assert.equal(result?.url, `http://localhost:${port}/healthcheck`);
        await npm.waitForLine((line) => line.startsWith('[api]') && json(line)?.msg === 'request completed', 10_000);
        // Both servers listen on loopback only (issue #9, defect 9).
        assert.equal(json(npm.lines.find((l) => l.startsWith('[api]') && json(l)?.port) ?? '')?.host, '127.0.0.1');
        assert.equal(
          json(npm.lines.find((l) => l.startsWith('[lifeline]') && json(l)?.api) ?? '')?.api,
          `http://127.0.0.1:${monitorPort}`,
        );
        // The dashboard's address, on a line of its own, and the page behind it (prestart built it).
        await npm.waitForLine((line) => line === `dashboard: http://127.0.0.1:${monitorPort}/`, 10_000);
        const page = await fetch(`http://127.0.0.1:${monitorPort}/`);
        assert.equal(page.status, 200);
        assert.match(await page.text(), /<div id="app"><\/div>/);
        const api = (await (await fetch(`http://127.0.0.1:${monitorPort}/api/v1/checks`)).json()) as {
          checks: { name: string; state: string }[];
        };
        assert.equal(
          api.checks.find((c) => c.name === 'api-every-10s')?.state,
          'up',
          'the monitor API serves the result',
        );

        process.kill(target === 'group' ? -(npm.child.pid as number) : (npm.child.pid as number), signal);
        const { code } = await npm.exited;
        assert.equal(code, 0, npm.lines.join('\n'));
        assert.ok(
          npm.lines.some((l) => /^\[api\]\s+exited with code 0$/.test(l)),
          'api exited 0',
        );
        assert.ok(
          npm.lines.some((l) => /^\[lifeline\]\s+exited with code 0$/.test(l)),
          'lifeline exited 0',
        );
      } finally {
        killGroup(npm.child.pid as number);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
