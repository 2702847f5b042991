import { X509Certificate } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { type Document, isMap, isScalar, LineCounter, type Node, parseDocument } from '../bundled/yaml.js';
import * as z from '../bundled/zod.js';
import { clusterStorageProblem } from './cluster.js';
import { fastCounts, fastParse } from './fast-yaml.js';
import { HeapError, type HeapRoom, type HeapUse, type LoadPath, loadHeapProblem } from './heap.js';
import { ConfigError, type ConfigProblem, suggestKey } from './problems.js';
import { pushGapProblems } from './push.js';
import { referenceProblems } from './references.js';
import { type ResolvedConfig, resolveConfig } from './resolved.js';
import { configSchema } from './schema.js';
import { statusPageProblems } from './status-page.js';
import {
  duplicateKeys,
  firstAlias,
  MAX_ALIAS_COUNT,
  MAX_CONFIG_BYTES,
  MAX_NESTING_DEPTH,
  MAX_YAML_TOKENS,
  MAX_YAML_VALUES,
  type PrescanCounts,
  prescan,
} from './yaml-limits.js';

export { ConfigError, type ConfigProblem, formatProblem, MAX_REPORTED_PROBLEMS } from './problems.js';
export {
  MAX_ALIAS_COUNT,
  MAX_CONFIG_BYTES,
  MAX_NESTING_DEPTH,
  MAX_YAML_TOKENS,
  MAX_YAML_VALUES,
} from './yaml-limits.js';

/** Problems located (file:line:column) at most; past this they are only counted. */
const MAX_LOCATED_PROBLEMS = 1_000;

type Path = readonly (string | number)[];

