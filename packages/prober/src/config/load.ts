import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { isMap, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { CONFIG_ERROR_CODE } from '../domain/errors.js';
import { type ResolvedConfig, resolveConfig } from './resolved.js';
import { configSchema } from './schema.js';

/** One thing wrong with a config, located in its file. */
export interface ConfigProblem {
  readonly file: string;
  /** 1-based; 0 when the problem is about the file as a whole. */
  readonly line: number;
  readonly column: number;
  /** Dotted path of the field, e.g. `checks[0].schedule`; empty for the document. */
  readonly field: string;
  readonly message: string;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file;
  return p.field ? `${where}: ${p.field}: ${p.message}` : `${where}: ${p.message}`;
}

/** A config that cannot be used. Carries every problem found, not just the first. */
export class ConfigError extends Error {
  readonly code = CONFIG_ERROR_CODE;
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Path = readonly (string | number)[];

export function formatPath(path: Path): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${part}` : part;
  return out;
}

export type Env = Readonly<Record<string, string | undefined>>;

const VARIABLE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Expands `${VAR}` and `${VAR:-default}` in every string value; `$${` is a
 * literal `${`. Expansion happens after YAML parsing, so a value with quotes
 * or colons cannot change the document's structure.
 */
function expand(value: unknown, path: Path, env: Env, missing: { path: Path; name: string }[]): unknown {
  if (typeof value === 'string') {
    return value.replace(VARIABLE, (whole, name: string | undefined, fallback: string | undefined) => {
      if (name === undefined) return '${';
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      missing.push({ path, name });
      return whole;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => expand(item, [...path, i], env, missing));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, expand(inner, [...path, key], env, missing)]),
    );
  }
  return value;
}

export interface ParseOptions {
  /** Name used in error messages. */
  readonly file: string;
  readonly env?: Env;
}

/**
 * Parses and validates a YAML config. Throws {@link ConfigError} listing every
 * problem with file, line, column and field; returns a frozen config.
 */
export function parseConfig(text: string, options: ParseOptions): ResolvedConfig {
  const { file } = options;
  const env = options.env ?? process.env;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });

  const at = (offset: number | undefined) => {
    if (offset === undefined) return { line: 1, column: 1 };
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };

  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((error) => ({
        file,
        ...at(error.pos[0]),
        field: '',
        message: `YAML syntax: ${error.message.split('\n')[0]}`,
      })),
    );
  }

  const raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (raw === null || raw === undefined) {
    throw new ConfigError([
      { file, line: 0, column: 0, field: '', message: 'the config is empty: expected a mapping with a "checks" list' },
    ]);
  }

  /** The YAML node at a path, or the nearest ancestor that exists. */
  const locate = (path: Path, key?: string) => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth), true) as Node | undefined;
      if (!node) continue;
      if (key !== undefined && depth === path.length && isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && item.key.value === key);
        if (pair && isScalar(pair.key)) return at(pair.key.range?.[0]);
      }
      return at(node.range?.[0]);
    }
    return at(doc.contents?.range?.[0]);
  };

  const problems: ConfigProblem[] = [];
  const missing: { path: Path; name: string }[] = [];
  const expanded = expand(raw, [], env, missing);
  for (const m of missing) {
    problems.push({
      file,
      ...locate(m.path),
      field: formatPath(m.path),
      message: `environment variable ${m.name} is not set (write \${${m.name}:-default} to give a default)`,
    });
  }

  const parsed = configSchema.safeParse(expanded);
  if (!parsed.success) {
    // A value with an unset variable is already reported; its knock-on schema error would only repeat it.
    const unset = new Set(missing.map((m) => formatPath(m.path)));
    const named = (p: ConfigProblem): ConfigProblem => {
      // A bad condition names its check: conditions are long, and people look for them by check.
      const index = /^checks\[(\d+)\]\.conditions/.exec(p.field)?.[1];
      const name =
        index === undefined ? undefined : (expanded as { checks?: { name?: unknown }[] }).checks?.[Number(index)]?.name;
      return typeof name === 'string' ? { ...p, message: `check "${name}": ${p.message}` } : p;
    };
    problems.push(
      ...zodProblems(parsed.error, file, locate)
        .filter((p) => !unset.has(p.field))
        .map(named),
    );
  }
  // CA files are read now, so a missing one is a config error with its location, not a failed check later.
  const cas = new Map<string, string>();
  if (parsed.success) {
    parsed.data.checks.forEach((check, index) => {
      if (check.caFile === undefined) return;
      const path = resolvePath(dirname(file), check.caFile);
      try {
        const pem = readFileSync(path, 'utf8');
        if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
        cas.set(check.caFile, pem);
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
        problems.push({
          file,
          ...locate(['checks', index, 'caFile']),
          field: `checks[${index}].caFile`,
          message: `cannot read ${path}: ${reason}`,
        });
      }
    });
  }
  if (problems.length > 0) throw new ConfigError(sortProblems(problems));
  return resolveConfig(parsed.data as z.infer<typeof configSchema>, file, (path) => cas.get(path) as string);
}

function zodProblems(
  error: z.ZodError,
  file: string,
  locate: (path: Path, key?: string) => { line: number; column: number },
): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ file, ...locate(path, key), field: formatPath([...path, key]), message: `unknown key "${key}"` });
      }
      continue;
    }
    out.push({ file, ...locate(path), field: formatPath(path), message: issue.message });
  }
  return out;
}

function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return problems.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** Reads, parses and validates a config file. Throws {@link ConfigError}. */
export function loadConfigFile(path: string, env?: Env): ResolvedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new ConfigError([
      { file: path, line: 0, column: 0, field: '', message: `cannot read the config: ${reason}` },
    ]);
  }
  return parseConfig(text, env === undefined ? { file: path } : { file: path, env });
}
