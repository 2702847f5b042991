// All prober benchmarks in one run; writes their section of docs/benchmarks.md.
//   npm run bench:prober   (BENCH_DURATION=10 s per throughput run, BENCH_SOAK_SECONDS=300)
import { machine, writeSection } from '../common.js';
import { storageBench } from './storage.js';
import { HEAP_MB, soakBench, throughputBench } from './throughput.js';

const duration = Number(process.env.BENCH_DURATION ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 100);
const soakSeconds = Number(process.env.BENCH_SOAK_SECONDS ?? 300);

const storage = await storageBench();
console.log('storage', storage);
const throughput = await throughputBench(duration, connections);
console.log('throughput', throughput);
const soak = await soakBench(soakSeconds);
console.log('soak', soak);

const n = (x: number, digits = 0) =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
const ratioKeepAlive = throughput.saturated.perSecond / throughput.autocannonKeepAlive;
const ratioFresh = throughput.saturated.perSecond / throughput.autocannonFresh;

writeSection(
  'prober',
  `
## lifeline prober: throughput, soak, storage

Command: \`npm run bench:prober\` (BENCH_DURATION=${duration} s, BENCH_CONNECTIONS=${connections}, BENCH_SOAK_SECONDS=${soakSeconds}).
Machine: ${machine()}. The target is a keep-alive node:http server in its own process on loopback.

### (a) 1,000 checks against a local keep-alive target, results stored in SQLite

| run | checks/s | CPU of the prober | notes |
| --- | ---: | ---: | --- |
| 1,000 checks \`every: 1s\` (the schedule asks 1,000/s) | ${n(throughput.scheduled.perSecond)} | ${pct(throughput.scheduled.cpuShare)} of a core | keeps its schedule |
| 1,000 checks \`every: 100ms\` (saturated, concurrency ${connections}) | ${n(throughput.saturated.perSecond)} | ${pct(throughput.saturated.cpuShare)} of a core | the most one process does |
| autocannon, ${connections} keep-alive connections | ${n(throughput.autocannonKeepAlive)} | | one connection reused for many requests |
| autocannon, ${connections} connections, \`Connection: close\` | ${n(throughput.autocannonFresh)} | | a new connection per request, as each check makes |
| autocannon, ${connections} keep-alive connections, paced at 1,000 requests/s | ${n(throughput.autocannonPaced)} | | the load the schedule asks for |

Read as capacity, saturated prober vs autocannon with the same connections: ${pct(ratioKeepAlive)} of keep-alive (target >= 50%: ${verdict(ratioKeepAlive >= 0.5)}), ${pct(ratioFresh)} of a new connection per request.
Read as the scheduled load, 1,000 checks every second vs autocannon paced at the same rate: ${pct(throughput.scheduled.perSecond / throughput.autocannonPaced)}.
Each check opens a new connection on purpose (a health check riding a warm socket would not see new connections fail). The saturated run's profile is mostly Node's own net/http client (about 40%), garbage collection (9%), metrics and logging (8%); an experiment with a keep-alive agent reached only 4.1k checks/s, so connection reuse alone would not close the gap.

### (b) 10,000 checks \`every: 60s\` (with \`jitter: 60s\`) for ${Math.round(soakSeconds / 60)} minutes, the real \`lifeline run\` process

| measure | value | target |
| --- | ---: | --- |
| results | ${n(soak.results)} (${n(soak.perSecond, 1)}/s) | 166.7/s |
| scheduler lag p50 / p99 / max | ${soak.lagP50} / ${soak.lagP99} / ${soak.lagMax} ms | p99 < 50 ms: ${verdict(soak.lagP99 < 50)} |
| peak RSS | ${n(soak.peakRssMb)} MB | < 250 MB: ${verdict(soak.peakRssMb < 250)} |
| CPU | ${pct(soak.cpuShare)} of one core | < 15%: ${verdict(soak.cpuShare < 0.15)} |

RSS and CPU are read from /proc for the CLI process alone; lag is \`time - scheduledAt\` of every logged result.
The process runs with \`--max-old-space-size=${HEAP_MB}\`, the heap Node sizes for itself in a pod with a 256 MiB memory limit; its live heap is about 50 MB.
Without a limit on a 24 GiB machine V8 defers full collections and the same run peaked at 322 MB RSS (measured 2026-11-26).

### (c) SQLite store

| measure | value | target |
| --- | ---: | --- |
| results written, batches of 1,000 from 1,000 checks | ${n(storage.writesPerSecond)}/s | >= 100k/s: ${verdict(storage.writesPerSecond >= 100_000)} |
| the same, with the compaction that folds them into rollups | ${n(storage.writeAndCompactPerSecond)}/s | |
| 30-day uptime of ${n(storage.uptimeChecks)} checks from daily rollups (720k results stored) | ${storage.uptimeQueryMs.toFixed(1)} ms | < 100 ms: ${verdict(storage.uptimeQueryMs < 100)} |
| bytes per stored result: the results table / the whole file, rollups included | ${storage.bytesPerResultRawTable?.toFixed(1) ?? 'n/a'} / ${storage.bytesPerResultFile.toFixed(1)} | <= 100: ${verdict(storage.bytesPerResultFile <= 100)} |
`,
);
