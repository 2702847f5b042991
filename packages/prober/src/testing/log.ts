import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';

/** A logger whose JSON lines the test reads back, parsed, in the order written. */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ base: null }, stream), lines };
}
