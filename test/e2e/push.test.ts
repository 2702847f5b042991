import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Received, startRecorder } from '../../packages/prober/src/testing/channels.js';
import { type CliRun, runLifeline } from '../../packages/prober/src/testing/cli.js';
import { json, type Spawned } from './helpers.js';
import { apiOf, cleanup, getJson, startTarget, until, WAIT_MS } from './monitor.js';

/**
 * Push checks (issue #11) as a user meets them: the real `lifeline run`
 * monitor, jobs that are the real `lifeline check --once --report`, pings
 * over HTTP from the test, a webhook receiver, SQLite across a SIGKILL.
 * Every wait is for an event (a log line, a request, a wall-clock moment the
 * monitor announced) and bounded; nothing asserts how long anything took.
 */

const TOKEN = 'e2e-push-token-0123456789abcdef';

type Json = Record<string, any>;

/** Polls `read` until `ready` holds (for the store, which has no event to wait for); bounded. */
async function poll<T>(read: () => Promise<T>, ready: (v: T) => boolean, what: string, ms = WAIT_MS): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ready(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms; last: ${JSON.stringify(value)}`);
    await sleep(100);
  }
}

/** Waits for a wall-clock moment (an expected run's time the monitor announced). */
async function at(epochMs: number): Promise<void> {
  const left = epochMs - Date.now();
  assert.ok(left < 60_000, `a wait of ${left} ms is not what this test means`);
  if (left > 0) await sleep(left);
}

const body = (r: Received) => JSON.parse(r.body) as Json;

/** The monitor's result lines of a check (decided runs; `reported` ones are a job's own checks). */
const results = (monitor: Spawned, check: string, reported = false): Json[] =>
  monitor.lines
    .map(json)
    .filter((l): l is Json => l?.check === check && typeof l.ok === 'boolean' && (l.reported === true) === reported);

/** Waits for the `n`-th result line of `check` that `match`es. */
async function nthResult(monitor: Spawned, check: string, match: (r: Json) => boolean, n = 1): Promise<Json> {
  await monitor.waitForLine(() => results(monitor, check).filter(match).length >= n, WAIT_MS);
  return results(monitor, check).filter(match)[n - 1] as Json;
}

const stored = async (api: string, check: string) =>
  (await getJson(`${api}/api/v1/checks/${check}/results?limit=1000`)).results as Json[];
const pushInfo = async (api: string, check: string) =>
  ((await getJson(`${api}/api/v1/checks`)).checks as Json[]).find((c) => c.name === check) as Json;
const ping = (api: string, check: string, token = TOKEN, init: RequestInit = {}) =>
  fetch(`${api}/api/v1/push/${check}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, ...init });
const missed = (r: Json) => r.ok === false && r.error?.code === 'missed';
const up = (r: Json) => r.ok === true;

/** Resident memory of a process in bytes (Linux). */
function rss(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  assert.ok(kb, `no VmRSS for ${pid}`);
  return Number(kb) * 1024;
}

const pushCheck = (name: string, timing: string, extra = '') =>
  [`  - name: ${name}`, '    type: push', `    ${timing}`, '    token: ${PUSH_TOKEN}', extra && `    ${extra}`]
    .filter(Boolean)
    .join('\n');

function monitorConfig(dir: string, checks: string[], hookUrl?: string): string {
  const config = join(dir, 'lifeline.yaml');
  writeFileSync(
    config,
    [
      `storage: ${join(dir, 'lifeline.db')}`,
      'server: { host: 127.0.0.1 }',
      ...(hookUrl
        ? ['alerting:', '  channels:', `    - { name: hook, type: webhook, url: "${hookUrl}/hook", timeout: 2s }`]
        : []),
      'checks:',
      ...checks,
      '',
    ].join('\n'),
  );
  return config;
}

