import * as z from '../bundled/zod.js';
import { type Condition, ConditionSyntaxError, type Placeholder } from '../domain/conditions.js';
import { MAX_TIMER_MS } from '../domain/duration.js';
import { parseStatusRange } from '../domain/status.js';
import { DNS_TYPES } from '../probes/dns.js';
import { alertingSchema, alertsSchema, labelsSchema, maintenanceSchema } from './alerting-schema.js';
import { clusterSchema } from './cluster.js';
import {
  CHECK_NAME,
  cronProblem,
  durationField,
  intField,
  problemField,
  secretField,
  timeZoneProblem,
} from './fields.js';
import { conditionOf, durationOf as parseDuration } from './memo.js';
import { MAX_LABEL_CHARS, publicText, statusPageSchema } from './status-page.js';

export { CHECK_NAME, cronProblem, MIN_SECRET_LENGTH, timeZoneProblem } from './fields.js';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
/** Below this an `every` check would mostly measure the prober itself. */
export const MIN_INTERVAL_MS = 100;
export const SCHEMES = ['http:', 'https:', 'tcp:', 'tls:', 'dns:'] as const;
/**
 * Retention is compared with timestamps, not put in a timer, so it may be
 * longer than MAX_TIMER_MS; past ten years, write "forever".
 */
export const MAX_RETENTION_MS = 3650 * 86_400_000;

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
        conditionOf(text);
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
      condition = conditionOf(text);
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

/**
 * Fields of a probed check that a push check (`type: push`) may not have:
 * nothing is probed, the job pings the monitor.
 */
export const PROBE_ONLY = [
  'url',
  'method',
  'headers',
  'body',
  'expectStatus',
  'conditions',
  'expect',
  'maxRedirects',
  'maxBodyBytes',
  'insecure',
  'keepAlive',
  'caFile',
  'retries',
  'jitter',
  'timeout',
] as const;

/** Fields only a push check has. */
export const PUSH_ONLY = ['grace', 'maxRunTime', 'token'] as const;

const PROBED_TYPES = ['http', 'https', 'tcp', 'tls', 'dns'];

const typeField = z.literal('push', {
  error: (issue) =>
    typeof issue.input === 'string' && PROBED_TYPES.includes(issue.input.toLowerCase())
      ? `type "${issue.input}": leave type out for a probed check; its URL says what is probed (type takes one value: push)`
      : 'type takes one value: push (a job that pings the monitor); leave type out for a probed check',
});

/** Push checks (`type: push`) and probed checks share the schedule, labels and alerts; the rest is either's own. */
function pushProblems(check: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const isPush = check.type === 'push';
  if (!isPush) {
    if (check.type === undefined && check.url === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'url is required (or type: push for a job that pings the monitor)',
        path: ['url'],
      });
    }
    if (check.type !== undefined) return; // a bad type is reported at type; its fields would only repeat it
    for (const key of PUSH_ONLY) {
      if (check[key] !== undefined) {
        ctx.addIssue({ code: 'custom', message: `${key} only applies to a push check (type: push)`, path: [key] });
      }
    }
    return;
  }
  for (const key of PROBE_ONLY) {
    if (check[key] !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `${key} does not apply to a push check (type: push): the job pings the monitor`,
        path: [key],
      });
    }
  }
  if (check.token === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `token is required for a push check: the job sends it as "Authorization: Bearer <token>", e.g. token: \${SEED_JOB_TOKEN}`,
      path: ['token'],
    });
  }
  // Grace against the gap between runs: pushGapProblems (push.ts), run by the loader with a cache per load.
}

export const checkSchema = z
  .strictObject({
    name: z.string({ error: 'name is required' }).regex(CHECK_NAME, {
      message: 'name must start with a letter or digit and use only letters, digits, ".", "_" and "-" (at most 100)',
    }),
    /** `push`: the job pings the monitor (issue 11); absent: a probed check, its URL says what is probed. */
    type: typeField.optional(),
    url: problemField(urlProblem, 'url').optional(),
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
    grace: durationField('grace', 1_000).optional(),
    maxRunTime: durationField('maxRunTime', 1_000).optional(),
    token: secretField('token', true, 'SEED_JOB_TOKEN').optional(),
    labels: labelsSchema.optional(),
    alerts: alertsSchema.optional(),
    /** Where the dashboard lists the check (shown, so printable). */
    group: publicText('group', MAX_LABEL_CHARS).optional(),
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
      pushProblems(check as Record<string, unknown>, ctx);
      // A push check's probe fields are each refused above; the rest is about probes.
      if (check.type !== undefined) return;
      const scheme = typeof check.url === 'string' ? /^([a-z]+):/.exec(check.url)?.[1] : undefined;
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
      statusPage: z
        .enum(['public', 'protected'], {
          error: 'server.auth.statusPage is "public" (the default: /status needs no credentials) or "protected"',
        })
        .optional(),
      badges: z
        .enum(['public', 'protected'], {
          error: 'server.auth.badges is "protected" (the default: badges need the same credentials) or "public"',
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
  alerting: alertingSchema.optional(),
  // Membership of a cluster of monitors on one PostgreSQL database (cluster.ts); refused with other storage.
  cluster: clusterSchema.optional(),
  maintenance: z.array(maintenanceSchema, { error: 'maintenance must be a list of windows' }).optional(),
  statusPage: statusPageSchema.optional(),
  // Where `check --once` reports its results (a push check of a monitor); --report overrides the url.
  report: z
    .strictObject(
      {
        url: z
          .string({
            error:
              'report.url is the http(s) URL of a push check, e.g. http://lifeline-monitor:8080/api/v1/push/seed-job',
          })
          .refine(
            (text) => /^https?:\/\/[^/]/.test(text) && URL.canParse(text),
            'report.url is the http(s) URL of a push check, e.g. http://lifeline-monitor:8080/api/v1/push/seed-job',
          ),
        token: secretField('report.token', true, 'LIFELINE_REPORT_TOKEN'),
      },
      { error: 'report takes url and token' },
    )
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
  /** A push check's ping may arrive this long after the expected time. */
  grace: '5m',
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
  /** Every channel of `alerting.channels`. */
  channel: { timeout: '10s', concurrency: 4, maxAttempts: 10 },
  pagerdutyUrl: 'https://events.pagerduty.com/v2/enqueue',
} as const;
