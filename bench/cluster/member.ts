// One cluster member as bench:cluster drives it: the real `lifeline run`
// (compiled, its own process, JSON lines to a pipe), its API, every run it
// logs, and its CPU and RSS read from /proc.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from '../common.js';

const BIN = join(ROOT, 'packages/prober/bin/lifeline.js');
/** USER_HZ: /proc/PID/stat counts CPU time in these. */
const TICKS_PER_SECOND = 100;
/** The environment variable the config names the member by (its cluster.id and its connections' application_name). */
export const MEMBER_VAR = 'LIFELINE_BENCH_MEMBER';

export const checkName = (i: number) => `c${String(i).padStart(5, '0')}`;

/**
 * The config every member of one size shares: `checks` http checks `every: 60s`,
 * `jitter: 10s` (and the default timeout, 5 s: four keys, eight YAML values a
 * check), of one loopback target, on PostgreSQL in `schema`. The member's
 * id comes from the environment, so one file serves every member; so does the
 * application_name of its connections, by which the bench finds their backends.
 */
export function writeClusterConfig(path: string, o: { checks: number; target: string; pgUrl: string; schema: string }) {
  const storage = `${o.pgUrl}?options=-c%20search_path%3D${o.schema}&application_name=\${${MEMBER_VAR}}`;
  const lines = [
    'server:',
    '  host: 127.0.0.1',
    '  port: 0',
    `storage: ${JSON.stringify(storage)}`,
    'cluster:',
    `  id: \${${MEMBER_VAR}}`,
    'checks:',
  ];
  for (let i = 0; i < o.checks; i++)
    lines.push(`  - name: ${checkName(i)}`, `    url: ${o.target}?c=${i}`, '    every: 60s', '    jitter: 10s');
  writeFileSync(path, `${lines.join('\n')}\n`);
}

/**
 * `lifeline validate` on the config as member `id` would load it: undefined
 * when it is valid, else what the CLI says (every member loads every check,
 * so a config it refuses cannot run on any number of members).
 */
export function refusal(config: string, id: string): string | undefined {
  // Its stdout lists every check (megabytes): not kept; what it refuses goes to stderr.
  const out = spawnSync(process.execPath, [BIN, 'validate', '--config', config], {
    env: { ...process.env, [MEMBER_VAR]: id },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (out.status === 0) return undefined;
  const said = String(out.stderr ?? '')
    .split('\n')
    .map((l) => l.replace(config, 'lifeline.yaml').trim())
    .filter(Boolean);
  return said.join(' — ') || `lifeline validate failed: ${out.error?.message ?? out.status ?? out.signal}`;
}

/** One run as a member logged it. */
export interface Run {
  readonly check: string;
  /** The run slot (scheduledAt), epoch ms. */
  readonly slot: number;
  /** When it started, epoch ms. */
  readonly t: number;
}

export interface Member {
  readonly id: string;
  readonly api: string;
  readonly child: ChildProcess;
  /** Stderr lines and warn/error-level log lines (first 50). */
  readonly problems: string[];
  /** User + system CPU seconds the process (all its threads) has used so far. */
  cpuSeconds(): number;
  /** Resident set size now, MB. */
  rssMb(): number;
  /** SIGTERM, a bounded wait for a clean exit (it leaves the cluster and writes what it holds), then SIGKILL. */
  stop(): Promise<void>;
}

/** Starts a member; `onRun` sees every result line it logs. Resolves once it logs that it started (bounded). */
export async function startMember(
  id: string,
  config: string,
  onRun: (member: string, run: Run) => void,
  nodeArgs: readonly string[] = [],
): Promise<Member> {
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'run', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, [MEMBER_VAR]: id },
  });
  const problems: string[] = [];
  const problem = (line: string) => {
    if (problems.length < 50) problems.push(`${id}: ${line.slice(0, 300)}`);
  };
  let started: (api: string) => void = () => {};
  const startedLine = new Promise<string>((resolve) => {
    started = resolve;
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (line.includes('"durationMs"') && line.includes('"scheduledAt"')) {
      const r = JSON.parse(line) as { check: string; time: string; scheduledAt: string };
      onRun(id, { check: r.check, slot: Date.parse(r.scheduledAt), t: Date.parse(r.time) });
    } else if (line.includes('lifeline monitor started')) started((JSON.parse(line) as { api: string }).api);
    else if (/"level":(40|50|60)/.test(line)) problem(line);
  });
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', problem);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const bound = new AbortController();
  try {
    const api = await Promise.race([
      startedLine,
      exited.then(() => Promise.reject(new Error(`member ${id} exited early:\n${problems.join('\n')}`))),
      sleep(180_000, undefined, { signal: bound.signal }).then(() =>
        Promise.reject(new Error(`member ${id} did not start within 180 s`)),
      ),
    ]);
    const stat = () => readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return {
      id,
      api,
      child,
      problems,
      cpuSeconds() {
        const fields = stat();
        // utime and stime are fields 14 and 15 of /proc/PID/stat; after "comm) " they are the 12th and 13th.
        return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
      },
      rssMb() {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
      },
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = new AbortController();
        await Promise.race([exited, sleep(30_000, undefined, { signal: timer.signal }).catch(() => undefined)]);
        timer.abort();
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
          await exited;
        }
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    bound.abort();
  }
}

/** GET /api/v1/cluster as a member serves it (the fields the bench reads). */
export interface ClusterJson {
  readonly self: string;
  readonly epoch: number | null;
  readonly members: readonly {
    id: string;
    epoch: number;
    activeAt: string;
    live: boolean;
    active: boolean;
    checksOwned: number;
  }[];
}

/** One GET of a member's cluster view, bounded (5 s); the socket is closed on every path. */
export function clusterView(api: string): Promise<ClusterJson> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${api}/api/v1/cluster`, { agent: false, timeout: 5_000 });
    req.once('timeout', () => req.destroy(new Error(`GET ${api}/api/v1/cluster: no answer within 5 s`)));
    req.once('error', reject);
    req.once('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.once('error', reject);
      res.once('end', () => {
        if (res.statusCode !== 200) reject(new Error(`GET ${api}/api/v1/cluster: ${res.statusCode} ${body}`));
        else {
          try {
            resolve(JSON.parse(body) as ClusterJson);
          } catch (error) {
            reject(error);
          }
        }
      });
    });
  });
}

/**
 * Waits (bounded) until every member's own view shows exactly these members,
 * each live and active (owning checks): the cluster has settled on N.
 * Resolves with each member's epoch and activeAt (epoch ms, database clock) by id.
 */
export async function waitAllActive(
  members: readonly Member[],
  boundMs: number,
): Promise<Map<string, { epoch: number; activeAt: number }>> {
  const ids = members.map((m) => m.id).sort();
  const deadline = Date.now() + boundMs;
  let last = '';
  for (;;) {
    const views = await Promise.all(members.map((m) => clusterView(m.api).catch((e: Error) => e)));
    const settled = views.every(
      (v) =>
        !(v instanceof Error) &&
        v.members.length === ids.length &&
        v.members.every((m, i) => m.id === ids[i] && m.live && m.active),
    );
    if (settled) {
      const first = views[0] as ClusterJson;
      return new Map(first.members.map((m) => [m.id, { epoch: m.epoch, activeAt: Date.parse(m.activeAt) }]));
    }
    last = views
      .map((v) => (v instanceof Error ? v.message : v.members.map((m) => `${m.id}:${m.active}`).join(',')))
      .join(' | ');
    if (Date.now() > deadline) throw new Error(`the cluster did not settle on ${ids.join(', ')} in time: ${last}`);
    await sleep(500);
  }
}
