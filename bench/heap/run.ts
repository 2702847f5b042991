/**
 * How much heap `lifeline run` needs for N checks: the smallest --max-old-space-size that loads the
 * config (YAML parse, validation, resolution: the peak), that starts the monitor, and that runs every
 * check once; and the heap still used at each step (after a full collection). Each trial is its own
 * process (bench/heap/child.mjs); a V8 abort means "too small". Writes its section of docs/benchmarks.md.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PrescanCounts, prescan } from '../../packages/prober/src/config/yaml-limits.js';
import { machine, ROOT, startTarget, writeSection } from '../common.js';

const CHILD = join(ROOT, 'bench/heap/child.mjs');
const MiB = 1024 * 1024;
/** Binary search precision, MiB. */
const STEP = Number(process.env.BENCH_HEAP_STEP ?? 2);

type Shape = 'realistic' | 'minimal';
interface Size {
  readonly shape: Shape;
  readonly checks: number;
}
const SIZES: readonly Size[] = (
  process.env.BENCH_HEAP_SIZES ?? 'realistic:1000,realistic:5000,realistic:10000,realistic:14000,minimal:19000'
)
  .split(',')
  .map((s) => {
    const [shape, n] = s.split(':');
    return { shape: shape as Shape, checks: Number(n) };
  });

/** realistic: an http check with a URL, `every: 60s` and two conditions; minimal: name, URL and `every: 60s`. */
function config(size: Size, target: string): string {
  const lines = ['storage: none', 'checks:'];
  for (let i = 0; i < size.checks; i++) {
    const id = String(i).padStart(5, '0');
    lines.push(`  - name: svc-${id}`, `    url: ${target}?svc=svc-${id}.apps.svc.cluster.local`, '    every: 60s');
    if (size.shape === 'realistic')
      lines.push('    conditions:', '      - "[STATUS] == 200"', '      - "[RESPONSE_TIME] < 1000"');
  }
  return `${lines.join('\n')}\n`;
}

/** The counts the config loader's prescan takes from the lexer. */
function yamlCounts(text: string): PrescanCounts {
  const counts: PrescanCounts = { tokens: 0, nodes: 0, names: 0, conditions: 0 };
  const refused = prescan(text, counts);
  if (refused) throw new Error(refused);
  return counts;
}

type Mode = 'load' | 'once' | 'start' | 'steady';
interface Trial {
  readonly ok: boolean;
  readonly out?: Record<string, number>;
}

function trial(mode: Mode, file: string, checks: number, heapMb: number): Promise<Trial> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', `--max-old-space-size=${heapMb}`, CHILD, mode, file, String(checks)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').pop();
      resolve(code === 0 && line ? { ok: true, out: JSON.parse(line) } : { ok: false });
    });
  });
}

/** The smallest --max-old-space-size (MiB, to STEP) at which MODE succeeds. */
async function smallest(mode: Mode, file: string, checks: number, from: number): Promise<number> {
  let lo = 4; // fails (assumed)
  let hi = from;
  while (!(await trial(mode, file, checks, hi)).ok) {
    lo = hi;
    hi *= 2;
    if (hi > 4096) throw new Error(`${mode} ${file}: does not fit in 4 GiB`);
  }
  while (hi - lo > STEP) {
    const mid = Math.round((lo + hi) / 2);
    if ((await trial(mode, file, checks, mid)).ok) hi = mid;
    else lo = mid;
  }
  return hi;
}

interface Row {
  readonly size: Size;
  readonly bytes: number;
  readonly nodes: number;
  readonly tokens: number;
  readonly minLoad: number;
  readonly minStart: number;
  readonly minSteady: number;
  readonly minOnce: number;
  readonly minOnceRefused: number;
  readonly before: number;
  readonly loaded: number;
  readonly started: number;
  readonly steady: number;
  readonly rssSteady: number;
  readonly once: number;
}

