import { formatDuration } from './duration.js';
import { type CheckResult, NO_PHASES } from './result.js';

/**
 * Push checks, as pure functions: which expected run a ping belongs to, and
 * what each expected run turned out to be. Every time comes from the caller,
 * so tests replay any history with a fake clock.
 *
 * One expected run ("slot") at `scheduledAt` accepts pings from `earlyMs`
 * before it until its deadline: `scheduledAt + grace`, or, once the job said
 * it started, `start + maxRunTime` (without maxRunTime, `start + grace` if
 * that is later). A slot ends `up` (a success ping), `failed` (a /fail ping),
 * `timeout` (started, no end by the deadline) or `missed` (nothing by the
 * deadline): one result per slot.
 */

export interface Slot {
  readonly scheduledAt: number;
  /** A ping this long before the expected time still counts for it (clock skew, a job that starts early). */
  readonly earlyMs: number;
  readonly graceMs: number;
  readonly maxRunTimeMs: number | null;
}

export interface JobPing {
  readonly time: number;
  readonly body: string;
}

/** What the job said about one expected run. */
export interface SlotPings {
  readonly started: JobPing | null;
  readonly ended: (JobPing & { readonly kind: 'success' | 'fail' }) | null;
}

export const NO_PINGS: SlotPings = Object.freeze({ started: null, ended: null });

export type Verdict =
  | { readonly kind: 'pending'; readonly until: number; readonly running: boolean }
  | { readonly kind: 'up' | 'failed'; readonly at: number; readonly durationMs: number; readonly body: string }
  | { readonly kind: 'timeout'; readonly at: number; readonly startedAt: number }
  | { readonly kind: 'missed'; readonly at: number };

/** When the slot stops waiting, given what the job said so far. */
export function deadline(slot: Slot, pings: SlotPings): number {
  const expected = slot.scheduledAt + slot.graceMs;
  if (!pings.started) return expected;
  if (slot.maxRunTimeMs !== null) return pings.started.time + slot.maxRunTimeMs;
  return Math.max(expected, pings.started.time + slot.graceMs);
}

/** Whether a ping at `time` counts for this slot. */
export function accepts(slot: Slot, pings: SlotPings, time: number): boolean {
  return pings.ended === null && time >= slot.scheduledAt - slot.earlyMs && time <= deadline(slot, pings);
}

/** The slot with one more ping: the first start and the first end count; a start after the end is ignored. */
export function withPing(pings: SlotPings, kind: 'success' | 'start' | 'fail', ping: JobPing): SlotPings {
  if (pings.ended) return pings;
  if (kind === 'start') return pings.started ? pings : { ...pings, started: ping };
  return { ...pings, ended: { ...ping, kind } };
}

export function verdict(slot: Slot, pings: SlotPings, now: number): Verdict {
  const { started, ended } = pings;
  if (ended) {
    return {
      kind: ended.kind === 'success' ? 'up' : 'failed',
      at: started ? started.time : ended.time,
      // A run that said when it started has a duration; one that only said it ended does not.
      durationMs: started ? Math.max(0, ended.time - started.time) : 0,
      body: ended.body,
    };
  }
  const until = deadline(slot, pings);
  if (now < until) return { kind: 'pending', until, running: started !== null };
  return started ? { kind: 'timeout', at: until, startedAt: started.time } : { kind: 'missed', at: until };
}

/** How early a ping may come: for `every`, up to a whole interval; for cron, the grace, at most half the gap to the previous run. */
export function earlyTolerance(graceMs: number, gapMs: number, every: boolean): number {
  return every ? gapMs : Math.min(graceMs, Math.floor(gapMs / 2));
}

const iso = (ms: number) => new Date(ms).toISOString();

/** First line of a job's message, bounded, for the error text. */
function firstLine(body: string): string {
  const line = body.split('\n', 1)[0]?.trim() ?? '';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/** The result of one decided slot: what the history, the API, metrics and alerts see. */
export function slotResult(
  check: { readonly name: string; readonly displayUrl: string },
  slot: Slot,
  decided: Exclude<Verdict, { kind: 'pending' }>,
): CheckResult {
  const base = {
    time: iso(decided.at),
    check: check.name,
    url: check.displayUrl,
    status: null,
    scheduledAt: iso(slot.scheduledAt),
    phases: NO_PHASES,
  };
  const expected = `the run expected at ${iso(slot.scheduledAt)}`;
  switch (decided.kind) {
    case 'up':
      return { ...base, ok: true, durationMs: decided.durationMs, phases: { ...NO_PHASES, total: decided.durationMs } };
    case 'failed': {
      const said = firstLine(decided.body);
      return {
        ...base,
        ok: false,
        durationMs: decided.durationMs,
        phases: { ...NO_PHASES, total: decided.durationMs },
        error: { code: 'job_failed', message: `${expected} reported a failure${said ? `: ${said}` : ''}` },
      };
    }
    case 'timeout':
      return {
        ...base,
        time: iso(decided.startedAt),
        ok: false,
        durationMs: decided.at - decided.startedAt,
        error: {
          code: 'timeout',
          message: `${expected} started at ${iso(decided.startedAt)} and did not end within ${formatDuration(decided.at - decided.startedAt)}`,
        },
      };
    case 'missed':
      return {
        ...base,
        ok: false,
        durationMs: 0,
        error: {
          code: 'missed',
          message: `no ping for ${expected} within its grace of ${formatDuration(slot.graceMs)}`,
        },
      };
  }
}
