// Preloaded (`node -r`) into each measured node process: at exit, writes its peak RSS (VmHWM,
// kB) and CPU time (µs) to $BENCH_HWM_FILE. CommonJS, so the preload itself costs next to nothing.
const { readFileSync, writeFileSync } = require('node:fs');

const out = process.env.BENCH_HWM_FILE;
if (out) {
  process.on('exit', () => {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    const cpu = process.cpuUsage();
    writeFileSync(out, JSON.stringify({ hwmKb: Number(hwm), cpuUs: cpu.user + cpu.system }));
  });
}
