import type { AlertPolicy } from '../domain/alerts.js';
import { type Condition, createConditionLists } from '../domain/conditions.js';
import type { CheckKind } from '../domain/evaluate.js';
import { parseStatusRange, type StatusRange } from '../domain/status.js';
import type { DnsType } from '../probes/dns.js';
import { pushPolicyBase, resolveAlerting, resolveMaintenance, resolvePolicy } from './alerting-resolve.js';
import type { AlertsInput } from './alerting-schema.js';
import { POSTGRES_URL, resolveCluster } from './cluster.js';
import { deepFreeze } from './freeze.js';
import { conditionOf, memoize, durationOf as parseDuration } from './memo.js';
import { type RedactOptions, redactCheck, redactOptions } from './redact.js';
import { type CheckInput, type ConfigInput, DEFAULTS, type HTTP_METHODS } from './schema.js';
import { resolveStatusPage } from './status-page.js';

export type Schedule =
  | { readonly kind: 'cron'; readonly pattern: string; readonly timezone: string }
  | { readonly kind: 'every'; readonly intervalMs: number };

export type Target =
  | { readonly kind: 'http' }
  | { readonly kind: 'tcp' | 'tls'; readonly host: string; readonly port: number }
  | { readonly kind: 'dns'; readonly name: string; readonly type: DnsType; readonly server?: string }
  | { readonly kind: 'push' };

/** A push check (`type: push`): the job pings the monitor; nothing is probed. */
export interface PushSettings {
  /** How long after each expected run a ping may still arrive before the run counts as missed. */
  readonly graceMs: number;
  /** A run that pinged /start and has not ended this long after is `timeout`; null: grace from the expected time. */
  readonly maxRunTimeMs: number | null;
  /** The check's own token (`Authorization: Bearer`), from ${VAR}. */
  readonly token: string;
}

/** A check with every default applied; frozen, so nothing changes it after load. */
export interface ResolvedCheck {
  readonly name: string;
  /** The URL as configured, secrets included: only the probe may see it. */
  readonly url: string;
  /**
   * The URL with userinfo and secret query values as `***`: what results,
   * logs, the API, metrics and stores carry.
   */
  readonly displayUrl: string;
  /** Secret strings of the URL and credential headers, scrubbed from error messages. */
  readonly secrets: readonly string[];
  /** What runs it: a probe of this kind, or `push` (the job pings the monitor). */
  readonly kind: CheckKind | 'push';
  readonly target: Target;
  /** Set exactly when kind is `push`. */
  readonly push?: PushSettings;
  readonly schedule: Schedule;
  readonly timeoutMs: number;
  readonly method: (typeof HTTP_METHODS)[number];
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Explicit, or 200-399 for an http check without conditions. */
  readonly expectStatus?: readonly StatusRange[];
  readonly conditions: readonly Condition[];
  readonly expect?: 'health';
  readonly maxRedirects: number;
  readonly maxBodyBytes: number;
  readonly insecure: boolean;
  /**
   * Reuse the check's connection from one run to the next (http only). Off by
   * default: each run then resolves the name and connects afresh, as a new
   * client would, so a failing DNS or connect is seen at once.
   */
  readonly keepAlive: boolean;
  /** PEM of extra trusted CAs (from caFile), e.g. a cluster's internal CA. */
  readonly ca?: string;
  readonly retries: number;
  readonly jitterMs: number;
  /** `labels:` of the check: sent with its alerts (Alertmanager labels, webhook payload). */
  readonly labels: Readonly<Record<string, string>>;
  /** `alerting.defaults` merged with the check's `alerts:`; incidents are tracked for every check, notified to these channels. */
  readonly alerts: AlertPolicy;
  /** `group:`: where the dashboard lists the check; null when not given. */
  readonly group: string | null;
}

interface ChannelBase {
  readonly name: string;
  /** One try's bound: connect, send and the receiver's answer. */
  readonly timeoutMs: number;
  /** Notifications in flight to this channel at once. */
  readonly concurrency: number;
  /** Tries before a notification is dead-lettered. */
  readonly maxAttempts: number;
  /** Secret strings of this channel (URL credentials and tokens, webhook secret, routing key, SMTP password): scrubbed from logs and errors. */
  readonly secrets: readonly string[];
  /** The channel's URL with credentials and tokens as `***`: what logs and errors show. */
  readonly displayUrl: string;
}

