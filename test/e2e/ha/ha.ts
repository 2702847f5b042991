// What the high-availability tests (issue #13) share: a schema of their own on
// the real PostgreSQL, cluster members that are real `lifeline run` processes
// on loopback, a target they check, a proxy that can cut them off the database,
// and SQL over what they stored. Every wait is bounded; every process, server
// and schema is cleaned up in after(), whatever happens.

import { rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { join } from 'node:path';
import { before } from 'node:test';
import pg from 'pg';
import { serviceMissing } from '../../support/services.js';
import { json, type Spawned } from '../helpers.js';
import { cleanup } from '../monitor.js';

/**
 * The lease of these tests, scaled down from the issue's defaults (TTL 15 s,
 * renewed every 5 s) to keep them short: TTL 3 s (the least the config takes),
 * renewed every 1 s (at most TTL / 3). A member lapsed longer than one renew
 * period is expelled; a joiner turns active renew + 1 s after it joined.
 */
export const TTL_MS = 3_000;
export const RENEW_MS = 1_000;
/** Every check runs `every: 1s`. */
export const INTERVAL_MS = 1_000;
/**
 * Below the interval: a run can never still be in progress when its check's next slot is due, so
 * the scheduler never skips a slot for an overlap (a slow run ends as a timeout result instead).
 */
export const TIMEOUT_MS = 900;
/**
 * Every wait here is bounded by this. Longer than the other e2e tests' bound: three monitors (one
 * with 100 checks a second) share two cores with the rest of the suite, and a start or a
 * handover that takes long is no failure of the property under test (the gap bound says when it is).
 */
export const HA_WAIT_MS = 45_000;
const PG_HOST = '127.0.0.1';
const PG_PORT = 5432;

export type Line = Record<string, any>;

/** A switchable HTTP target: every request is answered `status` (200 until set), after `delayMs`. */
export interface Target {
  readonly url: string;
  set(status: number): void;
  close(): Promise<void>;
}

export async function startTarget(delayMs = 0): Promise<Target> {
  let status = 200;
  const server = http.createServer((req, res) => {
    req.resume();
    const answer = status;
    const reply = () => res.writeHead(answer).end(answer < 400 ? 'ok' : 'down');
    if (delayMs > 0) setTimeout(reply, delayMs);
    else reply();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    set(next) {
      status = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A TCP proxy to PostgreSQL that the test can cut: cut() resets every
 * connection through it, and while cut every new connection is reset as soon
 * as it is accepted, as a database host that is gone (the port stays bound, so
 * nothing else takes it meanwhile); restore() forwards again.
 * (testing/tcp-proxy.ts goes silent instead: it accepts and never answers, a
 * fault the store's own tests cover; a reset keeps this test's timing short.)
 */
export interface DbProxy {
  readonly port: number;
  cut(): void;
  restore(): void;
  close(): void;
}

export async function startDbProxy(): Promise<DbProxy> {
  const sockets = new Set<net.Socket>();
  let cut = false;
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
  };
  const server = net.createServer((client) => {
    track(client);
    if (cut) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(PG_PORT, PG_HOST);
    track(upstream);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // A reset (RST) only on a socket that is connected and not ending: with resets on every socket,
  // this test's process now and then never exited (Node's exit cleanup spun on two TCP handles
  // left open). A socket still connecting or already ending is closed plainly.
  const drop = (socket: net.Socket) => {
    if (socket.connecting || socket.writableEnded || socket.readableEnded) socket.destroy();
    else socket.resetAndDestroy();
  };
  const resetAll = () => {
    for (const socket of sockets) drop(socket);
  };
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      cut = true;
      resetAll();
    },
    restore() {
      cut = false;
    },
    close() {
      cut = true;
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

/** A member's alerting: channel entries (YAML flow maps) and the `alerts:` of every check. */
export interface MemberOptions {
  readonly channels?: readonly string[];
  readonly alerts?: string;
}

/** One cluster member: a config file and the `lifeline run` processes it had (one at a time). */
export interface Member {
  readonly id: string;
  readonly config: string;
  /** The running (or last) process. */
  readonly proc: Spawned;
  readonly api: string;
  readonly procs: readonly Spawned[];
  start(): Promise<void>;
  /** Parsed log lines of the current process, from index `from`. */
  lines(from?: number): Line[];
  /** Parsed log lines of every process this member had. */
  allLines(): Line[];
  /** Resolves with the first line at or after index `from` of the current process matching; rejects after `ms`. */
  waitFor(what: string, match: (line: Line) => boolean, from?: number, ms?: number): Promise<Line>;
  /** Where the next line of the current process will land: a `from` for waitFor. */
  mark(): number;
}

const parsedCache = new WeakMap<Spawned, Line[]>();
function parsed(proc: Spawned): Line[] {
  let out = parsedCache.get(proc);
  if (!out) {
    out = [];
    parsedCache.set(proc, out);
  }
  for (let i = out.length; i < proc.lines.length; i++)
    out.push(json(proc.lines[i] as string) ?? { raw: proc.lines[i] });
  return out;
}

/** An ownership log line: "cluster: <reason>; this member owns N checks ...". */
export const isOwnership = (l: Line) => typeof l.msg === 'string' && /^cluster: [a-z-]+; this member owns/.test(l.msg);
/** A check result log line of a probed run (a skipped run's line has a check and a scheduledAt too, but no outcome). */
export const isResult = (l: Line) =>
  typeof l.check === 'string' && typeof l.scheduledAt === 'string' && typeof l.ok === 'boolean';
/** Whether an ownership line lists exactly these members as live and active. */
export const membersAre = (ids: readonly string[]) => (l: Line) =>
  isOwnership(l) && Array.isArray(l.members) && [...l.members].sort().join() === [...ids].sort().join();

export interface HaCluster {
  readonly schema: string;
  readonly dir: string;
  readonly clean: ReturnType<typeof cleanup>;
  /** SQL on the test's own connection (never through the proxy), with search_path = the schema. */
  sql<T extends Record<string, any> = Record<string, any>>(text: string, values?: unknown[]): Promise<T[]>;
  /** A member (not started) whose checks are `checks` against `target`; through `proxyPort` when given. */
  member(
    id: string,
    checks: readonly string[],
    target: string,
    options?: MemberOptions & { proxyPort?: number },
  ): Member;
  /** Polls `ready` (SQL: the store is the only witness) every 250 ms until it holds; rejects after `ms`. */
  until(what: string, ready: () => Promise<boolean>, ms?: number): Promise<void>;
  /** Resolves once every named check has a stored run slot at or after `slot`. */
  storedThrough(checks: readonly string[], slot: number, ms?: number): Promise<void>;
}

/**
 * A cluster of this test file: a schema of its own (created before the tests,
 * dropped after), a temp dir for configs, and cleanup of every process.
 * Call at describe() level.
 */
export function haCluster(name: string): HaCluster {
  const schema = `lifeline_e2e_ha_${name}_${process.pid}`;
  const clean = cleanup(`lifeline-e2e-ha-${name}-`);
  // after() does not run when the runner stops this file (its timeout sends SIGTERM): the members,
  // one maybe SIGSTOPped, must not outlive it. SIGKILL works on a stopped process too.
  const spawned: Spawned[] = [];
  const killAll = () => {
    for (const proc of spawned)
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  let pool: pg.Pool | undefined;
  const dir = clean.dir();
  process.once('SIGTERM', () => {
    killAll();
    // Nor does the temp dir's cleanup: the configs and logs would stay in /tmp.
    rmSync(dir, { recursive: true, force: true });
    process.exit(143);
  });
  before(async () => {
    const missing = await serviceMissing('PostgreSQL', PG_HOST, PG_PORT);
    if (missing) throw new Error(missing);
    const admin = new pg.Client({ host: PG_HOST, port: PG_PORT, user: 'postgres', database: 'test' });
    await admin.connect();
    try {
      // A run of this file that the runner stopped (timeout) left its schema: dropped once its process is gone.
      const { rows } = await admin.query<{ nspname: string }>(
        'SELECT nspname FROM pg_namespace WHERE nspname LIKE $1',
        [`lifeline_e2e_ha_${name}_%`],
      );
      for (const { nspname } of rows) {
        const pid = Number(nspname.slice(`lifeline_e2e_ha_${name}_`.length));
        if (Number.isInteger(pid) && pid !== process.pid && !alive(pid))
          await admin.query(`DROP SCHEMA IF EXISTS ${nspname} CASCADE`);
      }
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.query(`CREATE SCHEMA ${schema}`);
    } finally {
      await admin.end();
    }
    // The schema goes after every process is gone (cleanup runs its jobs in reverse order).
    clean.add(schema, async () => {
      const admin2 = new pg.Client({ host: PG_HOST, port: PG_PORT, user: 'postgres', database: 'test' });
      await admin2.connect();
      try {
        await admin2.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await admin2.end();
      }
    });
    pool = clean.add(
      new pg.Pool({
        host: PG_HOST,
        port: PG_PORT,
        user: 'postgres',
        database: 'test',
        max: 2,
        options: `-c search_path=${schema}`,
      }),
      (p) => p.end(),
    );
  });

  const sql = async <T extends Record<string, any>>(text: string, values: unknown[] = []) => {
    if (!pool) throw new Error('the schema is not ready (before() has not run)');
    return (await pool.query<T>(text, values)).rows;
  };

  const until = async (what: string, ready: () => Promise<boolean>, ms = HA_WAIT_MS) => {
    const deadline = Date.now() + ms;
    while (!(await ready())) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  return {
    schema,
    dir,
    clean,
    sql,
    member(id, checks, target, options = {}) {
      const config = join(dir, `${id}.yaml`);
      const port = options.proxyPort ?? PG_PORT;
      writeFileSync(
        config,
        [
          `storage: postgres://postgres@${PG_HOST}:${port}/test?options=-c%20search_path%3D${schema}`,
          'server: { host: 127.0.0.1 }',
          `cluster: { id: ${id}, leaseTtl: ${TTL_MS}ms, renewEvery: ${RENEW_MS}ms }`,
          ...(options.channels ? ['alerting:', '  channels:', ...options.channels.map((c) => `    - ${c}`)] : []),
          'checks:',
          ...checks.map(
            (check) =>
              `  - { name: ${check}, url: "${target}/${check}", every: ${INTERVAL_MS}ms, timeout: ${TIMEOUT_MS}ms${
                options.alerts ? `, alerts: ${options.alerts}` : ''
              } }`,
          ),
          '',
        ].join('\n'),
      );
      const procs: Spawned[] = [];
      let api = '';
      const current = () => {
        const proc = procs.at(-1);
        if (!proc) throw new Error(`${id} was never started`);
        return proc;
      };
      return {
        id,
        config,
        procs,
        get proc() {
          return current();
        },
        get api() {
          return api;
        },
        async start() {
          const proc = clean.monitor(config);
          procs.push(proc);
          spawned.push(proc);
          const started = await proc.waitForLine(
            (l) => json(l)?.msg?.toString().startsWith('lifeline monitor started') === true,
            HA_WAIT_MS,
          );
          api = json(started)?.api as string;
        },
        lines: (from = 0) => parsed(current()).slice(from),
        allLines: () => procs.flatMap((p) => parsed(p)),
        mark: () => current().lines.length,
        async waitFor(what, match, from = 0, ms = HA_WAIT_MS) {
          const proc = current();
          // waitForLine hands an old line its index (Array.find) and a new one none: it is the last.
          const line = await proc
            .waitForLine((raw, index?: number) => {
              const at = index ?? proc.lines.length - 1;
              return at >= from && match(json(raw) ?? {});
            }, ms)
            .catch((error: Error) => {
              throw new Error(`${id}: ${what}: ${error.message.split('\n')[0]}\n${proc.lines.slice(-30).join('\n')}`);
            });
          return json(line) ?? {};
        },
      };
    },
    until,
    async storedThrough(checks, slot, ms = HA_WAIT_MS) {
      let n = 0;
      await until(
        `every check stored through ${new Date(slot).toISOString()}`,
        async () => {
          const rows = await sql<{ n: number }>(
            `SELECT count(*)::int AS n FROM lifeline_checks c WHERE c.name = ANY($1::text[])
             AND EXISTS (SELECT 1 FROM lifeline_results r WHERE r.check_id = c.id AND r.slot >= $2)`,
            [checks, slot],
          );
          n = rows[0]?.n ?? 0;
          return n === checks.length;
        },
        ms,
      ).catch((error: Error) => {
        throw new Error(`${error.message} (${n} of ${checks.length} checks are)`);
      });
    },
  };
}

/** Whether a process of this machine is running (signal 0 only asks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Check names c000, c001, ... */
export const checkNames = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);

/** Waits until every member's newest ownership line lists exactly `ids` (each member's lines from its mark). */
export async function allSee(members: readonly Member[], ids: readonly string[], marks?: readonly number[]) {
  return Promise.all(
    members.map((m, i) => m.waitFor(`sees members ${ids.join(',')}`, membersAre(ids), marks?.[i] ?? 0)),
  );
}

/** Stored slots that appear more than once (the unique key should make this 0). */
export async function duplicateSlots(ha: HaCluster): Promise<number> {
  const rows = await ha.sql<{ n: number }>(
    'SELECT count(*)::int AS n FROM (SELECT 1 FROM lifeline_results GROUP BY check_id, slot HAVING count(*) > 1) d',
  );
  return rows[0]?.n ?? -1;
}

/** The longest gap between consecutive stored slots of each check, over slots in [from, to], longest first. */
export async function gaps(ha: HaCluster, from: number, to: number) {
  return ha.sql<{ name: string; gap: number; at: number }>(
    `SELECT c.name, x.d::int AS gap, x.slot::bigint AS at FROM (
       SELECT DISTINCT ON (check_id) check_id, slot, d FROM (
         SELECT check_id, slot, slot - lag(slot) OVER (PARTITION BY check_id ORDER BY slot) AS d
         FROM lifeline_results WHERE slot BETWEEN $1 AND $2) w
       WHERE d IS NOT NULL ORDER BY check_id, d DESC) x
     JOIN lifeline_checks c ON c.id = x.check_id ORDER BY x.d DESC, c.name`,
    [from, to],
  );
}

/** Runs logged by the members (every process each had) whose (check, scheduledAt) was run more than once. */
export function doubleRuns(members: readonly Member[], from: number, to: number): string[] {
  const seen = new Map<string, number>();
  for (const m of members)
    for (const l of m.allLines()) {
      if (!isResult(l)) continue;
      const slot = Date.parse(l.scheduledAt);
      if (slot < from || slot > to) continue;
      const key = `${l.check}@${l.scheduledAt}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
  return [...seen].filter(([, n]) => n > 1).map(([k, n]) => `${k} x${n}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The body of a test: a failure is rethrown with what each member logged
 * besides its results (cluster changes, store and alert lines, warnings), the
 * story of the failure; passing tests print nothing.
 */
export async function explained(members: () => readonly Member[], body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    const story = members().map((m) => {
      const all = m.allLines().filter((l) => !isResult(l));
      // A starved process skips runs by the hundred: counted, not listed.
      const skips = all.filter((l) => /skipped: its previous run/.test(String(l.msg)));
      const lines = all
        .filter((l) => !skips.includes(l))
        .slice(-150)
        .map((l) => `  ${l.time} ${l.level} ${l.msg ?? l.raw}${l.err ? ` (${l.err.message ?? ''})` : ''}`);
      const skipped = skips.length > 0 ? `\n  (${skips.length} runs skipped, the first at ${skips[0]?.time})` : '';
      return `${m.id}:\n${lines.join('\n')}${skipped}`;
    });
    // The reporter prints the stack, which holds the message as it was thrown.
    if (error instanceof Error) error.stack = `${error.stack}\n--- what the members logged:\n${story.join('\n')}`;
    throw error;
  }
}
