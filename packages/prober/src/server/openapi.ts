import { ALERT_PATHS, ALERT_SCHEMAS } from './openapi-alerts.js';
import { CLUSTER_PATHS, CLUSTER_SCHEMAS } from './openapi-cluster.js';
import { EVENTS_PATHS, EVENTS_SCHEMAS } from './openapi-events.js';
import { PUSH_PATHS, PUSH_SCHEMAS, PUSH_SECURITY } from './openapi-push.js';
import { STATUS_PATHS } from './openapi-status.js';

/** The monitor's API, described for clients and generators. Served at /api/openapi.json. */
export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Lifeline monitor API',
    version: '1',
    description:
      'Check state, raw results and uptime from `lifeline run`. Times are ISO 8601 UTC; durations in milliseconds. ' +
      "With `server.auth` in the config every route but /livez, /readyz, /healthcheck and the push routes (which take each push check's own token) needs `Authorization: Bearer <token>` " +
      'or basic credentials (the scheme name in any case); /metrics too unless `server.auth.metrics: open`; ' +
      '/status only with `server.auth.statusPage: protected`; the badges unless `server.auth.badges: public`. ' +
      'A malformed path, query string or request line is a 400; a query parameter a route does not take, or one given twice, is a 400 naming it.',
  },
  security: [{ bearerAuth: [] }, { basicAuth: [] }],
  paths: {
    ...ALERT_PATHS,
    ...PUSH_PATHS,
    ...STATUS_PATHS,
    ...EVENTS_PATHS,
    ...CLUSTER_PATHS,
    '/api/v1/checks': {
      get: {
        summary:
          'Every configured check with its last result, state, last failure, uptime over 24 h, 7 d and 30 d, and p95 latency over 24 h',
        responses: {
          '200': {
            description: 'The checks',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/CheckList' } } },
          },
          '400': { $ref: '#/components/responses/BadRequest' },
          '401': { $ref: '#/components/responses/Unauthorized' },
          '503': {
            description:
              'The stored history cannot be read (the store failed or did not answer within 5 s). The body still lists every check from memory ' +
              '(config and newest results) with `history: "unavailable"`; uptime, p95Ms and downSince are null.',
            content: {
              'application/json': {
                schema: { allOf: [{ $ref: '#/components/schemas/CheckList' }, { $ref: '#/components/schemas/Error' }] },
              },
            },
          },
        },
      },
    },
    '/api/v1/checks/{name}': {
      get: {
        summary: 'One check: its definition, state, last result and last failure',
        parameters: [{ $ref: '#/components/parameters/name' }],
        responses: {
          '200': {
            description: 'The check',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Check' } } },
          },
          '400': { $ref: '#/components/responses/BadRequest' },
          '401': { $ref: '#/components/responses/Unauthorized' },
          '404': { $ref: '#/components/responses/NotFound' },
          '503': {
            description:
              'The stored history cannot be read: the check from memory with `history: "unavailable"` and downSince null',
            content: {
              'application/json': {
                schema: { allOf: [{ $ref: '#/components/schemas/Check' }, { $ref: '#/components/schemas/Error' }] },
              },
            },
          },
        },
      },
    },
    '/api/v1/checks/{name}/results': {
      get: {
        summary: 'Raw results of one check, newest first, paged; `ok` keeps failures or passes only',
        parameters: [
          { $ref: '#/components/parameters/name' },
          {
            name: 'since',
            in: 'query',
            description: 'Inclusive lower bound: an ISO 8601 date or date-time, or epoch ms',
            schema: { type: 'string' },
          },
          {
            name: 'until',
            in: 'query',
            description:
              'Exclusive upper bound: an ISO 8601 date or date-time, or epoch ms; `next` sets it to page back',
            schema: { type: 'string' },
          },
          {
            name: 'limit',
            in: 'query',
            description: 'Results per page, in plain decimal digits (not 1e3, 0x10 or " 5")',
            schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
          {
            name: 'ok',
            in: 'query',
            description:
              '`false`: failures only; `true`: passes only (degraded runs included). Omitted: every result. `next` keeps it.',
            schema: { type: 'string', enum: ['true', 'false'] },
          },
        ],
        responses: {
          '200': {
            description: 'A page of results',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/ResultPage' } } },
          },
          '400': { $ref: '#/components/responses/BadRequest' },
          '401': { $ref: '#/components/responses/Unauthorized' },
          '404': { $ref: '#/components/responses/NotFound' },
          '503': { $ref: '#/components/responses/HistoryUnavailable' },
        },
      },
    },
    '/api/v1/checks/{name}/uptime': {
      get: {
        summary: 'Uptime and latency of one check in buckets, from rollups (never from raw results)',
        parameters: [
          { $ref: '#/components/parameters/name' },
          {
            name: 'window',
            in: 'query',
            schema: { type: 'string', default: '30d' },
            description: 'How far back, as a duration (1m to 400d)',
          },
          {
            name: 'bucket',
            in: 'query',
            schema: { type: 'string' },
            description:
              'Bucket size, a multiple of 1m, at most 10000 buckets per window. Default fits the window: 1m up to a 6h window, 1h up to 3d, 1d beyond.',
          },
        ],
        responses: {
          '200': {
            description: 'Buckets',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Uptime' } } },
          },
          '400': { $ref: '#/components/responses/BadRequest' },
          '401': { $ref: '#/components/responses/Unauthorized' },
          '404': { $ref: '#/components/responses/NotFound' },
          '503': { $ref: '#/components/responses/HistoryUnavailable' },
        },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics (open without credentials when server.auth.metrics is "open")',
        responses: {
          '200': { description: 'Text exposition format' },
          '401': { $ref: '#/components/responses/Unauthorized' },
        },
      },
    },
    '/livez': {
      get: {
        summary: 'Liveness of the monitor (@lifeline/health); never needs credentials',
        security: [],
        responses: { '200': { description: 'ok' } },
      },
    },
    '/readyz': {
      get: {
        summary:
          'Readiness: the store answers and the monitor is not shutting down. Open to probes; with `Authorization: Bearer <server.auth.bearer>` the failure details are shown',
        security: [],
        responses: { '200': { description: 'ok' }, '503': { description: 'not ready' } },
      },
    },
    '/api/openapi.json': {
      get: {
        summary: 'This document',
        responses: {
          '200': { description: 'OpenAPI 3.1' },
          '401': { $ref: '#/components/responses/Unauthorized' },
        },
      },
    },
  },
  components: {
    securitySchemes: {
      bearerAuth: { type: 'http', scheme: 'bearer', description: 'server.auth.bearer' },
      basicAuth: { type: 'http', scheme: 'basic', description: 'server.auth.basic.username and password' },
      ...PUSH_SECURITY,
    },
    parameters: { name: { name: 'name', in: 'path', required: true, schema: { type: 'string' } } },
    responses: {
      BadRequest: {
        description:
          'bad_request: a malformed path, query string or request line. bad_parameter: a parameter is invalid or given twice. ' +
          'unknown_parameter: the route does not take it (the message lists those it takes).',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
      Unauthorized: {
        description:
          'unauthorized: server.auth is set and the request has no valid credentials; `WWW-Authenticate` names the schemes',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
      HistoryUnavailable: {
        description:
          'history_unavailable: the store failed or did not answer within 5 s; no_store: the monitor runs with storage: none',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
      NotFound: {
        description: 'No such check',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    },
    schemas: {
      ...ALERT_SCHEMAS,
      ...PUSH_SCHEMAS,
      ...EVENTS_SCHEMAS,
      ...CLUSTER_SCHEMAS,
      Error: {
        type: 'object',
        required: ['error', 'message'],
        properties: {
          error: {
            type: 'string',
            description: 'A stable code',
            enum: [
              'bad_request',
              'bad_parameter',
              'unknown_parameter',
              'unauthorized',
              'not_found',
              'method_not_allowed',
              'request_timeout',
              'payload_too_large',
              'unsupported_media_type',
              'too_many_requests',
              'request_header_fields_too_large',
              'internal',
              'no_store',
              'history_unavailable',
              'too_many_clients',
              'shutting_down',
            ],
          },
          message: { type: 'string' },
        },
      },
      Phases: {
        type: 'object',
        properties: Object.fromEntries(
          ['dns', 'connect', 'tls', 'ttfb', 'transfer', 'total'].map((p) => [p, { type: 'number' }]),
        ),
      },
      Result: {
        type: 'object',
        required: ['time', 'check', 'url', 'status', 'ok', 'durationMs', 'phases'],
        properties: {
          time: { type: 'string', format: 'date-time' },
          check: { type: 'string' },
          url: { type: 'string' },
          status: { type: ['integer', 'null'] },
          ok: { type: 'boolean' },
          degraded: { type: 'boolean' },
          maintenance: { type: 'boolean', description: 'Ran inside a maintenance window: stored, notifies nobody' },
          durationMs: { type: 'number' },
          error: {
            type: 'object',
            properties: { code: { type: 'string' }, message: { type: 'string' }, phase: { type: 'string' } },
          },
          conditions: {
            type: 'array',
            items: { type: 'object', properties: { condition: { type: 'string' }, ok: { type: 'boolean' } } },
          },
          phases: { $ref: '#/components/schemas/Phases' },
          scheduledAt: { type: 'string', format: 'date-time' },
          attempts: { type: 'integer' },
          ip: { type: 'string' },
          certificateExpiresAt: {
            type: 'string',
            format: 'date-time',
            description:
              "When the peer certificate expires (its notAfter): on every https:// or tls:// run whose TLS handshake completed (a kept connection's too); absent otherwise",
          },
        },
      },
      Check: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          group: { type: ['string', 'null'], description: "The check's `group` in the config; null when it has none" },
          url: { type: 'string' },
          kind: { enum: ['http', 'tcp', 'tls', 'dns', 'push'] },
          pushUrl: {
            type: 'string',
            description:
              'Push checks only: where the job pings (absolute when the monitor knows its externalUrl, else the path)',
          },
          nextExpectedAt: {
            type: ['string', 'null'],
            format: 'date-time',
            description:
              'Push checks only: the next run the monitor expects a ping for. Exact for cron schedules; for `every` it is exact when the monitor provides it, else approximate (one interval from now)',
          },
          graceMs: { type: 'integer', description: 'Push checks only: how late after an expected run a ping may come' },
          schedule: { type: 'string' },
          state: { $ref: '#/components/schemas/CheckState' },
          lastResult: { oneOf: [{ $ref: '#/components/schemas/Result' }, { type: 'null' }] },
          history: { $ref: '#/components/schemas/History' },
          lastFailure: {
            description: 'The newest failed result (from the store, or newer in memory); null when it never failed',
            oneOf: [{ $ref: '#/components/schemas/Result' }, { type: 'null' }],
          },
          downSince: {
            description:
              'When the current failing streak began (its first failure); null when the newest result passed, or when the history cannot be read',
            type: ['string', 'null'],
            format: 'date-time',
          },
          uptime: {
            description: 'Only in the check list; null without history',
            type: ['object', 'null'],
            properties: {
              '24h': { type: ['number', 'null'] },
              '7d': { type: ['number', 'null'] },
              '30d': { type: ['number', 'null'] },
            },
          },
          p95Ms: { type: ['number', 'null'] },
        },
      },
      History: {
        description:
          'Whether the stored history backs the answer: available; unavailable (the store cannot be read: a 503); none (storage: none)',
        enum: ['available', 'unavailable', 'none'],
      },
      CheckList: {
        type: 'object',
        properties: {
          history: { $ref: '#/components/schemas/History' },
          checks: { type: 'array', items: { $ref: '#/components/schemas/Check' } },
        },
      },
      ResultPage: {
        type: 'object',
        properties: {
          check: { type: 'string' },
          results: { type: 'array', items: { $ref: '#/components/schemas/Result' } },
          next: { type: ['string', 'null'] },
        },
      },
      Uptime: {
        type: 'object',
        properties: {
          check: { type: 'string' },
          window: { type: 'string' },
          bucket: { type: 'string', description: 'As asked, or the default chosen for the window' },
          resolution: { enum: ['minute', 'hour', 'day'], description: 'The stored rollups the buckets are made of' },
          uptime: { type: ['number', 'null'] },
          coverage: {
            type: 'number',
            minimum: 0,
            maximum: 1,
            description: "Share of the window's time covered by buckets that hold results (at bucket granularity)",
          },
          dataSince: {
            type: ['string', 'null'],
            format: 'date-time',
            description: 'Start of the first bucket in the window with results (not before the window), null when none',
          },
          buckets: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                start: { type: 'string', format: 'date-time' },
                count: { type: 'integer' },
                failures: { type: 'integer' },
                degraded: { type: 'integer' },
                uptime: { type: ['number', 'null'] },
                p50Ms: { type: ['number', 'null'] },
                p95Ms: { type: ['number', 'null'] },
                maxMs: { type: ['number', 'null'] },
                phases: {
                  description:
                    "Mean ms of each phase over the bucket's runs, to 0.01 ms; null when the bucket is empty, or holds only runs folded before phases were kept (store schema v5)",
                  oneOf: [
                    {
                      type: 'object',
                      required: ['dns', 'connect', 'tls', 'ttfb', 'transfer'],
                      properties: Object.fromEntries(
                        ['dns', 'connect', 'tls', 'ttfb', 'transfer'].map((p) => [p, { type: 'number' }]),
                      ),
                    },
                    { type: 'null' },
                  ],
                },
              },
            },
          },
        },
      },
    },
  },
} as const;
