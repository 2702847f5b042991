// The section bench:cluster writes into docs/benchmarks.md: the scale-out
// table, the coordination table, how coordination was measured, the goals.
import { machine } from '../common.js';
import type { Coordination } from './coordination.js';
import type { Stored, Window } from './window.js';

/** A run slot that two runs were logged for: which members started it when. */
export interface Twice {
  readonly check: string;
  readonly slot: number;
  readonly runs: readonly { readonly member: string; readonly t: number }[];
}

/** One member count of one size, as measured. */
export interface Step {
  readonly checks: number;
  readonly n: number;
  /** From starting the newest member to every member showing all N active (s). */
  readonly settledS: number;
  readonly window: Window;
  readonly stored: Stored;
  /** Runs each member logged that started in the window. */
  readonly logged: ReadonlyMap<string, number>;
  /** Run slots logged by more than one member (or twice by one), from the first member's start to the window's end. */
  readonly twice: readonly Twice[];
  /** When each member turned active (epoch ms, database clock). */
  readonly activeAt: ReadonlyMap<string, number>;
  readonly coordination: Coordination;
}

/** A size no member can run: the CLI refuses its config. */
export interface Refused {
  readonly checks: number;
  readonly message: string;
}

export interface Settings {
  readonly windowS: number;
  readonly sizes: readonly number[];
  readonly maxMembers: number;
  readonly reps: number;
  readonly ttlMs: number;
  readonly renewMs: number;
  readonly flushMs: number;
}

/** "Near 1/N": the mean member's CPU at most this much over 1/N of one member's. */
export const NEAR = 1.25;
export const COORDINATION_GOAL = 0.05;

const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);
const int = (x: number) => Math.round(x).toLocaleString('en');
const verdict = (met: boolean) => (met ? 'met' : '**not met**');
const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Coordination per second (PG ms/s): renews of N members, and the fencing share of their writes. */
export function coordinationOf(s: Step, o: Settings) {
  const renewsPerS = (s.n * 1_000) / o.renewMs;
  // Upper bound: the writer writes at most once per storageFlush (an empty tick writes nothing).
  const writesPerS = (s.n * 1_000) / o.flushMs;
  const renew = renewsPerS * s.coordination.renewMs;
  const fencing = writesPerS * Math.max(0, s.coordination.fencingMs);
  const backends = s.window.members.reduce((sum, m) => sum + m.backendCpuPercent, 0) * 10; // % of a core → ms/s
  const members = s.window.members.reduce((sum, m) => sum + m.cpuPercent, 0) * 10;
  const total = renew + fencing;
  return { renewsPerS, writesPerS, renew, fencing, total, backends, members };
}

function scaleRow(s: Step, one: Step | undefined): string {
  const cpus = s.window.members.map((m) => m.cpuPercent);
  const ratio = one ? mean(cpus) / mean(one.window.members.map((m) => m.cpuPercent)) : Number.NaN;
  const each = s.window.members.map((m) => `${m.id} ${f1(m.cpuPercent)}`).join(', ');
  const rss = s.window.members.map((m) => `${int(m.rssPeakMb)} / ${int(m.rssMeanMb)}`).join(', ');
  const lagEach = s.window.members.map((m) => `${m.id} ${s.stored.byMember.get(m.id)?.lag.p99 ?? '–'}`).join(', ');
  const perS = s.stored.rows / s.window.seconds;
  const logged = [...s.logged.values()].reduce((sum, x) => sum + x, 0);
  return `| ${int(s.checks)} | ${s.n} | ${each} | ${s.n === 1 ? '1' : `${f2(ratio)} (1/N = ${f2(1 / s.n)})`} | ${f1(cpus.reduce((a, b) => a + b, 0))} | ${rss} | ${s.stored.lag.p50} / ${s.stored.lag.p99} / ${s.stored.lag.max} (p99 ${lagEach}) | ${f1(perS)} (${f1(s.checks / 60)}) | ${int(logged)} / ${int(s.stored.rows)} | ${s.twice.length} | ${f1(s.settledS)} s | ${int(s.window.machineBusyPercent)}% |`;
}

function coordinationRow(s: Step, o: Settings): string {
  const c = coordinationOf(s, o);
  const k = s.coordination;
  return `| ${int(s.checks)} | ${s.n} | ${f1(c.renewsPerS)} × ${f2(k.renewMs)} ms (round trip ${f2(k.renewRoundTripMs)}) | ${f1(c.writesPerS)} × ${f2(k.fencingMs)} ms (${k.batchRows} rows: ${f2(k.writeWithEpochMs)} vs ${f2(k.writeWithoutEpochMs)} ms) | ${f2(c.total)} | ${f1(c.backends)} | ${f1((100 * c.total) / c.backends)}% | ${f2((100 * c.total) / (c.backends + c.members))}% |`;
}

