import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Logger, symbols } from 'pino';
import { createLogger } from './logger.js';

/**
 * Ends the logger's destination: the pipe is drained until the destination
 * has written what it held, so no retry outlives the test; then the FIFO is closed.
 */
async function end(logger: Logger, fd: number): Promise<void> {
  const sink = (logger as unknown as Record<symbol, { end(done: () => void): void }>)[symbols.streamSym];
  let ended = false;
  sink?.end(() => {
    ended = true;
  });
  const buffer = Buffer.alloc(64 * 1024);
  for (let tries = 0; !ended && tries < 2_000; tries++) {
    try {
      readSync(fd, buffer);
    } catch {
      // EAGAIN: empty for now
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  closeSync(fd);
  assert.ok(ended, 'the destination wrote what it held');
}

/** What the pipe holds now, as parsed lines (nothing: []). */
function readLines(fd: number): { i: number; msg: string }[] {
  const buffer = Buffer.alloc(64 * 1024);
  let n = 0;
  try {
    n = readSync(fd, buffer);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
  }
  return buffer
    .subarray(0, n)
    .toString()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { i: number; msg: string });
}

/** A FIFO opened read-write and never read: a reader that stopped reading, as a stuck log pipe. */
function stuckPipe(): { fd: number } {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-log-'));
  const path = join(dir, 'out');
  execFileSync('mkfifo', [path]);
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  // The open descriptor keeps the FIFO usable; its name and folder are not needed any more.
  rmSync(dir, { recursive: true, force: true });
  return { fd };
}

describe('createLogger, buffered', () => {
  it('holds back at most maxBufferedBytes behind a reader that stopped, then drops lines and says so once', async () => {
    const pipe = stuckPipe();
    let drops = 0;
    const logger = createLogger('json', { fd: pipe.fd } as unknown as NodeJS.WritableStream, {
      buffered: true,
      maxBufferedBytes: 256 * 1024,
      onDrop: () => {
        drops += 1;
      },
    });
    const heap0 = process.memoryUsage().heapUsed;
    const line = 'x'.repeat(1_000);
    for (let i = 0; i < 20_000; i++) logger.info({ i }, line); // 20 MB, far more than pipe and buffer hold
    assert.equal(drops, 1);
    // The heap holds the bounded buffer, not the 20 MB written.
    assert.ok(process.memoryUsage().heapUsed - heap0 < 10 * 1024 * 1024);
    await end(logger, pipe.fd);
  });

  it('writes every line when the reader keeps up, a batch at a time', async () => {
    const pipe = stuckPipe();
    const fake = { fd: pipe.fd } as unknown as NodeJS.WritableStream;
    const logger = createLogger('json', fake, { buffered: true, flushMs: 60_000 });
    for (let i = 0; i < 3; i++) logger.info({ i }, 'hello');
    await new Promise((r) => setImmediate(r));
    // Held back for the batch: one write for the three, not one each.
    assert.deepEqual(readLines(pipe.fd), []);
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    assert.deepEqual(
      readLines(pipe.fd).map((l) => [l.i, l.msg]),
      [
        [0, 'hello'],
        [1, 'hello'],
        [2, 'hello'],
      ],
    );
    await end(logger, pipe.fd);
  });

  it('writes a batch on its own once flushMs has passed', async () => {
    const pipe = stuckPipe();
    const logger = createLogger('json', { fd: pipe.fd } as unknown as NodeJS.WritableStream, {
      buffered: true,
      flushMs: 5,
    });
    logger.info({ i: 7 }, 'later');
    let lines: { i: number }[] = [];
    for (let tries = 0; lines.length === 0 && tries < 1_000; tries++) {
      await new Promise((r) => setTimeout(r, 5));
      lines = readLines(pipe.fd);
    }
    assert.deepEqual(
      lines.map((l) => l.i),
      [7],
    );
    await end(logger, pipe.fd);
  });

  for (const [how, code] of [
    ['a stop that lets the process end by itself', 'void 0'],
    ['process.exit() with the batch still waiting', 'process.exit(0)'],
    ['an uncaught exception', "setImmediate(() => { throw new Error('boom') })"],
  ] as const) {
    it(`loses no line on ${how}`, () => {
      const script = `
        const { createLogger } = await import(${JSON.stringify(new URL('./logger.js', import.meta.url).href)});
        const logger = createLogger('json', process.stdout, { buffered: true, flushMs: 60_000 });
        for (let i = 0; i < 500; i++) logger.info({ i }, 'line');
        ${code};`;
      const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      const lines = out.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { i: number }).i);
      assert.deepEqual(
        lines,
        Array.from({ length: 500 }, (_, i) => i),
      );
    });
  }
});
