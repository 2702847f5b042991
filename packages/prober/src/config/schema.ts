import { Cron } from 'croner';
import { z } from 'zod';
import { type Condition, ConditionSyntaxError, type Placeholder, parseCondition } from '../domain/conditions.js';
import { formatDuration, MAX_TIMER_MS, parseDuration } from '../domain/duration.js';
import { parseStatusRange } from '../domain/status.js';
import { DNS_TYPES } from '../probes/dns.js';

/** Check names appear in logs, metric labels and API paths, so they stay URL- and label-safe. */
export const CHECK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
/** Below this an `every` check would mostly measure the prober itself. */
export const MIN_INTERVAL_MS = 100;
/** Shortest bearer token or basic password `server.auth` accepts. */
export const MIN_SECRET_LENGTH = 16;
export const SCHEMES = ['http:', 'https:', 'tcp:', 'tls:', 'dns:'] as const;
/**
 * Retention is compared with timestamps, not put in a timer, so it may be
 * longer than MAX_TIMER_MS; past ten years, write "forever".
 */
export const MAX_RETENTION_MS = 3650 * 86_400_000;

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

export function urlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not an absolute URL (expected e.g. "http://api:3000/healthcheck", "tcp://redis:6379", "tls://api:443", "dns:///api.default.svc.cluster.local")`;
  }
  if (!(SCHEMES as readonly string[]).includes(url.protocol)) {
    return `"${text}" uses ${url.protocol} but a check URL must be http:, https:, tcp:, tls: or dns:`;
  }
  if (
    (url.protocol === 'tcp:' || url.protocol === 'tls:') &&
    (!url.hostname || (url.protocol === 'tcp:' && !url.port))
  ) {
    return `"${text}": a ${url.protocol.slice(0, -1)} URL needs a host${url.protocol === 'tcp:' ? ' and a port' : ''}, e.g. ${url.protocol}//redis:6379`;
  }
  if (url.protocol === 'dns:') {
    let name: string;
    try {
      name = decodeURIComponent(url.pathname.replace(/^\//, ''));
    } catch {
      return `"${text}": the name to resolve has a bad percent-escape (write %XX with two hex digits)`;
    }
    if (!name) return `"${text}": a dns URL names what to resolve, e.g. dns:///api.default.svc.cluster.local?type=A`;
    const type = url.searchParams.get('type') ?? 'A';
    if (!(DNS_TYPES as readonly string[]).includes(type.toUpperCase())) {
      return `"${text}": unknown record type "${type}" (use ${DNS_TYPES.join(', ')})`;
    }
  }
  return undefined;
}

/**
 * A duration string, from `minMs` to `maxMs` (by default what a timer can
 * hold: a longer timeout would fire after 1 ms and fail every run).
 */
function durationField(what: string, minMs: number, maxMs: number = MAX_TIMER_MS, hint = '') {
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
      } else if (ms > maxMs) {
        ctx.addIssue({
          code: 'custom',
          message: `${what} "${text}" is above the maximum of ${formatDuration(maxMs)} (${maxMs}ms)${hint}`,
        });
      }
    });
}

function problemField(problem: (value: string) => string | undefined, what: string) {
  return z.string({ error: `${what} must be a string` }).superRefine((value, ctx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: 'custom', message });
  });
}

/** A whole number; a string of digits counts too, since `${VAR}` expands to text. */
function intField(what: string, min: number, max: number) {
  const message = `${what} must be a whole number from ${min} to ${max}`;
  return z
    .union([z.number(), z.string().regex(/^\d+$/).transform(Number)], { error: message })
    .pipe(z.number().int(message).min(min, message).max(max, message));
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

const conditionsField = z
  .array(z.string({ error: 'a condition is a string such as "[STATUS] == 200"' }))
  .superRefine((list, ctx) => {
    list.forEach((text, index) => {
      try {
        parseCondition(text);
      } catch (error) {
        if (!(error instanceof ConditionSyntaxError)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message, path: [index] });
      }
    });
  });

/** The placeholders a condition reads. */
function placeholdersOf(condition: Condition): Placeholder[] {
  const out: Placeholder[] = [];
  for (const operand of [condition.left, condition.right]) {
    if (operand.kind === 'placeholder') out.push(operand.name);
    else if (operand.kind === 'len' || operand.kind === 'has') out.push(operand.arg.name);
  }
  return out;
}

/**
 * The schemes whose probe observes each placeholder; a condition on anything
 * else could never hold (or never fail), so it is refused at load. Gatus
 * accepts these silently (e.g. 0 for [CERTIFICATE_EXPIRATION] on http://): a deliberate
 * difference, listed with the others in README "Coming from Gatus".
 */
