import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export const ROOT = new URL('../../', import.meta.url).pathname;

export interface Spawned {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first output line matching, or rejects after `ms`. */
  waitForLine(match: (line: string) => boolean, ms: number): Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns a process, collecting stdout and stderr lines. */
export function run(command: string, args: string[], options: SpawnOptions = {}): Spawned {
  // A child must not think it runs under node:test (NODE_TEST_CONTEXT is inherited otherwise).
  const { NODE_TEST_CONTEXT: _, ...env } = (options.env ?? process.env) as Record<string, string>;
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...options, env });
  const lines: string[] = [];
  const waiters = new Set<{ match: (l: string) => boolean; resolve: (l: string) => void }>();
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      for (const w of waiters) {
        if (w.match(line)) {
          waiters.delete(w);
          w.resolve(line);
        }
      }
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    lines,
    exited,
    waitForLine(match, ms) {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve };
        waiters.add(waiter);
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching line within ${ms}ms; output:\n${lines.join('\n')}`));
        }, ms);
        void exited.then(() =>
          setTimeout(() => {
            if (waiters.delete(waiter)) {
              clearTimeout(timer);
              reject(new Error(`process exited before a matching line; output:\n${lines.join('\n')}`));
            }
          }, 50),
        );
        const original = waiter.resolve;
        waiter.resolve = (l) => {
          clearTimeout(timer);
          original(l);
        };
      });
    },
  };
}

export { unusedPort as freePort } from '../support/services.js';

/** Parses a JSON log line, with or without a `[name]` prefix. */
export function json(line: string): Record<string, unknown> | undefined {
  const start = line.indexOf('{');
  if (start < 0) return undefined;
  try {
    return JSON.parse(line.slice(start)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
