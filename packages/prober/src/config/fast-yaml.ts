/**
 * A fast path for the YAML that configs are made of: block mappings and sequences of plain
 * and one-line quoted scalars, with comments. The `yaml` package builds a Document with a
 * node, a source range and a CST token for every value, about 1 KB each: 100,000 checks took
 * 15 s and 450 MB of heap to parse (issue 14 asks `run` to start them in under 3 s).
 *
 * It reads only what it is sure of and answers `undefined` for anything else (anchors,
 * aliases, flow collections, tags, block or multi-line scalars, escapes, directives, tabs,
 * a duplicate key, a line it cannot place...): the loader then takes the `yaml` package's
 * path, which reports problems with their lines. Where it answers, the value is the one
 * `parseDocument(text).toJS()` gives (YAML 1.2, core schema), and the counts are those the
 * lexer-based prescan (yaml-limits.ts) takes: fast-yaml.test.ts compares both on every
 * example config, the hostile inputs and mutated documents.
 *
 * Why not another library: on 100,000 realistic checks (15 MB, one core, 2026-11-27) this took
 * 0.45–0.72 s, js-yaml 4.1 with its CORE_SCHEMA 0.83–1.31 s and yaml's parse 13.2 s; js-yaml
 * would also give no counts for the heap check before it builds, and its core schema is not
 * yaml's in every corner (the fallback would have to be proved equal to it all the same).
 */
import type { PrescanCounts } from './yaml-limits.js';

/** Plain keys are letters, digits and `_./-`, from a letter: no core-schema tag but null and bool can match them. */
const isKeyChar = (c: number) =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 47 || c === 45;
/** Plain scalars that the core schema does not read as a string (yaml's own tests, in its order). */
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
/** Any int or float form of the core schema (0o, 0x, signs, dots, exponents, .inf, .nan). */
const NUMBER_LIKE =
  /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
