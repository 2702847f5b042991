import { createRequire } from 'node:module';
import { type Logger, pino } from 'pino';
import type PinoPretty from 'pino-pretty';
import type { CheckResult } from './domain/result.js';

export type LogFormat = 'json' | 'pretty';

/** Log lines a slow stdout may hold back at most before lines are dropped (bytes). */
export const MAX_BUFFERED_LOG_BYTES = 16 * 1024 * 1024;

/**
 * `lifeline run` writes its lines when this many bytes are waiting, or every LOG_FLUSH_EVERY_MS,
 * whichever comes first: one write per line (each a wake-up of libuv's thread pool) was about
 * 5% of the monitor's main-thread CPU at 50 results/s (issue 14, goal 3). Written at exit too.
 */
export const COALESCE_LOG_BYTES = 4096;
/** The longest a `run` log line waits before it is written (ms). */
export const LOG_FLUSH_EVERY_MS = 250;

export interface LoggerOptions {
  /**
   * Write JSON lines asynchronously, coalescing the lines that pile up while
   * a write is under way and holding lines until COALESCE_LOG_BYTES are waiting
   * or LOG_FLUSH_EVERY_MS has passed (`lifeline run`: one write call per line
   * would cost more than the check). Flushed on exit. Bounded: past `maxBufferedBytes`
   * lines are dropped (`onDrop` is told once) instead of growing the heap
   * behind a reader that stopped reading. Needs a destination with a file
   * descriptor (stdout).
   */
  readonly buffered?: boolean;
  /** Default MAX_BUFFERED_LOG_BYTES. */
  readonly maxBufferedBytes?: number;
  /** Called once when lines start being dropped; by default one warning on stderr. */
  readonly onDrop?: () => void;
}

/**
 * JSON lines on stdout (pino). Every line starts with `time` as ISO 8601; a
 * check-result line carries the run's start time there instead of the log
 * time, so the line matches `lifeline check --once` output field for field.
 */
export function createLogger(
  format: LogFormat = 'json',
  destination: NodeJS.WritableStream = process.stdout,
  {
    buffered = false,
    maxBufferedBytes = MAX_BUFFERED_LOG_BYTES,
    onDrop = () =>
      process.stderr.write(
        'lifeline: stdout is not keeping up; log lines are being dropped (results are still stored)\n',
      ),
  }: LoggerOptions = {},
): Logger {
  const options = {
    base: null,
    timestamp: false,
    messageKey: 'msg',
    formatters: { level: (label: string) => ({ level: label }) },
    mixin: () => ({ time: new Date().toISOString() }),
  } as const;
  if (format === 'pretty') {
    // Loaded only for `--format pretty` (people at a terminal): a CronJob's JSON lines never pay
    // for it (issue 14, goal 1). It is CommonJS, so require() loads it synchronously.
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
    return pino(
      options,
      pretty({
        destination: destination as NodeJS.WritableStream & { fd?: number },
        sync: true,
        colorize: Boolean((destination as { isTTY?: boolean }).isTTY),
        translateTime: false,
        ignore: 'level',
        // One line per log entry: a result as name, outcome, status, time and error; anything else as its message.
        hideObject: true,
        messageFormat: (log, messageKey) => prettyLine(log, messageKey),
      }),
    );
  }
  const fd = (destination as { fd?: unknown }).fd;
  if (buffered && typeof fd === 'number') {
    const stream = pino.destination({
      dest: fd,
      sync: false,
      maxLength: maxBufferedBytes,
      minLength: COALESCE_LOG_BYTES,
      periodicFlush: LOG_FLUSH_EVERY_MS,
    });
    stream.once('drop', onDrop);
    return pino(options, stream);
  }
  return pino(options, destination as pino.DestinationStream);
}

/** Logs one result: info when it passed, warn when it failed. */
export function logResult(logger: Logger, result: CheckResult, extra?: Record<string, unknown>): void {
  const fields = extra ? { ...result, ...extra } : result;
  // Only an http check has a status to show; "passed: null" said nothing.
  if (result.ok)
    logger.info(fields, `check ${result.check} passed${result.status === null ? '' : `: ${result.status}`}`);
  else logger.warn(fields, `check ${result.check} failed: ${result.error?.code ?? 'unknown'}`);
}

/**
 * `--format pretty`: `api  up  200  12ms`, `db  down  -  5001ms  timeout: ...`.
 * Other lines keep their message, with the error's message when there is one.
 */
export function prettyLine(log: Record<string, unknown>, messageKey: string): string {
  const message = String(log[messageKey] ?? '');
  if (typeof log.check === 'string' && typeof log.ok === 'boolean' && typeof log.durationMs === 'number') {
    const outcome = log.ok ? (log.degraded ? 'degraded' : 'up') : 'down';
    const error = log.error as { code?: string; message?: string } | undefined;
    const parts = [log.check, outcome, typeof log.status === 'number' ? String(log.status) : '-'];
    parts.push(`${Math.round(log.durationMs)}ms`);
    if (error) parts.push(`${error.code ?? 'unknown'}: ${error.message ?? ''}`);
    return parts.join('  ');
  }
  const err = log.err as { message?: string } | undefined;
  const text = err?.message && !message.includes(err.message) ? `${message}: ${err.message}` : message;
  // A reload's config problems, one per line as `validate` prints them.
  return Array.isArray(log.problems) ? [text, ...log.problems.map((p) => `  ${String(p)}`)].join('\n') : text;
}