export const PLACEHOLDER_SCHEMES: Readonly<Record<Placeholder, readonly string[]>> = {
  STATUS: ['http', 'https'],
  BODY: ['http', 'https', 'dns'],
  RESPONSE_TIME: ['http', 'https', 'tcp', 'tls', 'dns'],
  CONNECTED: ['http', 'https', 'tcp', 'tls'],
  IP: ['http', 'https', 'tcp', 'tls', 'dns'],
  CERTIFICATE_EXPIRATION: ['https', 'tls'],
  DNS_RCODE: ['dns'],
  DNS_TIME: ['http', 'https', 'tcp', 'tls', 'dns'],
  CONNECT_TIME: ['http', 'https', 'tcp', 'tls'],
  TLS_TIME: ['https', 'tls'],
  TTFB: ['http', 'https'],
  HEADER: ['http', 'https'],
};

function conditionProblems(conditions: unknown, scheme: string | undefined, ctx: z.RefinementCtx): void {
  if (!Array.isArray(conditions) || scheme === undefined) return;
  conditions.forEach((text: unknown, index) => {
    if (typeof text !== 'string') return;
    let condition: Condition;
    try {
      condition = parseCondition(text);
    } catch {
      return; // reported by the field's own schema
    }
    for (const placeholder of new Set(placeholdersOf(condition))) {
      const schemes = PLACEHOLDER_SCHEMES[placeholder];
      if (schemes.includes(scheme)) continue;
      ctx.addIssue({
        code: 'custom',
        message: `[${placeholder}] does not apply to a ${scheme}:// check (only to ${schemes.map((s) => `${s}://`).join(', ')}) in "${text}"`,
        path: ['conditions', index],
      });
    }
  });
}

/** Fields that only make sense on an http(s) check. */
export const HTTP_ONLY = [
  'method',
  'headers',
  'body',
  'expectStatus',
  'maxRedirects',
  'maxBodyBytes',
  'expect',
  'keepAlive',
] as const;

export const checkSchema = z
  .strictObject({
    name: z.string({ error: 'name is required' }).regex(CHECK_NAME, {
      message: 'name must start with a letter or digit and use only letters, digits, ".", "_" and "-" (at most 100)',
    }),
    url: problemField(urlProblem, 'url'),
    schedule: problemField(cronProblem, 'schedule').optional(),
    every: durationField(
      'every',
      MIN_INTERVAL_MS,
      MAX_TIMER_MS,
      '; use a cron schedule for longer intervals',
    ).optional(),
    timezone: problemField(timeZoneProblem, 'timezone').optional(),
    timeout: durationField('timeout', 1).optional(),
    method: z.enum(HTTP_METHODS, { error: `method must be one of ${HTTP_METHODS.join(', ')}` }).optional(),
    headers: z.record(z.string(), z.string({ error: 'header values must be strings' })).optional(),
    body: z.string({ error: 'body must be a string' }).optional(),
    expectStatus: expectStatusField.optional(),
    conditions: conditionsField.optional(),
    expect: z.literal('health', { error: 'expect takes one value: health' }).optional(),
    maxRedirects: intField('maxRedirects', 0, 20).optional(),
    maxBodyBytes: intField('maxBodyBytes', 1, 100 * 1024 * 1024).optional(),
    insecure: z.boolean({ error: 'insecure must be true or false' }).optional(),
    keepAlive: z.boolean({ error: 'keepAlive must be true or false' }).optional(),
    caFile: z.string({ error: 'caFile is the path of a PEM file of trusted CA certificates' }).min(1).optional(),
    retries: intField('retries', 0, 10).optional(),
    jitter: durationField('jitter', 0).optional(),
  })
  // Runs even when a field failed, so cross-field problems come in the same pass; so it checks types itself.
  .superRefine(
    (check, ctx) => {
      if (check.schedule === undefined && check.every === undefined) {
        ctx.addIssue({ code: 'custom', message: 'a check needs either schedule (cron) or every (interval)' });
      }
      if (check.schedule !== undefined && check.every !== undefined) {
        ctx.addIssue({ code: 'custom', message: 'schedule and every are exclusive: give one', path: ['every'] });
      }
      if (check.timezone !== undefined && check.schedule === undefined) {
        ctx.addIssue({ code: 'custom', message: 'timezone only applies to a cron schedule', path: ['timezone'] });
      }
      const scheme = /^([a-z]+):/.exec(check.url)?.[1];
      if (scheme && scheme !== 'http' && scheme !== 'https') {
        for (const key of HTTP_ONLY) {
          if (check[key] !== undefined) {
            ctx.addIssue({
              code: 'custom',
              message: `${key} only applies to http(s) checks, not ${scheme}://`,
              path: [key],
            });
          }
        }
      }
      for (const key of ['insecure', 'caFile'] as const) {
        if (check[key] !== undefined && scheme !== 'https' && scheme !== 'tls') {
          ctx.addIssue({ code: 'custom', message: `${key} only applies to https:// and tls:// checks`, path: [key] });
        }
      }
      conditionProblems(check.conditions, scheme, ctx);
      const every = typeof check.every === 'string' ? parseDuration(check.every) : undefined;
      const jitter = typeof check.jitter === 'string' ? parseDuration(check.jitter) : undefined;
      // A run starts up to jitter (exclusive) late, so jitter == every spreads runs over the whole interval.
      if (every !== undefined && jitter !== undefined && jitter > every && jitter <= MAX_TIMER_MS) {
        ctx.addIssue({
          code: 'custom',
          message: `jitter "${check.jitter}" is longer than every "${check.every}": runs would pile up; make it at most the interval`,
          path: ['jitter'],
        });
      }
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );

/**
 * A secret of `server.auth`, usually `${VAR}`. Its messages never echo the
 * value, and an empty one (`${VAR:-}` with VAR unset) is refused.
 */
function secretField(what: string, token68: boolean) {
  const error = (issue: { input?: unknown }) =>
    issue.input === undefined ? `${what} is required` : `${what} must be a string, e.g. \${LIFELINE_TOKEN}`;
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

/** Access control of the API and /metrics; /livez, /readyz and /healthcheck stay open for probes. */
const authSchema = z
  .strictObject(
    {
      bearer: secretField('server.auth.bearer', true).optional(),
      basic: z
        .strictObject(
          {
            username: z
              .string({ error: 'server.auth.basic.username must be a string' })
              .min(1, 'server.auth.basic.username is empty: is its variable set?')
              .regex(/^[^:\p{Cc}]+$/u, 'server.auth.basic.username may not contain ":" or control characters'),
            password: secretField('server.auth.basic.password', false),
          },
          { error: 'server.auth.basic takes username and password' },
        )
        .optional(),
      metrics: z
        .enum(['protected', 'open'], {
          error: 'server.auth.metrics is "protected" (the default: /metrics needs the same credentials) or "open"',
        })
        .optional(),
    },
    { error: 'server.auth takes bearer (a token) and/or basic (username and password)' },
  )
  .superRefine((auth, ctx) => {
    if (auth.bearer === undefined && auth.basic === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'server.auth needs bearer (a token), basic (username and password), or both',
      });
    }
  });