describe('push checks, whole system', () => {
  const clean = cleanup('lifeline-e2e-push-', { PUSH_TOKEN: TOKEN });

  it('a CronJob reporting with check --once --report: up, then missed with one firing, then up with one resolved', async () => {
    const dir = clean.dir();
    const target = clean.add(await startTarget(), (s) => s.close());
    const hook = clean.add(await startRecorder(), (r) => r.close());
    // Grace 2 s, early tolerance 1.5 s: the window of each run (3.5 s) is longer than the gap (3 s),
    // so jobs run back to back land in every run.
    const config = monitorConfig(
      dir,
      [pushCheck('nightly', 'schedule: "*/3 * * * * *"', 'grace: 2s\n    alerts: { channels: [hook] }')],
      hook.url,
    );
    const job = join(dir, 'job.yaml');
    writeFileSync(
      job,
      [
        'storage: none',
        'checks:',
        '  - name: target-api',
        `    url: ${target.url}`,
        '    every: 1m',
        '    timeout: 2s',
        '',
      ].join('\n'),
    );
    const monitor = clean.monitor(config);
    const api = await apiOf(monitor);
    const pushUrl = `${api}${(await pushInfo(api, 'nightly')).pushUrl}`;

    const jobRuns: CliRun[] = [];
    let jobsOn = false;
    let loop: Promise<void> = Promise.resolve();
    const startJobs = () => {
      jobsOn = true;
      loop = (async () => {
        while (jobsOn) {
          jobRuns.push(
            await runLifeline(['check', '--once', '-c', job, '--report', pushUrl], {
              env: { LIFELINE_REPORT_TOKEN: TOKEN },
            }),
          );
        }
      })();
    };
    const stopJobs = async () => {
      jobsOn = false;
      await loop;
    };
    clean.add(null, stopJobs);

    startJobs();
    await nthResult(monitor, 'nightly', up, 2);
    await stopJobs();
    for (const r of jobRuns) assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.ok(
      jobRuns.every((r) => !r.stderr.includes('could not report')),
      jobRuns.map((r) => r.stderr).join('\n'),
    );

    // The job stopped: the next run without a ping is missed, and the webhook hears of it once.
    const miss = await nthResult(monitor, 'nightly', missed);
    await until(hook, () => hook.received.length >= 1, 'the firing notification');
    assert.match(miss.error.message, /no ping for the run expected at .* within its grace of 2s/);
    assert.equal(miss.time > miss.scheduledAt, true, 'decided at the deadline, after the expected time');

    const upsBefore = results(monitor, 'nightly').filter(up).length;
    startJobs();
    await monitor.waitForLine(() => results(monitor, 'nightly').filter(up).length > upsBefore, WAIT_MS);
    await until(hook, () => hook.received.length >= 2, 'the resolved notification');
    await stopJobs();

    // The job's own check is stored and logged under its own name.
    const reported = results(monitor, 'target-api', true);
    assert.ok(reported.length >= 3, `${reported.length} reported results`);
    assert.ok(
      reported.every((r) => r.ok === true && r.status === 200),
      JSON.stringify(reported),
    );
    const decided = results(monitor, 'nightly');
    assert.equal(
      decided.some((r) => !r.ok && r.error?.code !== 'missed'),
      false,
      'no job_failed or timeout',
    );
    const history = await poll(
      () => stored(api, 'nightly'),
      (rs) => rs.length >= decided.length,
      'the decided runs stored',
    );
    const times = history.map((r) => r.scheduledAt);
    assert.equal(new Set(times).size, times.length, `one result per expected run: ${times}`);
    assert.ok(history.some(missed) && history.filter(up).length >= 3, JSON.stringify(history));

    monitor.child.kill('SIGTERM');
    assert.equal((await monitor.exited).code, 0, monitor.lines.join('\n'));
    assert.deepEqual(
      hook.received.map((r) => [r.path, body(r).status, body(r).lifeline.kind, body(r).lifeline.check.name]),
      [
        ['/hook', 'firing', 'firing', 'nightly'],
        ['/hook', 'resolved', 'resolved', 'nightly'],
      ],
    );
  });

  it('a SIGKILL across a deadline: one caught-up missed run, not two; killed within the grace, a late ping still counts', async () => {
    const dir = clean.dir();
    const config = monitorConfig(dir, [pushCheck('backup', 'schedule: "*/10 * * * * *"', 'grace: 5s')]);
    const first = clean.monitor(config);
    let api = await apiOf(first);

    // A run that is up, stored before the crash.
    const n1 = Date.parse((await pushInfo(api, 'backup')).nextExpectedAt);
    await at(n1);
    const pinged = await getJson(`${api}/api/v1/push/backup`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.deepEqual([pinged.accepted, pinged.scheduledAt], [true, new Date(n1).toISOString()]);
    await nthResult(first, 'backup', (r) => r.ok && r.scheduledAt === new Date(n1).toISOString());
    await poll(
      () => stored(api, 'backup'),
      (rs) => rs.length === 1,
      'the up run stored',
    );

    // The next run is open (expected, its deadline ahead) when the monitor dies.
    const s = n1 + 10_000;
    await at(s + 1_000);
    assert.equal((await pushInfo(api, 'backup')).nextExpectedAt, new Date(s).toISOString(), 'the open run');
    first.child.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');
    assert.equal(results(first, 'backup').length, 1);

    // Back after its deadline: the run is decided once, from the store, as missed.
    await at(s + 5_500);
    const second = clean.monitor(config);
    api = await apiOf(second);
    const caught = await nthResult(second, 'backup', missed);
    assert.equal(caught.scheduledAt, new Date(s).toISOString());
    assert.equal(caught.catchUp, true);

    // The run after it goes as usual.
    const n3 = s + 10_000;
    assert.equal((await pushInfo(api, 'backup')).nextExpectedAt, new Date(n3).toISOString());
    await at(n3);
    assert.equal((await ping(api, 'backup')).status, 200);
    const normal = await nthResult(second, 'backup', up);
    assert.equal(normal.scheduledAt, new Date(n3).toISOString());
    assert.equal(normal.catchUp, undefined);

    // Killed within the next run's grace and back at once: the ping that comes late still counts.
    const n4 = n3 + 10_000;
    await at(n4 + 1_000);
    await poll(
      () => stored(api, 'backup'),
      (rs) => rs.length === 3,
      'three runs stored',
    );
    second.child.kill('SIGKILL');
    await second.exited;
    const third = clean.monitor(config);
    api = await apiOf(third);
    const open = await pushInfo(api, 'backup');
    assert.equal(open.nextExpectedAt, new Date(n4).toISOString(), `the run is open again: ${JSON.stringify(open)}`);
    const late = await getJson(`${api}/api/v1/push/backup`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.deepEqual([late.accepted, late.scheduledAt], [true, new Date(n4).toISOString()], JSON.stringify(late));
    const recovered = await nthResult(third, 'backup', () => true);
    assert.deepEqual(
      [recovered.ok, recovered.scheduledAt, recovered.catchUp],
      [true, new Date(n4).toISOString(), true],
    );

    const history = await poll(
      () => stored(api, 'backup'),
      (rs) => rs.length === 4,
      'four runs stored',
    );
    assert.deepEqual(history.map((r) => [r.scheduledAt, r.ok ? 'up' : r.error.code]).reverse(), [
      [new Date(n1).toISOString(), 'up'],
      [new Date(s).toISOString(), 'missed'],
      [new Date(n3).toISOString(), 'up'],
      [new Date(n4).toISOString(), 'up'],
    ]);
    third.child.kill('SIGTERM');
    assert.equal((await third.exited).code, 0, third.lines.join('\n'));
  });

  it('bad input: wrong token, unknown and probed checks, a 10 MB body and a flood leave the monitor standing', async (t) => {
    const dir = clean.dir();
    const target = clean.add(await startTarget(), (s) => s.close());
    const config = monitorConfig(dir, [
      pushCheck('guarded', 'schedule: "0 0 * * *"'),
      pushCheck('flood', 'schedule: "*/2 * * * * *"', 'grace: 1s'),
      pushCheck('big', 'schedule: "0 0 * * *"'),
      ['  - name: site', `    url: ${target.url}`, '    every: 1m', '    timeout: 2s'].join('\n'),
    ]);
    const monitor = clean.monitor(config);
    const api = await apiOf(monitor);
    const pid = monitor.child.pid as number;

    // A wrong token: 401 and nothing recorded, not even a "not counted" line.
    const wrong = await ping(api, 'guarded', 'not-the-token-0123456789');
    assert.equal(wrong.status, 401);
    assert.match(wrong.headers.get('www-authenticate') ?? '', /invalid_token/);
    assert.equal((await ping(api, 'guarded', '')).status, 401);
    assert.deepEqual(await stored(api, 'guarded'), []);
    assert.equal(monitor.lines.filter((l) => json(l)?.check === 'guarded').length, 0, monitor.lines.join('\n'));

    assert.equal((await ping(api, 'no-such-check')).status, 404);
    const probed = await ping(api, 'site');
    assert.equal(probed.status, 400);
    assert.match(((await probed.json()) as Json).message, /probed by the monitor, not pinged/);

    // A flood from four keep-alive connections, ~10 s in all: 2 s first, so that the heap has
    // grown to its working size before the memory is measured.
    const agent = clean.add(new http.Agent({ keepAlive: true, maxSockets: 4 }), (a) => a.destroy());
    const counts = new Map<number | string, number>();
    let retryAfter = true;
    const started = Date.now();
    const flood = (ms: number) => {
      const until = Date.now() + ms;
      return Promise.all(
        Array.from({ length: 4 }, async () => {
          while (Date.now() < until) {
            const answer = await get(`${api}/api/v1/push/flood`, agent).catch((error: Error) => error.message);
            const status = typeof answer === 'string' ? answer : answer.status;
            counts.set(status, (counts.get(status) ?? 0) + 1);
            if (typeof answer !== 'string' && status === 429 && !/^\d+$/.test(String(answer.headers['retry-after'])))
              retryAfter = false;
          }
        }),
      );
    };
    await flood(2_000);
    const before = rss(pid);

    // 10 MB declared, 256 KB of it sent: the monitor answers 413 without waiting for the rest.
    // (To a check of its own: the flood's bucket is empty, and the rate limit comes before the body.)
    const early = await declareLarge(api, 'big', 10 * 1024 * 1024, 256 * 1024);
    assert.match(early, /^HTTP\/1\.1 413 [\s\S]*\r\nconnection: close\r\n[\s\S]*"payload_too_large"/i);
    // The whole 10 MB, a few times. The monitor closes the connection with the rest unread, so a
    // client still writing may see the reset instead of the 413 (fetch does, now and then, on a busy
    // machine; curl reads the early answer): either way nothing is kept and the monitor stays up.
    for (let i = 0; i < 3; i++) {
      const answer = await ping(api, 'big', TOKEN, { body: Buffer.alloc(10 * 1024 * 1024, 'x') }).then(
        (r) => r.status,
        (error: Error & { cause?: { code?: string } }) => error.cause?.code ?? error.message,
      );
      assert.ok([413, 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'].includes(answer), String(answer));
    }
    assert.equal((await fetch(`${api}/api/v1/checks`)).status, 200, 'still serving');

    await flood(8_000);
    const seconds = Math.ceil((Date.now() - started) / 1000);
    const accepted = counts.get(200) ?? 0;
    const limited = counts.get(429) ?? 0;
    assert.deepEqual(
      [...counts.keys()].sort(),
      [200, 429],
      `only 200 and 429, no error: ${JSON.stringify([...counts])}`,
    );
    assert.ok(accepted <= 10 + 5 * seconds + 5, `${accepted} accepted in ${seconds} s`);
    assert.ok(limited > accepted, `${limited} refused, ${accepted} accepted`);
    assert.ok(retryAfter, 'every 429 says when to retry');

    const growth = rss(pid) - before;
    t.diagnostic(
      `flood: ${accepted} accepted, ${limited} refused in ${seconds} s; RSS grew ${Math.round(growth / 1024)} kB`,
    );
    assert.ok(growth < 50 * 1024 * 1024, `RSS grew by ${Math.round(growth / 1024 / 1024)} MB`);
    assert.equal(monitor.child.exitCode, null, 'no crash');

    // At most one result per expected run, whatever the number of pings.
    const decided = await poll(
      () => stored(api, 'flood'),
      (rs) => rs.length >= results(monitor, 'flood').length,
      'the flood check stored',
    );
    const times = decided.map((r) => r.scheduledAt);
    assert.ok(times.length >= 1);
    assert.equal(new Set(times).size, times.length, `one result per expected run: ${times}`);
    monitor.child.kill('SIGTERM');
    assert.equal((await monitor.exited).code, 0, monitor.lines.join('\n'));
  });

  it('done when: the seed job never runs, so its expected run is missed and one alert goes out', async () => {
    const dir = clean.dir();
    const hook = clean.add(await startRecorder(), (r) => r.close());
    // A cron a few seconds ahead, once a minute, as the seed's nightly job but sooner.
    const expected = Math.ceil((Date.now() + 5_000) / 1000) * 1000;
    const second = new Date(expected).getUTCSeconds();
    const config = monitorConfig(
      dir,
      [pushCheck('seed-job', `schedule: "${second} * * * * *"`, 'grace: 2s\n    alerts: { channels: [hook] }')],
      hook.url,
    );
    const monitor = clean.monitor(config);
    const api = await apiOf(monitor);
    const info = await pushInfo(api, 'seed-job');
    assert.deepEqual([info.nextExpectedAt, info.graceMs], [new Date(expected).toISOString(), 2_000]);

    const miss = await nthResult(monitor, 'seed-job', () => true);
    assert.deepEqual(
      [miss.ok, miss.error?.code, miss.scheduledAt],
      [false, 'missed', new Date(expected).toISOString()],
    );
    await until(hook, () => hook.received.length >= 1, 'the alert', expected + 2_000 + WAIT_MS - Date.now());
    const alert = body(hook.received[0] as Received);
    assert.deepEqual([alert.status, alert.lifeline.check.name], ['firing', 'seed-job']);
    monitor.child.kill('SIGTERM');
    assert.equal((await monitor.exited).code, 0, monitor.lines.join('\n'));
    assert.equal(hook.received.length, 1, 'one alert');
  });
});

/** GET with a keep-alive agent; the status and headers. */
function get(url: string, agent: http.Agent): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { authorization: `Bearer ${TOKEN}` }, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
  });
}

/**
 * Declares a `declared`-byte body, sends `sent` bytes of it in one write and
 * waits, reading, for the answer (no write is started after it arrives, so a
 * reset that follows cannot hide it); the raw answer.
 */
function declareLarge(api: string, check: string, declared: number, sent: number): Promise<string> {
  const { hostname, port } = new URL(api);
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    const socket = connect(Number(port), hostname);
    const timer = setTimeout(() => socket.destroy(new Error('no answer within 20 s')), 20_000);
    socket.on('data', (chunk: Buffer) => got.push(chunk));
    socket.on('error', () => {}); // a reset after the answer: what was read counts
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(got).toString('latin1');
      if (text) resolve(text);
      else reject(new Error('closed without an answer'));
    });
    socket.write(
      `POST /api/v1/push/${check} HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: ${declared}\r\n\r\n`,
    );
    socket.write(Buffer.alloc(sent, 'x'));
  });
}
