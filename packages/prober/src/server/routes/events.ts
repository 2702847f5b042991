import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import type { Query } from '../request.js';
import { parseCheckNames } from './overview.js';

export const EVENTS_PARAMS = ['checks', 'lastEventId'] as const;

/**
 * GET /api/v1/events: the live stream (server/events.ts). Names in `?checks=`
 * need not be configured now: a dashboard reconnecting across a reload keeps
 * its stream. `Last-Event-ID` (what a reconnecting EventSource sends) wins
 * over `?lastEventId=` (what a client set when it first connected). Every
 * refusal is thrown before the stream starts, so it is a JSON error.
 */
export function events(ctx: RouteContext, req: IncomingMessage, res: ServerResponse, query: Query): void {
  query.allow(EVENTS_PARAMS);
  const hub = ctx.deps.events;
  if (!hub) throw new ApiError('not_found', 'this server has no live events');
  const checks = parseCheckNames(query.get('checks'), false);
  const header = req.headers['last-event-id'];
  const lastEventId = typeof header === 'string' && header !== '' ? header : query.get('lastEventId');
  hub.attach(req, res, { checks, lastEventId });
}