const retentionDuration = z.union([
  z.literal('forever'),
  durationField('retention', 60_000, MAX_RETENTION_MS, '; write "forever" to keep everything'),
]);

const nameList = (what: string) =>
  z.array(z.string({ error: `${what} entries are names (strings)` }).min(1), {
    error: `${what} must be a list of names`,
  });

export const configSchema = z.strictObject({
  storage: z
    .string({ error: 'storage is a SQLite file path, a postgres:// URL, or "none"' })
    .min(1, 'storage is a SQLite file path, a postgres:// URL, or "none"')
    .optional(),
  // How often `run` writes results to the store: what a crash (kill -9) can lose, at most.
  storageFlush: durationField('storageFlush', 1)
    .refine((text) => (parseDuration(text) ?? 0) <= 60_000, 'storageFlush must be at most 1m')
    .optional(),
  server: z
    .strictObject({
      port: intField('server.port', 0, 65535).optional(),
      host: z.string({ error: 'server.host must be a string' }).optional(),
      auth: authSchema.optional(),
    })
    .optional(),
  scheduler: z
    .strictObject({
      concurrency: intField('scheduler.concurrency', 1, 100_000).optional(),
      missedRunWindow: durationField('scheduler.missedRunWindow', 0).optional(),
    })
    .optional(),
  retention: z
    .strictObject({
      raw: retentionDuration.optional(),
      minute: retentionDuration.optional(),
      hour: retentionDuration.optional(),
      day: retentionDuration.optional(),
    })
    .optional(),
  redact: z
    .strictObject({
      queryParams: nameList('redact.queryParams').optional(),
      headers: nameList('redact.headers').optional(),
    })
    .optional(),
  checks: z
    .array(checkSchema, { error: 'checks must be a list of checks' })
    .min(1, 'checks must list at least one check'),
});
// Duplicate check names are found by the loader on the raw document, so they are reported with every other problem.

/** The config as written, after `${VAR}` expansion: optional fields may be absent. */
export type ConfigInput = z.infer<typeof configSchema>;
export type CheckInput = z.infer<typeof checkSchema>;

export const DEFAULTS = {
  timezone: 'UTC',
  timeout: '5s',
  method: 'GET',
  expectStatus: '200-399',
  maxRedirects: 10,
  maxBodyBytes: 1024 * 1024,
  serverPort: 8080,
  concurrency: 256,
  missedRunWindow: '15m',
  retention: { raw: '7d', minute: '48h', hour: '90d', day: 'forever' },
  storage: './data/lifeline.db',
  storageFlush: '200ms',
} as const;
