/** The dashboard's part of the OpenAPI document: live events and the overview (openapi.ts merges it in). */
import { CHECK_STATES } from '../domain/check-state.js';
import { EVENTS_DEFAULTS } from './events.js';

const checksParam = (description: string, required: boolean) => ({
  name: 'checks',
  in: 'query',
  required,
  description,
  schema: { type: 'string', example: 'api,db' },
});

export const EVENTS_PATHS = {
  '/api/v1/events': {
    get: {
      summary: 'Live updates as Server-Sent Events (text/event-stream)',
      description:
        `Starts with \`retry: ${EVENTS_DEFAULTS.retryMs}\` and an \`id:\` line giving the client its place. Events: ` +
        '`results` (data `{"results": [Update, ...]}`: the newest result of each check that ran since the last event, ' +
        `sent at most every ${EVENTS_DEFAULTS.flushMs} ms), \`config\` (data \`{"checks": <count>}\` after a reload changed the checks: refetch the list), ` +
        '`reset` (data `{}`: the id asked for is unknown, too old or from an earlier start of the monitor: refetch everything). ' +
        'Every event has an id `<bootId>.<seq>`; reconnect with `Last-Event-ID` (or `?lastEventId=`) to get what you missed. ' +
        `A comment \`: ping\` every ${EVENTS_DEFAULTS.pingMs / 1000} s. A client with more than 1 MiB unsent (one that does not read) is disconnected. ` +
        'Read it with fetch when credentials are needed (EventSource cannot send an Authorization header).',
      parameters: [
        checksParam(
          'Only results of these checks (1 to 100 names, comma-separated; they need not be configured)',
          false,
        ),
        {
          name: 'lastEventId',
          in: 'query',
          description: 'The id of the last event seen, for clients that cannot set `Last-Event-ID` (the header wins)',
          schema: { type: 'string' },
        },
        {
          name: 'Last-Event-ID',
          in: 'header',
          description: 'The id of the last event seen: the events after it are sent first',
          schema: { type: 'string' },
        },
      ],
      responses: {
        '200': {
          description: 'The stream; it ends when the monitor stops',
          content: { 'text/event-stream': { schema: { type: 'string' } } },
        },
        '400': { $ref: '#/components/responses/BadRequest' },
        '401': { $ref: '#/components/responses/Unauthorized' },
        '503': {
          description: `too_many_clients: ${EVENTS_DEFAULTS.maxClients} streams are open (Retry-After says when to try again); shutting_down: the monitor is stopping`,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    },
  },
  '/api/v1/overview': {
    get: {
      summary:
        "Each named check's daily uptime over 90 days and p50/p95 latency over 24 hours, oldest first, from rollups: a dashboard row's bar and sparkline",
      parameters: [checksParam('1 to 100 configured check names, comma-separated (a repeated name counts once)', true)],
      responses: {
        '200': {
          description: 'The checks in the order asked',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Overview' } } },
        },
        '400': { $ref: '#/components/responses/BadRequest' },
        '401': { $ref: '#/components/responses/Unauthorized' },
        '404': { $ref: '#/components/responses/NotFound' },
        '503': { $ref: '#/components/responses/HistoryUnavailable' },
      },
    },
  },
} as const;

const nullableNumber = { type: ['number', 'null'] } as const;
const start = { type: 'string', format: 'date-time', description: 'Start of the bucket (UTC)' } as const;

export const EVENTS_SCHEMAS = {
  CheckState: {
    description:
      'up, down, degraded: the newest result. maintenance: it ran in a maintenance window. late: a push check past its expected ping time, ' +
      'inside its grace; or any check whose newest result is older than its next two planned runs plus its timeout (the monitor could not run it). ' +
      'unknown: no result yet.',
    enum: CHECK_STATES,
  },
  Update: {
    type: 'object',
    required: ['check', 'state', 'time', 'ok', 'status', 'durationMs'],
    properties: {
      check: { type: 'string' },
      state: { $ref: '#/components/schemas/CheckState' },
      time: { type: 'string', format: 'date-time' },
      ok: { type: 'boolean' },
      degraded: { type: 'boolean', description: 'Present (true) only when degraded' },
      status: { type: ['integer', 'null'] },
      durationMs: { type: 'number' },
      error: {
        type: 'object',
        properties: { code: { type: 'string' }, message: { type: 'string' } },
      },
      maintenance: { type: 'boolean', description: 'Present (true) only when it ran in a maintenance window' },
    },
  },
  Overview: {
    type: 'object',
    properties: {
      days: { type: 'integer', const: 90 },
      checks: {
        type: 'object',
        additionalProperties: {
          type: 'object',
          properties: {
            daily: {
              type: 'array',
              description: '90 buckets, oldest first, the last one today (UTC)',
              items: {
                type: 'object',
                properties: { start, uptime: nullableNumber, count: { type: 'integer' } },
              },
            },
            hourly: {
              type: 'array',
              description: '24 buckets, oldest first, the last one this hour',
              items: {
                type: 'object',
                properties: { start, p50Ms: nullableNumber, p95Ms: nullableNumber, count: { type: 'integer' } },
              },
            },
          },
        },
      },
    },
  },
} as const;
