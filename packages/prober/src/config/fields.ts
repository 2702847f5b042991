import { Cron } from 'croner';
import * as z from '../bundled/zod.js';
import { formatDuration, MAX_TIMER_MS } from '../domain/duration.js';
import { durationOf as parseDuration } from './memo.js';

/** Field schemas shared by the config's parts (checks, server, alerting, maintenance). */

/** Check names appear in logs, metric labels and API paths, so they stay URL- and label-safe. */
export const CHECK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Shortest bearer token or basic password `server.auth` accepts. */
export const MIN_SECRET_LENGTH = 16;

export function cronProblem(pattern: string): string | undefined {
  try {
    const cron = new Cron(pattern, { paused: true, mode: '5-or-6-parts' });
    // e.g. "0 0 30 2 *" (February 30th) parses but never runs: scheduling it would throw later.
    if (cron.nextRun() === null) return `cron expression "${pattern}" never runs (no such date)`;
    return undefined;
  } catch (error) {
    const reason = (error as Error).message.replace(/^CronPattern: /, '');
    return `invalid cron expression "${pattern}": ${reason} (use 5 fields "m h dom mon dow" or 6 with seconds first)`;
  }
}

export function timeZoneProblem(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return undefined;
  } catch {
    return `unknown time zone "${zone}" (use an IANA name such as "UTC" or "Europe/Berlin")`;
  }
}

/**
 * A duration string, from `minMs` to `maxMs` (by default what a timer can
 * hold: a longer timeout would fire after 1 ms and fail every run).
 */
export function durationField(what: string, minMs: number, maxMs: number = MAX_TIMER_MS, hint = '') {
  return z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? `${what} is required, a duration such as "5s", "500ms" or "1m"`
          : `${what} must be a duration string such as "5s", "500ms" or "1m"`,
    })
    .superRefine((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `"${text}" is not a duration: ${what} must be a positive duration such as "5s", "500ms" or "1m"`,
        });
      } else if (ms < minMs) {
        ctx.addIssue({ code: 'custom', message: `${what} "${text}" is below the minimum of ${minMs}ms` });
      } else if (ms > maxMs) {
        ctx.addIssue({
          code: 'custom',
          message: `${what} "${text}" is above the maximum of ${formatDuration(maxMs)} (${maxMs}ms)${hint}`,
        });
      }
    });
}

export function problemField(problem: (value: string) => string | undefined, what: string) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? `${what} is required` : `${what} must be a string`) })
    .superRefine((value, ctx) => {
      const message = problem(value);
      if (message) ctx.addIssue({ code: 'custom', message });
    });
}

/** A whole number; a string of digits counts too, since `${VAR}` expands to text. */
export function intField(what: string, min: number, max: number) {
  const message = `${what} must be a whole number from ${min} to ${max}`;
  return z
    .union([z.number(), z.string().regex(/^\d+$/).transform(Number)], { error: message })
    .pipe(z.number().int(message).min(min, message).max(max, message));
}

/**
 * A secret of `server.auth`, usually `${VAR}`. Its messages never echo the
 * value, and an empty one (`${VAR:-}` with VAR unset) is refused.
 */
export function secretField(what: string, token68: boolean, variable = 'LIFELINE_TOKEN') {
  const error = (issue: { input?: unknown }) =>
    issue.input === undefined ? `${what} is required` : `${what} must be a string, e.g. \${${variable}}`;
  return z.string({ error }).superRefine((value, ctx) => {
    if (value === '') ctx.addIssue({ code: 'custom', message: `${what} is empty: is its variable set?` });
    else if (value.length < MIN_SECRET_LENGTH)
      ctx.addIssue({
        code: 'custom',
        message: `${what} is too short: use at least ${MIN_SECRET_LENGTH} characters (e.g. the output of "openssl rand -hex 16")`,
      });
    else if (token68 && !/^[A-Za-z0-9._~+/-]+=*$/.test(value))
      ctx.addIssue({
        code: 'custom',
        message: `${what} may use only letters, digits and - . _ ~ + / (then = padding), as a bearer token must (RFC 6750)`,
      });
  });
}
