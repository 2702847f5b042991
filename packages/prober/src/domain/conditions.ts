/**
 * Gatus-compatible conditions, parsed once at config load and evaluated
 * against what a probe observed. PURE: no I/O, no clock.
 *
 *   [STATUS] == 200
 *   [RESPONSE_TIME] < 300
 *   [BODY].checks.db[0].status == pass
 *   [BODY].items[*].status == ok          (every element must match)
 *   len([BODY].items) > 0
 *   has([BODY].errors) == false
 *   [BODY].name == pat(api-*)
 *   [STATUS] == any(200, 204)             (pat() and any() may also be on the left)
 *   [CERTIFICATE_EXPIRATION] > 48h
 *   [CONNECTED] == true   [IP] == 10.0.0.1   [DNS_RCODE] == NOERROR
 *   [DNS_TIME] < 50   [CONNECT_TIME] < 20   [TLS_TIME] < 100   [TTFB] < 200   (ms, as [RESPONSE_TIME])
 *   [HEADER].content-type == pat(application/json*)   has([HEADER].etag) == true
 */

export const PLACEHOLDERS = [
  'STATUS',
  'RESPONSE_TIME',
  'BODY',
  'CONNECTED',
  'IP',
  'CERTIFICATE_EXPIRATION',
  'DNS_RCODE',
  'DNS_TIME',
  'CONNECT_TIME',
  'TLS_TIME',
  'TTFB',
  'HEADER',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export const OPERATORS = ['==', '!=', '<=', '>=', '<', '>'] as const;
export type Operator = (typeof OPERATORS)[number];

export type PathSegment = { readonly key: string } | { readonly index: number } | { readonly wildcard: true };

export type Operand =
  | {
      readonly kind: 'placeholder';
      readonly name: Placeholder;
      readonly path: readonly PathSegment[];
      readonly text: string;
    }
  | { readonly kind: 'len' | 'has'; readonly arg: Operand & { kind: 'placeholder' }; readonly text: string }
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'pat'; readonly pattern: string; readonly text: string }
  | { readonly kind: 'any'; readonly values: readonly string[]; readonly text: string };

export interface Condition {
  readonly text: string;
  readonly left: Operand;
  readonly operator: Operator;
  readonly right: Operand;
  /** Written with the pat()/any() function on the left; `left` and `right` are swapped back for evaluation. */
  readonly reversed?: boolean;
}

/** A condition that does not parse, with the 0-based column where the problem starts. */
export class ConditionSyntaxError extends Error {
  constructor(
    message: string,
    readonly condition: string,
    readonly column: number,
  ) {
    super(`${message} at column ${column + 1} of "${condition}"`);
    this.name = 'ConditionSyntaxError';
  }
}

const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const UNIT: Readonly<Record<string, number>> = { ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 };

function durationMs(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(DURATION_PART)) total += Number(m[1]) * (UNIT[m[2] as string] as number);
  return total;
}

/** Finds the operator outside brackets and parentheses; `<=`/`>=`/`==`/`!=` win over `<`/`>`. */
function findOperator(text: string): { index: number; operator: Operator } | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (depth === 0) {
      const two = text.slice(i, i + 2);
      if (two === '==' || two === '!=' || two === '<=' || two === '>=') return { index: i, operator: two };
      if (c === '<' || c === '>') return { index: i, operator: c };
    }
  }
  return undefined;
}

function parsePath(text: string, offset: number, condition: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '.') {
      const m = /^\.([^.[\]\s]+)/.exec(text.slice(i));
      if (!m) throw new ConditionSyntaxError('expected a key after "."', condition, offset + i);
      segments.push({ key: m[1] as string });
      i += m[0].length;
    } else if (text[i] === '[') {
      const m = /^\[(\*|\d+)\]/.exec(text.slice(i));
      if (!m) throw new ConditionSyntaxError('expected [n] or [*]', condition, offset + i);
      segments.push(m[1] === '*' ? { wildcard: true } : { index: Number(m[1]) });
      i += m[0].length;
    } else {
      throw new ConditionSyntaxError(`unexpected "${text[i]}" in a path`, condition, offset + i);
    }
  }
  return segments;
}

