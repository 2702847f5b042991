// Issue #13, high availability: fencing and alerting across members that stop
// and die. Three real `lifeline run` members on the real PostgreSQL, 24 checks
// alerting to a webhook receiver the test owns (failureThreshold 2,
// successThreshold 2), against a target that answers after 500 ms, so that a
// member stopped or killed has runs in flight.
//
// Scaled from the issue, to keep `npm test` short:
// - lease TTL 3 s, renewed every 1 s (the issue's defaults are 15 s / 5 s): see ha.ts;
// - SIGSTOP lasts until the member was expelled (TTL + one renew period after its last renewal,
//   about 4-5 s) and the others have sent the firing and the resolved of every check
//   (about 8-10 s in all), instead of the issue's 30 s: as long as it takes for everything a
//   stale member could get wrong to have happened without it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Received, type Recorder, startRecorder } from '../../../packages/prober/src/testing/channels.js';
import { getJson, until } from '../monitor.js';
import {
  allSee,
  checkNames,
  duplicateSlots,
  explained,
  HA_WAIT_MS,
  haCluster,
  isOwnership,
  isResult,
  type Line,
  type Member,
  membersAre,
  sleep,
  startTarget,
  type Target,
  TTL_MS,
} from './ha.js';

const CHECKS = checkNames('a', 24);
const body = (r: Received) => JSON.parse(r.body) as Record<string, any>;
const key = (r: Received) => String(r.headers['idempotency-key']);

/** Per check, the distinct Idempotency-Keys received (a retry of one notification repeats its key). */
function keysByCheck(received: readonly Received[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of received) {
    const check = body(r).lifeline?.check?.name as string;
    const keys = out.get(check) ?? [];
    if (!keys.includes(key(r))) keys.push(key(r));
    out.set(check, keys);
  }
  return out;
}

/** The checks that have not received a notification of this kind. */
const missing = (received: readonly Received[], kind: 'firing' | 'resolved') => {
  const done = new Set(received.filter((r) => body(r).lifeline?.kind === kind).map((r) => body(r).lifeline.check.name));
  return CHECKS.filter((c) => !done.has(c));
};

/** Waits until every check has received a notification of this kind; says which did not, and what the members logged. */
async function untilEvery(hook: Recorder, members: readonly Member[], kind: 'firing' | 'resolved', from = 0) {
  await until(
    hook,
    () => missing(hook.received.slice(from), kind).length === 0,
    `a ${kind} for every check`,
    HA_WAIT_MS,
  ).catch((error: Error) => {
    const logs = members.map(
      (m) =>
        `${m.id}:\n${m
          .allLines()
          .filter((l) => /^(alert|cluster)/.test(String(l.msg)))
          .map((l) => `  ${l.time} ${l.msg}`)
          .join('\n')}`,
    );
    throw new Error(
      `${error.message}; missing: ${missing(hook.received.slice(from), kind).join(',')}; keys: ${hook.received
        .slice(from)
        .map(key)
        .join(' ')}\n${logs.join('\n')}`,
    );
  });
}

/** Exactly one incident per check in these notifications, each with one firing and one resolved key. */
function assertOneIncidentEach(received: readonly Received[]) {
  const byCheck = keysByCheck(received);
  assert.deepEqual([...byCheck.keys()].sort(), CHECKS, 'notifications for every check');
  for (const [check, keys] of byCheck) {
    const incident = keys[0]?.replace(/:(firing|resolved)$/, '');
    assert.match(incident ?? '', new RegExp(`^${check}:\\d+$`));
    assert.deepEqual(
      [...keys].sort(),
      [`${incident}:firing`, `${incident}:resolved`],
      `${check}: one firing and one resolved of one incident`,
    );
  }
}

/** Resolves with the database's end of a member's lease, once the database clock is past it. */
async function leaseEnded(ha: ReturnType<typeof haCluster>, id: string, epoch: number): Promise<number> {
  const deadline = Date.now() + HA_WAIT_MS;
  for (;;) {
    const rows = await ha.sql<{ expires_at: string; now: string }>(
      `SELECT expires_at, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now
       FROM lifeline_members WHERE id = $1 AND epoch = $2`,
      [id, epoch],
    );
    const row = rows[0];
    assert.ok(row, `${id}'s row of epoch ${epoch} is still there`);
    if (Number(row.now) > Number(row.expires_at)) return Number(row.expires_at);
    if (Date.now() > deadline) throw new Error(`${id}'s lease did not end within ${HA_WAIT_MS} ms`);
    await sleep(100);
  }
}

/**
 * Resolves once no row of this member's epoch is stored (another member expelled it). When it
 * is not, the error names the transaction holding a lock on that row, if one does: the expel
 * skips a locked row, and a write of the stopped member takes one (FOR KEY SHARE) until it commits.
 */
