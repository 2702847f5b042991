// Issue #13, high availability: three real `lifeline run` members on the real
// PostgreSQL share 300 checks `every: 1s`; then one of them is killed with
// SIGKILL; then all three are restarted one by one (SIGTERM) under that load.
//
// Scaled from the issue, to keep `npm test` short:
// - lease TTL 3 s, renewed every 1 s (the issue's defaults are 15 s / 5 s): see ha.ts;
// - the steady window is 20 s of run slots after all three are active (the issue says 60 s);
// - the gap bound after the kill and across the restarts is the issue's own, lease TTL + one
//   interval, at the scaled TTL. After the kill it is measured from the last slot due before the
//   kill: the results the killed member still held in its write buffer (storageFlush, 200 ms) die
//   with it and add a slot to some of its checks; that tail is reported, not bounded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getJson } from '../monitor.js';
import {
  allSee,
  checkNames,
  doubleRuns,
  duplicateSlots,
  explained,
  gaps,
  haCluster,
  INTERVAL_MS,
  isOwnership,
  isResult,
  type Member,
  startTarget,
  TTL_MS,
} from './ha.js';

const CHECKS = checkNames('c', 300);
const WINDOW_MS = 20_000;
/** From the last member turning active to the start of the steady window. */
const STARTUP_MS = 5_000;

