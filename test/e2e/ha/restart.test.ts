// Issue #13, high availability: a rolling restart of three real `lifeline run`
// members under load, then the database cut off from all of them for 20 s.
// Every member reaches PostgreSQL through a TCP proxy the test owns; the cut
// resets every connection through it and refuses new ones (the shared server
// is never stopped). 60 checks `every: 1s` against a target the test owns.
//
// Scaled from the issue, to keep `npm test` short:
// - lease TTL 3 s, renewed every 1 s (the defaults are 15 s / 5 s): see ha.ts;
// - the gap bound of the restart is the issue's own, lease TTL + one interval, at the scaled TTL;
// - the cut lasts the 20 s (about 7 leases of 3 s, where the is about 1.3 of 15 s).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getJson, WAIT_MS } from '../monitor.js';
import {
  allSee,
  checkNames,
  type DbProxy,
  doubleRuns,
  duplicateSlots,
  gaps,
  haCluster,
  INTERVAL_MS,
  isOwnership,
  isResult,
  type Line,
  type Member,
  sleep,
  startDbProxy,
  startTarget,
  TTL_MS,
} from './ha.js';

const CHECKS = checkNames('r', 60);
const CUT_MS = 20_000;

/** Polls a member's /readyz until it answers `status` (the health runner refreshes on its own timer). */
async function readyz(m: Member, status: number): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const got = await fetch(`${m.api}/readyz?verbose`);
    const text = await got.text();
    if (got.status === status) return;
    if (Date.now() > deadline) throw new Error(`${m.id}: /readyz is ${got.status}, not ${status}: ${text}`);
    await sleep(100);
  }
}

/** The number a log line of this message carries in `field`, summed over lines. */
const sumOf = (lines: readonly Line[], text: RegExp, field: string) =>
  lines.filter((l) => text.test(String(l.msg))).reduce((n, l) => n + Number(l[field] ?? 0), 0);

