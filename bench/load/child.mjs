// One start of `lifeline run` split into its stages, in its own process (started by
// bench/load/run.ts under `taskset -c 1`): importing the modules, loading the config as the
// CLI does (with the heap check), and startMonitor until it returns (listening, every check
// scheduled). The logger writes to a sink that drops the lines.
//   node bench/load/child.mjs PROBER_DIR CONFIG
// Prints one JSON line of milliseconds, then stops the monitor and exits 0.
import { Writable } from 'node:stream';

const [prober, file] = process.argv.slice(2);
const dist = new URL(`file://${prober}/dist/`);
let last = performance.now();
const lap = () => {
  const now = performance.now();
  const ms = now - last;
  last = now;
  return Math.round(ms);
};
const out = {};
const { loadConfigFile } = await import(new URL('config/load.js', dist).href);
const { heapRoom } = await import(new URL('config/heap.js', dist).href);
const { createLogger } = await import(new URL('logger.js', dist).href);
const { startMonitor } = await import(new URL('main.js', dist).href);
out.imports = lap();
const config = loadConfigFile(file, process.env, { room: heapRoom(), use: 'run' });
out.load = lap();
const sink = new Writable({
  write(_chunk, _encoding, callback) {
    callback();
  },
});
const monitor = await startMonitor({ config, logger: createLogger('json', sink, { buffered: true }), port: 0 });
out.start = lap();
process.stdout.write(`${JSON.stringify(out)}\n`);
await monitor.stop();
process.exit(0);
