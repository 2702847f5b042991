import { CONFIG_ERROR_CODE } from '../domain/errors.js';

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

/** A ConfigError keeps (and prints) at most this many problems; the rest are counted. */
export const MAX_REPORTED_PROBLEMS = 50;

export function formatProblem(p: ConfigProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file;
  return p.field ? `${where}: ${p.field}: ${p.message}` : `${where}: ${p.message}`;
}

/** Sorted by place in the file, each distinct problem once. */
function tidy(problems: readonly ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  const out: ConfigProblem[] = [];
  for (const p of problems) {
    const key = formatProblem(p);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * A config that cannot be used. Carries the problems found in file order,
 * each once, the first MAX_REPORTED_PROBLEMS of them; `more` counts the rest.
 */
export class ConfigError extends Error {
  readonly code = CONFIG_ERROR_CODE;
  readonly problems: readonly ConfigProblem[];
  /** Problems found but not kept (past MAX_REPORTED_PROBLEMS). */
  readonly more: number;
  /** `unlocated` counts further problems found but not worth locating (a hostile file can have millions). */
  constructor(problems: readonly ConfigProblem[], unlocated = 0) {
    const all = tidy(problems);
    const kept = all.slice(0, MAX_REPORTED_PROBLEMS);
    const more = all.length - kept.length + unlocated;
    super(
      `invalid configuration:\n${kept.map((p) => `  ${formatProblem(p)}`).join('\n')}${more > 0 ? `\n  ... and ${more} more` : ''}`,
    );
    this.name = 'ConfigError';
    this.problems = kept;
    this.more = more;
  }

  /** Every problem found, kept or not. */
  get total(): number {
    return this.problems.length + this.more;
  }

  /** One line per kept problem, then "... and N more problems" when some were not kept. */
  lines(): string[] {
    const lines = this.problems.map(formatProblem);
    if (this.more > 0) lines.push(`... and ${this.more} more problem${this.more === 1 ? '' : 's'}`);
    return lines;
  }
}

/** Edit distance (insert, delete, substitute), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const current = [i];
    for (let j = 1; j <= t.length; j++) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (s[i - 1] === t[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[t.length] as number;
}

/**
 * The known key closest to a misspelled one: at most 2 edits away, or 3 for
 * a key of 5 characters or more ("retry" -> "retries" is 3). Ties go to the
 * longer common prefix.
 */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  if (key.length > 64) return undefined;
  const limit = key.length >= 5 ? 3 : 2;
  const prefix = (a: string, b: string) => {
    let n = 0;
    while (n < a.length && n < b.length && a[n]?.toLowerCase() === b[n]?.toLowerCase()) n++;
    return n;
  };
  let best: string | undefined;
  let bestDistance = limit + 1;
  let bestPrefix = -1;
  for (const candidate of known) {
    const d = editDistance(key, candidate);
    const p = prefix(key, candidate);
    if (d < bestDistance || (d === bestDistance && p > bestPrefix)) {
      best = candidate;
      bestDistance = d;
      bestPrefix = p;
    }
  }
  return bestDistance <= limit ? best : undefined;
}
