import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Logger, symbols } from 'pino';
import { createLogger, LOG_FLUSH_EVERY_MS } from './logger.js';
import { bounded } from './testing/faults.js';

/**
 * Ends the logger's destination: the pipe is drained until the destination
 * has written what it held and closed the descriptor (it owns it then), so
 * no retry outlives the test and the fd number is free for the next one.
 */
async function end(logger: Logger, fd: number): Promise<void> {
  const stream = (logger as unknown as Record<symbol, NodeJS.WritableStream & { end(): void }>)[symbols.streamSym];
  let closed = false;
  stream?.once('close', () => {
    closed = true;
  });
  stream?.end();
  const buffer = Buffer.alloc(64 * 1024);
  while (!closed) {
    try {
      readSync(fd, buffer);
    } catch {
      // EAGAIN: empty for now
    }
    await new Promise((r) => setTimeout(r, 5));
  }
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

  it('writes lines that arrive one by one together, without a flush, within its flush period', async () => {
    const pipe = stuckPipe();
    const logger = createLogger('json', { fd: pipe.fd } as unknown as NodeJS.WritableStream, { buffered: true });
    const stream = (logger as unknown as Record<symbol, NodeJS.EventEmitter>)[symbols.streamSym];
    // Bytes of each write that wrote something (the periodic flush of an empty buffer writes nothing).
    const writes: number[] = [];
    const firstWrite = new Promise<void>((resolve) =>
      stream?.on('write', (n: number) => {
        if (n === 0) return;
        writes.push(n);
        resolve();
      }),
    );
    // Each line on its own turn of the event loop, as results arrive: none piles up behind a write,
    // so one write per line would write the first line alone.
    for (let i = 0; i < 5; i++) {
      logger.info({ i }, 'one result');
      await new Promise((r) => setImmediate(r));
    }
    await bounded(firstWrite, 5 * LOG_FLUSH_EVERY_MS, 'the periodic flush');
    const buffer = Buffer.alloc(64 * 1024);
    const text = buffer.subarray(0, readSync(pipe.fd, buffer)).toString();
    assert.equal(writes.length, 1, 'the five lines went out in one write');
    assert.equal(writes[0], Buffer.byteLength(text));
    assert.deepEqual(
      text
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { i: number }).i),
      [0, 1, 2, 3, 4],
    );
    await end(logger, pipe.fd);
  });

  it('writes a line it holds when the process exits', () => {
    const script = [
      "import { createLogger } from './logger.js';",
      "const logger = createLogger('json', process.stdout, { buffered: true });",
      "logger.info({ last: true }, 'said just before exit');",
      'process.exit(0);',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: import.meta.dirname,
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal((JSON.parse(out.trim()) as { last: boolean }).last, true);
  });

  it('writes every line when the reader keeps up', async () => {
    const pipe = stuckPipe();
    const logger = createLogger('json', { fd: pipe.fd } as unknown as NodeJS.WritableStream, { buffered: true });
    for (let i = 0; i < 3; i++) logger.info({ i }, 'hello');
    logger.flush();
    await new Promise((r) => setTimeout(r, 50));
    const buffer = Buffer.alloc(64 * 1024);
    const text = buffer.subarray(0, readSync(pipe.fd, buffer)).toString();
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { i: number; msg: string; time: string });
    assert.deepEqual(
      lines.map((l) => [l.i, l.msg]),
      [
        [0, 'hello'],
        [1, 'hello'],
        [2, 'hello'],
      ],
    );
    await end(logger, pipe.fd);
  });
});
