/**
 * Limits that keep a hostile YAML document from costing the process its
 * memory, stack or minutes, checked before and while the document is built.
 */
import { CST, type Document, isAlias, isMap, isPair, isScalar, isSeq, Lexer } from '../bundled/yaml.js';

/**
 * Config files larger than this are refused before they are read (a hostile
 * 36 MB file cost a minute and gigabytes before these limits and the heap
 * check existed). 10,000 checks take about 1.1 MB, so 100,000 (issue #14)
 * about 11 MB; the heap check (config/heap.ts) refuses, before the document is
 * built, a config whose values this process's heap cannot hold.
 */
export const MAX_CONFIG_BYTES = 32 * 1024 * 1024;
/**
 * YAML values (scalars, flow collections, anchors, aliases) in a config, at most. Counted by the lexer before the
 * document is built: the parser keeps about 1 KB per value, so this bounds the
 * memory a config can take (a 1 MiB flow list of 520,000 values exhausted a
 * 128 MB heap; the heap check refuses such a config for the heap at hand).
 * 100,000 checks of up to 15 values each fit (issue #14's scale).
 */
export const MAX_YAML_VALUES = 1_500_000;
/** Lexer tokens (values, indicators, spaces, newlines) at most: 10,000 checks take about 420,000, 100,000 about 4.2 million. */
export const MAX_YAML_TOKENS = 8_000_000;
/** `maxAliasCount` of the YAML parser: more alias expansions than this is a billion-laughs bomb. */
export const MAX_ALIAS_COUNT = 100;
/** Deeper than this, a config is not a config. */
export const MAX_NESTING_DEPTH = 64;

/** What {@link prescan} counted, as far as it read. */
export interface PrescanCounts {
  tokens: number;
  /** Scalars (plain and quoted), flow collections, anchors and aliases: the nodes the parser will build. */
  nodes: number;
  /** Plain `name:` keys: about the number of checks. */
  names: number;
  /** Quoted scalars that start with `[`: conditions (a plain scalar cannot start with `[`). */
  conditions: number;
}

/**
 * Bounds what the YAML parser will build, from the lexer's token stream
 * (strings, nothing kept): values, tokens and flow nesting. The parser keeps
 * about 1 KB per value and a frame per level, so without this a 1 MiB file
 * could exhaust a 128 MB heap.
 */
export function prescan(text: string, counts?: PrescanCounts): string | undefined {
  let values = 0;
  let tokens = 0;
  let depth = 0;
  // For the heap check (config/heap.ts): quoted scalars are nodes too; `name:` keys count the checks.
  let quoted = 0;
  let names = 0;
  let conditions = 0;
  let last = '';
  for (const token of new Lexer().lex(text)) {
    if (++tokens > MAX_YAML_TOKENS) {
      return `the config has more than ${MAX_YAML_TOKENS} YAML tokens, over the limit (10,000 checks take about 420,000)`;
    }
    // Each of these becomes a node (a scalar, a collection, an anchor's or alias's node).
    const first = token[0];
    const node = token === CST.SCALAR || first === '[' || first === '{' || first === '&' || first === '*';
    if (node && ++values > MAX_YAML_VALUES) {
      return `the config has more than ${MAX_YAML_VALUES} values (keys, items, lists, anchors and aliases), over the limit; a check has about 5 to 10`;
    }
    if (first === '"' || first === "'") {
      quoted++;
      if (token[1] === '[') conditions++;
    } else if (token === ':' && last === 'name') names++;
    last = token;
    if (token === '[' || token === '{') {
      if (++depth > MAX_NESTING_DEPTH) return `the config is nested deeper than ${MAX_NESTING_DEPTH} levels`;
    } else if (token === ']' || token === '}') depth = Math.max(0, depth - 1);
  }
  if (counts) {
    counts.tokens = tokens;
    counts.nodes = values + quoted;
    counts.names = names;
    counts.conditions = conditions;
  }
  return undefined;
}

/**
 * Every node of the document, depth first, without recursion (a deep
 * document must not overflow the stack here either).
 */
export function* nodes(doc: Document): Generator<unknown> {
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    yield node;
    if (isMap(node) || isSeq(node)) for (let i = node.items.length - 1; i >= 0; i--) stack.push(node.items[i]);
    else if (isPair(node)) stack.push(node.value, node.key);
  }
}

/** The first alias in the document, where a billion-laughs bomb starts. */
export function firstAlias(doc: Document): number | undefined {
  for (const node of nodes(doc)) if (isAlias(node)) return node.range?.[0];
  return undefined;
}

/**
 * Keys given twice in one mapping. The YAML parser's own `uniqueKeys` check
 * compares every key with every other: 75,000 keys took 75 s. A set per map is linear.
 */
export function duplicateKeys(doc: Document, report: (offset: number | undefined, message: string) => void): void {
  for (const node of nodes(doc)) {
    if (!isMap(node)) continue;
    const seen = new Set<unknown>();
    for (const pair of node.items) {
      if (!isScalar(pair.key)) continue;
      const key = pair.key.value;
      if (seen.has(key)) report(pair.key.range?.[0], `duplicate key "${String(key)}" in one mapping`);
      else seen.add(key);
    }
  }
}
