/**
 * Where `lifeline run` writes its JSON lines: to a file descriptor (stdout),
 * asynchronously, a batch at a time. One write call per line costs more than
 * the probe it reports (a write through libuv's threadpool is a thread
 * hand-off and a syscall, dear under gVisor: issue 14, goal 3), so lines wait
 * up to `flushMs` and go out together. Nothing is lost on a stop: `flushSync`
 * writes what waits on `exit`, however the process ends (by itself,
 * process.exit, an uncaught exception); a batch in flight keeps the process
 * alive until it is written, so on a stop that lets the process end by itself
 * nothing is in flight then.
 * Bounded: past `maxBufferedBytes` behind a reader that stopped reading,
 * lines are dropped (and `onDrop` told once) rather than growing the heap.
 */
import { write as fsWrite, writeSync } from 'node:fs';

/** Lines wait at most this long before they are written (a log reader never notices 0.2 s). */
export const LOG_FLUSH_MS = 200;
/** A batch this large is written at once, without waiting for the timer. */
const FLUSH_BYTES = 64 * 1024;
/** A non-blocking descriptor that is full (EAGAIN) is tried again after this long. */
const RETRY_MS = 10;
/** `flushSync` gives up after this long on a descriptor that stays full: an exit never hangs on a stuck reader. */
const SYNC_BOUND_MS = 1_000;

export interface LineSinkOptions {
  readonly fd: number;
  readonly maxBufferedBytes: number;
  readonly onDrop: () => void;
  /** A write failed for good (EPIPE excepted: the reader went away); logging stops. Told once. */
  readonly onError?: (error: NodeJS.ErrnoException) => void;
  readonly flushMs?: number;
}

/** The destination pino writes to (`write`), with `flush` for pino's logger.flush(). */
export interface LineSink {
  write(line: string): boolean;
  /** Writes what waits now; `done` once it is all written (or cannot be). */
  flush(done?: (error?: Error) => void): void;
  /** Writes what waits, synchronously (at exit). The batch in flight, if any, is the threadpool's. */
  flushSync(): void;
  /** Flushes, then stops listening for `exit`. */
  end(done?: () => void): void;
}

export function createLineSink({
  fd,
  maxBufferedBytes,
  onDrop,
  onError = () => {},
  flushMs = LOG_FLUSH_MS,
}: LineSinkOptions): LineSink {
  let pending: string[] = [];
  let pendingBytes = 0;
  let inFlight: Buffer | undefined;
  let written = 0;
  let timer: NodeJS.Timeout | undefined;
  let dropped = false;
  let failed = false;
  let waiters: ((error?: Error) => void)[] = [];

  const settleWaiters = (error?: Error) => {
    const done = waiters;
    waiters = [];
    for (const w of done) w(error);
  };
  const fail = (error: NodeJS.ErrnoException) => {
    failed = true;
    pending = [];
    pendingBytes = 0;
    inFlight = undefined;
    if (error.code !== 'EPIPE') onError(error);
    settleWaiters(error);
  };
  const writeOut = () => {
    const buffer = inFlight as Buffer;
    fsWrite(fd, buffer, written, buffer.length - written, null, onWritten);
  };
  const onWritten = (error: NodeJS.ErrnoException | null, n: number) => {
    if (failed) return;
    if (error) {
      if (error.code === 'EAGAIN') setTimeout(writeOut, RETRY_MS);
      else fail(error);
      return;
    }
    written += n;
    if (written < (inFlight as Buffer).length) return writeOut();
    inFlight = undefined;
    if (pending.length === 0) return settleWaiters();
    if (pendingBytes >= FLUSH_BYTES || waiters.length > 0) start();
    else arm();
  };
  function start() {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (failed || inFlight !== undefined || pending.length === 0) return;
    inFlight = Buffer.from(pending.length === 1 ? (pending[0] as string) : pending.join(''), 'utf8');
    written = 0;
    pending = [];
    pendingBytes = 0;
    writeOut();
  }
  const arm = () => {
    // Unref'd: a process that has nothing else to do exits at once, and writes the batch on `exit`.
    timer ??= setTimeout(start, flushMs).unref();
  };
  const flushSync = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (failed || pending.length === 0) return;
    const buffer = Buffer.from(pending.join(''), 'utf8');
    pending = [];
    pendingBytes = 0;
    const giveUp = Date.now() + SYNC_BOUND_MS;
    for (let offset = 0; offset < buffer.length; ) {
      try {
        offset += writeSync(fd, buffer, offset);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EAGAIN' || Date.now() > giveUp) return;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, RETRY_MS);
      }
    }
  };
  process.on('exit', flushSync);

  return {
    write(line) {
      if (failed) return true;
      const bytes = Buffer.byteLength(line);
      const held = pendingBytes + (inFlight ? inFlight.length - written : 0);
      if (held + bytes > maxBufferedBytes) {
        if (!dropped) {
          dropped = true;
          onDrop();
        }
        return false;
      }
      pending.push(line);
      pendingBytes += bytes;
      // A batch in flight: its completion schedules the next.
      if (inFlight === undefined) {
        if (pendingBytes >= FLUSH_BYTES) start();
        else arm();
      }
      return true;
    },
    flush(done) {
      if (done) {
        if (failed || (pending.length === 0 && inFlight === undefined)) {
          done();
          return;
        }
        waiters.push(done);
      }
      start();
    },
    flushSync,
    end(done) {
      process.off('exit', flushSync);
      this.flush(() => done?.());
    },
  };
}
