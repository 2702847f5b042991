#!/usr/bin/env node
// A reader that goes away (`lifeline validate | head`) is not an error of ours: stop quietly, no stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const { main } = await import('../dist/cli/main.js');
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  // main reports what it knows; anything else is a bug: one line, the stack only with LIFELINE_DEBUG.
  process.stderr.write(`lifeline: unexpected error: ${String(error?.message ?? error).split('\n')[0]}\n`);
  if (process.env.LIFELINE_DEBUG) process.stderr.write(`${error?.stack ?? error}\n`);
  process.exitCode = 1;
}
