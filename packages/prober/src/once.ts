// `lifeline check --once`, apart from the monitor: a CronJob run loads the probes
// and nothing else. The store (better-sqlite3, pg) is imported only when the config
// names one; the server, metrics and @lifeline/health never are (issue 14, goal 1).
import type { LookupFunction } from 'node:net';
import type { ResolvedConfig } from './config/resolved.js';
import type { CheckResult } from './domain/result.js';
import { executeCheck } from './execute.js';
import { createHttpProber } from './probes/http.js';

/** `lifeline check --once`: every check in parallel, results in config order. */
export async function checkOnce(
  config: ResolvedConfig,
  options: { signal?: AbortSignal; lookup?: LookupFunction } = {},
): Promise<CheckResult[]> {
  const http = createHttpProber();
  try {
    // Push checks are the monitor's: a job pings it; nothing here probes them.
    const probed = config.checks.filter((check) => check.kind !== 'push');
    return await Promise.all(probed.map((check) => executeCheck(check, { ...options, http })));
  } finally {
    await http.close();
  }
}

/** Writes one-off results to the store the config names, if it names one. Returns whether it did. */
export async function storeResults(config: ResolvedConfig, results: readonly CheckResult[]): Promise<boolean> {
  if (!config.storage || config.storage.kind === 'none') return false;
  const { openStore } = await import('./store/open.js');
  // Next to a running monitor (which holds a SQLite file for good) this fails with LIFELINE_ERR_STORE_LOCKED.
  const store = await openStore(config.storage);
  try {
    await store?.write(results);
    // A CronJob may be the only writer: it keeps hour and day rollups current itself.
    await store?.compact(Date.now());
  } finally {
    await store?.close();
  }
  return true;
}
