#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));

// The command is over (check --once printed its results; run has stopped).
// Nothing it started should keep the process alive, and tests hold it to
// that; but a system name lookup (getaddrinfo) cannot be cancelled, so a
// finished command exits anyway after a moment, naming what was still pending.
// Unref'd: when nothing is pending the process exits at once without it.
setTimeout(() => {
  const counts = new Map();
  for (const name of process.getActiveResourcesInfo()) counts.set(name, (counts.get(name) ?? 0) + 1);
  const pending = [...counts].map(([name, n]) => (n > 1 ? `${n} ${name}` : name)).join(', ');
  process.stderr.write(`lifeline: finished, but work was still pending (${pending}); exiting\n`);
  process.exit();
}, 2_000).unref();
