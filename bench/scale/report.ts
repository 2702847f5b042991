// The bench:scale section of docs/benchmarks.md: a row per size and build, then the goals of
// issue #14 (goal 2), met or the distance.
import type { Measurement, Settings } from './measure.js';

const MB_IN_MIB = 1e6 / 1_048_576;
/** Goal: RSS <= 80 MB at 1,000 checks; 80 MB read strictly, as 80 x 10^6 bytes. */
const RSS_1K_MIB = 80 * MB_IN_MIB;
const RSS_100K_MIB = 512;
const LAG_P99_MS = 50;
const START_MS = 3_000;

const n = (x: number | undefined, digits = 0) =>
  x === undefined || Number.isNaN(x)
    ? '—'
    : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const label = (m: Measurement) =>
  `${n(m.scenario.checks)}${m.scenario.everyS === 60 ? '' : ` \`every: ${m.scenario.everyS}s\``}${m.scenario.keepAlive ? ', `keepAlive: true`' : ', a new connection per run (default)'}${m.scenario.heapMb === undefined ? '' : `, \`--max-old-space-size=${m.scenario.heapMb}\``}${m.scenario.mallocArenas === undefined ? '' : `, \`MALLOC_ARENA_MAX=${m.scenario.mallocArenas}\``}`;

/** The monitor said its stdout did not keep up: results/s and lag then count only the lines that reached the bench. */
const dropped = (m: Measurement) => (m.problems ?? []).some((p) => p.includes('log lines are being dropped'));

function row(m: Measurement): string {
  if (m.failed)
    return `| ${label(m)} | ${m.build} | **failed**: ${m.failed.replaceAll('|', '/').replaceAll('\n', ' ')} |||||||||`;
  return `| ${label(m)} | ${m.build} | ${n(m.listeningMs)} | ${n(m.firstResultMs)} | ${n(m.rssMedianMb, 1)} / ${n(m.rssPeakMb, 1)} | ${n(m.lifePeakMb, 1)} | ${n((m.cpuShare ?? 0) * 100, 1)}% | ${n(m.lagP50)} / ${n(m.lagP99)} / ${n(m.lagMax)} | ${n(m.perSecond, 1)} / ${n(m.expectedPerSecond, 1)}${dropped(m) ? ' (lines dropped)' : ''} | ${n(m.checksSeen)} |`;
}

const verdict = (ok: boolean, distance: string) => (ok ? 'met' : `**not met** (${distance})`);

/** The goal lines for the rows of this build (the last build measured at each size). */
function goals(rows: readonly Measurement[]): string[] {
  const mine = rows.filter((r) => r.build === 'this build');
  const lines: string[] = [];
  const at1k = mine.filter((r) => r.scenario.checks === 1000 && r.scenario.heapMb === undefined && !r.failed);
  for (const r of at1k) {
    if (r.rssPeakMb === undefined) continue;
    const over = r.rssPeakMb - RSS_1K_MIB;
    const how = r.scenario.mallocArenas === undefined ? '' : ` with \`MALLOC_ARENA_MAX=${r.scenario.mallocArenas}\``;
    lines.push(
      `- RSS ≤ 80 MB (${n(RSS_1K_MIB, 1)} MiB) at 1,000 checks${how}: peak in the window ${n(r.rssPeakMb, 1)} MiB (median ${n(r.rssMedianMb, 1)}) — ${verdict(over <= 0, `${n(over, 1)} MiB over`)}.`,
    );
  }
  if (at1k.length === 0) lines.push('- RSS ≤ 80 MB at 1,000 checks: not measured in this run.');
  for (const r of mine.filter((m) => m.scenario.checks === 100_000)) {
    const mode = `${r.scenario.keepAlive ? '`keepAlive: true`' : 'a new connection per run'}${r.scenario.everyS === 60 ? '' : `, \`every: ${r.scenario.everyS}s\` (the goal asks 60 s)`}${r.scenario.heapMb === undefined ? '' : `, \`--max-old-space-size=${r.scenario.heapMb}\``}`;
    if (r.failed) {
      lines.push(`- 100,000 checks, ${mode}: **not met**, the monitor did not run: ${r.failed}`);
      continue;
    }
    const rss = r.rssPeakMb ?? Number.NaN;
    const lag = r.lagP99 ?? Number.NaN;
    const start = r.listeningMs ?? Number.NaN;
    lines.push(
      `- 100,000 checks, ${mode}: RSS ≤ 512 MiB — peak ${n(rss, 1)} MiB, ${verdict(rss <= RSS_100K_MIB, `${n(rss - RSS_100K_MIB, 1)} MiB over`)}; lag p99 < 50 ms — ${n(lag)} ms, ${verdict(lag < LAG_P99_MS, `${n(lag - LAG_P99_MS)} ms over`)}; start-up < 3 s (spawn to listening) — ${n(start / 1000, 2)} s, ${verdict(start < START_MS, `${n((start - START_MS) / 1000, 2)} s over`)}; ${n(r.perSecond, 1)} of ${n(r.expectedPerSecond, 1)} results/s.`,
    );
  }
  return lines;
}

/** Measured once by hand (not by this bench), kept here so each rerun of the section keeps it. */
const WHERE_IT_GOES = `**Where the RSS of 1,000 checks goes** (2026-11-27, measured by hand on this machine: /proc/PID/smaps of a monitor of this bench's 1,000 checks 20 s after its start, with the young generation held; \`process.memoryUsage()\` and V8's heap spaces from a preload): 84 MB in all, of which **44 MB are /usr/bin/node's own pages** (file-backed, shared with every Node process: a bare node:http server that does nothing touches 33 MB of them and has 43.5 MB of RSS), 6 MB shared libraries (libstdc++, libc, better-sqlite3's addon), and 35 MB anonymous: V8's heap (29 MB committed: old space 25, code 1.8, large objects 1.5, young generation 1) and malloc's (4.4 MB of it external memory). With 1 check the same monitor has 72 MB of RSS and 17 MB of old space: about 13 KB of RSS per check above a 72 MB floor.

