import type { RetentionConfig } from '../../config/resolved.js';
import { RESOLUTIONS } from '../../domain/rollup.js';
import { cutoffs, type PruneCounts, type Store } from '../store.js';
import { pruneNotifications } from './alerts.js';
import { type PostgresContext, trySingleton } from './context.js';
import { readWatermark } from './rollups.js';

const NOTHING: PruneCounts = { raw: 0, minute: 0, hour: 0, day: 0, notifications: 0 };

/**
 * Retention: deletes raw rows, rollups and finished notifications past their
 * age, in one transaction, on one connection at a time (a cluster's members
 * all call it; while one prunes, the others return zero counts at once).
 */
export function createPostgresMaintenance(ctx: PostgresContext): Pick<Store, 'prune'> {
  const { long } = ctx;
  return {
    async prune(now: number, retention: RetentionConfig): Promise<PruneCounts> {
      ctx.ensure();
      const c = cutoffs(now, retention);
      return ctx.transaction(async (client) => {
        if (!(await trySingleton(ctx, client, 'prune'))) return NOTHING;
        const del = async (text: string, values: unknown[]) => (await client.query(long(text, values))).rowCount ?? 0;
        const delRollups = (res: number, before: number | null) =>
          before === null ? 0 : del('DELETE FROM lifeline_rollups WHERE res = $1 AND bucket < $2', [res, before]);
        return {
          // Raw rows not folded into rollups yet are kept whatever their age.
          raw:
            c.raw === null
              ? 0
              : await del('DELETE FROM lifeline_results WHERE t < $1', [
                  Math.min(c.raw, (await readWatermark(client)) ?? 0),
                ]),
          minute: await delRollups(RESOLUTIONS.minute, c.minute),
          hour: await delRollups(RESOLUTIONS.hour, c.hour),
          day: await delRollups(RESOLUTIONS.day, c.day),
          // Delivered and dead notifications go with the raw results; pending ones are never pruned.
          notifications: c.raw === null ? 0 : await pruneNotifications(ctx, client, c.raw),
        };
      }, ctx.maintenanceTimeoutMs);
    },
  };
}
