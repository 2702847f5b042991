// Writes the bench:scale section from the JSON rows an earlier run printed (one per line), without
// measuring again: to refresh the section's text around the same figures.
//   BENCH_SCALE_FROM=FILE BENCH_SCALE_COMMAND="..." node --import tsx bench/scale/write-from.ts
import { readFileSync } from 'node:fs';
import { machine, writeSection } from '../common.js';
import type { Measurement } from './measure.js';
import { report } from './report.js';

const from = process.env.BENCH_SCALE_FROM;
if (!from) throw new Error('BENCH_SCALE_FROM=FILE: the output of an earlier bench:scale run');
const rows = readFileSync(from, 'utf8')
  .split('\n')
  .filter((line) => line.startsWith('{"scenario"'))
  .map((line) => JSON.parse(line) as Measurement);
const cpu = process.env.BENCH_SCALE_CPU ?? '1';
const body = report(rows, {
  command: process.env.BENCH_SCALE_COMMAND ?? '`npm run bench:scale`',
  machine: process.env.BENCH_SCALE_MACHINE ?? machine(),
  settings: {
    warmupS: Number(process.env.BENCH_SCALE_WARMUP ?? 10),
    windowS: Number(process.env.BENCH_SCALE_WINDOW ?? 120),
    startTimeoutS: Number(process.env.BENCH_SCALE_START_TIMEOUT ?? 120),
    cpu: cpu === 'none' ? undefined : Number(cpu),
    nodeArgs: process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
  },
});
if (process.env.BENCH_NO_WRITE) console.log(body);
else writeSection('scale', body);
