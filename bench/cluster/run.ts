// Scale-out on PostgreSQL (issue #13): 1, 2 and 3 `lifeline run` members
// (the real CLI, compiled, each its own process) sharing CHECKS http checks
// `every: 60s` with `jitter: 10s` against a keep-alive target on loopback (its
// own process), on the real PostgreSQL in a schema of the bench's own (dropped
// at the end), cluster leaseTtl 15 s and renewEvery 5 s (the defaults).
// Members are added one at a time; once every member's own GET /api/v1/cluster
// shows all N live and active, a window of WINDOW seconds measures per member
// its CPU and RSS and its PostgreSQL backends' CPU (/proc), then what was
// stored in the window (rows per member, lag t − slot), the runs logged twice
// across members (the whole run, joins and handovers included), and what the
// coordination costs PostgreSQL (coordination.ts). Prints a table and writes
// its section of docs/benchmarks.md.
//   npm run bench:cluster [-- --window 90 --checks 30000,14000,10000 --members 3]
//   (or BENCH_CLUSTER_WINDOW, BENCH_CLUSTER_CHECKS=30000,14000,10000, BENCH_CLUSTER_MEMBERS,
//    BENCH_CLUSTER_REPS=60 timings per coordination statement, BENCH_NO_WRITE=1 prints only)
// BENCH_NODE_ARGS adds node flags to every member (e.g. "--max-old-space-size=256").
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { CLUSTER_DEFAULTS } from '../../packages/prober/src/config/cluster.js';
import { parseDuration } from '../../packages/prober/src/domain/duration.js';
import { DEFAULT_FLUSH_MS } from '../../packages/prober/src/store/batch.js';
import { startTarget, writeSection } from '../common.js';
import { type Coordination, measureCoordination } from './coordination.js';
import { type Member, refusal, startMember, waitAllActive, writeClusterConfig } from './member.js';
import { type Refused, report, type Step, type Twice } from './report.js';
import { measureWindow, storedIn } from './window.js';

const { values: args } = parseArgs({
  options: { window: { type: 'string' }, checks: { type: 'string' }, members: { type: 'string' } },
});
const WINDOW_S = Number(args.window ?? process.env.BENCH_CLUSTER_WINDOW ?? 90);
const SIZES = String(args.checks ?? process.env.BENCH_CLUSTER_CHECKS ?? '30000,14000,10000')
  .split(',')
  .map(Number);
const MAX_MEMBERS = Number(args.members ?? process.env.BENCH_CLUSTER_MEMBERS ?? 3);
const REPS = Number(process.env.BENCH_CLUSTER_REPS ?? 60);
const NODE_ARGS = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
const PG_URL = process.env.LIFELINE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TTL_MS = parseDuration(CLUSTER_DEFAULTS.leaseTtl) as number;
const RENEW_MS = parseDuration(CLUSTER_DEFAULTS.renewEvery) as number;
/** After all are active: let the newest member's start-up (JIT, the config's garbage) pass. */
const SETTLE_S = 5;
/** After the window: its last results are written (storageFlush 200 ms, plus the write). */
const DRAIN_S = 3;
if (!(WINDOW_S >= 60))
  throw new Error(`the window must be at least 60 s (every check runs once in it), got ${WINDOW_S}`);

// Everything the bench started, so that an interrupted run leaves nothing behind.
const live = new Set<Member>();
const schemas = new Set<string>();
const dirs = new Set<string>();
let target: Awaited<ReturnType<typeof startTarget>> | undefined;

async function dropSchemas(): Promise<void> {
  if (schemas.size === 0) return;
  const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5_000 });
  await admin.connect();
  try {
    for (const schema of schemas) {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      schemas.delete(schema);
    }
  } finally {
    await admin.end();
  }
}

function killEverything(): void {
  for (const m of live) m.child.kill('SIGKILL');
  target?.child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
process.once('exit', killEverything);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    killEverything();
    // The members are gone (SIGKILL); their schemas go too, bounded.
    void Promise.race([dropSchemas(), sleep(10_000)]).finally(() => process.exit(130));
  });

