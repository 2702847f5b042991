#!/usr/bin/env node
// `npm start`: the whole system on this machine. Starts the api, waits until it
// listens, then starts `lifeline run` with examples/local.yaml, so the first
// check finds the api up. Each line is prefixed with the process name.
//
// Children run in their own process groups: Ctrl-C in a terminal signals the
// whole foreground group, and a child that got SIGINT twice (once from the
// terminal, once forwarded) would take it as "exit now". Here every child gets
// exactly one signal, from this script.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.env.PORT || 3000);
// Both servers listen on loopback only: nothing on the network can reach an
// API without access control. API_HOST and LIFELINE_HOST move them.
const apiHost = process.env.API_HOST || '127.0.0.1';
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, text) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);

const children = new Map();
let stopping = false;
let failed = false;

function start(name, colorCode, args, env = {}, onLine = () => {}) {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const prefix = paint(colorCode, `[${name}]`.padEnd(11));
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      process.stdout.write(`${prefix} ${line}\n`);
      onLine(line);
    });
  }
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(name);
      process.stdout.write(`${prefix} exited with ${signal ?? `code ${code}`}\n`);
      if (code !== 0) failed = true;
      if (!stopping) {
        // One part of the system died on its own: take the rest down too.
        failed = true;
        stopAll('SIGTERM');
      }
      resolve();
    });
  });
  children.set(name, { child, exited });
  return child;
}

function stopAll(signal) {
  stopping = true;
  for (const { child } of children.values()) {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
}

function waitForPort(deadline) {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (stopping) return reject(new Error('stopped'));
      const socket = connect({ port, host: apiHost });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`the api did not listen on port ${port} within 30s`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

// The monitor's "started" log line carries the dashboard's URL (null when it is not built):
// shown once, on a line of its own, so it is easy to find and open.
let announced = false;
function announceDashboard(line) {
  if (announced || !line.includes('"dashboard":')) return;
  try {
    const url = JSON.parse(line).dashboard;
    if (typeof url !== 'string') return;
    announced = true;
    process.stdout.write(`\n${paint('1', `dashboard: ${url}`)}\n\n`);
  } catch {
    // Not the JSON line we look for.
  }
}

// Ctrl-C reaches this script twice: from the terminal (the whole process
// group) and forwarded by npm. A repeat within a second is that same press; a
// later one means "stop now".
let firstSignalAt = 0;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    const now = Date.now();
    if (firstSignalAt === 0) {
      firstSignalAt = now;
      stopAll(signal);
    } else if (now - firstSignalAt > 1000) {
      for (const { child } of children.values()) child.kill('SIGKILL');
      process.exit(130);
    }
  });
}

// Locally no load balancer needs time to stop routing to the api, so Ctrl-C
// skips the readiness grace period (SHUTDOWN_DELAY_MS, 5 s by default in a pod).
start('api', '36', ['apps/api/dist/main.js'], {
  PORT: String(port),
  HOST: apiHost,
  SHUTDOWN_DELAY_MS: process.env.SHUTDOWN_DELAY_MS ?? '0',
});
try {
  await waitForPort(Date.now() + 30_000);
  if (!stopping) {
    start(
      'lifeline',
      '35',
      ['packages/prober/bin/lifeline.js', 'run', '--config', 'examples/local.yaml'],
      { API_PORT: String(port), LIFELINE_HOST: process.env.LIFELINE_HOST || '127.0.0.1' },
      announceDashboard,
    );
  }
} catch (error) {
  if (!stopping) {
    process.stderr.write(`npm start: ${error.message}\n`);
    failed = true;
    stopAll('SIGTERM');
  }
}
await Promise.all([...children.values()].map((c) => c.exited));
process.exitCode = failed ? 1 : 0;