describe('HA on PostgreSQL: three members share 300 checks', () => {
  const ha = haCluster('scale');
  const ids = ['m1', 'm2', 'm3'];
  let members: Member[] = [];

  it('a steady window: every (check, slot) stored once, each check run by one member, the load shared within 20%', async (t) => {
    await explained(
      () => members,
      async () => {
        const target = ha.clean.add(await startTarget(), (s) => s.close());
        members = ids.map((id) => ha.member(id, CHECKS, target.url));
        // Started together, as a Deployment's replicas are.
        await Promise.all(members.map((m) => m.start()));
        const seen = await allSee(members, ids);
        // All three own checks from the latest of these instants. The steady window starts a few
        // seconds later: past any slot due at the very instant ownership moved, and past the starts
        // (three processes reading 300 checks and opening their first connections at once, on two
        // cores). While a process is that busy a timer may fire more than an interval late, and the
        // scheduler then skips the slots it missed rather than run them late: single-node behaviour,
        // not a handover, and not what this window measures.
        const activeAt = Math.max(...seen.map((l) => Date.parse(l.time)));
        const from = activeAt + STARTUP_MS;
        const to = from + WINDOW_MS;
        await ha.storedThrough(CHECKS, to, WINDOW_MS + 20_000);

        assert.equal(await duplicateSlots(ha), 0, 'no (check, slot) stored twice');
        // Every slot of the grid in the window is stored: WINDOW_MS / INTERVAL_MS of them per check,
        // one interval apart (each check's grid has its own offset, and no jitter).
        const perCheck = await ha.sql<{ name: string; n: number; epochs: number; step_max: number }>(
          `SELECT c.name, count(*)::int AS n, count(DISTINCT r.epoch)::int AS epochs, max(r.d)::int AS step_max,
                (min(r.slot) - $1)::int AS first, ($2 - max(r.slot))::int AS last
         FROM (SELECT check_id, epoch, slot, slot - lag(slot) OVER (PARTITION BY check_id ORDER BY slot) AS d
               FROM lifeline_results WHERE slot >= $1 AND slot < $2) r
         JOIN lifeline_checks c ON c.id = r.check_id GROUP BY c.name ORDER BY c.name`,
          [from, to],
        );
        assert.equal(perCheck.length, CHECKS.length, 'every check has results in the window');
        const incomplete = perCheck.filter((r) => r.n !== WINDOW_MS / INTERVAL_MS || r.step_max !== INTERVAL_MS);
        const ranOf = (check: string) =>
          members
            .flatMap((m) => m.allLines().map((l) => [m.id, l] as const))
            .filter(([, l]) => isResult(l) && l.check === check)
            .map(([id, l]) => `${id}:${Date.parse(l.scheduledAt) - from}`)
            .join(' ');
        assert.deepEqual(
          incomplete,
          [],
          `every slot of the window stored, none missing; runs logged (member:slot - window start) of ${incomplete
            .slice(0, 3)
            .map((r) => `${r.name}: ${ranOf(r.name)}`)
            .join('; ')}`,
        );
        const multi = perCheck.filter((r) => r.epochs !== 1);
        assert.deepEqual(multi, [], 'each check run by one member (one lease epoch) in the window');
        // The members' own logs: no slot was run twice (a second run would be refused by the key, unseen in SQL).
        assert.deepEqual(doubleRuns(members, from, to - 1), [], 'no slot run twice');

        // The load: checks owned per member, as each member's API says and as the stored epochs say.
        const view = await getJson(`${members[0]?.api}/api/v1/cluster`);
        const owned = Object.fromEntries((view.members as any[]).map((m) => [m.id, m.checksOwned]));
        const epochOf = new Map<number, string>();
        for (const m of members) {
          const own = m.lines().filter(isOwnership).at(-1);
          epochOf.set(Number(own?.epoch), m.id);
        }
        const stored = await ha.sql<{ epoch: string; checks: number; results: number }>(
          `SELECT epoch, count(DISTINCT check_id)::int AS checks, count(*)::int AS results FROM lifeline_results
         WHERE slot >= $1 AND slot < $2 GROUP BY epoch`,
          [from, to],
        );
        const byMember = Object.fromEntries(stored.map((r) => [epochOf.get(Number(r.epoch)), r.checks]));
        t.diagnostic(`checks owned per member: ${JSON.stringify(owned)}; stored per member: ${JSON.stringify(stored)}`);
        assert.deepEqual(byMember, owned, 'the stored epochs match the members and what each says it owns');
        const fair = CHECKS.length / ids.length;
        for (const id of ids) {
          const n = owned[id] as number;
          assert.ok(n >= fair * 0.8 && n <= fair * 1.2, `${id} owns ${n} checks: within 20% of ${fair}`);
        }
        const lag = await ha.sql<{ p99: number; max: number }>(
          `SELECT percentile_disc(0.99) WITHIN GROUP (ORDER BY t - slot)::int AS p99, max(t - slot)::int AS max
         FROM lifeline_results WHERE slot >= $1 AND slot < $2`,
          [from, to],
        );
        t.diagnostic(`steady window ${WINDOW_MS} ms of slots; start lag p99 ${lag[0]?.p99} ms, max ${lag[0]?.max} ms`);
      },
    );
  });

  it('kill -9 one member: its checks resume on the others within lease TTL + one interval of its death, no duplicate', async (t) => {
    await explained(
      () => members,
      async () => {
        assert.equal(members.length, 3, 'the steady test started the members');
        const [m1, m2, m3] = members as [Member, Member, Member];
        const before = await getJson(`${m2.api}/api/v1/cluster?checks=true`);
        const victimChecks = new Set<string>((before.members as any[]).find((m) => m.id === 'm2').checks);
        const m2Epoch = before.epoch as number;
        assert.ok(victimChecks.size > 0, 'm2 owns checks');
        const marks = [m1.mark(), m3.mark()];
        const killedAt = Date.now();
        m2.proc.child.kill('SIGKILL');
        await m2.proc.exited;
        // The survivors take m2's checks when its lease ends, each by its own timer.
        const taken = await allSee([m1, m3], ['m1', 'm3'], marks);
        const takenAt = Math.max(...taken.map((l) => Date.parse(l.time)));
        for (const line of taken) assert.equal(line.msg.split(';')[0], 'cluster: member-left');
        assert.equal(
          taken.reduce((n, l) => n + l.gained, 0),
          victimChecks.size,
          'the survivors gained exactly its checks',
        );
        // A few intervals of runs after the takeover, stored: then the gaps are final.
        const settled = takenAt + 3 * INTERVAL_MS;
        await ha.storedThrough(CHECKS, settled);

        assert.equal(await duplicateSlots(ha), 0, 'no (check, slot) stored twice');
        const from = killedAt - 5 * INTERVAL_MS;
        const longest = await gaps(ha, from, settled);
        const worst = longest[0];
        const victims = longest.filter((g) => victimChecks.has(g.name));
        const others = longest.filter((g) => !victimChecks.has(g.name));
        // A stored gap of m2's checks is two parts. The tail: slots m2 ran before it died whose results were
        // still in its write buffer (storageFlush 200 ms), lost with the process. The handover: from the
        // last slot due before the kill to the first slot the survivors ran, which the lease bounds.
        const ends = await ha.sql<{ name: string; last: string; first: string }>(
          `SELECT c.name, max(r.slot) FILTER (WHERE r.epoch = $2) AS last, min(r.slot) FILTER (WHERE r.epoch <> $2) AS first
           FROM lifeline_results r JOIN lifeline_checks c ON c.id = r.check_id
           WHERE c.name = ANY($1::text[]) AND r.slot >= $3 GROUP BY c.name`,
          [[...victimChecks], m2Epoch, from],
        );
        assert.equal(ends.length, victimChecks.size, 'every check of m2 has runs before and after');
        const parts = ends.map((e) => {
          const last = Number(e.last);
          const due = last + Math.floor((killedAt - last) / INTERVAL_MS) * INTERVAL_MS;
          return { name: e.name, tail: due - last, handover: Number(e.first) - due };
        });
        const count = (values: number[]) => {
          const out: Record<number, number> = {};
          for (const v of values) out[v] = (out[v] ?? 0) + 1;
          return JSON.stringify(out);
        };
        t.diagnostic(
          `takeover ${takenAt - killedAt} ms after the kill; longest stored gap ${worst?.gap} ms (${worst?.name}); ` +
            `stored gaps of m2's checks (ms: checks) ${count(victims.map((g) => g.gap))} = lost tail ` +
            `${count(parts.map((p) => p.tail))} + handover ${count(parts.map((p) => p.handover))}; ` +
            `longest of the other checks ${others[0]?.gap} ms`,
        );
        const late = parts.filter((p) => p.handover > TTL_MS + INTERVAL_MS);
        assert.deepEqual(late, [], `every handover within lease TTL + one interval (${TTL_MS + INTERVAL_MS} ms)`);
        for (const g of victims) {
          const part = parts.find((p) => p.name === g.name);
          assert.equal(
            g.gap,
            (part?.tail ?? 0) + (part?.handover ?? 0),
            `${g.name}: its longest gap is the one at the kill`,
          );
        }
        assert.deepEqual(doubleRuns([m1, m3], from, settled), [], 'no slot run twice by the survivors');
        const afterKill = await ha.sql<{ n: number }>(
          `SELECT count(*)::int AS n FROM lifeline_results r JOIN lifeline_checks c ON c.id = r.check_id
         WHERE c.name = ANY($1::text[]) AND r.slot > $2 AND r.epoch NOT IN (
           SELECT epoch FROM lifeline_members WHERE id IN ('m1', 'm3'))`,
          [[...victimChecks], takenAt],
        );
        assert.equal(afterKill[0]?.n, 0, "after the takeover m2's checks are stored by the survivors' epochs only");
      },
    );
  });

  it('a rolling restart of all three, one by one, under load: no duplicate, gaps within lease TTL + one interval', async (t) => {
    await explained(
      () => members,
      async () => {
        assert.equal(members.length, 3, 'the steady test started the members');
        // m2, killed above, comes back first; then each member in turn stops (SIGTERM) and starts again.
        const back = new Map(members.map((o) => [o, o === members[1] ? 0 : o.mark()]));
        await members[1]?.start();
        await allSee(
          members,
          ids,
          members.map((o) => back.get(o) ?? 0),
        );
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
            `${m.id}: exited in ${exitMs} ms, its checks taken ${Math.max(...left.map((l) => Date.parse(l.time))) - stopAt} ms after SIGTERM`,
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
        const histogram: Record<number, number> = {};
        for (const g of longest) histogram[g.gap] = (histogram[g.gap] ?? 0) + 1;
        // A slot due at the very instant a joiner turns active may run on both sides of the handover
        // (each member judges the instant by its own estimate of the database clock); the key stores it once.
        const twice = doubleRuns(members, from, to);
        t.diagnostic(
          `${handovers.join('; ')}; longest gap per check (ms: checks) ${JSON.stringify(histogram)}; ` +
            `slots run twice (stored once): ${twice.length} ${twice.slice(0, 5).join(' ')}`,
        );
        assert.equal(longest.length, CHECKS.length, 'every check ran across the restarts');
        assert.ok(
          (longest[0]?.gap ?? Number.POSITIVE_INFINITY) <= TTL_MS + INTERVAL_MS,
          `the longest gap ${JSON.stringify(longest[0])} is at most lease TTL + one interval`,
        );
      },
    );
  });
});