/** One entry of `alerting.channels`. */
export type ChannelConfig =
  | (ChannelBase & {
      readonly type: 'alertmanager';
      /** Alertmanager's base URL, e.g. http://alertmanager.monitoring:9093 (alerts go to <url>/api/v2/alerts). */
      readonly url: string;
      readonly headers: Readonly<Record<string, string>>;
    })
  | (ChannelBase & {
      readonly type: 'webhook';
      readonly url: string;
      /** Signs each body: `X-Lifeline-Signature: sha256=<hex HMAC-SHA256 of the body>`. */
      readonly secret?: string;
      readonly headers: Readonly<Record<string, string>>;
    })
  | (ChannelBase & { readonly type: 'slack'; readonly url: string })
  | (ChannelBase & {
      readonly type: 'pagerduty';
      /** Events API v2 integration (routing) key. */
      readonly routingKey: string;
      /** Default https://events.pagerduty.com/v2/enqueue. */
      readonly url: string;
    })
  | (ChannelBase & {
      readonly type: 'email';
      /** smtp://user:pass@host:587 (STARTTLS when offered) or smtps://...:465. */
      readonly url: string;
      readonly from: string;
      readonly to: readonly string[];
    });

/** `maintenance:` entry: results are stored (marked) and notifications wait until the window ends. */
export interface MaintenanceWindow {
  readonly name: string;
  /** When each window starts. */
  readonly schedule: { readonly pattern: string; readonly timezone: string };
  readonly durationMs: number;
  /** The checks it covers; null: every check. */
  readonly checks: readonly string[] | null;
}

export interface AlertingConfig {
  readonly channels: readonly ChannelConfig[];
  readonly defaults: AlertPolicy;
  /** Base URL of the monitor's API as receivers should reach it (links in notifications), e.g. http://lifeline-monitor:8080. */
  readonly externalUrl?: string;
}

export type StorageConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string }
  | { readonly kind: 'none' };

/**
 * `cluster:`: this monitor as a member of a cluster on PostgreSQL (issue #13).
 * Always present, defaults filled; used only when storage is PostgreSQL.
 */
export interface ClusterConfig {
  /** The member id as configured; undefined: `<hostname>-<6 random base36>`, chosen at start. */
  readonly id?: string;
  /** How long a lease lasts unless renewed: a dead member's checks move to others after this. */
  readonly leaseTtlMs: number;
  /** How often the lease is renewed (and the other members read); at most leaseTtlMs / 3. */
  readonly renewMs: number;
  /** How other members reach this one's API, without a trailing slash. */
  readonly advertiseUrl?: string;
}

export interface RetentionConfig {
  readonly rawMs: number;
  readonly minuteMs: number | null;
  readonly hourMs: number | null;
  /** null keeps daily rollups forever. */
  readonly dayMs: number | null;
}

/** `server.auth`: who may read the API and /metrics. */
export interface ServerAuth {
  readonly bearer?: string;
  readonly basic?: { readonly username: string; readonly password: string };
  /** "protected": /metrics needs the same credentials; "open": it needs none. */
  readonly metrics: 'protected' | 'open';
  /** "public" (default): /status needs no credentials; "protected": it needs them. */
  readonly statusPage: 'public' | 'protected';
  /** "protected" (default): the badges need the credentials; "public": they need none. */
  readonly badges: 'public' | 'protected';
}

/** One check on the status page. */
export interface StatusPageEntry {
  readonly check: string;
  /** What the page shows for it: its `label`, else the check's name. */
  readonly label: string;
}

/**
 * `statusPage:`: the public page at /status. It shows only the checks its
 * groups list, by label, never their URLs or errors.
 */
export interface ResolvedStatusPage {
  readonly title: string;
  readonly description: string | null;
  readonly groups: readonly { readonly name: string; readonly checks: readonly StatusPageEntry[] }[];
}

export interface ResolvedConfig {
  /** The file the config came from, when it came from one. */
  readonly source: string;
  readonly checks: readonly ResolvedCheck[];
  /** What `storage:` says; undefined when the config does not say (run mode then uses SQLite). */
  readonly storage?: StorageConfig;
  /** How often `run` writes results (storageFlush): a crash loses at most this window. */
  readonly storageFlushMs: number;
  readonly server: { readonly port: number; readonly host?: string; readonly auth?: ServerAuth };
  readonly scheduler: { readonly concurrency: number; readonly missedRunWindowMs: number };
  readonly retention: RetentionConfig;
  readonly alerting: AlertingConfig;
  readonly cluster: ClusterConfig;
  readonly maintenance: readonly MaintenanceWindow[];
  /** `report:`: where `check --once` sends its results (a monitor's push check). */
  readonly report?: { readonly url: string; readonly token: string };
  /** `statusPage:`; without it /status is a 404. */
  readonly statusPage?: ResolvedStatusPage;
}

