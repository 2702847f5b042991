import { type Condition, evaluateCondition, parseJson } from './conditions.js';
import type { CheckError } from './errors.js';
import type { CheckResult, ConditionOutcome, Mutable, Observation } from './result.js';
import { formatStatusRanges, type StatusRange, statusMatches } from './status.js';

export type CheckKind = 'http' | 'tcp' | 'tls' | 'dns';

export interface EvaluatedCheck {
  readonly name: string;
  readonly url: string;
  readonly kind: CheckKind | 'push';
  /** Applied when set; config resolution sets 200-399 for an http check without conditions. */
  readonly expectStatus?: readonly StatusRange[];
  readonly conditions: readonly Condition[];
  /** `health`: the body must be health+json with status pass or warn (warn = degraded). */
  readonly expect?: 'health';
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** What the runner knows of the run, copied into the result. */
export interface RunInfo {
  /** Attempts made (set when the check has retries). */
  readonly attempts?: number;
  /** When the scheduler planned the run, ISO 8601. */
  readonly scheduledAt?: string;
}

/** Whether a check needs the response body: the probe reads it only then. */
export function needsBody(check: Pick<EvaluatedCheck, 'conditions' | 'expect'>): boolean {
  return (
    check.expect === 'health' ||
    check.conditions.some((c) =>
      [c.left, c.right].some(
        (o) =>
          (o.kind === 'placeholder' && o.name === 'BODY') ||
          ((o.kind === 'len' || o.kind === 'has') && o.arg.name === 'BODY'),
      ),
    )
  );
}

/** Whether a check reads response headers ([HEADER].name): the probe keeps them only then. */
export function needsHeaders(check: Pick<EvaluatedCheck, 'conditions'>): boolean {
  return check.conditions.some((c) =>
    [c.left, c.right].some(
      (o) =>
        (o.kind === 'placeholder' && o.name === 'HEADER') ||
        ((o.kind === 'len' || o.kind === 'has') && o.arg.name === 'HEADER'),
    ),
  );
}

/**
 * Turns what a probe observed into a result. PURE: the start time is passed
 * in. Order: a transport error fails the run; then a body too large to judge;
 * then every condition (all must hold); then `expectStatus`; then `expect: health`.
 */
export function evaluate(
  check: EvaluatedCheck,
  startedAt: Date,
  observation: Observation,
  run: RunInfo = {},
): CheckResult {
  // Sized up front: a pushed-to array reserves 17 slots, and the newest result of every check is kept (issue #14).
  const conditions: ConditionOutcome[] = new Array(check.conditions.length);
  let invalidJson = false;
  let json: unknown;
  let parsed = false;
  const body = () => {
    if (!parsed) {
      json = parseJson(observation.body);
      parsed = true;
    }
    return json;
  };
  for (let i = 0; i < conditions.length; i++) {
    const condition = check.conditions[i] as Condition;
    const result = evaluateCondition(
      condition,
      {
        status: observation.status,
        responseTimeMs: round(observation.durationMs),
        ...(observation.body !== undefined ? { body: observation.body } : {}),
        ...(observation.connected !== undefined ? { connected: observation.connected } : {}),
        ...(observation.ip !== undefined ? { ip: observation.ip } : {}),
        ...(observation.certificateExpirationMs !== undefined
          ? { certificateExpirationMs: observation.certificateExpirationMs }
          : {}),
        ...(observation.dnsRcode !== undefined ? { dnsRcode: observation.dnsRcode } : {}),
        dnsTimeMs: observation.phases.dns,
        connectTimeMs: observation.phases.connect,
        tlsTimeMs: observation.phases.tls,
        ttfbMs: observation.phases.ttfb,
        ...(observation.headers !== undefined ? { headers: observation.headers } : {}),
      },
      body,
    );
    invalidJson ||= result.invalidJson;
    conditions[i] = { condition: result.condition, ok: result.ok };
  }

  let error: CheckError | undefined = observation.error;
  let degraded = false;
  if (!error && observation.bodyTooLarge && needsBody(check)) {
    error = { code: 'body_too_large', message: 'the body is larger than maxBodyBytes; raise it to judge this check' };
  }
  if (!error && invalidJson)
    error = { code: 'invalid_json', message: 'a [BODY] path needs JSON, and the body is not JSON' };
  if (!error) {
    const failed = conditions.filter((c) => !c.ok);
    if (failed.length > 0) {
      error = {
        code: 'condition',
        message: `${failed.length} condition(s) failed: ${failed.map((c) => c.condition).join('; ')}`,
      };
    }
  }
  const expectStatus = check.expectStatus;
  if (!error && expectStatus && observation.status !== null && !statusMatches(expectStatus, observation.status)) {
    error = {
      code: 'http_status',
      message: `status ${observation.status} is not in ${formatStatusRanges(expectStatus)}`,
    };
  }
  if (!error && check.kind === 'http' && observation.status === null) {
    error = { code: 'protocol', message: 'no HTTP status' };
  }
  if (!error && check.kind === 'dns' && check.conditions.length === 0) {
    if (observation.dnsRcode === 'NXDOMAIN') error = { code: 'dns_nxdomain', message: `${check.url}: NXDOMAIN` };
    else if (observation.dnsRcode !== 'NOERROR')
      error = { code: 'dns_error', message: `${check.url}: ${observation.dnsRcode ?? 'no answer'}` };
    else if (observation.body === '[]') error = { code: 'dns_error', message: `${check.url}: no records of that type` };
  }
  if (!error && check.expect === 'health') {
    const report = body() as { status?: unknown } | symbol;
    if (typeof report !== 'object' || report === null) {
      error = { code: 'invalid_json', message: 'expect: health needs a JSON body (application/health+json)' };
    } else if (report.status === 'warn') degraded = true;
    else if (report.status !== 'pass' && report.status !== 'ok' && report.status !== 'up') {
      error = { code: 'condition', message: `the health report says status ${JSON.stringify(report.status ?? null)}` };
    }
  }

  // Built field by field, in the order of the output format: this runs for
  // every run of every check, and conditional spreads allocate as they go.
  const result = {
    time: startedAt.toISOString(),
    check: check.name,
    url: check.url,
    status: observation.status,
    ok: error === undefined,
  } as Mutable<CheckResult>;
  if (degraded && !error) result.degraded = true;
  result.durationMs = round(observation.durationMs);
  if (error) result.error = error;
  if (conditions.length > 0) result.conditions = conditions;
  result.phases = observation.phases;
  if (observation.ip !== undefined) result.ip = observation.ip;
  if (observation.certificateExpiresAtMs !== undefined)
    result.certificateExpiresAt = new Date(observation.certificateExpiresAtMs).toISOString();
  if (run.attempts !== undefined) result.attempts = run.attempts;
  if (run.scheduledAt !== undefined) result.scheduledAt = run.scheduledAt;
  return result;
}
