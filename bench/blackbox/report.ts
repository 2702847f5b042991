// The docs/benchmarks.md section of bench:blackbox, from its runs.
import { median } from '../common.js';
import { HEAP_MB } from '../prober/throughput.js';
import { EVERY_S, PROBE_TIMEOUT_S } from './probers.js';

/** Issue 14, goal 3: blackbox_exporter's CPU per probe ÷ Lifeline's. */
export const GOAL_RATIO = 2;

export interface Run {
  /** `before`: the BENCH_COMPARE_REV build of lifeline run. */
  readonly prober: 'blackbox' | 'lifeline' | 'before';
  /** Probes/s asked of it. */
  readonly rate: number;
  readonly round: number;
  /** Probes finished per second in the window. */
  readonly perSecond: number;
  readonly failed: number;
  /** Probes the driver did not send because 16 were in flight (blackbox only). */
  readonly missed: number;
  readonly cpuMsPerProbe: number;
  /** The part of it in user mode; the rest is the kernel's (connect, close, socket reads and writes). */
  readonly userMsPerProbe: number;
  /** CPU time over the window ÷ the window: a share of one core. */
  readonly cpuShare: number;
  readonly peakRssMib: number;
  /** New connections the target accepted per probe answered. */
  readonly connectionsPerProbe: number;
  /** The target's own CPU per request: the same work for both, if both probe alike. */
  readonly targetUsPerProbe: number;
}

interface Setup {
  readonly machine: string;
  readonly version: string;
  readonly rates: readonly number[];
  readonly rounds: number;
  readonly durationS: number;
  readonly warmupS: number;
  /** The BENCH_COMPARE_REV revision measured as `before`, if any. */
  readonly before?: string;
}

const NAME = { blackbox: 'blackbox_exporter', lifeline: 'lifeline run', before: 'lifeline run, before' } as const;

const n = (x: number, digits = 0) =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Total CPU ms, then its user and kernel parts. */
const split = (total: number, user: number) => `${n(total, 3)} (${n(user, 3)} + ${n(total - user, 3)})`;
const kernel = (r: Run) => r.cpuMsPerProbe - r.userMsPerProbe;
const pct = (x: number) => `${n(x * 100)}%`;

interface RateFigures {
  readonly rate: number;
  readonly blackbox: number;
  readonly lifeline: number;
  readonly ratio: number;
  /** Median user-mode and kernel CPU ms per probe, each its own median. */
  readonly user: { readonly blackbox: number; readonly lifeline: number };
  readonly kernel: { readonly blackbox: number; readonly lifeline: number };
  readonly perRound: readonly number[];
  readonly rss: { readonly blackbox: number; readonly lifeline: number };
  readonly perSecond: { readonly blackbox: number; readonly lifeline: number };
}

function figures(runs: readonly Run[], rate: number): RateFigures {
  const of = (prober: Run['prober']) => runs.filter((r) => r.rate === rate && r.prober === prober);
  const [b, l] = [of('blackbox'), of('lifeline')];
  const perRound = b.flatMap((x) => {
    const y = l.find((r) => r.round === x.round);
    return y ? [x.cpuMsPerProbe / y.cpuMsPerProbe] : [];
  });
  const cpu = (xs: readonly Run[]) => median(xs.map((r) => r.cpuMsPerProbe));
  return {
    rate,
    blackbox: cpu(b),
    lifeline: cpu(l),
    ratio: cpu(b) / cpu(l),
    user: { blackbox: median(b.map((r) => r.userMsPerProbe)), lifeline: median(l.map((r) => r.userMsPerProbe)) },
    kernel: { blackbox: median(b.map(kernel)), lifeline: median(l.map(kernel)) },
    perRound,
    rss: { blackbox: median(b.map((r) => r.peakRssMib)), lifeline: median(l.map((r) => r.peakRssMib)) },
    perSecond: { blackbox: median(b.map((r) => r.perSecond)), lifeline: median(l.map((r) => r.perSecond)) },
  };
}

