import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { CliIo } from '../cli/main.js';

/** The CLI's io in memory, for tests that drive main() in-process: what it printed, and signals to send it. */
export function memoryIo(env: Record<string, string> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => {
    out += d;
  });
  stderr.on('data', (d) => {
    err += d;
  });
  const signals = new EventEmitter();
  const value: CliIo = { stdout, stderr, env, signals: signals as unknown as CliIo['signals'] };
  return {
    io: value,
    signals,
    out: () => out,
    err: () => err,
    /** stdout as JSON lines. */
    lines: () =>
      out
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
  };
}
