// What the whole-system tests of the monitor share: the real `lifeline run`, a target it checks,
// cleanup whatever happens, and bounded waits on its output and on receivers.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { Recorder } from '../../packages/prober/src/testing/channels.js';
import { json, run, type Spawned } from './helpers.js';

export const BIN = 'packages/prober/bin/lifeline.js';
/** Every wait is bounded by this (beyond a wall-clock moment it waits for). */
export const WAIT_MS = 20_000;

/** Processes, servers and directories to clean up whatever happens; monitors get `env` on top of this process's. */
export function cleanup(prefix: string, env: Readonly<Record<string, string>> = {}) {
  const jobs: (() => unknown)[] = [];
  after(async () => {
    for (const job of jobs.reverse()) await job();
  });
  return {
    add<T>(thing: T, close: (t: T) => unknown): T {
      jobs.push(() => close(thing));
      return thing;
    },
    dir(): string {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      jobs.push(() => rmSync(dir, { recursive: true, force: true }));
      return dir;
    },
    monitor(config: string): Spawned {
      const monitor = run(process.execPath, [BIN, 'run', '--config', config, '--port', '0'], {
        env: { ...process.env, ...env },
      });
      jobs.push(async () => {
        if (monitor.child.exitCode === null && monitor.child.signalCode === null) {
          monitor.child.kill('SIGKILL');
          await monitor.exited;
        }
      });
      return monitor;
    },
  };
}

export interface Target {
  readonly url: string;
  set(status: number): void;
  close(): Promise<void>;
}

/** The checked service: answers `status` (switchable) to every request; on `port` when given (a restart at the same address). */
export async function startTarget(status = 200, port = 0): Promise<Target> {
  let answer = status;
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(answer).end(answer < 400 ? 'ok' : 'down');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    set: (next) => {
      answer = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Resolves once `ready()` holds, checked on each request the recorder takes; rejects after `ms`. */
export async function until(recorder: Recorder, ready: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`${what}: not within ${ms} ms (${recorder.received.length} requests received)`);
    await recorder.next(left).catch(() => undefined);
  }
}

/** The monitor's API origin, from its "started" line. */
export async function apiOf(monitor: Spawned): Promise<string> {
  const started = await monitor.waitForLine(
    (l) => json(l)?.msg?.toString().startsWith('lifeline monitor started') === true,
    WAIT_MS,
  );
  return json(started)?.api as string;
}

export const getJson = async (url: string, init?: RequestInit) =>
  (await (await fetch(url, init)).json()) as Record<string, any>;