function parseOperand(raw: string, offset: number, condition: string, side: 'left' | 'right'): Operand {
  const lead = raw.length - raw.trimStart().length;
  const text = raw.trim();
  const at = offset + lead;
  if (text === '') throw new ConditionSyntaxError(`missing the ${side} side`, condition, at);
  const fn = /^(len|has|pat|any)\((.*)\)$/.exec(text);
  if (fn) {
    const name = fn[1] as 'len' | 'has' | 'pat' | 'any';
    const inner = fn[2] as string;
    const innerAt = at + name.length + 1;
    if (name === 'len' || name === 'has') {
      const arg = parseOperand(inner, innerAt, condition, side);
      if (arg.kind !== 'placeholder')
        throw new ConditionSyntaxError(`${name}() takes a placeholder such as [BODY].items`, condition, innerAt);
      return { kind: name, arg, text };
    }
    if (name === 'pat') return { kind: 'pat', pattern: inner.trim(), text };
    const values = inner.split(',').map((v) => v.trim());
    if (values.some((v) => v === ''))
      throw new ConditionSyntaxError('any() needs comma-separated values', condition, innerAt);
    return { kind: 'any', values, text };
  }
  if (/^(len|has|pat|any)\(/.test(text)) throw new ConditionSyntaxError('unclosed "("', condition, at);
  if (text.startsWith('[')) {
    // Names in any letter case, as Gatus takes them ([status], [Ip]); paths keep theirs.
    const m = /^\[([A-Za-z_]+)\]/.exec(text);
    const name = m?.[1]?.toUpperCase();
    if (!m || !(PLACEHOLDERS as readonly string[]).includes(name as string)) {
      throw new ConditionSyntaxError(
        `unknown placeholder ${m ? m[0] : text.split(/[.\s]/)[0]} (known: ${PLACEHOLDERS.map((p) => `[${p}]`).join(', ')})`,
        condition,
        at,
      );
    }
    const rest = text.slice(m[0].length);
    const path = parsePath(rest, at + m[0].length, condition);
    if (name === 'HEADER') {
      if (path.length !== 1 || !('key' in (path[0] as PathSegment)))
        throw new ConditionSyntaxError('[HEADER] takes a header name, e.g. [HEADER].content-type', condition, at);
    } else if (path.length > 0 && name !== 'BODY')
      throw new ConditionSyntaxError(`only [BODY] and [HEADER] take a path`, condition, at + m[0].length);
    return { kind: 'placeholder', name: name as Placeholder, path, text };
  }
  return { kind: 'literal', value: text };
}

/** Parses one condition; throws {@link ConditionSyntaxError} with the column. */
export function parseCondition(text: string): Condition {
  const open: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[') open.push(i);
    else if (c === ')' || c === ']') {
      if (open.pop() === undefined) throw new ConditionSyntaxError(`unmatched "${c}"`, text, i);
    }
  }
  if (open.length > 0) {
    const at = open[0] as number;
    throw new ConditionSyntaxError(`unclosed "${text[at]}"`, text, at);
  }
  const found = findOperator(text);
  if (!found) throw new ConditionSyntaxError(`no operator (use one of ${OPERATORS.join(' ')})`, text, 0);
  const written = parseOperand(text.slice(0, found.index), 0, text, 'left');
  const rightStart = found.index + found.operator.length;
  const right = parseOperand(text.slice(rightStart), rightStart, text, 'right');
  const isFunction = (o: Operand) => o.kind === 'pat' || o.kind === 'any';
  const literalish = (o: Operand) => o.kind === 'literal' || isFunction(o);
  if (literalish(written) && literalish(right)) {
    throw new ConditionSyntaxError('a condition needs a placeholder such as [STATUS] on one side', text, 0);
  }
  const fn = isFunction(written) ? written : isFunction(right) ? right : undefined;
  if (fn && found.operator !== '==' && found.operator !== '!=') {
    throw new ConditionSyntaxError(`${fn.kind}() only works with == and !=`, text, found.index);
  }
  // `any(200, 429) == [STATUS]`, as Gatus allows: == and != are symmetric, so
  // the function is kept on the right, where evaluation looks for it.
  if (isFunction(written)) {
    return { text: text.trim(), left: right, operator: found.operator, right: written, reversed: true };
  }
  return { text: text.trim(), left: written, operator: found.operator, right };
}

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

export interface ConditionResult {
  /** The condition with resolved values: `[STATUS] (503) == 200`. */
  readonly condition: string;
  readonly ok: boolean;
}

const MISSING = Symbol('missing');
type Value = string | number | boolean | null | object | typeof MISSING;

function walk(value: unknown, path: readonly PathSegment[]): unknown[] {
  let current: unknown[] = [value];
  for (const seg of path) {
    const next: unknown[] = [];
    for (const v of current) {
      if ('key' in seg) {
        // Own keys only: `[BODY].constructor` of {} is missing, not Object's prototype.
        if (v && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, seg.key))
          next.push((v as Record<string, unknown>)[seg.key]);
      } else if ('index' in seg) {
        if (Array.isArray(v) && seg.index < v.length) next.push(v[seg.index]);
      } else if (Array.isArray(v)) {
        // Not push(...v): a body's array can be longer than the stack allows arguments.
        for (const item of v) next.push(item);
      }
    }
    current = next;
  }
  return current;
}

