#!/usr/bin/env node
// A reader that goes away (`lifeline validate | head`) is not an error of ours: stop quietly, no stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// V8 set for a short process while the command's modules load; the command undoes it when they
// are (src/cli/startup.ts says what and why: issue 14, goal 1).
const { beginStartup } = await import('../dist/cli/startup.js');
const startup = beginStartup();
const { main } = await import('../dist/cli/main.js');
try {
  process.exitCode = await main(process.argv.slice(2), undefined, undefined, startup);
} catch (error) {
  // main reports what it knows; anything else is a bug: one line, the stack only with LIFELINE_DEBUG.
  process.stderr.write(`lifeline: unexpected error: ${String(error?.message ?? error).split('\n')[0]}\n`);
  if (process.env.LIFELINE_DEBUG) process.stderr.write(`${error?.stack ?? error}\n`);
  process.exitCode = 1;
}

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
