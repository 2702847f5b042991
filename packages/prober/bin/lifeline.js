#!/usr/bin/env node
'use strict';
// A reader that goes away (`lifeline validate | head`) is not an error of ours: stop quietly, no stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// V8 set for a short process while the command's modules load; the command undoes it when they
// are (src/cli/startup.ts says what and why: issue 14, goal 1).
// `check` (the CronJob's, every minute) runs from one bundled file compiled from V8's code
// cache, which the build made (src/cli/compiled.ts), through dist/cli/boot.cjs: CommonJS, like
// this file (bin/package.json), so such a run never starts Node's ES module loader. Other
// commands, or a dist/ without the bundles (`tsc` alone), run dist/cli/main.js.
async function run(argv) {
  let boot = argv[0] === 'check' ? requireIfBuilt('../dist/cli/boot.cjs') : undefined;
  if (boot && !boot.compiledCliIsFresh()) boot = undefined;
  const { beginStartup } = boot ?? (await import('../dist/cli/startup.js'));
  const startup = beginStartup(undefined, undefined, argv[0] === 'check' ? 'short' : 'unknown');
  const compiled = boot?.loadCompiledCli();
  if (compiled?.cache === 'rejected' && process.env.LIFELINE_DEBUG)
    process.stderr.write(
      'lifeline: V8 did not take the code cache of dist/cli/check-bundle.cjs (another Node.js, or V8 flags); compiled it from source\n',
    );
  const { main } = compiled ?? (await import('../dist/cli/main.js'));
  return main(argv, undefined, undefined, startup);
}

function requireIfBuilt(path) {
  try {
    return require(path);
  } catch (error) {
    if (error?.code === 'MODULE_NOT_FOUND' && String(error.message).includes(path)) return undefined;
    throw error;
  }
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    exitSoon();
  },
  (error) => {
    // main reports what it knows; anything else is a bug: one line, the stack only with LIFELINE_DEBUG.
    process.stderr.write(`lifeline: unexpected error: ${String(error?.message ?? error).split('\n')[0]}\n`);
    if (process.env.LIFELINE_DEBUG) process.stderr.write(`${error?.stack ?? error}\n`);
    process.exitCode = 1;
    exitSoon();
  },
);

// The command is over (check --once printed its results; run has stopped).
// Nothing it started should keep the process alive, and tests hold it to
// that; but a system name lookup (getaddrinfo) cannot be cancelled, so a
// finished command exits anyway after a moment, naming what was still pending.
// Unref'd: when nothing is pending the process exits at once without it.
function exitSoon() {
  setTimeout(() => {
    const counts = new Map();
    for (const name of process.getActiveResourcesInfo()) counts.set(name, (counts.get(name) ?? 0) + 1);
    const pending = [...counts].map(([name, n]) => (n > 1 ? `${n} ${name}` : name)).join(', ');
    process.stderr.write(`lifeline: finished, but work was still pending (${pending}); exiting\n`);
    process.exit();
  }, 2_000).unref();
}
