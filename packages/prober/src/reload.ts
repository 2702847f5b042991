import type { Logger } from 'pino';
import { HeapError, heapRoom } from './config/heap.js';
import { ConfigError, type Env, formatProblem, parseConfig } from './config/load.js';
import type { ResolvedConfig } from './config/resolved.js';

export interface ReloadDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
}

export interface ReloadDeps {
  readonly logger: Logger;
  readonly env?: Env;
  /** The running config. */
  current(): ResolvedConfig;
  /** Hands a valid new config to every part of the monitor; says which checks changed. */
  apply(next: ResolvedConfig): ReloadDiff;
}

/** Sections that only a restart applies; `storageFlushMs` is written `storageFlush` in the file. */
const RESTART_ONLY = ['storage', 'storageFlushMs', 'server', 'scheduler', 'cluster'] as const;

/**
 * One hot reload of the config file's new text: parsed (refused before
 * parsing when the heap cannot hold it), applied, and logged. An invalid or
 * too large config is logged with its problems and the running one is kept;
 * this never throws for a bad file.
 */
export function reloadConfig(text: string, deps: ReloadDeps): void {
  const config = deps.current();
  let next: ResolvedConfig;
  try {
    next = parseConfig(text, {
      file: config.source,
      ...(deps.env ? { env: deps.env } : {}),
      heap: { room: heapRoom(), use: 'load' },
    });
  } catch (error) {
    if (error instanceof HeapError) {
      deps.logger.error(
        { code: error.code },
        `the changed config is too large for this heap (${error.message}); still running the previous one`,
      );
      return;
    }
    if (!(error instanceof ConfigError)) throw error;
    deps.logger.error(
      { problems: error.problems.map(formatProblem) },
      'the changed config is invalid; still running the previous one',
    );
    return;
  }
  const needsRestart = RESTART_ONLY.filter((key) => JSON.stringify(next[key]) !== JSON.stringify(config[key])).map(
    (key) => (key === 'storageFlushMs' ? 'storageFlush' : key),
  );
  if (needsRestart.length > 0) {
    deps.logger.warn(
      { sections: needsRestart },
      `config reloaded, but ${needsRestart.join(', ')} changes take effect only after a restart`,
    );
  }
  const diff = deps.apply(next);
  deps.logger.info(
    { ...diff },
    `config reloaded: ${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed`,
  );
}
