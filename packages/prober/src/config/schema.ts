import { Cron } from 'croner';
import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import { DEFAULT_EXPECT_STATUS, parseStatusRange } from '../domain/status.js';

/** Check names appear in logs, metric labels and API paths, so they stay URL- and label-safe. */
export const CHECK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
/** Below this an `every` check would mostly measure the prober itself. */
export const MIN_INTERVAL_MS = 100;

export function cronProblem(pattern: string): string | undefined {
  try {
    new Cron(pattern, { paused: true, mode: '5-or-6-parts' });
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

export function urlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not an absolute URL (expected e.g. "http://api:3000/healthcheck")`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `"${text}" uses ${url.protocol} but a check URL must be http: or https:`;
  }
  return undefined;
}

function durationField(what: string, minMs: number) {
  return z
    .string({ error: `${what} must be a duration string such as "5s", "500ms" or "1m"` })
    .superRefine((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `"${text}" is not a duration: ${what} must be a positive duration such as "5s", "500ms" or "1m"`,
        });
      } else if (ms < minMs) {
        ctx.addIssue({ code: 'custom', message: `${what} "${text}" is below the minimum of ${minMs}ms` });
      }
    });
}

function problemField(problem: (value: string) => string | undefined, what: string) {
  return z.string({ error: `${what} must be a string` }).superRefine((value, ctx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: 'custom', message });
  });
}

const statusEntry = z.union([z.number(), z.string()], { error: 'expectStatus entries are codes or "200-299" ranges' });

const expectStatusField = z.union([statusEntry, z.array(statusEntry).min(1)]).superRefine((value, ctx) => {
  const entries = Array.isArray(value) ? value : [value];
  entries.forEach((entry, index) => {
    const parsed = parseStatusRange(entry);
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: 'custom', message: parsed, path: Array.isArray(value) ? [index] : [] });
    }
  });
});

export const checkSchema = z
  .strictObject({
    name: z.string({ error: 'name is required' }).regex(CHECK_NAME, {
      message: 'name must start with a letter or digit and use only letters, digits, ".", "_" and "-" (at most 100)',
    }),
    url: problemField(urlProblem, 'url'),
    schedule: problemField(cronProblem, 'schedule').optional(),
    every: durationField('every', MIN_INTERVAL_MS).optional(),
    timezone: problemField(timeZoneProblem, 'timezone').optional(),
    timeout: durationField('timeout', 1).optional(),
    method: z.enum(HTTP_METHODS, { error: `method must be one of ${HTTP_METHODS.join(', ')}` }).optional(),
    headers: z.record(z.string(), z.string({ error: 'header values must be strings' })).optional(),
    expectStatus: expectStatusField.optional(),
  })
  .superRefine((check, ctx) => {
    if (check.schedule === undefined && check.every === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a check needs either schedule (cron) or every (interval)' });
    }
    if (check.schedule !== undefined && check.every !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'schedule and every are exclusive: give one', path: ['every'] });
    }
    if (check.timezone !== undefined && check.schedule === undefined) {
      ctx.addIssue({ code: 'custom', message: 'timezone only applies to a cron schedule', path: ['timezone'] });
    }
  });

export const configSchema = z
  .strictObject({
    checks: z
      .array(checkSchema, { error: 'checks must be a list of checks' })
      .min(1, 'checks must list at least one check'),
  })
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.checks.forEach((check, index) => {
      const first = seen.get(check.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `duplicate check name "${check.name}" (first used by checks[${first}])`,
          path: ['checks', index, 'name'],
        });
      } else {
        seen.set(check.name, index);
      }
    });
  });

/** The config as written, after `${VAR}` expansion: optional fields may be absent. */
export type ConfigInput = z.infer<typeof configSchema>;
export type CheckInput = z.infer<typeof checkSchema>;

export const DEFAULTS = {
  timezone: 'UTC',
  timeout: '5s',
  method: 'GET',
  expectStatus: DEFAULT_EXPECT_STATUS,
} as const;