/** The before/after table (BENCH_COMPARE_REV): each rate's medians, and each round's own before ÷ after. */
function compared(runs: readonly Run[], rates: readonly number[], rev: string): string {
  const lines = rates.map((rate) => {
    const of = (prober: Run['prober']) => runs.filter((r) => r.rate === rate && r.prober === prober);
    const [b, before, after] = [of('blackbox'), of('before'), of('lifeline')];
    const cpu = (xs: readonly Run[]) => median(xs.map((r) => r.cpuMsPerProbe));
    const user = (xs: readonly Run[]) => median(xs.map((r) => r.userMsPerProbe));
    const rss = (xs: readonly Run[]) => median(xs.map((r) => r.peakRssMib));
    const perRound = before.flatMap((x) => {
      const y = after.find((r) => r.round === x.round);
      return y ? [n(x.cpuMsPerProbe / y.cpuMsPerProbe, 2)] : [];
    });
    return `| ${rate} | ${n(cpu(before), 3)} (${n(user(before), 3)}) | ${n(cpu(after), 3)} (${n(user(after), 3)}) | **${n(cpu(before) / cpu(after), 2)}×** (${perRound.join(', ')}) | ${n(cpu(b) / cpu(before), 2)}× | ${n(cpu(b) / cpu(after), 2)}× | ${n(rss(before), 1)} / ${n(rss(after), 1)} |`;
  });
  return `
Before and after (BENCH_COMPARE_REV=${rev}, built from git archive and run as a third prober in the same rounds, the order rotating each round):

| probes/s asked | before: CPU ms per probe (user) | after: CPU ms per probe (user) | before ÷ after (per round) | blackbox ÷ before | blackbox ÷ after | peak RSS MiB: before / after |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${lines.join('\n')}
`;
}

function verdict(f: RateFigures): string {
  const spread = `per round ${n(Math.min(...f.perRound), 2)}–${n(Math.max(...f.perRound), 2)}×`;
  if (f.ratio >= GOAL_RATIO) return `at ${f.rate}/s ${n(f.ratio, 2)}× (${spread}), met`;
  return `at ${f.rate}/s ${n(f.ratio, 2)}× (${spread}), **not met**: Lifeline spends ${n(f.lifeline, 3)} ms per probe where ${GOAL_RATIO}× would be ${n(f.blackbox / GOAL_RATIO, 3)} ms`;
}

