// One measurement of `lifeline run`'s heap, in its own process (started by bench/heap/run.ts with
// --max-old-space-size and --expose-gc): what the CLI's `run` does (load the config, start the monitor),
// without the CLI's own heap check, so the bench can find what loading really needs.
//   node --expose-gc bench/heap/child.mjs load|once|start|steady CONFIG CHECKS
// Prints one JSON line to stdout: the heap before loading, after loading, after starting and once every
// check ran once (each after a full collection), as far as MODE goes; then exits 0. A V8 abort is the answer "too small".
import { Writable } from 'node:stream';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

const dist = new URL('../../packages/prober/dist/', import.meta.url);
const { loadConfigFile } = await import(new URL('config/load.js', dist).href);
const { createLogger } = await import(new URL('logger.js', dist).href);

const [mode, file, checksArg] = process.argv.slice(2);
const checks = Number(checksArg);
/** The old generation in use after a full collection: what --max-old-space-size bounds. */
const used = () => {
  globalThis.gc();
  let sum = 0;
  for (const space of getHeapSpaceStatistics()) if (!space.space_name.startsWith('new_')) sum += space.space_used_size;
  return sum;
};
const out = { limit: getHeapStatistics().heap_size_limit, before: used() };
const config = loadConfigFile(file);
out.loaded = used();
if (mode === 'once') {
  // `lifeline check --once`: every check at once, the results kept until the end.
  const { checkOnce } = await import(new URL('once.js', dist).href);
  const results = await checkOnce(config, {});
  out.once = used();
  out.ok = results.filter((r) => r.ok).length;
}
if (mode === 'load' || mode === 'once') {
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}
const { startMonitor } = await import(new URL('main.js', dist).href);
let results = 0;
let allRan;
const ran = new Promise((resolve) => (allRan = resolve));
// Result lines are counted and dropped: the bench measures the monitor, not a pipe's buffer.
const sink = new Writable({
  write(chunk, _encoding, callback) {
    const text = chunk.toString();
    let at = text.indexOf('"check":');
    while (at !== -1) {
      if (++results >= checks) allRan();
      at = text.indexOf('"check":', at + 1);
    }
    callback();
  },
});
const monitor = await startMonitor({ config, logger: createLogger('json', sink, { buffered: true }), port: 0 });
out.started = used();
if (mode === 'steady') {
  await ran;
  out.steady = used();
  out.rssSteady = process.memoryUsage().rss;
}
process.stdout.write(`${JSON.stringify(out)}\n`);
await monitor.stop();
process.exit(0);
