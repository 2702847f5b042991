/**
 * Comparison and evaluation: numbers, durations (`48h`), globs (pat()),
 * any(), and wildcard paths where every element must hold. PURE.
 */
import { parseJson } from './condition-path.js';
import { type ConditionContext, evaluateOperand } from './condition-resolve.js';
import type { Condition, Operand, Operator } from './condition-syntax.js';
import { format, MISSING, type Value } from './condition-values.js';

export interface ConditionResult {
  /** The condition with resolved values: `[STATUS] (503) == 200`. */
  readonly condition: string;
  readonly ok: boolean;
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

/** Runs `json` at most once, and only if some operand needs the body as JSON. */
function once(json: () => unknown): () => unknown {
  let cachedJson: unknown;
  let parsed = false;
  return () => {
    if (!parsed) {
      cachedJson = json();
      parsed = true;
    }
    return cachedJson;
  };
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
  const lazyJson = once(json);
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