export function formatPath(path: Path): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${part}` : part;
  return out;
}

export type Env = Readonly<Record<string, string | undefined>>;

const VARIABLE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

class TooDeep extends Error {
  constructor(readonly path: Path) {
    super('too deep');
  }
}

/**
 * Expands `${VAR}` and `${VAR:-default}` in every string value; `$${` is a
 * literal `${`. Expansion happens after YAML parsing, so a value with quotes
 * or colons cannot change the document's structure. `path` is the one array
 * of the walk (copied only for a problem).
 *
 * A tree (`inPlace`: what the fast path built, every value its own) is
 * expanded where it stands: 100,000 checks are a million values, and copying
 * them cost a second copy's garbage. yaml's value is copied, since an alias
 * shares its anchor's object (expanding that twice would expand a `$${` too).
 */
function expand(
  value: unknown,
  path: (string | number)[],
  env: Env,
  missing: { path: Path; name: string }[],
  inPlace: boolean,
): unknown {
  if (path.length > MAX_NESTING_DEPTH) throw new TooDeep([...path]);
  if (typeof value === 'string') {
    if (!value.includes('$')) return value;
    return value.replace(VARIABLE, (whole, name: string | undefined, fallback: string | undefined) => {
      if (name === undefined) return '${';
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      missing.push({ path: [...path], name });
      return whole;
    });
  }
  if (Array.isArray(value)) {
    const out = inPlace ? value : new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      out[i] = expand(value[i], path, env, missing, inPlace);
      path.pop();
    }
    return out;
  }
  if (value && typeof value === 'object') {
    const entries: [string, unknown][] = [];
    for (const key of Object.keys(value)) {
      path.push(key);
      const inner = (value as Record<string, unknown>)[key];
      const expanded = expand(inner, path, env, missing, inPlace);
      path.pop();
      if (!inPlace) entries.push([key, expanded]);
      // Defined, not assigned: a "__proto__" key stays an own property.
      else if (expanded !== inner) Object.defineProperty(value, key, { value: expanded });
    }
    return inPlace ? value : Object.fromEntries(entries);
  }
  return value;
}

export interface ParseOptions {
  /** Name used in error messages. */
  readonly file: string;
  readonly env?: Env;
  /**
   * Refuse the config with a {@link HeapError} before the document is built
   * when this heap cannot load it (`use` only counts the checks said to fit;
   * whether it can run them is asked of the resolved config).
   */
  readonly heap?: { readonly room: HeapRoom; readonly use: HeapUse };
}

type At = { line: number; column: number };

/** Where each problem is in the YAML source. */
function locator(doc: Document, lineCounter: LineCounter) {
  const at = (offset: number | undefined): At => {
    if (offset === undefined) return { line: 1, column: 1 };
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  // Offsets of the keys of each map, built once per map: a hostile map has 100,000 unknown keys.
  const keyIndex = new WeakMap<object, Map<unknown, number | undefined>>();
  const keyOffset = (map: { items: { key: unknown }[] }, key: string) => {
    let index = keyIndex.get(map);
    if (!index) {
      index = new Map();
      for (const item of map.items) {
        if (isScalar(item.key) && !index.has(item.key.value)) index.set(item.key.value, item.key.range?.[0]);
      }
      keyIndex.set(map, index);
    }
    return index.has(key) ? { found: true, offset: index.get(key) } : { found: false, offset: undefined };
  };
  /** The YAML node at a path (or its nearest ancestor that exists); with `key`, that key in the map. */
  const locate = (path: Path, key?: string): At => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth), true) as Node | undefined;
      if (!node) continue;
      if (key !== undefined && depth === path.length && isMap(node)) {
        const { found, offset } = keyOffset(node, key);
        if (found) return at(offset);
      }
      return at(node.range?.[0]);
    }
    return at(doc.contents?.range?.[0]);
  };
  return { at, locate };
}

const problem = (file: string, at: At, field: string, message: string): ConfigProblem => ({
  file,
  ...at,
  field,
  message,
});

/**
 * Parses and validates a YAML config. Throws {@link ConfigError} listing every
 * problem with file, line, column and field; returns a frozen config. Never
 * throws anything else, whatever the text (but a {@link HeapError} when
 * `options.heap` is given and the heap is too small for it).
 */
export function parseConfig(text: string, options: ParseOptions): ResolvedConfig {
  try {
    return parseUnsafe(text, options);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof HeapError) throw error;
    // A last guard: a config must never crash the process or print a stack.
    const reason = error instanceof RangeError ? 'it is nested too deeply' : String((error as Error)?.message ?? error);
    throw new ConfigError([problem(options.file, { line: 0, column: 0 }, '', `cannot read the config: ${reason}`)]);
  }
}

function parseUnsafe(text: string, options: ParseOptions): ResolvedConfig {
  const { file } = options;
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_CONFIG_BYTES) throw tooLarge(file, bytes);
  return parseFast(text, options, bytes) ?? parseSlow(text, options, bytes);
}

/**
 * Refuses, with its one sentence, a config this process's heap cannot load by `path` (counts
 * taken before the values are built).
 */
function heapCheck(counts: PrescanCounts, bytes: number, options: ParseOptions, path: LoadPath): void {
  if (!options.heap) return;
  const heapProblem = loadHeapProblem({ ...counts, bytes }, options.heap.room, options.heap.use, path);
  if (heapProblem) throw new HeapError(heapProblem);
}

/**
 * The fast path (fast-yaml.ts): a valid config in plain block YAML, without building the
 * `yaml` Document (100,000 checks: 15 s and 450 MB of heap). Undefined when the fast
 * path cannot read the text or finds any problem: the full path then reads it again and
 * reports every problem with its line.
 */
function parseFast(text: string, options: ParseOptions, bytes: number): ResolvedConfig | undefined {
  const counts = fastCounts(text);
  // Past a limit the full path refuses, from the lexer's own counts (which these equal wherever
  // the fast path reads the document; fast-yaml.test.ts), with the same message.
  if (!counts || counts.tokens > MAX_YAML_TOKENS || counts.nodes > MAX_YAML_VALUES) return undefined;
  // This path needs a fifth of the full one's heap: it is judged by its own model (a config
  // the fast path would load is not refused for what the yaml Document would have needed).
  heapCheck(counts, bytes, options, 'fast');
  const raw = fastParse(text);
  if (raw === undefined) return undefined;
  let clean = true;
  const validated = validate(
    raw,
    options,
    () => {
      clean = false;
    },
    true,
  );
  return clean && validated ? resolveConfig(validated.data, options.file, validated.readCa) : undefined;
}

function parseSlow(text: string, options: ParseOptions, bytes: number): ResolvedConfig {
  const { file } = options;
  const counts: PrescanCounts = { tokens: 0, nodes: 0, names: 0, conditions: 0 };
  const tooBig = prescan(text, counts);
  if (tooBig) throw new ConfigError([problem(file, { line: 0, column: 0 }, '', tooBig)]);
  heapCheck(counts, bytes, options, 'full');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const { at, locate } = locator(doc, lineCounter);

  if (doc.errors.length > 0) {
    const problems: ConfigProblem[] = [];
    for (const error of doc.errors.slice(0, MAX_LOCATED_PROBLEMS)) {
      const message = /call stack/i.test(error.message)
        ? 'YAML syntax: the document is nested too deeply'
        : `YAML syntax: ${error.message.split('\n')[0]}`;
      problems.push(problem(file, at(error.pos[0]), '', message));
    }
    throw new ConfigError(problems, Math.max(0, doc.errors.length - MAX_LOCATED_PROBLEMS));
  }
  const duplicates: ConfigProblem[] = [];
  let moreDuplicates = 0;
  duplicateKeys(doc, (offset, message) => {
    if (duplicates.length < MAX_LOCATED_PROBLEMS) duplicates.push(problem(file, at(offset), '', message));
    else moreDuplicates += 1;
  });
  if (duplicates.length > 0) throw new ConfigError(duplicates, moreDuplicates);

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    // yaml throws a ReferenceError for an alias bomb, and for an alias to an anchor not (yet) defined.
    const message = /resource exhaustion/.test(error.message)
      ? `too many alias references (*name): they would expand past ${MAX_ALIAS_COUNT} copies (a "billion laughs" document?)`
      : `YAML aliases: ${error.message}`;
    throw new ConfigError([problem(file, at(firstAlias(doc)), '', message)]);
  }
  if (raw === null || raw === undefined) {
    throw new ConfigError([
      problem(file, { line: 0, column: 0 }, '', 'the config is empty: expected a mapping with a "checks" list'),
    ]);
  }

  const problems: ConfigProblem[] = [];
  let unlocated = 0;
  /** The message is computed only for a problem that is kept. */
  const report: Report = (path, message, key) => {
    if (problems.length >= MAX_LOCATED_PROBLEMS) unlocated += 1;
    else {
      const text = typeof message === 'string' ? message : message();
      problems.push(problem(file, locate(path, key), formatPath(key === undefined ? path : [...path, key]), text));
    }
  };
  const validated = validate(raw, options, report);
  if (problems.length > 0 || unlocated > 0 || !validated) throw new ConfigError(problems, unlocated);
  return resolveConfig(validated.data, file, validated.readCa);
}

type Report = (path: Path, message: string | (() => string), key?: string) => void;

/**
 * Expands `${VAR}`, validates and reads the CA files; every problem goes to `report`. The
 * validated config when the schema took it (problems may still have been reported).
 */
function validate(
  raw: unknown,
  options: ParseOptions,
  report: Report,
  /** `raw` is a tree the loader may change (the fast path's). */
  tree = false,
): { data: z.infer<typeof configSchema>; readCa: (path: string) => string } | undefined {
  const { file } = options;
  const env = options.env ?? process.env;
  const missing: { path: Path; name: string }[] = [];
  let expanded: unknown;
  try {
    expanded = expand(raw, [], env, missing, tree);
  } catch (error) {
    if (!(error instanceof TooDeep)) throw error;
    report(error.path, `nested deeper than ${MAX_NESTING_DEPTH} levels`);
    return undefined;
  }
  for (const m of missing) {
    report(m.path, `environment variable ${m.name} is not set (write \${${m.name}:-default} to give a default)`);
  }
  duplicateNames(expanded, report);
  referenceProblems(expanded, report);
  pushGapProblems(expanded, report);
  statusPageProblems(expanded, report);
  // A value with an unset variable is already reported; a knock-on error would only repeat it.
  const unset = new Set(missing.map((m) => formatPath(m.path)));
  clusterStorageProblem(expanded, report, unset.has('storage'));

  const parsed = configSchema.safeParse(expanded);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      if (issue.code === 'unrecognized_keys') {
        const known = keysAt(path);
        for (const key of issue.keys) {
          report(
            path,
            () => {
              const suggestion = suggestKey(key, known);
              return `unknown key "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
            },
            key,
          );
        }
        continue;
      }
      if (unset.has(formatPath(path))) continue;
      report(path, withCheckName(expanded, path, issue.message));
    }
    return undefined;
  }
  // CA files are read now, so a missing one is a config error with its location, not a failed check later.
  const cas = new Map<string, string>();
  parsed.data.checks.forEach((check, index) => {
    if (check.caFile === undefined) return;
    const path = resolvePath(dirname(file), check.caFile);
    try {
      const pem = readFileSync(path, 'utf8');
      const problem = caProblem(pem);
      if (problem) throw new Error(problem);
      cas.set(check.caFile, pem);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
      report(['checks', index, 'caFile'], `cannot read ${path}: ${reason}`);
    }
  });
  return { data: parsed.data as z.infer<typeof configSchema>, readCa: (path) => cas.get(path) as string };
}

