// Issue #13, high availability: the database cut off from three real
// `lifeline run` members for 20 s. Every member reaches PostgreSQL through a
// TCP proxy the test owns; the cut resets every connection through it and
// every new one (the shared server is never stopped). 30 checks `every: 1s`
// against a target the test owns.
//
// Scaled from the issue, to keep `npm test` short:
// - lease TTL 3 s, renewed every 1 s (the defaults are 15 s / 5 s): see ha.ts;
// - the cut lasts the 20 s (about 7 leases of 3 s, where the is about 1.3 of 15 s).
//
// What the issue asks and the design (contract-ha.md) answer differently: "members keep
// probing" holds only while a member's lease holds. A member whose lease lapsed owns no check
// until a renewal reaches the database (fencing), so through a cut longer than the lease every
// member stops probing at its lapse and starts again once it holds a lease. This test asserts
// the design's behaviour and reports how many of the runs made during the cut were stored:
// all of them, since the first member back expels nobody for one lease (every lease lapsed
// for the same cause), so no member's results are fenced.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getJson } from '../monitor.js';
import {
  allSee,
  checkNames,
  type DbProxy,
  doubleRuns,
  duplicateSlots,
  explained,
  HA_WAIT_MS,
  haCluster,
  INTERVAL_MS,
  isOwnership,
  isResult,
  type Line,
  type Member,
  sleep,
  startDbProxy,
  startTarget,
} from './ha.js';

const CHECKS = checkNames('r', 30);
const CUT_MS = 20_000;

/** Polls a member's /readyz until it answers `status` (the health runner refreshes on its own timer). */
async function readyz(m: Member, status: number): Promise<void> {
  const deadline = Date.now() + HA_WAIT_MS;
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

describe('HA on PostgreSQL: a database cut', () => {
  const ha = haCluster('cut');
  const ids = ['m1', 'm2', 'm3'];
  let members: Member[] = [];
  let proxy: DbProxy;

  it('the database unreachable for 20 s: members stop at their lease, report not ready, and recover without duplicates', async (t) => {
    await explained(
      () => members,
      async () => {
        proxy = ha.clean.add(await startDbProxy(), (p) => p.close());
        const target = ha.clean.add(await startTarget(), (s) => s.close());
        members = ids.map((id) => ha.member(id, CHECKS, target.url, { proxyPort: proxy.port }));
        await Promise.all(members.map((m) => m.start()));
        await allSee(members, ids);
        await ha.storedThrough(CHECKS, Date.now() + INTERVAL_MS);
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
        proxy.restore();

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
        // Cut off, a member keeps its own checks until its lease lapses and never takes another's on
        // the stale news of its last read: no slot of the cut was run by two members.
        assert.deepEqual(doubleRuns(members, cutAt, restoreAt - 1), [], 'no slot of the cut run twice');

        // Where the runs of the cut went: each one a member logged is stored, or counted as refused by
        // fencing or dropped in that member's log. Counted over the life of its process up to the
        // restore: a result still waiting in a writer when the cut came is accounted for too.
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
            .filter((r) => r.slot < restoreAt);
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
          const fenced = sumOf(m.lines(), /result\(s\) were refused by fencing/, 'fenced');
          const dropped = sumOf(m.lines(), /result\(s\) were dropped/, 'dropped');
          const last = inCut.at(-1);
          report.push(
            `${m.id}: lease lost ${lostAt - cutAt} ms after the cut, ran ${inCut.length} runs in the cut (the last slot ` +
              `${last ? last.slot - cutAt : '-'} ms after it), ${storedInCut} of them stored; in its process up to the restore: ` +
              `${runs.length} runs, ${stored.length} stored, ${fenced} refused by fencing, ${dropped} dropped; ` +
              `owns checks again ${backAt - restoreAt} ms after the restore`,
          );
          assert.ok(inCut.length > 0, `${m.id} kept probing while its lease held`);
          // Every lease lapsed for the same cause: the first member back expels nobody for one lease,
          // so the others keep their epochs and what they ran while their lease held is stored.
          assert.equal(fenced, 0, `${m.id}: nothing refused by fencing after a cut every member saw`);
          assert.equal(
            runs.length - stored.length,
            fenced + dropped,
            `${m.id}: every run stored, or counted as refused`,
          );
        }
        t.diagnostic(report.join('; '));
      },
    );
  });
});