function mustDuration(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`bug: unvalidated duration ${text}`);
  return ms;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // the schema refuses a bad escape; this only keeps a bug from becoming a crash
  }
}

const HTTP_TARGET: Target = Object.freeze({ kind: 'http' });
// Shared by every check that has no headers, labels or secrets, and by those with the same
// interval: 100,000 checks made (and froze) 400,000 objects that were all alike.
const EMPTY_RECORD: Readonly<Record<string, string>> = Object.freeze({});
const EMPTY_LIST: readonly string[] = Object.freeze([]);
const copyOf = (record: Readonly<Record<string, string>> | undefined) =>
  record === undefined || Object.keys(record).length === 0 ? EMPTY_RECORD : { ...record };
const everySchedule = memoize((text: string): Schedule => ({ kind: 'every', intervalMs: mustDuration(text) }));

function resolveTarget(url: URL): Target {
  const scheme = url.protocol.slice(0, -1);
  if (scheme === 'tcp' || scheme === 'tls') {
    return { kind: scheme, host: url.hostname, port: url.port ? Number(url.port) : 443 };
  }
  if (scheme === 'dns') {
    return {
      kind: 'dns',
      name: safeDecode(url.pathname.replace(/^\//, '')),
      type: (url.searchParams.get('type') ?? 'A').toUpperCase() as DnsType,
      ...(url.host ? { server: url.host } : {}),
    };
  }
  return { kind: 'http' };
}

function resolveSchedule(input: CheckInput): Schedule {
  return input.schedule !== undefined
    ? { kind: 'cron', pattern: input.schedule, timezone: input.timezone ?? DEFAULTS.timezone }
    : everySchedule(input.every as string);
}

/** The path a push check's job pings (POST, `Authorization: Bearer <token>`); what results and the API show. */
export function pushPath(name: string): string {
  return `/api/v1/push/${name}`;
}

/**
 * A push check (`type: push`): nothing is probed, so the probe fields sit at
 * harmless defaults; timeoutMs is the grace (the scheduler's stop grace).
 */
function resolvePushCheck(
  input: CheckInput,
  defaults: AlertPolicy,
  defaultsInput: AlertsInput | undefined,
): ResolvedCheck {
  const graceMs = mustDuration(input.grace ?? DEFAULTS.grace);
  const token = input.token as string;
  return {
    name: input.name,
    url: `push:${input.name}`,
    displayUrl: pushPath(input.name),
    secrets: [token],
    kind: 'push',
    target: { kind: 'push' },
    push: {
      graceMs,
      maxRunTimeMs: input.maxRunTime !== undefined ? mustDuration(input.maxRunTime) : null,
      token,
    },
    schedule: resolveSchedule(input),
    timeoutMs: graceMs,
    method: 'GET',
    headers: {},
    conditions: [],
    maxRedirects: 0,
    maxBodyBytes: 0,
    insecure: false,
    keepAlive: false,
    retries: 0,
    jitterMs: 0,
    labels: { ...(input.labels ?? {}) },
    alerts: resolvePolicy(pushPolicyBase(defaults, defaultsInput), input.alerts),
    group: input.group ?? null,
  };
}

function resolveCheck(
  input: CheckInput,
  readCa: (path: string) => string,
  redact: RedactOptions,
  defaults: AlertPolicy,
  defaultsInput: AlertsInput | undefined,
  conditionsOf: (texts: readonly string[]) => readonly Condition[] = createConditionLists(conditionOf),
): ResolvedCheck {
  if (input.type === 'push') return resolvePushCheck(input, defaults, defaultsInput);
  if (input.url === undefined) throw new Error('bug: unvalidated check without url');
  const schedule = resolveSchedule(input);
  // The URL was parsed by the schema already; an http(s) target needs nothing from it.
  const target: Target = /^https?:/.test(input.url) ? HTTP_TARGET : resolveTarget(new URL(input.url));
  const kind: ResolvedCheck['kind'] = target.kind;
  const conditions = conditionsOf(input.conditions ?? []);
  const statusEntries =
    input.expectStatus ?? (kind === 'http' && conditions.length === 0 ? DEFAULTS.expectStatus : undefined);
  const expectStatus =
    statusEntries === undefined
      ? undefined
      : (Array.isArray(statusEntries) ? statusEntries : [statusEntries]).map((entry) => {
          const range = parseStatusRange(entry);
          if (typeof range === 'string') throw new Error(`bug: unvalidated status ${range}`);
          return range;
        });
  const headers = copyOf(input.headers);
  const redacted = redactCheck(input.url, headers, redact);
  const { displayUrl } = redacted;
  const secrets = redacted.secrets.length === 0 ? EMPTY_LIST : redacted.secrets;
  return {
    name: input.name,
    url: input.url,
    displayUrl,
    secrets,
    kind,
    target,
    schedule,
    timeoutMs: mustDuration(input.timeout ?? DEFAULTS.timeout),
    method: input.method ?? DEFAULTS.method,
    headers,
    ...(input.body !== undefined ? { body: input.body } : {}),
    ...(expectStatus ? { expectStatus } : {}),
    conditions,
    ...(input.expect ? { expect: input.expect } : {}),
    maxRedirects: input.maxRedirects ?? DEFAULTS.maxRedirects,
    maxBodyBytes: input.maxBodyBytes ?? DEFAULTS.maxBodyBytes,
    insecure: input.insecure ?? false,
    keepAlive: input.keepAlive ?? false,
    ...(input.caFile !== undefined ? { ca: readCa(input.caFile) } : {}),
    retries: input.retries ?? 0,
    jitterMs: input.jitter ? mustDuration(input.jitter) : 0,
    labels: copyOf(input.labels),
    alerts: resolvePolicy(defaults, input.alerts),
    group: input.group ?? null,
  };
}

function resolveStorage(text: string): StorageConfig {
  if (text === 'none') return { kind: 'none' };
  if (POSTGRES_URL.test(text)) return { kind: 'postgres', url: text };
  return { kind: 'sqlite', path: text.replace(/^sqlite:(\/\/)?/, '') };
}

function resolveAuth(input: NonNullable<NonNullable<ConfigInput['server']>['auth']>): ServerAuth {
  return {
    ...(input.bearer !== undefined ? { bearer: input.bearer } : {}),
    ...(input.basic !== undefined ? { basic: { username: input.basic.username, password: input.basic.password } } : {}),
    metrics: input.metrics ?? 'protected',
    statusPage: input.statusPage ?? 'public',
    badges: input.badges ?? 'protected',
  };
}

const retentionMs = (text: string): number | null => (text === 'forever' ? null : mustDuration(text));

/** Applies defaults to a validated config and freezes the result. */
export function resolveConfig(
  input: ConfigInput,
  source: string,
  readCa: (path: string) => string = () => {
    throw new Error('bug: caFile given without a reader');
  },
): ResolvedConfig {
  const retention = { ...DEFAULTS.retention, ...(input.retention ?? {}) };
  const raw = retentionMs(retention.raw);
  const redact = redactOptions(input.redact);
  const alerting = resolveAlerting(input.alerting, redact);
  // The schema parsed each condition text already (conditionOf): resolution takes those, not a parse of its own.
  const conditionsOf = createConditionLists(conditionOf);
  return deepFreeze({
    source,
    checks: input.checks.map((check) =>
      resolveCheck(check, readCa, redact, alerting.defaults, input.alerting?.defaults, conditionsOf),
    ),
    ...(input.storage !== undefined ? { storage: resolveStorage(input.storage) } : {}),
    storageFlushMs: mustDuration(input.storageFlush ?? DEFAULTS.storageFlush),
    server: {
      port: input.server?.port ?? DEFAULTS.serverPort,
      ...(input.server?.host !== undefined ? { host: input.server.host } : {}),
      ...(input.server?.auth !== undefined ? { auth: resolveAuth(input.server.auth) } : {}),
    },
    scheduler: {
      concurrency: input.scheduler?.concurrency ?? DEFAULTS.concurrency,
      missedRunWindowMs: mustDuration(input.scheduler?.missedRunWindow ?? DEFAULTS.missedRunWindow),
    },
    retention: {
      rawMs: raw ?? Number.MAX_SAFE_INTEGER,
      minuteMs: retentionMs(retention.minute),
      hourMs: retentionMs(retention.hour),
      dayMs: retentionMs(retention.day),
    },
    alerting,
    cluster: resolveCluster(input.cluster),
    maintenance: resolveMaintenance(input.maintenance),
    ...(input.report ? { report: { url: input.report.url, token: input.report.token } } : {}),
    ...(input.statusPage ? { statusPage: resolveStatusPage(input.statusPage) } : {}),
  });
}
