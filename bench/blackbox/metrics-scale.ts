// What the per-check metrics cost at scale (issue 14, goals 2 and 3): heap held per check, time
// per counted run, and one /metrics scrape (time, size) at 10,000 and 100,000 checks, for this
// build and, with BENCH_COMPARE_REV, another revision's (built from git archive), side by side.
// Prints a table; it writes nothing to docs/benchmarks.md (bench:blackbox's section quotes it).
//   node --import tsx bench/blackbox/metrics-scale.ts   (BENCH_METRICS_CHECKS=10000,100000)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from '../common.js';
import { buildRevision } from '../revision.js';

const SIZES = (process.env.BENCH_METRICS_CHECKS ?? '10000,100000').split(',').map(Number);
const COMPARE_REV = process.env.BENCH_COMPARE_REV;

// Runs in a child of its own (--expose-gc, a fresh heap): argv = [metrics.js URL, checks].
const CHILD = `
const { createMetrics } = await import(process.argv[1]);
const n = Number(process.argv[2]);
const gc = () => { for (let i = 0; i < 4; i++) globalThis.gc(); };
const phases = { dns: 0.1, connect: 0.2, tls: 0, ttfb: 1.1, transfer: 0.1, total: 1.5 };
const results = Array.from({ length: n }, (_, i) => ({ check: 'check-' + i, ok: true, status: 200, phases, durationMs: 1.5 }));
const latest = new Map(results.map((r) => [r.check, r]));
gc();
const h0 = process.memoryUsage().heapUsed;
const metrics = createMetrics(() => latest);
for (const r of results) metrics.observe(r);
gc();
const held = (process.memoryUsage().heapUsed - h0) / n;
let t = performance.now();
for (let k = 0; k < 3; k++) for (const r of results) metrics.observe(r);
const observeUs = ((performance.now() - t) * 1000) / (3 * n);
const scrapes = [];
let bytes = 0;
// In a function of its own: its last text is garbage once it returns.
const scrape = async () => {
  const t0 = performance.now();
  bytes = Buffer.byteLength(await metrics.registry.metrics());
  scrapes.push(performance.now() - t0);
};
for (let k = 0; k < 3; k++) await scrape();
await new Promise((resolve) => setImmediate(resolve));
gc();
const after = (process.memoryUsage().heapUsed - h0) / n;
console.log(JSON.stringify({ held, observeUs, scrapes, bytes, after }));
`;

function measure(metricsJs: string, checks: number) {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--input-type=module', '-e', CHILD, `file://${metricsJs}`, String(checks)],
    { encoding: 'utf8', timeout: 600_000, maxBuffer: 1 << 20 },
  );
  return JSON.parse(out) as { held: number; observeUs: number; scrapes: number[]; bytes: number; after: number };
}

const tmp = mkdtempSync(join(tmpdir(), 'lifeline-metrics-scale-'));
try {
  const builds = [{ label: 'this build', js: join(ROOT, 'packages/prober/dist/server/metrics.js') }];
  if (COMPARE_REV) {
    const before = buildRevision(COMPARE_REV, tmp);
    builds.unshift({ label: `before (${before.label})`, js: join(dirname(before.bin), '../dist/server/metrics.js') });
  }
  console.log(
    '| checks | build | heap per check held by the counts, bytes | µs per counted run | one scrape, ms (3 scrapes) | scrape size MiB | heap per check after scrapes, bytes |',
  );
  console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const checks of SIZES)
    for (const build of builds) {
      const m = measure(build.js, checks);
      console.log(
        `| ${checks.toLocaleString('en-US')} | ${build.label} | ${Math.round(m.held)} | ${m.observeUs.toFixed(2)} | ${m.scrapes.map((s) => Math.round(s)).join(' / ')} | ${(m.bytes / 1_048_576).toFixed(1)} | ${Math.round(m.after)} |`,
      );
    }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