/** A plain scalar may not start with an indicator (`-`, `?` and `:` may, before a non-space: left to yaml). */
const INDICATOR = /[-?:,[\]{}#&*!|>'"%@`]/;
/** Characters the fast path leaves to yaml: tabs, CR, C0 and C1 controls, BOM and the Unicode line separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is its purpose
const UNSURE = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]/;
/** Block nesting deeper than this goes to yaml (and to the loader's depth limit). */
const MAX_DEPTH = 32;

class Unsure extends Error {}
const UNSURE_ERROR = new Unsure('leave it to yaml');
const unsure = (): never => {
  throw UNSURE_ERROR;
};

/** One content line, as read. */
interface Line {
  indent: number;
  /** `- ` starts the line. */
  dash: boolean;
  /** Column of what follows the dash (or the indent). */
  col: number;
  key: string | undefined;
  /** A value on the line (a scalar); without it, what follows is the key's (or the item's) value. */
  hasValue: boolean;
  value: unknown;
}

/** Reads lines; `counts` gets what prescan would count. */
class Reader {
  pos = 0;
  readonly line: Line = { indent: 0, dash: false, col: 0, key: undefined, hasValue: false, value: undefined };
  /** The current content line is `line`; false past the end. */
  has = false;

  constructor(
    readonly text: string,
    readonly counts: PrescanCounts,
    /** Build values (false: only count and check each line). */
    readonly build: boolean,
  ) {}

  /** Moves to the next content line (blank and comment lines are counted and skipped). */
  next(): void {
    const { text } = this;
    while (this.pos < text.length) {
      let end = text.indexOf('\n', this.pos);
      const newline = end !== -1;
      if (!newline) end = text.length;
      const start = this.pos;
      this.pos = newline ? end + 1 : end;
      if (newline) this.counts.tokens++;
      if (this.read(start, end)) {
        this.has = true;
        return;
      }
    }
    this.has = false;
  }

  /** Reads the line [start, end); false for a blank or comment line. */
  private read(start: number, end: number): boolean {
    const { text, counts, line } = this;
    let i = start;
    while (i < end && text.charCodeAt(i) === 32) i++;
    if (i === end) {
      if (i > start) unsure(); // whitespace alone on a line
      return false;
    }
    if (i > start) counts.tokens++;
    if (text.charCodeAt(i) === 35 /* # */) {
      counts.tokens++;
      return false;
    }
    // Document markers and directives start at the left edge.
    if (i === start && (text.startsWith('---', i) || text.startsWith('...', i) || text.charCodeAt(i) === 37)) unsure();
    line.indent = i - start;
    line.dash = false;
    line.key = undefined;
    line.hasValue = false;
    line.value = undefined;
    if (text.charCodeAt(i) === 45 && (i + 1 === end || text.charCodeAt(i + 1) === 32)) {
      line.dash = true;
      counts.tokens++;
      let j = i + 1;
      while (j < end && text.charCodeAt(j) === 32) j++;
      if (j === end && j > i + 1) unsure(); // "- " and nothing
      if (j > i + 1) counts.tokens++;
      i = j;
    }
    line.col = i - start;
    if (i === end) return true; // "-" alone: the item is what follows
    let k = i;
    while (k < end && isKeyChar(text.charCodeAt(k))) k++;
    const first = text.charCodeAt(i);
    const letter = (first >= 65 && first <= 90) || (first >= 97 && first <= 122);
    if (letter && k < end && text.charCodeAt(k) === 58 /* : */ && (k + 1 === end || text.charCodeAt(k + 1) === 32)) {
      const key = text.slice(i, k);
      if (NULL.test(key) || BOOL.test(key) || key === '__proto__') unsure();
      line.key = key;
      counts.tokens += 3; // the scalar's two tokens and ":"
      counts.nodes++;
      if (key === 'name') counts.names++;
      let v = k + 1;
      while (v < end && text.charCodeAt(v) === 32) v++;
      if (v === end) {
        if (v > k + 1) unsure(); // trailing spaces
        return true;
      }
      if (v === k + 1) unsure();
      counts.tokens++; // the spaces before the value or comment
      if (text.charCodeAt(v) === 35) {
        counts.tokens++;
        return true;
      }
      this.scalar(v, end);
      return true;
    }
    if (!line.dash) unsure(); // a scalar where a key was expected: a multi-line scalar, or an error
    this.scalar(i, end);
    return true;
  }

  /** A scalar from `i` to the end of the line (or a comment). */
  private scalar(i: number, end: number): void {
    const { text, counts, line } = this;
    line.hasValue = true;
    counts.nodes++;
    const quote = text.charCodeAt(i);
    let after: number;
    if (quote === 34 /* " */ || quote === 39 /* ' */) {
      const close = find(text, quote, i + 1, end);
      if (close === -1) unsure(); // spans lines
      const content = text.slice(i + 1, close);
      if (quote === 34 && content.includes('\\')) unsure(); // escapes
      if (quote === 39 && text.charCodeAt(close + 1) === 39) unsure(); // '' inside
      counts.tokens++;
      if (content.charCodeAt(0) === 91 /* [ */) counts.conditions++;
      if (this.build) line.value = content;
      after = close + 1;
    } else {
      if (INDICATOR.test(text[i] as string)) unsure();
      let stop = find(text, 35 /* # */, i, end);
      while (stop !== -1 && text.charCodeAt(stop - 1) !== 32) stop = find(text, 35, stop + 1, end);
      if (stop === -1) stop = end;
      else stop--;
      let last = stop;
      while (text.charCodeAt(last - 1) === 32) last--;
      const source = text.slice(i, last);
      if (source.includes(': ') || source.endsWith(':')) unsure();
      counts.tokens += 2;
      if (this.build) line.value = plainValue(source);
      else if (NUMBER_LIKE.test(source)) plainValue(source); // what build would refuse, refused now
      after = last;
    }
    if (after === end) return;
    let j = after;
    while (j < end && text.charCodeAt(j) === 32) j++;
    if (j === after || j === end || text.charCodeAt(j) !== 35) unsure();
    counts.tokens += 2; // spaces, comment
  }
}

/** The first `char` in [from, end), or -1 (indexOf alone would search past the line). */
function find(text: string, char: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (text.charCodeAt(i) === char) return i;
  return -1;
}

/** A plain scalar by the core schema; numbers other than plain decimals go to yaml. */
function plainValue(source: string): unknown {
  if (NULL.test(source)) return null;
  if (BOOL.test(source)) return source[0] === 't' || source[0] === 'T';
  if (NUMBER_LIKE.test(source)) {
    if (/^[0-9]{1,15}$/.test(source)) return Number(source);
    unsure();
  }
  return source;
}

/** Builds the values from the reader's lines. */
class Builder {
  constructor(readonly r: Reader) {}

  map(indent: number, depth: number): Record<string, unknown> {
    if (depth > MAX_DEPTH) unsure();
    const { r } = this;
    const out: Record<string, unknown> = {};
    while (r.has && r.line.indent >= indent) {
      const line = r.line;
      if (line.indent > indent || line.dash || line.key === undefined) unsure();
      const key = line.key as string;
      if (Object.hasOwn(out, key)) unsure(); // the loader reports it, with its line
      if (line.hasValue) {
        out[key] = line.value;
        r.next();
      } else {
        r.next();
        out[key] = this.nested(indent, depth, true);
      }
    }
    return out;
  }

  seq(indent: number, depth: number): unknown[] {
    if (depth > MAX_DEPTH) unsure();
    const { r } = this;
    const out: unknown[] = [];
    while (r.has && r.line.indent === indent && r.line.dash) {
      const line = r.line;
      if (line.key !== undefined) {
        // "- key: value": a mapping whose keys sit at the column after the dash.
        line.indent = line.col;
        line.dash = false;
        out.push(this.map(line.col, depth + 1));
      } else if (line.hasValue) {
        out.push(line.value);
        r.next();
      } else {
        r.next();
        out.push(this.nested(indent, depth, false));
      }
    }
    if (r.has && r.line.indent > indent) unsure();
    return out;
  }

  /** The value of a key (or item) with nothing after it on its line. */
  nested(indent: number, depth: number, sameIndentSeq: boolean): unknown {
    const { r } = this;
    if (!r.has) return null;
    const line = r.line;
    if (line.indent > indent) return line.dash ? this.seq(line.indent, depth + 1) : this.map(line.indent, depth + 1);
    if (sameIndentSeq && line.indent === indent && line.dash) return this.seq(indent, depth + 1);
    return null;
  }
}

/** What the fast path read: the document's value and the counts prescan would take. */
export interface FastYaml {
  readonly value: Record<string, unknown>;
  readonly counts: PrescanCounts;
}

/**
 * Counts what `prescan` would, without building anything, when the fast path can read the
 * text; undefined when it cannot (then nothing is known and yaml must read it).
 */
export function fastCounts(text: string): PrescanCounts | undefined {
  if (UNSURE.test(text)) return undefined;
  const counts: PrescanCounts = { tokens: 1, nodes: 0, names: 0, conditions: 0 };
  const r = new Reader(text, counts, false);
  try {
    do r.next();
    while (r.has);
  } catch (error) {
    if (error instanceof Unsure) return undefined;
    throw error;
  }
  return counts;
}

/**
 * The document's value when the fast path can read it, as yaml would give it; undefined
 * otherwise. Call it only for a text whose {@link fastCounts} passed the limits.
 */
export function fastParse(text: string): Record<string, unknown> | undefined {
  if (UNSURE.test(text)) return undefined;
  const counts: PrescanCounts = { tokens: 1, nodes: 0, names: 0, conditions: 0 };
  const r = new Reader(text, counts, true);
  try {
    r.next();
    // A mapping at the left edge, and nothing left over.
    if (!r.has || r.line.indent !== 0 || r.line.dash) return undefined;
    const value = new Builder(r).map(0, 0);
    return r.has ? undefined : value;
  } catch (error) {
    if (error instanceof Unsure) return undefined;
    throw error;
  }
}
