// Issue #9: two monitors on one SQLite file silently double-counted. One
// process holds the file; the next one is refused with LIFELINE_ERR_STORE_LOCKED,
// and a holder killed with SIGKILL leaves no lock behind.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { json, run, type Spawned } from '../../../../../test/e2e/helpers.js';
import { parseConfig } from '../../config/load.js';
import { STORE_LOCKED_CODE } from '../../domain/errors.js';
import { startMonitor as startInProcess } from '../../main.js';
import { createSqliteStore } from './sqlite-store.js';

const CLI = 'packages/prober/bin/lifeline.js';

describe('one process per SQLite file', () => {
  let dir: string;
  let target: Server;
  let config: string;
  let path: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lifeline-lock-'));
    target = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    path = join(dir, 'lifeline.db');
    config = join(dir, 'lifeline.yaml');
    const { port } = target.address() as { port: number };
    writeFileSync(
      config,
      `storage: ${path}\nchecks:\n  - name: tcp\n    url: tcp://127.0.0.1:${port}\n    every: 1s\n`,
    );
  });
  after(async () => {
    await new Promise((resolve) => target.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const startMonitor = async (): Promise<Spawned> => {
    const monitor = run(process.execPath, [CLI, 'run', '--config', config, '--port', '0']);
    await monitor.waitForLine((l) => l.includes('lifeline monitor started'), 20_000);
    return monitor;
  };

  it('refuses a second store on a file another process holds, names the file, and takes it over after the holder is killed with SIGKILL', async () => {
    const monitor = await startMonitor();
    try {
      assert.throws(
        () => createSqliteStore(path),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, STORE_LOCKED_CODE);
          assert.ok(error.message.includes(path), error.message);
          return true;
        },
      );
      // A second monitor on the same file does not start.
      const second = run(process.execPath, [CLI, 'run', '--config', config, '--port', '0']);
      const exit = await second.exited;
      // A start-up problem of the operator's: one sentence naming the file and the code, exit 2.
      assert.equal(exit.code, 2, second.lines.join('\n'));
      const sentence = second.lines.find((l) => l.includes(STORE_LOCKED_CODE));
      assert.ok(sentence?.includes(path), second.lines.join('\n'));
      assert.ok(!second.lines.some((l) => /^\s+at /.test(l)), 'no stack trace');
      // check --once with the same storage: results printed, not stored, exit 1, the reason logged.
      const once = run(process.execPath, [CLI, 'check', '--once', '--config', config]);
      assert.equal((await once.exited).code, 1);
      assert.ok(once.lines.map(json).some((l) => l?.check === 'tcp' && l.ok === true));
      const notStored = once.lines.map(json).find((l) => String(l?.msg).startsWith('the results could not be stored'));
      assert.equal((notStored?.err as { code?: string } | undefined)?.code, STORE_LOCKED_CODE);
    } finally {
      monitor.child.kill('SIGKILL');
      await monitor.exited;
    }
    // The kernel dropped the dead holder's lock: the file opens at once.
    const store = createSqliteStore(path);
    await store.migrate();
    await store.close();
    // And the lock is released by close(): a monitor starts again.
    const again = await startMonitor();
    again.child.kill('SIGTERM');
    assert.equal((await again.exited).code, 0);
  });

  it('releases the file when a monitor fails to start (its port is taken)', async () => {
    const { port } = target.address() as { port: number };
    const file = join(dir, 'port-taken.db');
    const config = parseConfig(
      `storage: ${file}\nchecks:\n  - name: tcp\n    url: tcp://127.0.0.1:${port}\n    every: 1s\n`,
      {
        file: 'taken.yaml',
        env: {},
      },
    );
    await assert.rejects(startInProcess({ config, logger: pino({ level: 'silent' }), port }), { code: 'EADDRINUSE' });
    const store = createSqliteStore(file);
    await store.close();
  });

  it('lets check --once store into a file no monitor holds', async () => {
    const once = run(process.execPath, [CLI, 'check', '--once', '--config', config]);
    assert.equal((await once.exited).code, 0, once.lines.join('\n'));
    const store = createSqliteStore(path);
    try {
      await store.migrate();
      assert.ok((await store.results('tcp', { limit: 100 })).length > 0);
    } finally {
      await store.close();
    }
  });
});