/** CPU of one member = fixed + share/N, fitted through N = 1 and the largest N: the part that does not divide. */
function fit(steps: readonly Step[]) {
  const one = steps.find((s) => s.n === 1);
  const last = steps.at(-1);
  if (!one || !last || last.n === 1) return undefined;
  const c1 = mean(one.window.members.map((m) => m.cpuPercent));
  const cn = mean(last.window.members.map((m) => m.cpuPercent));
  const share = ((c1 - cn) * last.n) / (last.n - 1);
  return { fixed: c1 - share, share, n: last.n };
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 23);
const signed = (ms: number) => `${ms >= 0 ? '+' : '−'}${Math.abs(Math.round(ms))} ms`;

/** The runs made twice, each against the handover nearest to it: when (by the database clock) a member turned active. */
function doubledText(doubled: readonly Twice[], steps: readonly Step[]): string {
  if (doubled.length === 0) return '';
  const lines = doubled.slice(0, 8).map((d) => {
    const step = steps.find((s) => s.twice.includes(d));
    const turns = [...(step?.activeAt ?? new Map<string, number>())].filter(([, at]) => Number.isFinite(at));
    const near = turns.sort((a, b) => Math.abs(a[1] - d.slot) - Math.abs(b[1] - d.slot))[0];
    const runs = d.runs.map((r) => `${r.member} started it at ${signed(r.t - d.slot)}`).join(', ');
    const handover = near ? `; ${near[0]} turned active ${signed(near[1] - d.slot)} from the slot` : '';
    return `- \`${d.check}\`, slot ${clock(d.slot)} UTC: ${runs}${handover}.`;
  });
  const more = doubled.length > 8 ? `\n- … and ${doubled.length - 8} more.` : '';
  return `\n\nThe run slots run twice (times from the slot; a member's activeAt is the database's clock, the runs' the machine's, one clock here):\n\n${lines.join('\n')}${more}`;
}