What was cut (issue #14, goal 2), each measured side by side:
- **The young generation** (src/runtime/young-generation.ts): V8 grew it to 16 MiB per semi-space (32 MiB, mostly empty) within seconds of a start. \`lifeline run\` now holds it at its first size (1 MiB per semi-space) from before the config loads; a config over 1 MiB of YAML (about 5,000 checks) loads first, since holding it during the load of 100,000 checks cost 25–45% more CPU (\`lifeline validate\` of 100,000 checks, 12.2–12.7 s of CPU with 16 MiB semi-spaces against 15.2–17.9 s with 2 MiB, two rounds). In four runs of 1,000 checks (40 s and 30 s windows), RSS median / peak: 113 / 120 MiB as V8 grows it, 87 / 93 and 83 / 87 with \`--max-semi-space-size=1\`, 86 / 90 with \`=2\`; CPU 4.5% against 4.2–5.2%. V8 does not give a grown young generation back while the process keeps allocating (a forced full collection did not shrink it), which is why it is held before the monitor starts rather than capped later.
- **The dashboard's compression at start** (server/static.ts, static-encodings.ts): the web build writes each file's .br and .gz (packages/web/scripts/precompress.mjs, a Vite plugin) and the monitor serves them as they are; loading the dashboard took +7.4 MiB of RSS and 235 ms of CPU (brotli at quality 11 on the thread pool, whose encoder memory stayed in the process) and takes +1.1 MiB and 12 ms.
- **Result lines in batches and undici's reset error without a stack** (2026-11-27, logger.ts: a line waits for 4 KiB of lines or 250 ms; probes/undici.ts): measured for CPU side by side in bench:blackbox (before ÷ after 1.27× at 50 and at 200 probes/s). Against the previous run of this bench (20:24–20:35 the same day, the build before them; not side by side): 100,000 checks \`every: 300s\` with a 384 MiB heap went from 37.9% of a core, lag p99 89 ms and 370 / 420 MiB to 25.6%, 13 ms and 323 / 386 MiB; \`every: 60s\` from 92% and 2.6 s to 69% and 1.7 s.
- **glibc's malloc arenas** (the image sets \`MALLOC_ARENA_MAX=1\`, deploy/docker/Dockerfile): of the 35–45 MB of anonymous memory, about half is malloc's, not V8's: the main arena and one arena per thread that allocated at once (V8's compiler and GC threads, libuv's pool; one of 10 MB), each keeping what was freed in it. The rows with \`MALLOC_ARENA_MAX\` show the cut, side by side with glibc's default (8 arenas per core) in the same run. By hand (2026-11-27, 60 s windows, two rounds): \`MALLOC_MMAP_THRESHOLD_=131072\` cut as much (74.4–74.8 MiB median) but took 15–20% more CPU (every allocation over 128 KiB an mmap and munmap), so it is not set. An environment variable is read when the process starts, so only the image (and whoever starts \`lifeline run\` another way) can set it.
- Tried and not kept (1,000 checks, young generation held, RSS median / peak): \`--optimize-for-size\` 84 / 85 MiB, \`--single-threaded-gc\` 95 / 98, \`--v8-pool-size=1\` 82 / 84, against 83 / 87 without: nothing above this machine's noise. \`--heap-growing-percent=10\` and \`--initial-old-space-size=8\` (79 / 84, 79 / 85 against 81 / 86, by hand) neither. The live heap of 1,000 checks is 15 MiB (a heap snapshot); V8 holds 20–23 MiB for it between full collections.
- Loaded only when used since (2026-11-27), measured before in a process that already holds the rest of the monitor's modules: badge-maker (loaded by server/routes/badges.ts at start before, now at the first badge request) holds 3.6 MiB of heap, +2.3 MiB RSS and 77 ms of CPU; pg (store/open.ts loaded it with SQLite too; now only for PostgreSQL) 0.5 MiB of heap, +0.6 MiB RSS and 18 ms; nodemailer already loads only when an e-mail goes out. The rest above the floor is per check (about 8 KB of old space each).`;

export function report(
  rows: readonly Measurement[],
  context: { command: string; machine: string; settings: Settings },
): string {
  const { settings } = context;
  const pinned =
    settings.cpu === undefined
      ? 'Nothing is pinned.'
      : `The monitor is pinned to CPU ${settings.cpu} (\`taskset -c ${settings.cpu}\`, every thread: the SQLite writer and libuv's pool too); the target and the bench to the other CPU(s).`;
  const problems = rows
    .filter((r) => (r.problems?.length ?? 0) > 0)
    .map((r) => `- ${label(r)}, ${r.build}: ${r.problems?.slice(0, 3).join(' / ').slice(0, 400)}`);
  return `## lifeline run at scale: 1,000 to 100,000 checks on one core

Command: ${context.command}.
Machine: ${context.machine}; other work on the machine moves absolute figures: compare rows of one run.
The real \`lifeline run\` (compiled, its own process, ${settings.nodeArgs.length > 0 ? `node flags \`${settings.nodeArgs.join(' ')}\`` : 'no Node flags: the heap Node sizes for itself'}) with N http checks \`every: 60s\` (unless the row says otherwise), \`jitter\` equal to \`every\`, each its own URL on one keep-alive node:http target in its own process on loopback; results in SQLite in a temp dir; JSON lines to a pipe the bench reads. ${pinned}

- **start: listening** is spawn to the "monitor started" line (config loaded, store open, API listening, scheduler started); **first result** is spawn to the first result line.
- After a warm-up of ${settings.warmupS} s, a window of ${settings.windowS} s. Each run of a check is due at a random point of its minute (the jitter), so two runs of one check can be up to twice its interval apart (120 s at \`every: 60s\`): ${settings.windowS >= 120 ? 'every check `every: 60s` runs at least once in the window (checks seen says how many of a longer interval did)' : 'in a window under 120 s some checks may not run (checks seen says how many did)'}. **RSS** is VmRSS of /proc/PID/status sampled each second (median / peak of the window); **life peak** is VmHWM at its end (loading included). **CPU** is utime + stime of /proc/PID/stat over the window, all threads, as a share of one core. **Lag** is \`time - scheduledAt\` of every result line in the window. **Results/s**: measured / expected (N ÷ \`every\`). **Checks seen**: distinct checks with a result in the window.
- 100,000 checks \`every: 60s\` are 1,667 probes/s: with a new connection per probe (the default, ~0.5 ms of CPU each) that takes most of one core; with \`keepAlive: true\` each check keeps its connection. Both are measured and labelled.

| checks | build | start: listening ms | start: first result ms | RSS MiB median / peak | life peak MiB | CPU | lag p50 / p99 / max ms | results/s | checks seen |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.map(row).join('\n')}

Goals (issue #14, goal 2; this build):
${goals(rows).join('\n')}

${WHERE_IT_GOES}
${rows.some(dropped) ? '\n"Lines dropped": the monitor said its stdout did not keep up and dropped log lines (its results were still stored); results/s, lag and checks seen of that row count only the lines the bench read.\n' : ''}${problems.length > 0 ? `\nWhat the monitors reported on stderr or at error level:\n${problems.join('\n')}\n` : ''}`;
}