describe('HA on PostgreSQL: rolling restart and a database cut', () => {
  const ha = haCluster('restart');
  const ids = ['m1', 'm2', 'm3'];
  let members: Member[] = [];
  let proxy: DbProxy;

  it('a rolling restart of all three, one by one, under load: no duplicate, gaps within lease TTL + one interval', async (t) => {
    proxy = ha.clean.add(await startDbProxy(), (p) => p.close());
    const target = ha.clean.add(await startTarget(), (s) => s.close());
    members = ids.map((id) => ha.member(id, CHECKS, target.url, { proxyPort: proxy.port }));
    await Promise.all(members.map((m) => m.start()));
    await allSee(members, ids);
    const from = Date.now();
    await ha.storedThrough(CHECKS, from + INTERVAL_MS);

    const handovers: string[] = [];
    for (const m of members) {
      const others = members.filter((o) => o !== m);
      const marks = others.map((o) => o.mark());
      const stopAt = Date.now();
      m.proc.child.kill('SIGTERM');
      const exit = await m.proc.exited;
      const exitMs = Date.now() - stopAt;
      assert.deepEqual(exit, { code: 0, signal: null }, `${m.id} stops cleanly`);
      // It left (its row deleted after its last write): the others take its checks at their next renewal.
      const left = await allSee(
        others,
        others.map((o) => o.id),
        marks,
      );
      handovers.push(
        `${m.id}: exit ${exitMs} ms, taken ${Math.max(...left.map((l) => Date.parse(l.time))) - stopAt} ms`,
      );
      const before = new Map(others.map((o) => [o, o.mark()]));
      await m.start();
      await allSee(
        members,
        ids,
        members.map((o) => before.get(o) ?? 0),
      );
    }
    const to = Date.now() + 2 * INTERVAL_MS;
    await ha.storedThrough(CHECKS, to);

    assert.equal(await duplicateSlots(ha), 0, 'no (check, slot) stored twice');
    const longest = await gaps(ha, from, to);
    const twice = doubleRuns(members, from, to);
    t.diagnostic(
      `${handovers.join('; ')}; longest gaps ${JSON.stringify(longest.slice(0, 3))}; slots run twice (stored once): ${twice.length} ${twice.slice(0, 5).join(' ')}`,
    );
    assert.equal(longest.length, CHECKS.length, 'every check ran across the restart');
    assert.ok(
      (longest[0]?.gap ?? Number.POSITIVE_INFINITY) <= TTL_MS + INTERVAL_MS,
      `the longest gap ${JSON.stringify(longest[0])} is at most lease TTL + one interval`,
    );
  });

  it('the database unreachable for 20 s: members stop at their lease, report not ready, and recover without duplicates', async (t) => {
    assert.equal(members.length, 3, 'the restart test started the members');
    const marks = members.map((m) => m.mark());
    const cutAt = Date.now();
    proxy.cut();
    // Each member notices by its own timer, with no database: its lease lapsed, it owns nothing.
    const lost = await Promise.all(
      members.map((m, i) =>
        m.waitFor('loses its lease', (l) => isOwnership(l) && l.msg.startsWith('cluster: lease-lost'), marks[i]),
      ),
    );
    await Promise.all(members.map((m) => readyz(m, 503)));
    await sleep(cutAt + CUT_MS - Date.now());
    const restoreAt = Date.now();
    await proxy.restore();

    // Recovery: each one renews or joins again, writes what it kept, and owns checks again.
    await Promise.all(
      members.map((m, i) =>
        m.waitFor('writes again', (l) => l.msg === 'writing results to the store works again', marks[i]),
      ),
    );
    await allSee(members, ids, marks);
    await Promise.all(members.map((m) => readyz(m, 200)));
    const view = await getJson(`${members[0]?.api}/api/v1/cluster`);
    assert.deepEqual(
      (view.members as any[]).map((m) => [m.id, m.live, m.active, m.checksOwned > 0]),
      ids.map((id) => [id, true, true, true]),
    );
    // Each member's writer is first in, first out: once a run it made after the restore is stored
    // (under its epoch now), everything it kept from before has been written or refused.
    const to = Date.now() + 2 * INTERVAL_MS;
    await ha.storedThrough(CHECKS, to);
    for (const m of members) {
      const epoch = m.lines().filter(isOwnership).at(-1)?.epoch;
      await ha.until(`${m.id} stored a run after the restore`, async () => {
        const rows = await ha.sql('SELECT 1 FROM lifeline_results WHERE epoch = $1 AND slot >= $2 LIMIT 1', [
          epoch,
          to,
        ]);
        return rows.length > 0;
      });
    }
    assert.equal(await duplicateSlots(ha), 0, 'no (check, slot) stored twice');

    // Where the runs of the cut went: each one a member logged is stored, or counted as refused by
    // fencing or dropped in that member's log. Counted from 5 s before the cut: a result still
    // waiting in a writer when the cut came is accounted for too.
    const report: string[] = [];
    for (const [i, m] of members.entries()) {
      const since = m.lines(marks[i]);
      const lostAt = Date.parse(lost[i]?.time);
      const back = since.find((l) => isOwnership(l) && Date.parse(l.time) > lostAt && l.members.includes(m.id));
      assert.ok(back, `${m.id} owns checks again`);
      const backAt = Date.parse(back.time);
      const runs = m
        .lines()
        .filter((l) => isResult(l))
        .map((l) => ({ check: l.check as string, slot: Date.parse(l.scheduledAt) }))
        .filter((r) => r.slot >= cutAt - 5_000 && r.slot < restoreAt);
      const inCut = runs.filter((r) => r.slot >= cutAt);
      // It probes what it owns while its lease holds, and nothing from the lapse until it holds one again.
      const unowned = inCut.filter((r) => r.slot > lostAt && r.slot < backAt);
      assert.deepEqual(unowned, [], `${m.id} runs nothing without a lease`);
      const stored = await ha.sql<{ slot: string }>(
        `SELECT r.slot FROM lifeline_results r JOIN lifeline_checks c ON c.id = r.check_id
         JOIN unnest($1::text[], $2::bigint[]) AS x(name, slot) ON x.name = c.name AND x.slot = r.slot`,
        [runs.map((r) => r.check), runs.map((r) => r.slot)],
      );
      const storedInCut = stored.filter((r) => Number(r.slot) >= cutAt).length;
      const fenced = sumOf(since, /result\(s\) were refused by fencing/, 'fenced');
      const dropped = sumOf(since, /result\(s\) were dropped/, 'dropped');
      const last = inCut.at(-1);
      report.push(
        `${m.id}: lease lost ${lostAt - cutAt} ms after the cut, ran ${inCut.length} runs in the cut (the last slot ` +
          `${last ? last.slot - cutAt : '-'} ms after it), ${storedInCut} of them stored; from 5 s before the cut: ` +
          `${runs.length} runs, ${stored.length} stored, ${fenced} refused by fencing, ${dropped} dropped; ` +
          `owns checks again ${backAt - restoreAt} ms after the restore`,
      );
      assert.ok(inCut.length > 0, `${m.id} kept probing while its lease held`);
      assert.equal(runs.length - stored.length, fenced + dropped, `${m.id}: every run stored, or counted as refused`);
    }
    t.diagnostic(report.join('; '));
  });
});