/** 1, 2 … MAX_MEMBERS members on `checks` checks: one Step per member count, or why the config cannot run. */
async function scaleOut(checks: number, targetUrl: string): Promise<Step[] | Refused> {
  const schema = `lifeline_bench_cluster_${process.pid}_${checks}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  const members: Member[] = [];
  const steps: Step[] = [];
  try {
    schemas.add(schema);
    await admin.query(`CREATE SCHEMA ${schema}`);
    await client.connect();
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-cluster-'));
    dirs.add(dir);
    const config = join(dir, 'lifeline.yaml');
    writeClusterConfig(config, { checks, target: targetUrl, pgUrl: PG_URL, schema });
    const refused = refusal(config, 'm1');
    if (refused !== undefined) {
      process.stdout.write(`${checks} checks: lifeline refuses the config: ${refused}\n`);
      return { checks, message: refused };
    }

    // Every run any member logs: a run slot (check, scheduledAt) seen again was run twice.
    const seen = new Map<string, { member: string; t: number }>();
    const twice: Twice[] = [];
    let runs = new Map<string, number[]>();
    const onRun = (member: string, run: { check: string; slot: number; t: number }) => {
      const key = `${run.check}|${run.slot}`;
      const first = seen.get(key);
      if (first) twice.push({ check: run.check, slot: run.slot, runs: [first, { member, t: run.t }] });
      else seen.set(key, { member, t: run.t });
      runs.get(member)?.push(run.t);
    };
    /** When each member turned active (database clock), for the runs made twice around a handover. */
    const activeAt = new Map<string, number>();

    for (let n = 1; n <= MAX_MEMBERS; n++) {
      const started = performance.now();
      const member = await startMember(`m${n}`, config, onRun, NODE_ARGS);
      live.add(member);
      members.push(member);
      const view = await waitAllActive(members, 120_000);
      const epochs = new Map([...view].map(([id, v]) => [id, v.epoch]));
      for (const [id, v] of view) if (!activeAt.has(id)) activeAt.set(id, v.activeAt);
      const settledS = (performance.now() - started) / 1_000;
      await sleep(SETTLE_S * 1_000);
      runs = new Map(members.map((m) => [m.id, []]));
      const window = await measureWindow(members, admin, WINDOW_S);
      await sleep(DRAIN_S * 1_000);
      const stored = await storedIn(client, window.from, window.to, epochs);
      const logged = new Map(
        [...runs].map(([id, ts]) => [id, ts.filter((t) => t >= window.from && t < window.to).length]),
      );
      // One member's write: what it stores per storageFlush (DEFAULT_FLUSH_MS) at the rate measured.
      const batchRows = Math.max(1, Math.round((stored.rows / window.seconds / n) * (DEFAULT_FLUSH_MS / 1_000)));
      const coordination: Coordination = await measureCoordination({
        pgUrl: PG_URL,
        schema: `${schema}_coord`,
        members: n,
        batchRows,
        reps: REPS,
        ttlMs: TTL_MS,
        renewMs: RENEW_MS,
      });
      const step: Step = {
        checks,
        n,
        settledS,
        window,
        stored,
        logged,
        twice: [...twice],
        activeAt: new Map(activeAt),
        coordination,
      };
      steps.push(step);
      const cpu = window.members.map((m) => `${m.id} ${m.cpuPercent.toFixed(1)}%`).join(', ');
      process.stdout.write(
        `${checks} checks, ${n} member(s): CPU ${cpu}; ${(stored.rows / window.seconds).toFixed(1)} results/s stored; lag p99 ${stored.lag.p99} ms; slots run twice ${twice.length}\n`,
      );
    }
    return steps;
  } finally {
    // Newest first: the others keep their checks until the last one leaves.
    for (const m of members.reverse()) {
      await m.stop();
      live.delete(m);
      if (m.problems.length > 0) console.error(`member ${m.id} reported:\n${m.problems.slice(0, 10).join('\n')}`);
    }
    await client.end().catch(() => undefined);
    await admin.end().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  target = await startTarget();
  const steps: Step[] = [];
  const refused: Refused[] = [];
  try {
    for (const checks of SIZES) {
      const outcome = await scaleOut(checks, target.url);
      if (Array.isArray(outcome)) steps.push(...outcome);
      else refused.push(outcome);
    }
  } finally {
    target.child.kill('SIGKILL');
    target = undefined;
    await dropSchemas();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    dirs.clear();
  }
  const body = report(steps, refused, {
    windowS: WINDOW_S,
    sizes: SIZES,
    maxMembers: MAX_MEMBERS,
    reps: REPS,
    ttlMs: TTL_MS,
    renewMs: RENEW_MS,
    flushMs: DEFAULT_FLUSH_MS,
  });
  process.stdout.write(`\n${body}\n`);
  if (process.env.BENCH_NO_WRITE !== '1') writeSection('cluster', body);
}

await main();