/** Measures every size, each in its own processes. */
async function measure(): Promise<Row[]> {
  const rows: Row[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-heap-'));
  const target = await startTarget();
  try {
    for (const size of SIZES) {
      const file = join(dir, `${size.shape}-${size.checks}.yaml`);
      const text = config(size, target.url);
      writeFileSync(file, text);
      const bytes = Buffer.byteLength(text);
      const { nodes, tokens } = yamlCounts(text);
      const big = await trial('steady', file, size.checks, 1024);
      if (!big.ok || !big.out) throw new Error(`${file}: did not run with a 1 GiB heap`);
      const minLoad = await smallest('load', file, size.checks, 16);
      const minStart = await smallest('start', file, size.checks, minLoad);
      const minSteady = await smallest('steady', file, size.checks, minStart);
      const onceBig = await trial('once', file, size.checks, 1024);
      if (!onceBig.ok || !onceBig.out) throw new Error(`${file}: check --once did not run with a 1 GiB heap`);
      const minOnce = await smallest('once', file, size.checks, minLoad);
      // The quickest failure there is: every check's connection refused on loopback.
      const refusedFile = join(dir, `${size.shape}-${size.checks}-refused.yaml`);
      writeFileSync(refusedFile, config(size, 'http://127.0.0.1:9/healthz'));
      const minOnceRefused = await smallest('once', refusedFile, size.checks, minLoad);
      const o = big.out as Record<string, number>;
      const row: Row = {
        size,
        bytes,
        nodes,
        tokens,
        minLoad,
        minStart,
        minSteady,
        minOnce,
        minOnceRefused,
        once: (onceBig.out.once as number) - (onceBig.out.before as number),
        before: o.before as number,
        loaded: o.loaded as number,
        started: o.started as number,
        steady: o.steady as number,
        rssSteady: o.rssSteady as number,
      };
      console.log(JSON.stringify(row));
      rows.push(row);
    }
  } finally {
    target.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

// BENCH_HEAP_FROM=FILE writes the section from the JSON rows an earlier run printed (one per line), without
// measuring again: to show the model of config/heap.ts, once refitted, next to the same figures.
const from = process.env.BENCH_HEAP_FROM;
const rows: Row[] = from
  ? readFileSync(from, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{"size"'))
      .map((line) => JSON.parse(line) as Row)
  : await measure();

const n = (x: number, digits = 0) =>
  x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mib = (x: number) => n(x / MiB, 1);
/** Over what the process used before it read the config: the terms of config/heap.ts. */
const over = (r: Row, heapMb: number) => heapMb * MiB - r.before;
const table = rows
  .map(
    (r) =>
      `| ${r.size.shape} | ${n(r.size.checks)} | ${mib(r.bytes)} | ${n(r.nodes)} | ${r.minLoad} | ${r.minStart} | ${r.minSteady} | ${r.minOnce} | ${r.minOnceRefused} | ${mib(r.loaded - r.before)} | ${mib(r.steady - r.before)} |`,
  )
  .join('\n');
// The model as it is now in the code (the figures above are what it is fitted to).
const { loadNeed, useNeed } = await import('../../packages/prober/src/config/heap.js');
const { fastCounts } = await import('../../packages/prober/src/config/fast-yaml.js');
/** The loader's lower bound for this config, by the path that reads it (these plain block configs: the fast one). */
const loadBound = (size: Size, bytes: number) => {
  const text = config(size, 'http://127.0.0.1:9/healthz');
  return loadNeed({ ...yamlCounts(text), bytes }, fastCounts(text) ? 'fast' : 'full');
};
const model = rows
  .map(
    (r) =>
      `| ${r.size.shape} | ${n(r.size.checks)} | ${mib(loadBound(r.size, r.bytes))} / ${mib(over(r, r.minLoad))} | ${mib(useNeed(r.size.checks, 'run'))} / ${mib(r.steady - r.before)} | ${mib(useNeed(r.size.checks, 'once'))} / ${mib(over(r, Math.min(r.minOnce, r.minOnceRefused)))} |`,
  )
  .join('\n');

writeSection(
  'heap',
  `## lifeline run: heap per check

Command: \`npm run bench:heap\` (BENCH_HEAP_SIZES=${SIZES.map((s) => `${s.shape}:${s.checks}`).join(',')}, BENCH_HEAP_STEP=${STEP} MiB).
Machine: ${machine()}.
Each trial is its own process (bench/heap/child.mjs) that does what the CLI does, without the CLI's own heap check, so that a heap too small ends in V8's abort, which is the measurement: it loads the config (YAML parse, validation, resolution), then either starts the monitor (\`storage: none\`, port 0) and waits until every check ran once, or runs every check at once as \`check --once\` does, against a keep-alive target on loopback (and once more against a port that refuses every connection).
*realistic*: an http check with a URL, \`every: 60s\` and two conditions (\`[STATUS] == 200\`, \`[RESPONSE_TIME] < 1000\`); *minimal*: a name, a URL and \`every: 60s\`. YAML nodes: scalars (plain and quoted), as the loader's prescan counts them.
"Smallest heap" is the smallest \`--max-old-space-size\` (MiB, to ${STEP} MiB) that got that far; "held" is the old generation still in use after a full collection (with a 1 GiB heap), less the ${mib(rows[0]?.before ?? 0)} MiB used before the config was read.

| shape | checks | YAML MiB | YAML nodes | smallest heap: load | start | every check run once | \`check --once\` | \`check --once\`, connections refused | held after load, MiB | held, running |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${table}

These configs are plain block YAML, which the loader reads by its fast path (config/fast-yaml.ts: plain values, no \`yaml\` Document; conditions parsed once per distinct text): loading peaks at 150 to 270 bytes per YAML node with the resolved config (2026-11-27: 14.4 MiB for 10,000 realistic checks), where the \`yaml\` Document that any other config still goes through took about 2 MiB plus 770 bytes per node and 700 more per condition (8.4 KB for a realistic check, 82 MiB for 10,000; measured 2026-11-26, before the fast path). Loading is no longer the peak of \`run\`: the running monitor holds about 2.5 KB per check (2026-11-27: one timer for every check, no undici Client kept without keepAlive, conditions shared, per-check series written at scrape time), against 4.7 to 5.7 KB before, and V8 needs room on top. \`check --once\` starts every check at once: all are in flight together, about 9.3 to 10 KB each when every connection is refused (the quickest failure) and 12 KB against a server that answers, more when DNS or the targets are slow.

**The heap check** (packages/prober/src/config/heap.ts, \`LIFELINE_ERR_HEAP\`, exit 2) compares these needs with the old generation the process has left (\`--max-old-space-size\`, or Node's own sizing, less what is in use) before the YAML document is built (counts from the lexer), and again with the exact number of checks once the config is resolved (\`run\`: the monitor; \`check --once\`: every check in flight). It refuses only when a lower bound of the need does not fit, so that a config that would have loaded is never refused; the number of checks it says fit comes from an upper bound, so that many do. Between the two a config is let through and V8 may still abort: for loading by the fast path the lower bound is about a third under what was measured (more for small configs: it leaves out the fixed part), for the yaml Document's path 10 to 15% (fitted 2026-11-26); for \`run\` about a fifth, for \`check --once\` the gap depends on the targets. The lower bound next to what was measured (MiB over what was used before the config was read; the first must stay below the second):

| shape | checks | load: lower bound / smallest that loaded | running: lower bound / held | \`check --once\`: lower bound / smallest that ran |
| --- | ---: | ---: | ---: | ---: |
${model}
`,
);
