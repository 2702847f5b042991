/**
 * What each side of a condition stands for in one observation: placeholders
 * looked up, len() and has() computed, with the text shown in the result. PURE.
 */
import { walk } from './condition-path.js';
import type { Operand } from './condition-syntax.js';
import { format, MISSING, truncate, type Value } from './condition-values.js';

/** What a probe observed, as conditions see it. Absent fields resolve to nothing. */
export interface ConditionContext {
  readonly status?: number | null;
  readonly responseTimeMs?: number;
  readonly body?: string;
  readonly connected?: boolean;
  readonly ip?: string;
  /** Time left until the certificate expires, ms. */
  readonly certificateExpirationMs?: number;
  readonly dnsRcode?: string;
  /** Phase timings of the run, ms. */
  readonly dnsTimeMs?: number;
  readonly connectTimeMs?: number;
  readonly tlsTimeMs?: number;
  readonly ttfbMs?: number;
  /** Response headers, names in lower case (repeated ones joined with ", "). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Evaluation {
  readonly values: Value[];
  readonly wildcard: boolean;
  readonly display: string;
  readonly invalidJson?: boolean;
  /** A header the response did not have: compares as "", and has() is false. */
  readonly absent?: boolean;
}

type PlaceholderOperand = Operand & { kind: 'placeholder' };

function resolveHeader(op: PlaceholderOperand, ctx: ConditionContext, one: (v: Value) => Evaluation): Evaluation {
  if (ctx.headers === undefined) return one(MISSING);
  const name = (op.path[0] as { key: string }).key.toLowerCase();
  const value = Object.hasOwn(ctx.headers, name) ? ctx.headers[name] : undefined;
  if (value === undefined) return { values: [''], wildcard: false, display: `${op.text} (<absent>)`, absent: true };
  return one(value);
}

function resolveBody(op: PlaceholderOperand, ctx: ConditionContext, json: () => unknown): Evaluation {
  if (ctx.body === undefined) {
    // Nothing was read: say why, rather than blame the body's format.
    const why = ctx.status === null || ctx.status === undefined ? '<no response>' : '<body not received>';
    return { values: [MISSING], wildcard: false, display: `${op.text} (${why})` };
  }
  if (op.path.length === 0)
    return { values: [ctx.body], wildcard: false, display: `${op.text} (${truncate(ctx.body)})` };
  const parsed = json();
  if (parsed === MISSING)
    return { values: [MISSING], wildcard: false, display: `${op.text} (<not JSON>)`, invalidJson: true };
  const found = walk(parsed, op.path);
  const wildcard = op.path.some((s) => 'wildcard' in s);
  const values: Value[] = found.length > 0 ? (found as Value[]) : [MISSING];
  return {
    values,
    wildcard,
    display: `${op.text} (${wildcard ? `[${values.map(format).join(', ')}]` : format(values[0] as Value)})`,
  };
}

function resolvePlaceholder(op: PlaceholderOperand, ctx: ConditionContext, json: () => unknown): Evaluation {
  const one = (v: Value): Evaluation => ({ values: [v], wildcard: false, display: `${op.text} (${format(v)})` });
  switch (op.name) {
    case 'STATUS':
      return one(ctx.status ?? MISSING);
    case 'RESPONSE_TIME':
      return one(ctx.responseTimeMs ?? MISSING);
    case 'CONNECTED':
      return one(ctx.connected ?? MISSING);
    case 'IP':
      return one(ctx.ip ?? MISSING);
    case 'CERTIFICATE_EXPIRATION':
      return one(ctx.certificateExpirationMs ?? MISSING);
    case 'DNS_RCODE':
      return one(ctx.dnsRcode ?? MISSING);
    case 'DNS_TIME':
      return one(ctx.dnsTimeMs ?? MISSING);
    case 'CONNECT_TIME':
      return one(ctx.connectTimeMs ?? MISSING);
    case 'TLS_TIME':
      return one(ctx.tlsTimeMs ?? MISSING);
    case 'TTFB':
      return one(ctx.ttfbMs ?? MISSING);
    case 'HEADER':
      return resolveHeader(op, ctx, one);
    case 'BODY':
      return resolveBody(op, ctx, json);
  }
}

export function evaluateOperand(op: Operand, ctx: ConditionContext, json: () => unknown): Evaluation {
  switch (op.kind) {
    case 'placeholder':
      return resolvePlaceholder(op, ctx, json);
    case 'len':
    case 'has': {
      const inner = resolvePlaceholder(op.arg, ctx, json);
      const v = inner.values[0] as Value;
      // has(): a JSON null is no value, as in Gatus (`has([BODY].errors) == false` holds for "errors": null).
      const result = op.kind === 'has' ? v !== MISSING && v !== null && !inner.absent : lengthOf(v, op.arg, json);
      return {
        values: [result],
        wildcard: false,
        display: `${op.text} (${format(result)})`,
        invalidJson: inner.invalidJson ?? false,
      };
    }
    case 'literal':
      return { values: [op.value], wildcard: false, display: op.value };
    case 'pat':
    case 'any':
      return { values: [], wildcard: false, display: op.text };
  }
}

/**
 * len(), as Gatus counts: the elements of an array (a whole body that is a
 * JSON array included); the characters of the minified JSON of an object;
 * the characters of anything else as text (a whole body as received).
 */
function lengthOf(v: Value, arg: PlaceholderOperand, json: () => unknown): Value {
  if (v === MISSING) return MISSING;
  if (typeof v === 'string') {
    if (arg.name === 'BODY' && arg.path.length === 0 && /^\s*\[[\s\S]*\]\s*$/.test(v)) {
      const parsed = json();
      if (Array.isArray(parsed)) return parsed.length;
    }
    return v.length;
  }
  if (Array.isArray(v)) return v.length;
  if (v !== null && typeof v === 'object') return JSON.stringify(v).length;
  return String(v).length;
}
