import type { ClusterView, MemberView } from '../../cluster/view.js';
import type { RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import { type Query, quote } from '../request.js';

export const CLUSTER_PARAMS = ['checks'] as const;

const iso = (ms: number) => new Date(ms).toISOString();

/** A member as the API shows it: its row's times in ISO 8601, and with `checks` the names it owns. */
function memberJson(member: MemberView, checks: string[] | undefined) {
  return {
    id: member.id,
    self: member.self,
    host: member.host,
    api: member.api,
    epoch: member.epoch,
    startedAt: iso(member.startedAt),
    activeAt: iso(member.activeAt),
    renewedAt: iso(member.renewedAt),
    expiresAt: iso(member.expiresAt),
    live: member.live,
    active: member.active,
    checksOwned: member.checksOwned,
    ...(checks !== undefined ? { checks } : {}),
  };
}

function parseChecks(text: string | undefined): boolean {
  if (text === undefined || text === 'false') return false;
  if (text === 'true') return true;
  throw new ApiError(
    'bad_parameter',
    `checks must be true (list the checks each member owns) or false, got ${quote(text)}`,
  );
}

/**
 * GET /api/v1/cluster: the members this monitor knows (from its last read of
 * the database), which of them own checks, and with `?checks=true` which
 * checks each owns. Served from memory: it never waits on the database.
 */
export function cluster(ctx: RouteContext, query: Query) {
  query.allow(CLUSTER_PARAMS);
  const withChecks = parseChecks(query.get('checks'));
  const read = ctx.deps.cluster;
  if (!read) throw new ApiError('not_found', 'this server has no cluster view');
  const view: ClusterView = read();
  return {
    mode: view.mode,
    self: view.self,
    epoch: view.epoch,
    leaseTtlMs: view.leaseTtlMs,
    renewMs: view.renewMs,
    members: view.members.map((member) => memberJson(member, withChecks ? view.checksOf(member.id) : undefined)),
  };
}
