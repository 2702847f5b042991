import { type Logger, pino } from 'pino';
import pretty from 'pino-pretty';
import type { CheckResult } from './domain/result.js';

export type LogFormat = 'json' | 'pretty';

/**
 * JSON lines on stdout (pino). Every line starts with `time` as ISO 8601; a
 * check-result line carries the run's start time there instead of the log
 * time, so the line matches `lifeline check --once` output field for field.
 */
export function createLogger(format: LogFormat = 'json', destination: NodeJS.WritableStream = process.stdout): Logger {
  const options = {
    base: null,
    timestamp: false,
    messageKey: 'msg',
    formatters: { level: (label: string) => ({ level: label }) },
    mixin: () => ({ time: new Date().toISOString() }),
  } as const;
  if (format === 'pretty') {
    return pino(
      options,
      pretty({
        destination: destination as NodeJS.WritableStream & { fd?: number },
        sync: true,
        colorize: Boolean((destination as { isTTY?: boolean }).isTTY),
        translateTime: false,
        ignore: 'level',
      }),
    );
  }
  return pino(options, destination as pino.DestinationStream);
}

/** Logs one result: info when it passed, warn when it failed. */
export function logResult(logger: Logger, result: CheckResult, extra: Record<string, unknown> = {}): void {
  const fields = { ...result, ...extra };
  if (result.ok) logger.info(fields, `check ${result.check} passed: ${result.status}`);
  else logger.warn(fields, `check ${result.check} failed: ${result.error?.code ?? 'unknown'}`);
}