function format(v: Value): string {
  if (v === MISSING) return '<missing>';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

interface Evaluation {
  readonly values: Value[];
  readonly wildcard: boolean;
  readonly display: string;
  readonly invalidJson?: boolean;
  /** A header the response did not have: compares as "", and has() is false. */
  readonly absent?: boolean;
}

function resolvePlaceholder(
  op: Operand & { kind: 'placeholder' },
  ctx: ConditionContext,
  json: () => unknown,
): Evaluation {
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
    case 'HEADER': {
      if (ctx.headers === undefined) return one(MISSING);
      const name = (op.path[0] as { key: string }).key.toLowerCase();
      const value = Object.hasOwn(ctx.headers, name) ? ctx.headers[name] : undefined;
      if (value === undefined) return { values: [''], wildcard: false, display: `${op.text} (<absent>)`, absent: true };
      return one(value);
    }
    case 'BODY': {
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
  }
}

function truncate(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}

function evaluateOperand(op: Operand, ctx: ConditionContext, json: () => unknown): Evaluation {
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
function lengthOf(v: Value, arg: Operand & { kind: 'placeholder' }, json: () => unknown): Value {
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

function toNumber(v: Value): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean' || v === MISSING || v === null || typeof v === 'object') return undefined;
  const text = String(v).trim();
  if (text !== '' && !Number.isNaN(Number(text))) return Number(text);
  return durationMs(text);
}

function equal(a: Value, b: string): boolean {
  if (a === MISSING) return false;
  const na = toNumber(a);
  const nb = toNumber(b);
  if (na !== undefined && nb !== undefined && typeof a !== 'string') return na === nb;
  if (na !== undefined && nb !== undefined) return na === nb || String(a) === b;
  if (typeof a === 'object' && a !== null) return JSON.stringify(a) === b;
  return String(a) === b;
}

function glob(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    's',
  );
  return re.test(value);
}

function compareOne(left: Value, operator: Operator, right: Operand, rightValue: Value): boolean {
  if (right.kind === 'pat') {
    const hit = left !== MISSING && glob(right.pattern, typeof left === 'string' ? left : JSON.stringify(left));
    return operator === '==' ? hit : !hit;
  }
  if (right.kind === 'any') {
    const hit = right.values.some((v) => equal(left, v));
    return operator === '==' ? hit : !hit;
  }
  if (operator === '==' || operator === '!=') {
    const hit = rightValue === MISSING ? left === MISSING : equal(left, format(rightValue));
    return operator === '==' ? hit : !hit;
  }
  const a = toNumber(left);
  const b = toNumber(rightValue);
  if (a === undefined || b === undefined) return false;
  switch (operator) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/**
 * Evaluates a parsed condition. A wildcard path holds only if every element
 * holds (and there is at least one). `invalidJson` is set when a [BODY] path
 * needed JSON and the body was not.
 */
export function evaluateCondition(
  condition: Condition,
  ctx: ConditionContext,
  json: () => unknown = () => parseJson(ctx.body),
): ConditionResult & { readonly invalidJson: boolean } {
  let cachedJson: unknown;
  let parsed = false;
  const lazyJson = () => {
    if (!parsed) {
      cachedJson = json();
      parsed = true;
    }
    return cachedJson;
  };
  const left = evaluateOperand(condition.left, ctx, lazyJson);
  const right = evaluateOperand(condition.right, ctx, lazyJson);
  const rightValue = right.values[0] ?? MISSING;
  let ok: boolean;
  if (left.wildcard) {
    ok =
      left.values.length > 0 &&
      left.values[0] !== MISSING &&
      left.values.every((v) => compareOne(v, condition.operator, condition.right, rightValue));
  } else {
    ok = compareOne(left.values[0] ?? MISSING, condition.operator, condition.right, rightValue);
  }
  return {
    condition: condition.reversed
      ? `${right.display} ${condition.operator} ${left.display}`
      : `${left.display} ${condition.operator} ${right.display}`,
    ok,
    invalidJson: Boolean(left.invalidJson || right.invalidJson),
  };
}

/** JSON.parse that returns a marker instead of throwing; exported for callers that parse once. */
export function parseJson(body: string | undefined): unknown {
  if (body === undefined) return MISSING;
  try {
    return JSON.parse(body);
  } catch {
    return MISSING;
  }
}