export function report(steps: readonly Step[], refused: readonly Refused[], o: Settings): string {
  const sizes = [...new Set(steps.map((s) => s.checks))];
  const oneOf = (checks: number) => steps.find((s) => s.checks === checks && s.n === 1);
  const cpuGoals = sizes.map((checks) => {
    const one = oneOf(checks);
    const parts = steps
      .filter((s) => s.checks === checks && s.n > 1)
      .map((s) => {
        const ratio =
          mean(s.window.members.map((m) => m.cpuPercent)) /
          mean(one?.window.members.map((m) => m.cpuPercent) ?? [Number.NaN]);
        const met = ratio <= NEAR / s.n;
        return {
          met,
          text: `N=${s.n}: ${f2(ratio)} of one member's CPU per member (1/N = ${f2(1 / s.n)}) — ${verdict(met)}`,
        };
      });
    const model = fit(steps.filter((s) => s.checks === checks));
    const modelText = model
      ? ` Fitted as CPU per member = fixed + share/N through N=1 and N=${model.n}: fixed ${f1(model.fixed)}% of a core per member, share ${f1(model.share)}%.`
      : '';
    return `  - ${int(checks)} checks: ${parts.map((p) => p.text).join('; ')}.${modelText}`;
  });
  const shares = steps.map((s) => {
    const c = coordinationOf(s, o);
    return c.total / c.backends;
  });
  const worst = Math.max(...shares);
  // Each size's last step holds every run slot run twice in that size (counted from its first member's start).
  const doubled = sizes.flatMap((checks) => steps.filter((s) => s.checks === checks).at(-1)?.twice ?? []);
  const twice = doubled.length;
  const unknown = steps.reduce((sum, s) => sum + s.stored.unknownEpoch, 0);
  const refusedText = refused
    .map(
      (r) =>
        `**${int(r.checks)} checks: not run.** Every member loads the whole config (ownership is computed over every configured check), and \`lifeline validate\` refuses this one: “${r.message}”. No number of members can run it as one config; the sizes below are the ones that load.\n\n`,
    )
    .join('');
  return `## Scale-out on PostgreSQL (issue #13)

Command: \`npm run bench:cluster\` (\`--window ${o.windowS}\` s per member count, \`--checks ${o.sizes.join(',')}\`, \`--members ${o.maxMembers}\`; BENCH_CLUSTER_REPS=${o.reps} timings per coordination statement).
Machine: ${machine()} — a gVisor sandbox with 2 vCPUs, shared with other work and noisy: absolute figures move from run to run, so compare the ratios within one run. "Machine busy" is the whole machine's CPU in use during the window (everything on it, not only this bench), of all its cores.

Each member is the real \`lifeline run\` (compiled, its own process, JSON lines to a pipe read by the bench) with the same config: the checks \`every: 60s\`, \`jitter: 10s\` (the default timeout, 5 s; four keys a check), each on its own URL of one keep-alive node:http target on loopback (its own process; a new connection per run, the default), \`storage:\` the real PostgreSQL on 127.0.0.1 in a schema of the bench's own (dropped at the end), \`cluster:\` defaults (leaseTtl ${o.ttlMs / 1_000} s, renewEvery ${o.renewMs / 1_000} s), storageFlush ${o.flushMs} ms. Members are added one at a time to the running cluster; once every member's own \`GET /api/v1/cluster\` shows all N live and active ("settled", from the newest member's spawn) and ${5} s more, a window of ${o.windowS} s (every check's slot falls in it at least once) measures: CPU (user + system, all threads) and RSS of each member from /proc, sampled each second; the CPU of the PostgreSQL backends serving each member (found by the \`application_name\` its connections carry, /proc of each backend); the rows stored for runs that started in the window (SQL on lifeline_results: rows per member by epoch, and the scheduler lag t − slot of every row); the runs each member logged in it.

${refusedText}| checks | members | CPU per member, % of one core | mean per member ÷ 1 member's | CPU of all members | RSS peak / mean per member, MB | lag p50 / p99 / max, ms | results/s stored (expected) | runs logged / rows stored in the window | run slots run twice | settled in | machine busy |
| ---: | ---: | --- | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |
${sizes
  .map((checks) =>
    steps
      .filter((s) => s.checks === checks)
      .map((s) => scaleRow(s, oneOf(checks)))
      .join('\n'),
  )
  .join('\n')}

"Run slots run twice": a (check, scheduledAt) logged by two members (or twice by one), counted from the first member's start to the end of that window: joins and handovers included. The store keeps a slot at most once anyway (a unique key); this counts the runs. Rows whose epoch names no current member: ${unknown}.${doubledText(doubled, steps)}

Coordination, PostgreSQL time per second (pg_stat_statements is not loadable on this server: \`shared_preload_libraries\` is empty, and restarting the shared server is not the bench's to do; so each statement is timed by the server itself):

| checks | members | membership: renews/s × PG time per renew | fencing: writes/s × its share of one write (that write with epochs vs without) | coordination, PG ms/s | members' PG backends, CPU ms/s | coordination ÷ backends' CPU | ÷ all work (members + backends) |
| ---: | ---: | --- | --- | ---: | ---: | ---: | ---: |
${steps.map((s) => coordinationRow(s, o)).join('\n')}

How: right after each window, with the N members still running, in a second schema of its own (a member row added to the members' schema would take checks): N member rows joined through the store; the store's own RENEW statement (store/postgres/cluster.ts) with a member's own arguments and the store's own results INSERT (store/postgres/results.ts) are taken from real calls of the store (their texts and parameters recorded by a spy on pg.Client#query), then timed by the server, \`EXPLAIN (ANALYZE, TIMING OFF)\` inside a transaction rolled back: planning + execution, ${o.reps} times each, interleaved, medians. The write is one member's batch at the rate measured (rows stored per second ÷ N × ${o.flushMs} ms), with every row stamped with a live member's epoch (each row looks up and key-share locks its member row) and, alternately, the same rows without epochs (that lookup skipped); the fencing share is the median of the pairs' differences (a negative median counts as 0). Renews/s = N ÷ renewEvery; writes/s = N ÷ storageFlush, an upper bound (the writer skips a tick with nothing pending). Joins happen once per member start and are left out; the round trip of a renew through the store (pool, loopback, parsing) is shown for scale, not counted. Not measured: contention between a member's renew (an UPDATE of its row) and its writes' key-share locks on the same row, which a live cluster adds and an isolated timing does not.

Goals (issue #13):
- Per-member CPU falls near 1/N ("near": at most ${NEAR}× 1/N of one member's CPU):
${cpuGoals.join('\n')}
- Coordination under ${COORDINATION_GOAL * 100}% of the work: at most ${f2(worst * 100)}% of the PostgreSQL CPU spent serving the members — ${verdict(worst < COORDINATION_GOAL)}.
- Every run once: ${twice} run slot(s) run twice — ${verdict(twice === 0)}.`;
}
