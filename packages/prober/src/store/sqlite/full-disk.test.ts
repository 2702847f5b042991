// Issue #9, defect 4: a full disk must not become a retry storm. Writes back
// off, one line per state change, readiness fails while writes fail, and the
// waiting results land once space returns. A real 2 MiB tmpfs, mounted here.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { parseConfig } from '../../config/load.js';
import type { CheckResult } from '../../domain/result.js';
import { startMonitor } from '../../main.js';
import { captureLogger } from '../../testing/log.js';
import { createBatchWriter, type StoreWriteState } from '../batch.js';
import type { Store } from '../store.js';
import { createSqliteStore } from './sqlite-store.js';

/** Why this machine cannot mount a tmpfs for the test; under CI=true that is a failure, not a skip. */
function cannotMount(dir: string): string | undefined {
  let reason: string | undefined;
  if (process.getuid?.() !== 0) reason = 'mounting a tmpfs needs root';
  else {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'pipe' });
      return undefined;
    } catch (error) {
      reason = `mount -t tmpfs failed: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`;
    }
  }
  if (process.env.CI === 'true') throw new Error(`${reason}, and CI=true: this test needs a real full disk`);
  return reason;
}

/** Fills the file system holding dir to the last byte; returns the filler's path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  try {
    for (const size of [65_536, 4_096, 512, 1]) {
      const chunk = Buffer.alloc(size, 1);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

const T0 = Date.parse('2026-05-01T08:00:00.000Z');
let seq = 0;
// Failing results carry details: about 200 bytes each, so a few hundred need new WAL pages.
const result = (): CheckResult => ({
  time: new Date(T0 + seq++).toISOString(),
  check: `disk-${seq % 10}`,
  url: 'http://disk:3000/healthcheck',
  status: 503,
  ok: false,
  durationMs: 1,
  error: { code: 'http_status', message: `status 503 is not in 200-399 (run ${seq}, padding to make rows bigger)` },
  phases: { dns: 0, connect: 0, tls: 0, ttfb: 1, transfer: 0, total: 1 },
});

describe('SQLite store on a full disk (issue #9, defect 4)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-full-'));
  const skip = cannotMount(dir);
  after(() => {
    if (!skip) execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('backs off instead of retrying on every result, reports one state change each way, and writes what waited once space returns', {
    skip,
  }, async () => {
    const path = join(dir, 'writer', 'lifeline.db');
    const store = createSqliteStore(path);
    await store.migrate();
    await store.compact(T0); // ends with a TRUNCATE checkpoint: the WAL is empty
    let attempts = 0;
    const counted: Store = {
      ...store,
      write: (results) => {
        attempts++;
        return store.write(results);
      },
    };
    let clock = 0;
    const states: StoreWriteState[] = [];
    const writer = createBatchWriter(counted, {
      flushMs: 3_600_000, // the test drives every flush
      maxBatch: 100,
      retryMinMs: 1_000,
      now: () => clock,
      onStateChange: (s) => states.push(s),
    });
    let filler: string | undefined;
    try {
      filler = fill(dir);
      let added = 0;
      // Enough results that the WAL must grow: the first flush fails with SQLITE_FULL.
      for (; added < 2_000 && !writer.failing; added++) {
        writer.add(result());
        if (added % 100 === 99) await writer.flush();
      }
      assert.equal(writer.failing, true, 'a write failed on the full disk');
      assert.match(String((writer.lastError as { code?: string }).code), /SQLITE_FULL/);
      const failedAt = attempts;

      // 50 timer flushes and 500 new results (5 full batches) before the backoff has passed: no attempt.
      for (let i = 0; i < 50; i++) await writer.flush();
      for (let i = 0; i < 500; i++, added++) writer.add(result());
      await writer.flush();
      assert.equal(attempts, failedAt, 'no write attempt during the backoff');
      // After the backoff: one attempt, which fails, and the next wait is twice as long.
      clock += 1_000;
      await writer.flush();
      assert.equal(attempts, failedAt + 1);
      clock += 1_000;
      await writer.flush();
      assert.equal(attempts, failedAt + 1, 'the second wait is longer than the first');
      assert.deepEqual(
        states.map((s) => s.failing),
        [true],
        'one state change while failing',
      );

      unlinkSync(filler);
      filler = undefined;
      clock += 60_000;
      await writer.flush();
      assert.equal(writer.failing, false);
      assert.equal(writer.pending, 0);
      assert.deepEqual(
        states.map((s) => s.failing),
        [true, false],
      );
      const db = new Database(path, { readonly: true });
      try {
        assert.equal((db.prepare('SELECT count(*) AS n FROM results').get() as { n: number }).n, added);
      } finally {
        db.close();
      }
    } finally {
      if (filler) unlinkSync(filler);
      await writer.close();
      await store.close();
      // The volume is small and shared by the tests in this file: each leaves it empty.
      rmSync(dirname(path), { recursive: true, force: true });
    }
  });

  it('keeps the WAL small on a small volume: each compaction truncates it', { skip }, async () => {
    const path = join(dir, 'wal', 'lifeline.db');
    const store = createSqliteStore(path);
    try {
      await store.migrate();
      // About 6 MiB of WAL frames in all (each commit rewrites whole 4 KiB pages), three times the volume;
      // the database itself stays well under it.
      for (let round = 0; round < 15; round++) {
        for (let i = 0; i < 10; i++) await store.write(Array.from({ length: 20 }, result));
        await store.compact(T0);
        assert.equal(statSync(`${path}-wal`).size, 0, `the WAL is empty after compaction ${round}`);
      }
      assert.ok(statSync(path).size < 1024 * 1024);
    } finally {
      await store.close();
      rmSync(dirname(path), { recursive: true, force: true });
    }
  });

  it('makes the monitor not ready while the disk is full, and ready again with every result stored once space returns', {
    skip,
  }, async () => {
    const target = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const { port } = target.address() as net.AddressInfo;
    mkdirSync(join(dir, 'monitor'));
    const path = join(dir, 'monitor', 'lifeline.db');
    const checks = Array.from(
      { length: 5 },
      (_, i) => `  - name: tcp-${i}\n    url: tcp://127.0.0.1:${port}\n    every: 100ms\n`,
    ).join('');
    const { logger, lines } = captureLogger();
    let monitor: Awaited<ReturnType<typeof startMonitor>> | undefined;
    const readyz = async () => (await fetch(`${monitor?.url}/readyz/store`)).status;
    const until = async (what: string, fn: () => boolean | Promise<boolean>) => {
      const end = Date.now() + 30_000;
      while (!(await fn())) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const failingLines = () => lines.filter((l) => String(l.msg).startsWith('writing results to the store fails'));
    let filler: string | undefined;
    let stopped = false;
    try {
      monitor = await startMonitor({
        config: parseConfig(`storage: ${path}\nchecks:\n${checks}`, { file: 'disk.yaml', env: {} }),
        logger,
        port: 0,
      });
      await until('the store to be ready', async () => (await readyz()) === 200);
      filler = fill(dir);
      await until('readiness to fail while writes fail', async () => (await readyz()) === 503);
      assert.equal(failingLines().length, 1, 'one line when writes start to fail');
      unlinkSync(filler);
      filler = undefined;
      await until('readiness to come back', async () => (await readyz()) === 200);
      assert.ok(lines.some((l) => String(l.msg).startsWith('writing results to the store works again')));
      assert.equal(failingLines().length, 1, 'still one failing line: no line per retry');
      await monitor.stop();
      stopped = true;
      const results = lines.filter((l) => typeof l.check === 'string' && l.phases !== undefined).length;
      const db = new Database(path, { readonly: true });
      try {
        assert.equal((db.prepare('SELECT count(*) AS n FROM results').get() as { n: number }).n, results);
      } finally {
        db.close();
      }
    } finally {
      if (filler) unlinkSync(filler);
      if (!stopped) await monitor?.stop();
      await new Promise((resolve) => target.close(resolve));
      rmSync(dirname(path), { recursive: true, force: true });
    }
  });
});