/**
 * Why a CA file cannot be trusted as written, or undefined. TLS takes a
 * garbled PEM block without a word and then trusts nothing from it, so each
 * block is parsed here, where the config can say which one is wrong.
 */
export function caProblem(pem: string): string | undefined {
  const begins = pem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (begins === 0) return 'no PEM certificate in it (expected -----BEGIN CERTIFICATE----- blocks)';
  if (blocks.length !== begins)
    return `${begins - blocks.length} certificate(s) in it have no -----END CERTIFICATE-----`;
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (error) {
      const reason = String((error as Error).message).replace(/^error:[0-9A-F]+:/, '');
      return `certificate ${index + 1} of ${blocks.length} is not a valid PEM certificate (${reason})`;
    }
  }
  return undefined;
}

/** A bad condition names its check: conditions are long, and people look for them by check. */
function withCheckName(expanded: unknown, path: Path, message: string): string {
  if (path[0] !== 'checks' || path[2] !== 'conditions' || typeof path[1] !== 'number') return message;
  const name = (expanded as { checks?: { name?: unknown }[] }).checks?.[path[1]]?.name;
  return typeof name === 'string' ? `check "${name}": ${message}` : message;
}

/** Reported on the raw document, so they come with every other problem, not only once the rest is valid. */
function duplicateNames(expanded: unknown, report: (path: Path, message: string) => void): void {
  const checks = (expanded as { checks?: unknown }).checks;
  if (!Array.isArray(checks)) return;
  const seen = new Map<string, number>();
  checks.forEach((check: unknown, index) => {
    const name = (check as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') return;
    const first = seen.get(name);
    if (first === undefined) seen.set(name, index);
    else report(['checks', index, 'name'], `duplicate check name "${name}" (first used by checks[${first}])`);
  });
}

/** The keys the schema knows for the object at a path, for "did you mean". */
function keysAt(path: Path): string[] {
  let schema: z.ZodType = configSchema;
  const unwrap = () => {
    // A pipe is a preprocess (statusPage entries): its keys are those of what it feeds.
    while (schema instanceof z.ZodOptional || schema instanceof z.ZodPipe)
      schema = (schema instanceof z.ZodOptional ? schema.unwrap() : schema.out) as z.ZodType;
  };
  for (const part of path) {
    unwrap();
    if (typeof part === 'number' && schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
    else if (typeof part === 'string' && schema instanceof z.ZodObject && part in schema.shape)
      schema = schema.shape[part] as z.ZodType;
    else return [];
  }
  unwrap();
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function tooLarge(file: string, bytes: number): ConfigError {
  return new ConfigError([
    problem(
      file,
      { line: 0, column: 0 },
      '',
      `the config is ${bytes} bytes, over the limit of ${MAX_CONFIG_BYTES} bytes (${MAX_CONFIG_BYTES / 1024 / 1024} MiB); nothing was read past the limit`,
    ),
  ]);
}

/**
 * Reads, parses and validates a config file. Throws {@link ConfigError}, and
 * only that (but a {@link HeapError} when `heap` is given and the heap is too small).
 */
export function loadConfigFile(path: string, env?: Env, heap?: ParseOptions['heap']): ResolvedConfig {
  return parseConfig(readConfigText(path), {
    file: path,
    ...(env === undefined ? {} : { env }),
    ...(heap === undefined ? {} : { heap }),
  });
}

/**
 * Reads a config file, refusing one over MAX_CONFIG_BYTES before reading it
 * (the size is taken from the open file, and at most the limit plus one byte
 * is read, so a file that grows meanwhile is refused too).
 */
export function readConfigText(path: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    if (size > MAX_CONFIG_BYTES) throw tooLarge(path, size);
    // Sized from fstat; grown (to the limit plus one byte at most) if the file grows while it is read.
    let buffer = Buffer.alloc(Math.min(MAX_CONFIG_BYTES + 1, size + 4096));
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > MAX_CONFIG_BYTES) throw tooLarge(path, length);
        const bigger = Buffer.alloc(Math.min(MAX_CONFIG_BYTES + 1, buffer.length * 2));
        buffer.copy(bigger);
        buffer = bigger;
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > MAX_CONFIG_BYTES) throw tooLarge(path, length);
    return buffer.subarray(0, length).toString('utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EISDIR'
          ? 'it is a directory'
          : String((error as Error)?.message ?? error);
    throw new ConfigError([problem(path, { line: 0, column: 0 }, '', `cannot read the config: ${reason}`)]);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