async function expelled(ha: ReturnType<typeof haCluster>, id: string, epoch: number, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while ((await ha.sql('SELECT 1 FROM lifeline_members WHERE id = $1 AND epoch = $2', [id, epoch])).length > 0) {
    if (Date.now() > deadline) {
      const holders = await ha.sql(
        `SELECT a.pid, a.state, extract(epoch FROM now() - a.state_change)::int AS idle_s, left(a.query, 60) AS query
         FROM pg_stat_activity a WHERE a.backend_xid = (SELECT xmax FROM lifeline_members WHERE id = $1 AND epoch = $2)`,
        [id, epoch],
      );
      throw new Error(
        `${id} (epoch ${epoch}) was not expelled within ${ms} ms; the transaction locking its row: ${JSON.stringify(holders)}`,
      );
    }
    await sleep(100);
  }
}

describe('HA on PostgreSQL: fencing and alerting', () => {
  const ha = haCluster('fencing');
  const ids = ['m1', 'm2', 'm3'];
  let members: Member[] = [];
  let target: Target;
  let hook: Recorder;

  /** The checks a member owns now, by its own API. */
  const ownedBy = async (m: Member): Promise<string[]> =>
    ((await getJson(`${m.api}/api/v1/cluster?checks=true`)).members as any[]).find((x) => x.id === m.id).checks;

  /** Waits until a member has run every check it owns now, passing, twice since `from`. */
  const passedTwice = async (m: Member, from: number) => {
    const checks = await ownedBy(m);
    assert.ok(checks.length > 0, `${m.id} owns checks`);
    await m.waitFor(
      'two passing runs of each of its checks',
      () => {
        const passes = m.lines(from).filter((l) => isResult(l) && l.ok === true);
        return checks.every((c) => passes.filter((l) => l.check === c).length >= 2);
      },
      from,
    );
  };

  it('SIGSTOP past the lease and the expulsion, then SIGCONT: nothing stale stored, nothing sent, it rejoins', async (t) => {
    await explained(
      () => members,
      async () => {
        target = ha.clean.add(await startTarget(500), (s) => s.close());
        hook = ha.clean.add(await startRecorder(), (r) => r.close());
        members = ids.map((id) =>
          ha.member(id, CHECKS, target.url, {
            channels: [`{ name: hook, type: webhook, url: "${hook.url}/hook", timeout: 2s }`],
            alerts: '{ failureThreshold: 2, successThreshold: 2, channels: [hook] }',
          }),
        );
        await Promise.all(members.map((m) => m.start()));
        await allSee(members, ids);
        const [, m2] = members as [Member, Member, Member];
        await passedTwice(m2, 0);
        const oldEpoch = (await getJson(`${m2.api}/api/v1/cluster`)).epoch as number;
        assert.ok(Number.isInteger(oldEpoch), 'm2 holds a lease');

        // The target fails; m2 is stopped right after it saw its first failure (below the threshold),
        // with runs in flight and results not yet written.
        const beforeDown = m2.mark();
        target.set(503);
        await m2.waitFor('a failed run', (l) => isResult(l) && l.ok === false, beforeDown);
        m2.proc.child.kill('SIGSTOP');
        const stoppedAt = Date.now();
        let leaseEnd = 0;
        let sentBefore = 0;
        let resumed = 0;
        try {
          // The database's view: its lease ends (no renewal comes), then a renewing member expels it.
          leaseEnd = await leaseEnded(ha, 'm2', oldEpoch);
          await expelled(ha, 'm2', oldEpoch);
          // Meanwhile the others took its checks: every check fires, once, then resolves, without m2.
          await untilEvery(hook, members, 'firing');
          target.set(200);
          await untilEvery(hook, members, 'resolved');
          assertOneIncidentEach(hook.received);
          sentBefore = hook.received.length;
        } finally {
          // Also after a failure above: the next test needs m2 running.
          resumed = m2.mark();
          m2.proc.child.kill('SIGCONT');
        }
        const stoppedFor = Date.now() - stoppedAt;
        // It learns it was expelled, joins again with a new epoch, and turns active once every member has seen it.
        await m2.waitFor('learns it was expelled', (l) => String(l.msg).includes('this member was expelled'), resumed);
        const back = await m2.waitFor('active again', membersAre(ids), resumed);
        assert.ok(back.epoch > oldEpoch, `a new epoch (${back.epoch} after ${oldEpoch})`);
        const view = await getJson(`${m2.api}/api/v1/cluster`);
        const self = (view.members as any[]).find((m) => m.id === 'm2');
        assert.deepEqual(
          [view.epoch, self.epoch, self.live, self.active, self.checksOwned > 0],
          [back.epoch, back.epoch, true, true, true],
          JSON.stringify(view),
        );
        const deadline = Date.now() + HA_WAIT_MS;
        while ((await fetch(`${m2.api}/readyz`)).status !== 200) {
          if (Date.now() > deadline) throw new Error(`m2's /readyz is not 200 within ${HA_WAIT_MS} ms`);
          await sleep(100);
        }
        // It runs its checks again (and has adopted their alert state): by then anything it would send has gone.
        await passedTwice(m2, resumed);
        assert.equal(hook.received.length, sentBefore, 'no notification since SIGCONT');

        const stale = await ha.sql<{ n: number }>(
          'SELECT count(*)::int AS n FROM lifeline_results WHERE epoch = $1 AND (slot > $2 OR t > $2)',
          [oldEpoch, leaseEnd],
        );
        assert.equal(
          stale[0]?.n,
          0,
          'nothing stored under the old epoch for a run slot or a start after its lease ended',
        );
        // A run of m2's started late, after SIGCONT, for a slot it missed while stopped, would have started
        // seconds after its slot: none of m2's (either epoch) started a lease TTL or more after it.
        const late = await ha.sql<{ max: number; n: number }>(
          `SELECT max(t - slot)::int AS max, count(*) FILTER (WHERE t - slot >= $1)::int AS n FROM lifeline_results
           WHERE epoch IN ($2, $3)`,
          [TTL_MS, oldEpoch, back.epoch],
        );
        assert.equal(late[0]?.n, 0, `no run of m2 started late (the latest start: ${late[0]?.max} ms after its slot)`);
        assert.equal(await duplicateSlots(ha), 0);
        const fenced = m2
          .lines(resumed)
          .filter((l: Line) => /refused by fencing/.test(String(l.msg)))
          .map((l) => l.msg);
        assert.ok(
          fenced.some((m) => /result\(s\) were refused by fencing/.test(m)),
          `the results of the runs m2 had in flight were refused: ${JSON.stringify(fenced)}`,
        );
        t.diagnostic(
          `m2 stopped ${stoppedFor} ms; lease ended ${leaseEnd - stoppedAt} ms after SIGSTOP; after SIGCONT: ${JSON.stringify(fenced)}; ` +
            `ownership lines: ${JSON.stringify(
              m2
                .lines(resumed)
                .filter(isOwnership)
                .map((l) => l.msg),
            )}`,
        );
      },
    );
  });

  it('a target down while members die (kill -9) and restart: one firing and one resolved per check at the receiver', async (t) => {
    await explained(
      () => members,
      async () => {
        assert.equal(members.length, 3, 'the SIGSTOP test started the members');
        const [m1, m2, m3] = members as [Member, Member, Member];
        const start = hook.received.length;
        const received = () => hook.received.slice(start);

        /** kill -9 a member, wait until the survivors own its checks, start it again, wait until all see it active. */
        const killAndRestart = async (victim: Member) => {
          const survivors = members.filter((m) => m !== victim);
          const marks = survivors.map((m) => m.mark());
          victim.proc.child.kill('SIGKILL');
          await victim.proc.exited;
          await allSee(
            survivors,
            survivors.map((m) => m.id),
            marks,
          );
          // Before the start: the survivors' lines that show it active again come after these.
          const before = new Map(survivors.map((m) => [m, m.mark()]));
          await victim.start();
          await allSee(
            members,
            ids,
            members.map((m) => before.get(m) ?? 0),
          );
        };

        target.set(503);
        await killAndRestart(m1);
        await untilEvery(hook, members, 'firing', start);
        await killAndRestart(m3);
        target.set(200);
        await untilEvery(hook, members, 'resolved', start);
        // Each member runs its checks, passing, twice more: a second firing or resolved would have been sent by then.
        const marks = members.map((m) => m.mark());
        await Promise.all(members.map((m, n) => passedTwice(m, marks[n] ?? 0)));
        assertOneIncidentEach(received());
        const incidents = (await getJson(`${m2.api}/api/v1/incidents?limit=1000`)).incidents as any[];
        const byCheck = new Map<string, number>();
        for (const inc of incidents) byCheck.set(inc.check, (byCheck.get(inc.check) ?? 0) + 1);
        assert.deepEqual(
          [...byCheck].filter(([, n]) => n !== 2),
          [],
          'two incidents per check in all (one per test), no third',
        );
        t.diagnostic(
          `${received().length} requests for ${CHECKS.length} checks (a retry repeats its key): ` +
            `${[...keysByCheck(received()).values()].flat().length} distinct keys`,
        );
      },
    );
  });
});
