import { type CheckError, ERROR_CODES, type ErrorCode, type Phase } from '../domain/errors.js';
import type { CheckResult, ConditionOutcome, Phases } from '../domain/result.js';
import { ApiError } from './errors.js';
import { quote } from './request.js';

/** A report holds at most this many results (one per check of the CronJob's config). */
/** Results one report carries at most; `check --once --report` sends only the heartbeat past it. */
export { REPORT_MAX_RESULTS } from '../report.js';

import { REPORT_MAX_RESULTS } from '../report.js';

const MAX_TEXT = 8_192;
const MAX_CONDITIONS = 100;
const PHASE_NAMES = ['dns', 'connect', 'tls', 'ttfb', 'transfer', 'total'] as const;
const PHASES: readonly Phase[] = ['dns', 'connect', 'tls', 'ttfb', 'transfer'];

type Json = Record<string, unknown>;

const bad = (where: string, what: string, got: unknown): never => {
  // Never JSON.stringify what came: a value nested 100,000 deep would overflow the stack.
  const shown =
    got === undefined
      ? 'nothing'
      : typeof got === 'string'
        ? quote(got)
        : Array.isArray(got)
          ? `an array of ${got.length}`
          : typeof got === 'object' && got !== null
            ? 'an object'
            : String(got);
  throw new ApiError('bad_request', `${where} must be ${what}, got ${shown}`);
};
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function text(v: unknown, where: string, max = MAX_TEXT): string {
  if (typeof v !== 'string' || v.length > max) bad(where, `a string of at most ${max} characters`, v);
  return v as string;
}
function time(v: unknown, where: string): string {
  if (typeof v !== 'string' || v.length > 40 || Number.isNaN(Date.parse(v)) || !/^\d{4}-\d\d-\d\dT/.test(v))
    bad(where, 'an ISO 8601 time', v);
  return v as string;
}
function bool(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') bad(where, 'true or false', v);
  return v as boolean;
}
function ms(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) bad(where, 'a number of milliseconds (0 or more)', v);
  return v as number;
}
function object(v: unknown, where: string): Json {
  if (!isObject(v)) bad(where, 'an object', v);
  return v as Json;
}

function phases(v: unknown, where: string): Phases {
  const o = object(v, where);
  const out: Record<string, number> = {};
  for (const name of PHASE_NAMES) out[name] = ms(o[name], `${where}.${name}`);
  return out as unknown as Phases;
}

function error(v: unknown, where: string): CheckError {
  const o = object(v, where);
  const code = o.code;
  if (typeof code !== 'string' || !Object.hasOwn(ERROR_CODES, code))
    bad(`${where}.code`, 'a Lifeline error code', code);
  const phase = o.phase;
  if (phase !== undefined && !(PHASES as readonly unknown[]).includes(phase))
    bad(`${where}.phase`, `one of ${PHASES.join(', ')}`, phase);
  return {
    code: code as ErrorCode,
    message: text(o.message, `${where}.message`),
    ...(phase !== undefined ? { phase: phase as Phase } : {}),
  };
}

function conditions(v: unknown, where: string): ConditionOutcome[] {
  if (!Array.isArray(v) || v.length > MAX_CONDITIONS) bad(where, `an array of at most ${MAX_CONDITIONS}`, v);
  return (v as unknown[]).map((c, i) => {
    const o = object(c, `${where}[${i}]`);
    return { condition: text(o.condition, `${where}[${i}].condition`), ok: bool(o.ok, `${where}[${i}].ok`) };
  });
}

/** One result, copied field by field: only the fields of CheckResult, each of its type; others are ignored. */
function result(v: unknown, where: string): CheckResult {
  const o = object(v, where);
  const status = o.status;
  if (status !== null && !(Number.isInteger(status) && (status as number) >= 100 && (status as number) <= 999))
    bad(`${where}.status`, 'an HTTP status code (100-999) or null', status);
  const out: Record<string, unknown> = {
    time: time(o.time, `${where}.time`),
    check: text(o.check, `${where}.check`, 256),
    url: text(o.url, `${where}.url`),
    status,
    ok: bool(o.ok, `${where}.ok`),
    durationMs: ms(o.durationMs, `${where}.durationMs`),
    phases: phases(o.phases, `${where}.phases`),
  };
  if (out.check === '') bad(`${where}.check`, 'a check name', '');
  if (o.degraded !== undefined) out.degraded = bool(o.degraded, `${where}.degraded`);
  if (o.error !== undefined) out.error = error(o.error, `${where}.error`);
  if (o.conditions !== undefined) out.conditions = conditions(o.conditions, `${where}.conditions`);
  if (o.scheduledAt !== undefined) out.scheduledAt = time(o.scheduledAt, `${where}.scheduledAt`);
  if (o.attempts !== undefined) {
    if (!Number.isInteger(o.attempts) || (o.attempts as number) < 1 || (o.attempts as number) > 1000)
      bad(`${where}.attempts`, 'a whole number from 1 to 1000', o.attempts);
    out.attempts = o.attempts;
  }
  if (o.ip !== undefined) out.ip = text(o.ip, `${where}.ip`, 64);
  if (o.maintenance !== undefined) out.maintenance = bool(o.maintenance, `${where}.maintenance`);
  return out as unknown as CheckResult;
}

/** Where the first `__proto__` key is, walked without recursion (a body may nest 100,000 deep). */
function protoKey(root: unknown): string | undefined {
  const stack: [unknown, string][] = [[root, 'the body']];
  while (stack.length > 0) {
    const [value, where] = stack.pop() as [unknown, string];
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) stack.push([value[i], `${where}[${i}]`]);
    } else if (isObject(value)) {
      if (Object.hasOwn(value, '__proto__')) return where;
      for (const [k, v] of Object.entries(value)) stack.push([v, where === 'the body' ? k : `${where}.${k}`]);
    }
  }
  return undefined;
}

/**
 * The body of POST /api/v1/push/{check}/report: `{"results": [CheckResult, ...]}`
 * as `lifeline check --once` prints them. JSON.parse never touches a
 * prototype (a `__proto__` key becomes an own property), but a body with one
 * is refused anyway, and only known fields are copied out. Throws a 400
 * naming the index and field of the first bad value.
 */
export function parseReport(bytes: Buffer): CheckResult[] {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new ApiError('bad_request', `the body is not valid UTF-8 JSON: ${(e as Error).message.slice(0, 200)}`);
  }
  const proto = protoKey(body);
  if (proto !== undefined) throw new ApiError('bad_request', `${proto} has a "__proto__" key, which is not allowed`);
  if (!isObject(body)) bad('the body', 'an object {"results": [...]}', body);
  const results = (body as Json).results;
  if (!Array.isArray(results) || results.length === 0 || results.length > REPORT_MAX_RESULTS)
    bad(
      'results',
      `an array of 1 to ${REPORT_MAX_RESULTS} results`,
      Array.isArray(results) ? `${results.length} results` : results,
    );
  return (results as unknown[]).map((r, i) => result(r, `results[${i}]`));
}
