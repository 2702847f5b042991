// One measurement window of bench:cluster: the members' CPU and RSS and their
// PostgreSQL backends' CPU, sampled from /proc once a second, and afterwards
// what the members stored in it (SQL on lifeline_results).
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Member } from './member.js';

/** USER_HZ: /proc counts CPU time in these. */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) of any process, or undefined when it is gone. */
function cpuOf(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Busy and total CPU ticks of the whole machine (/proc/stat), for how loaded it was. */
function machineTicks(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, x) => sum + x, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

export interface MemberWindow {
  readonly id: string;
  /** CPU over the window, % of one core. */
  readonly cpuPercent: number;
  readonly rssPeakMb: number;
  readonly rssMeanMb: number;
  /** CPU of the PostgreSQL backends serving this member's connections, % of one core. */
  readonly backendCpuPercent: number;
}

export interface Window {
  readonly from: number;
  readonly to: number;
  readonly seconds: number;
  readonly members: readonly MemberWindow[];
  /** The whole machine's CPU in use (everything, not only the bench), % of all its cores. */
  readonly machineBusyPercent: number;
}

/**
 * Samples for `seconds`. A member's backends are found by the
 * application_name its connections carry (its id); a backend first seen after
 * the start counts from 0, one gone before the end up to its last sample.
 */
export async function measureWindow(members: readonly Member[], admin: pg.Client, seconds: number): Promise<Window> {
  const ids = members.map((m) => m.id);
  /** Per member, per backend pid: CPU seconds at first and last sight. */
  const backends = new Map(ids.map((id) => [id, new Map<number, { first: number; last: number }>()]));
  const sampleBackends = async (initial: boolean) => {
    const { rows } = await admin.query<{ pid: number; application_name: string }>(
      'SELECT pid, application_name FROM pg_stat_activity WHERE application_name = ANY($1::text[])',
      [ids],
    );
    for (const row of rows) {
      const cpu = cpuOf(row.pid);
      const seen = backends.get(row.application_name);
      if (cpu === undefined || !seen) continue;
      const known = seen.get(row.pid);
      if (known) known.last = cpu;
      else seen.set(row.pid, { first: initial ? cpu : 0, last: cpu });
    }
  };
  const rss = new Map(ids.map((id) => [id, [] as number[]]));
  const sampleRss = () => {
    for (const m of members) rss.get(m.id)?.push(m.rssMb());
  };

  await sampleBackends(true);
  sampleRss();
  const cpu0 = members.map((m) => m.cpuSeconds());
  const machine0 = machineTicks();
  const from = Date.now();
  const t0 = performance.now();
  const end = t0 + seconds * 1_000;
  while (performance.now() < end) {
    await sleep(Math.min(1_000, Math.max(0, end - performance.now())));
    sampleRss();
    await sampleBackends(false);
  }
  const cpu1 = members.map((m) => m.cpuSeconds());
  const machine1 = machineTicks();
  const to = Date.now();
  const elapsed = (performance.now() - t0) / 1_000;
  const pct = (cpuSeconds: number) => (cpuSeconds / elapsed) * 100;
  return {
    from,
    to,
    seconds: elapsed,
    machineBusyPercent: ((machine1.busy - machine0.busy) / (machine1.total - machine0.total)) * 100,
    members: members.map((m, i) => {
      const samples = rss.get(m.id) ?? [];
      let backendCpu = 0;
      for (const b of backends.get(m.id)?.values() ?? []) backendCpu += b.last - b.first;
      return {
        id: m.id,
        cpuPercent: pct((cpu1[i] ?? 0) - (cpu0[i] ?? 0)),
        rssPeakMb: Math.max(...samples),
        rssMeanMb: samples.reduce((sum, x) => sum + x, 0) / samples.length,
        backendCpuPercent: pct(backendCpu),
      };
    }),
  };
}

export const CORES = cpus().length;

type Lag = { readonly p50: number; readonly p99: number; readonly max: number };

export interface Stored {
  /** Rows stored with t in the window, and their scheduler lag (t − slot, ms), per member id (by its epoch). */
  readonly byMember: Map<string, { rows: number; lag: Lag }>;
  /** All rows in the window and their lag. */
  readonly rows: number;
  readonly lag: Lag;
  /** Rows whose epoch names none of the members (e.g. one that joined again): should be 0. */
  readonly unknownEpoch: number;
}

/** What the members stored for runs that started in [from, to): rows and lag per member and in all. */
export async function storedIn(
  client: pg.Client,
  from: number,
  to: number,
  epochs: ReadonlyMap<string, number>,
): Promise<Stored> {
  const { rows } = await client.query<{ total: number; epoch: number | null; n: number } & Lag>(
    `SELECT GROUPING(epoch) AS total, epoch, count(*)::int AS n,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY lag) AS p50,
       percentile_disc(0.99) WITHIN GROUP (ORDER BY lag) AS p99, max(lag) AS max
     FROM lifeline_results WHERE t >= $1 AND t < $2 GROUP BY GROUPING SETS ((epoch), ())`,
    [from, to],
  );
  const idOf = new Map([...epochs].map(([id, epoch]) => [epoch, id]));
  const lagOf = (r: Lag) => ({ p50: Number(r.p50), p99: Number(r.p99), max: Number(r.max) });
  const byMember = new Map<string, { rows: number; lag: Lag }>();
  let unknownEpoch = 0;
  let all = { rows: 0, lag: { p50: Number.NaN, p99: Number.NaN, max: Number.NaN } };
  for (const row of rows) {
    if (Number(row.total) === 1) {
      all = { rows: row.n, lag: lagOf(row) };
      continue;
    }
    const id = row.epoch === null ? undefined : idOf.get(Number(row.epoch));
    if (id === undefined) unknownEpoch += row.n;
    else byMember.set(id, { rows: row.n, lag: lagOf(row) });
  }
  return { byMember, rows: all.rows, lag: all.lag, unknownEpoch };
}