export function report(runs: readonly Run[], s: Setup): string {
  const perRate = s.rates.map((rate) => figures(runs, rate));
  const summary = perRate.map(
    (f) =>
      `| ${f.rate} | ${n(f.perSecond.blackbox, 1)} / ${n(f.perSecond.lifeline, 1)} | ${n(f.blackbox, 3)} | ${n(f.lifeline, 3)} | ${n(f.user.blackbox, 3)} / ${n(f.user.lifeline, 3)} | ${n(f.kernel.blackbox, 3)} / ${n(f.kernel.lifeline, 3)} | **${n(f.ratio, 2)}×** (${f.perRound.map((x) => n(x, 2)).join(', ')}) | ${n(f.rss.blackbox, 1)} / ${n(f.rss.lifeline, 1)} |`,
  );
  const rows = runs.map(
    (r) =>
      `| ${r.round} | ${r.rate} | ${NAME[r.prober]} | ${n(r.perSecond, 1)} | ${r.failed} / ${r.missed} | ${split(r.cpuMsPerProbe, r.userMsPerProbe)} | ${n(r.cpuShare * 100, 1)}% | ${n(r.peakRssMib, 1)} | ${n(r.connectionsPerProbe, 2)} | ${n(r.targetUsPerProbe)} |`,
  );
  const metAt = perRate.filter((f) => f.ratio >= GOAL_RATIO).map((f) => `${f.rate}/s`);
  const overall =
    metAt.length === perRate.length
      ? 'Met at every rate.'
      : metAt.length === 0
        ? 'The goal is **not met** at any rate measured.'
        : `The goal is met at ${metAt.join(', ')} only.`;
  const where = perRate.map(
    (f) =>
      `at ${f.rate}/s Lifeline's user-mode CPU per probe is ${pct(f.user.lifeline / f.user.blackbox)} of the exporter's and its kernel CPU ${pct(f.kernel.lifeline / f.kernel.blackbox)}`,
  );
  return `
## lifeline vs blackbox_exporter: CPU per probe, a new connection each

Command: \`npm run bench:blackbox\` (BENCH_RATES=${s.rates.join(',')} probes/s, BENCH_ROUNDS=${s.rounds}, BENCH_DURATION=${s.durationS} s per run after BENCH_WARMUP=${s.warmupS} s of warm-up).
Machine: ${s.machine}. blackbox_exporter ${s.version} (Debian's \`prometheus-blackbox-exporter\`).
The target is a keep-alive node:http server in its own process on loopback, answering 200 with a 17-byte JSON body; it counts the connections it accepts. Both probe the same URL of it at the same rate, with a new connection per probe and a ${PROBE_TIMEOUT_S} s timeout:
- **blackbox_exporter** runs on 127.0.0.1 with its own config, one module \`http_2xx\` (\`prober: http\`, GET, 2xx passes; it builds a new HTTP client for every probe, so it never reuses a connection). A driver in the bench process asks it for \`/probe?module=http_2xx&target=…\` at the fixed rate, as Prometheus scrapes it: over keep-alive connections, with the scrape-timeout header, at most 16 in flight (more would count as missed), and checks \`probe_success 1\` in each answer. Keep-alive scrapes are what Prometheus does, and the cheaper way for the exporter: it pays for no connection of its own per probe but the one to the target.
- **lifeline run** is the real CLI (compiled, \`--max-old-space-size=${HEAP_MB}\`) with as many checks as probes/s, each \`every: ${EVERY_S}s\`, \`jitter: ${EVERY_S}s\` (spread over the second), \`keepAlive: false\`, and \`storage: none\`: like the exporter it only probes and keeps metrics. It also writes its JSON line per result (in batches, at most 250 ms apart), to a pipe the bench reads to count results; the exporter, for its part, answers an HTTP request and encodes a fresh registry per probe.

Each run starts its prober alone, fresh; the order ${s.before ? 'rotates' : 'alternates'} each round. CPU is utime + stime of the prober's process from /proc/PID/stat (every thread, 10 ms ticks) over the same wall window; RSS is the window's peak, sampled each second. Neither side is charged for the driver (the bench process, standing in for Prometheus) nor the target.

| probes/s asked | done: blackbox / lifeline | blackbox_exporter CPU ms per probe | lifeline CPU ms per probe | user-mode ms: blackbox / lifeline | kernel ms: blackbox / lifeline | blackbox ÷ lifeline (per round) | peak RSS MiB: blackbox / lifeline |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${summary.join('\n')}

Figures are medians over the rounds; the ratio is of the medians, with each round's own ratio in brackets.
${s.before ? compared(runs, s.rates, s.before) : ''}
Goal (issue 14, goal 3): at least ${GOAL_RATIO}× less CPU per probe than blackbox_exporter, a new connection per probe — ${perRate.map(verdict).join('; ')}. ${overall}
Where the CPU goes (medians): ${where.join('; ')}. Kernel time is the connections' own (connect, close, socket reads and writes) and the exporter also serves one scrape per probe; user-mode time is each program's own code, runtime and garbage collection.

Every run, in the order run (target connections per probe 1.00 means a new connection for every probe; the target's own CPU per request is shown for reference, neither side is charged with it):

| round | probes/s asked | prober | probes/s done | failed / missed | CPU ms per probe (user + kernel) | CPU, share of one core | peak RSS MiB | target connections per probe | target CPU µs per request |
| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}
`;
}
