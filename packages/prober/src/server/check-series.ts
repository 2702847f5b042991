/**
 * The per-check series of /metrics, written as Prometheus text straight from
 * the checks' last results and run counts. Through prom-client, each scrape
 * filled a labelled gauge per check and phase (8 series a check: a hashed
 * label object each, kept until the next scrape) and each run hashed its
 * labels to count it: at 100,000 checks a scrape took seconds of one
 * synchronous turn and left ~200 MB of series on the heap (issue 14, goals 2
 * and 3). Here a run adds one to a field, and a scrape writes the text in
 * slices, yielding to the event loop between them.
 */
import type { CheckResult } from '../domain/result.js';
import { yieldToLoop } from '../runtime/yield-to-loop.js';

const PHASES = ['dns', 'connect', 'tls', 'ttfb', 'transfer', 'total'] as const;
export const OUTCOMES = ['up', 'degraded', 'down', 'skipped'] as const;
export type Outcome = (typeof OUTCOMES)[number];
/** Checks written between two yields to the event loop: a few ms of one turn. */
const SLICE = 500;

/** A check's runs by outcome, as lifeline_check_results_total counts them. */
export class OutcomeCounts {
  up = 0;
  degraded = 0;
  down = 0;
  skipped = 0;
}

/** A label value as the text format wants it: backslash, double quote and newline escaped. */
const escapeLabel = (value: string) =>
  /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;

const header = (name: string, type: string, help: string) => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;

/**
 * Writes lifeline_check_up, lifeline_check_duration_seconds (one series per
 * phase), lifeline_check_status_code (from the last results) and
 * lifeline_check_results_total (from the counts; only outcomes seen).
 */
export async function renderCheckSeries(
  latest: ReadonlyMap<string, CheckResult>,
  counts: ReadonlyMap<string, OutcomeCounts>,
): Promise<string> {
  const up: string[] = [];
  const duration: string[] = [];
  const status: string[] = [];
  const runs: string[] = [];
  let slice: string[][] = [[], [], [], []];
  const close = () => {
    up.push((slice[0] as string[]).join(''));
    duration.push((slice[1] as string[]).join(''));
    status.push((slice[2] as string[]).join(''));
    runs.push((slice[3] as string[]).join(''));
    slice = [[], [], [], []];
  };
  let n = 0;
  /** Between two slices (every SLICE checks of either loop): the slice is closed and the event loop runs. */
  const endSlice = () => {
    close();
    return yieldToLoop();
  };
  for (const [check, result] of latest) {
    const label = `check="${escapeLabel(check)}"`;
    const [u, d, s] = slice as [string[], string[], string[]];
    u.push(`lifeline_check_up{${label}} ${result.ok ? 1 : 0}\n`);
    for (const phase of PHASES)
      d.push(`lifeline_check_duration_seconds{${label},phase="${phase}"} ${result.phases[phase] / 1000}\n`);
    s.push(`lifeline_check_status_code{${label}} ${result.status ?? 0}\n`);
    if (++n % SLICE === 0) await endSlice();
  }
  close();
  for (const [check, count] of counts) {
    const label = `check="${escapeLabel(check)}"`;
    const r = slice[3] as string[];
    for (const outcome of OUTCOMES)
      if (count[outcome] > 0) r.push(`lifeline_check_results_total{${label},outcome="${outcome}"} ${count[outcome]}\n`);
    if (++n % SLICE === 0) await endSlice();
  }
  close();
  // Joined with +, which V8 keeps as a rope of the slices: the text is copied once, when it is sent.
  let text = header('lifeline_check_up', 'gauge', '1 when the last run of the check passed, 0 when it failed');
  for (const part of up) text += part;
  text += header('lifeline_check_duration_seconds', 'gauge', 'Time the last run of the check spent in each phase');
  for (const part of duration) text += part;
  text += header('lifeline_check_status_code', 'gauge', 'HTTP status of the last run (0 when none)');
  for (const part of status) text += part;
  text += header(
    'lifeline_check_results_total',
    'counter',
    'Runs of each check by outcome: up, degraded, down or skipped',
  );
  for (const part of runs) text += part;
  return text;
}
