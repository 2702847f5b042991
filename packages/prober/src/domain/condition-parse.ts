/**
 * The condition parser: brackets, the operator, and each side's operand
 * (placeholders with their paths, the functions len/has/pat/any, literals).
 * PURE; runs once per condition, at config load.
 */
import {
  type Condition,
  ConditionSyntaxError,
  OPERATORS,
  type Operand,
  type Operator,
  type PathSegment,
  PLACEHOLDERS,
  type Placeholder,
} from './condition-syntax.js';

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

/** `len(...)`, `has(...)`, `pat(...)` or `any(...)`, already matched as `name(inner)`. */
function parseFunction(
  name: 'len' | 'has' | 'pat' | 'any',
  inner: string,
  text: string,
  at: number,
  condition: string,
  side: 'left' | 'right',
): Operand {
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

/** `[NAME]` and its path, for text that starts with `[`. */
function parsePlaceholder(text: string, at: number, condition: string): Operand {
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

function parseOperand(raw: string, offset: number, condition: string, side: 'left' | 'right'): Operand {
  const lead = raw.length - raw.trimStart().length;
  const text = raw.trim();
  const at = offset + lead;
  if (text === '') throw new ConditionSyntaxError(`missing the ${side} side`, condition, at);
  const fn = /^(len|has|pat|any)\((.*)\)$/.exec(text);
  if (fn) return parseFunction(fn[1] as 'len' | 'has' | 'pat' | 'any', fn[2] as string, text, at, condition, side);
  if (/^(len|has|pat|any)\(/.test(text)) throw new ConditionSyntaxError('unclosed "("', condition, at);
  if (text.startsWith('[')) return parsePlaceholder(text, at, condition);
  return { kind: 'literal', value: text };
}

/** Throws on the first unmatched closing bracket, or else on the first one left open. */
function checkBrackets(text: string): void {
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
}

/** Parses one condition; throws {@link ConditionSyntaxError} with the column. */
export function parseCondition(text: string): Condition {
  checkBrackets(text);
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

/**
 * Parses lists of conditions, giving the same list the same parsed (and, once
 * the config is frozen, shared) array: 100,000 checks with the same two
 * conditions hold one parsed pair, not 100,000 (~350 bytes a condition,
 * issue #14). One per config load; the lists it keeps live as long as it does.
 * `parse` is what parses one condition: the config loader passes the one its
 * schema already parsed each text with (config/memo.ts), so a text is parsed once.
 */
export function createConditionLists(
  parse: (text: string) => Condition = parseCondition,
): (texts: readonly string[]) => readonly Condition[] {
  const lists = new Map<string, readonly Condition[]>();
  const conditions = new Map<string, Condition>();
  const one = (text: string) => {
    let condition = conditions.get(text);
    if (!condition) {
      condition = parse(text);
      conditions.set(text, condition);
    }
    return condition;
  };
  return (texts) => {
    // NUL joins the texts: a YAML string may hold a newline, but a condition with NUL in it does not parse.
    const key = texts.join('\u0000');
    let list = lists.get(key);
    if (!list) {
      list = texts.map(one);
      lists.set(key, list);
    }
    return list;
  };
}
