// Issue #9, defect 5: what `lifeline run` can lose on a crash is the flush
// window (storageFlush, 200 ms by default; 1 s before), stated in the README
// and in a metric. The real CLI, killed with SIGKILL while it runs fast checks.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { json, run } from '../../../../test/e2e/helpers.js';

const CLI = 'packages/prober/bin/lifeline.js';
const WINDOW_MS = 100;
// How late the child's flush timer may fire on a loaded test machine (2 cores shared by parallel suites).
// The old fixed 1 s window, not configurable, is refused outright (unknown key) and fails this half the time.
const SLACK_MS = 400;

describe('results lost on a crash (kill -9)', () => {
  let dir: string;
  let target: Server;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lifeline-crash-'));
    target = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await new Promise((resolve) => target.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every result older than the flush window, and says the window in /metrics', async () => {
    const { port } = target.address() as { port: number };
    const path = join(dir, 'lifeline.db');
    const config = join(dir, 'lifeline.yaml');
    const checks = Array.from(
      { length: 10 },
      (_, i) => `  - name: c${i}\n    url: tcp://127.0.0.1:${port}\n    every: 100ms\n`,
    );
    writeFileSync(config, `storage: ${path}\nstorageFlush: ${WINDOW_MS}ms\nchecks:\n${checks.join('')}`);
    const monitor = run(process.execPath, [CLI, 'run', '--config', config, '--port', '0']);
    let killedAt = 0;
    try {
      const started = json(await monitor.waitForLine((l) => l.includes('lifeline monitor started'), 20_000));
      const metrics = await (await fetch(`${started?.api}/metrics`)).text();
      assert.match(metrics, /^lifeline_store_flush_interval_seconds 0\.1$/m);
      assert.match(metrics, /^lifeline_store_pending_results \d+$/m);
      // About 3 s of results (10 checks every 100 ms), then SIGKILL.
      let seen = 0;
      await monitor.waitForLine((l) => l.includes('"phases"') && ++seen >= 300, 30_000);
    } finally {
      killedAt = Date.now();
      monitor.child.kill('SIGKILL');
    }
    assert.equal((await monitor.exited).signal, 'SIGKILL');

    const results = monitor.lines
      .map(json)
      .filter((l): l is Record<string, unknown> => typeof l?.check === 'string' && l.phases !== undefined)
      .map((l) => ({ check: l.check as string, t: Date.parse(l.time as string) }));
    const db = new Database(path);
    const stored = new Set(
      (
        db.prepare('SELECT c.name, r.t FROM results r JOIN checks c ON c.id = r.check_id').all() as {
          name: string;
          t: number;
        }[]
      ).map((r) => `${r.name}@${r.t}`),
    );
    db.close();
    const due = results.filter((r) => r.t < killedAt - WINDOW_MS - SLACK_MS);
    const lost = due.filter((r) => !stored.has(`${r.check}@${r.t}`));
    assert.ok(due.length >= 200, `${due.length} results old enough to be checked`);
    assert.deepEqual(lost, [], `${lost.length} of ${due.length} results older than the window are not stored`);
  });
});
