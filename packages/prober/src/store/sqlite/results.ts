import type Database from 'better-sqlite3';
import type { CheckResult } from '../../domain/result.js';
import { foldResults, type RollupDelta } from '../../domain/rollup.js';
import { yieldToLoop } from '../../runtime/yield-to-loop.js';
import {
  decode,
  encode,
  type FailureState,
  type RawRow,
  type ResultQuery,
  rollupInput,
  type Store,
  type WriteReport,
} from '../store.js';
import { isFolded, type SqliteContext } from './context.js';

/** The write path and the reads of raw results. */
export interface SqliteResults
  extends Pick<Store, 'write' | 'results' | 'resultsByOutcome' | 'latest' | 'lastScheduled' | 'failureStates'> {
  /** Prepares the statements; called by migrate(), once the tables exist. */
  prepare(): void;
}

export interface SqliteResultsDeps {
  /** Folds late results into their stored rollups (see SqliteRollups.mergeInto). */
  readonly mergeInto: (deltas: Iterable<RollupDelta>) => void;
}

/** Checks whose failure state is read between two turns of the event loop. */
export const FAILURE_SLICE_CHECKS = 500;

export function createSqliteResults(ctx: SqliteContext, deps: SqliteResultsDeps): SqliteResults {
  const { db, checks } = ctx;
  let stmts: ReturnType<typeof prepareStatements>;

  function prepareStatements() {
    return {
      insert: db.prepare(
        // A row repeating a check's time (its primary key) or run slot (results_slot, schema v6) is left out.
        'INSERT OR IGNORE INTO results (check_id, t, lag, ok, status, dur, dns, conn, tls, ttfb, xfer, attempts, err, detail, cert, slot, epoch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      results: db.prepare('SELECT * FROM results WHERE check_id = ? AND t >= ? AND t < ? ORDER BY t DESC LIMIT ?'),
      latest: db.prepare('SELECT * FROM results WHERE check_id = ? AND t >= ? ORDER BY t DESC LIMIT 1'),
      lastScheduled: db.prepare(
        'SELECT t - lag AS s FROM results WHERE check_id = ? AND lag IS NOT NULL ORDER BY t DESC LIMIT 1',
      ),
    };
  }

  const writeTx = db.transaction((results: readonly CheckResult[]): WriteReport => {
    const late = [];
    let written = 0;
    for (const result of results) {
      const row = encode(result);
      const checkId = checks.idFor(result.check, result.url);
      const { changes } = stmts.insert.run(
        checkId,
        row.t,
        row.lag,
        row.ok,
        row.status,
        row.dur,
        row.dns,
        row.conn,
        row.tls,
        row.ttfb,
        row.xfer,
        row.attempts,
        row.err,
        row.detail,
        row.cert,
        row.slot,
        row.epoch,
      );
      if (changes === 0) continue;
      written++;
      // A result for a minute that was already compacted goes straight into its rollups (a duplicate never).
      if (isFolded(ctx, checkId, row.t)) {
        late.push(rollupInput(result));
      }
    }
    if (late.length > 0) deps.mergeInto(foldResults(late).values());
    return { written, duplicates: results.length - written, fenced: 0 };
  });

  // The API's read queries. Failures are read through the partial index
  // results_failures (schema v3), named because the planner otherwise prefers
  // the covering primary key and walks every row of the check.
  let readStmts: ReturnType<typeof prepareReads> | undefined;
  const prepareReads = () => ({
    failed: db.prepare(
      'SELECT * FROM results INDEXED BY results_failures WHERE check_id = ? AND ok = 0 AND t >= ? AND t < ? ORDER BY t DESC LIMIT ?',
    ),
    passed: db.prepare(
      'SELECT * FROM results WHERE check_id = ? AND ok <> 0 AND t >= ? AND t < ? ORDER BY t DESC LIMIT ?',
    ),
    lastFailure: db.prepare(
      'SELECT * FROM results INDEXED BY results_failures WHERE check_id = ? AND ok = 0 ORDER BY t DESC LIMIT 1',
    ),
    lastPass: db.prepare('SELECT t FROM results WHERE check_id = ? AND ok <> 0 ORDER BY t DESC LIMIT 1'),
    firstFailureAfter: db.prepare(
      'SELECT t FROM results INDEXED BY results_failures WHERE check_id = ? AND ok = 0 AND t > ? ORDER BY t LIMIT 1',
    ),
  });
  const reads = () => {
    readStmts ??= prepareReads();
    return readStmts;
  };
  /** One page of a check's raw results, newest first, from a statement taking (id, since, until, limit). */
  const page = (check: string, query: ResultQuery, statement: Database.Statement): CheckResult[] => {
    const id = checks.ids.get(check);
    if (id === undefined) return [];
    const rows = statement.all(id, query.since ?? 0, query.until ?? Number.MAX_SAFE_INTEGER, query.limit) as RawRow[];
    const url = checks.urls.get(id)?.url ?? '';
    return rows.map((row) => decode(check, url, row));
  };

  return {
    prepare() {
      stmts = prepareStatements();
    },
    async write(results) {
      ctx.ensure();
      return results.length > 0 ? writeTx(results) : { written: 0, duplicates: 0, fenced: 0 };
    },
    async results(check, query: ResultQuery) {
      ctx.ensure();
      return page(check, query, stmts.results);
    },
    async latest(since = 0) {
      ctx.ensure();
      const out = new Map<string, CheckResult>();
      for (const [id, { name, url }] of checks.urls) {
        const row = stmts.latest.get(id, since) as RawRow | undefined;
        if (row) out.set(name, decode(name, url, row));
      }
      return out;
    },
    async lastScheduled(check) {
      ctx.ensure();
      const id = checks.ids.get(check);
      if (id === undefined) return undefined;
      const row = stmts.lastScheduled.get(id) as { s: number } | undefined;
      return row?.s;
    },
    async resultsByOutcome(check, ok, query: ResultQuery) {
      ctx.ensure();
      return page(check, query, ok ? reads().passed : reads().failed);
    },
    async failureStates(checkNames) {
      ctx.ensure();
      const out = new Map<string, FailureState>();
      let read = 0;
      for (const check of checkNames) {
        // Two or three index seeks a check: the loop is let go every slice, so a list of every check never holds it long.
        if (++read % FAILURE_SLICE_CHECKS === 0) {
          await yieldToLoop();
          if (!db.open) throw new Error('the store was closed while failure states were read');
        }
        const id = checks.ids.get(check);
        const failure = id === undefined ? undefined : (reads().lastFailure.get(id) as RawRow | undefined);
        if (id === undefined || failure === undefined) {
          out.set(check, { lastFailure: null, downSince: null });
          continue;
        }
        const lastPass = (reads().lastPass.get(id) as { t: number } | undefined)?.t;
        const down = lastPass === undefined || lastPass < failure.t;
        const first = down ? (reads().firstFailureAfter.get(id, lastPass ?? -1) as { t: number }).t : null;
        out.set(check, { lastFailure: decode(check, checks.urls.get(id)?.url ?? '', failure), downSince: first });
      }
      return out;
    },
  };
}
