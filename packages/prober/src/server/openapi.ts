/** The monitor's API, described for clients and generators. Served at /api/openapi.json. */
export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Lifeline monitor API',
    version: '1',
    description:
      'Check state, raw results and uptime from `lifeline run`. Times are ISO 8601 UTC; durations in milliseconds.',
  },
  paths: {
    '/api/v1/checks': {
      get: {
        summary:
          'Every configured check with its last result, state, uptime over 24 h, 7 d and 30 d, and p95 latency over 24 h',
        responses: {
          '200': {
            description: 'The checks',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/CheckList' } } },
          },
        },
      },
    },
    '/api/v1/checks/{name}': {
      get: {
        summary: 'One check: its definition, state and last result',
        parameters: [{ $ref: '#/components/parameters/name' }],
        responses: {
          '200': {
            description: 'The check',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Check' } } },
          },
          '404': { $ref: '#/components/responses/NotFound' },
        },
      },
    },
    '/api/v1/checks/{name}/results': {
      get: {
        summary: 'Raw results of one check, newest first, paged',
        parameters: [
          { $ref: '#/components/parameters/name' },
          {
            name: 'since',
            in: 'query',
            description: 'Inclusive lower bound: ISO 8601 or epoch ms',
            schema: { type: 'string' },
          },
          {
            name: 'until',
            in: 'query',
            description: 'Exclusive upper bound: ISO 8601 or epoch ms; `next` sets it to page back',
            schema: { type: 'string' },
          },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
        ],
        responses: {
          '200': {
            description: 'A page of results',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/ResultPage' } } },
          },
          '400': { $ref: '#/components/responses/BadRequest' },
          '404': { $ref: '#/components/responses/NotFound' },
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
            schema: { type: 'string', default: '1d' },
            description: 'Bucket size, a multiple of 1m',
          },
        ],
        responses: {
          '200': {
            description: 'Buckets',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Uptime' } } },
          },
          '400': { $ref: '#/components/responses/BadRequest' },
          '404': { $ref: '#/components/responses/NotFound' },
        },
      },
    },
    '/metrics': {
      get: { summary: 'Prometheus metrics', responses: { '200': { description: 'Text exposition format' } } },
    },
    '/livez': {
      get: { summary: 'Liveness of the monitor (@lifeline/health)', responses: { '200': { description: 'ok' } } },
    },
    '/readyz': {
      get: {
        summary: 'Readiness: the store answers and the monitor is not shutting down',
        responses: { '200': { description: 'ok' }, '503': { description: 'not ready' } },
      },
    },
    '/api/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } } },
  },
  components: {
    parameters: { name: { name: 'name', in: 'path', required: true, schema: { type: 'string' } } },
    responses: {
      BadRequest: {
        description: 'A parameter is invalid; the message names it',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
      NotFound: {
        description: 'No such check',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    },
    schemas: {
      Error: {
        type: 'object',
        required: ['error', 'message'],
        properties: { error: { type: 'string' }, message: { type: 'string' } },
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
        },
      },
      Check: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          url: { type: 'string' },
          kind: { enum: ['http', 'tcp', 'tls', 'dns'] },
          schedule: { type: 'string' },
          state: { enum: ['up', 'down', 'degraded', 'unknown'] },
          lastResult: { oneOf: [{ $ref: '#/components/schemas/Result' }, { type: 'null' }] },
          uptime: {
            type: 'object',
            properties: {
              '24h': { type: ['number', 'null'] },
              '7d': { type: ['number', 'null'] },
              '30d': { type: ['number', 'null'] },
            },
          },
          p95Ms: { type: ['number', 'null'] },
        },
      },
      CheckList: {
        type: 'object',
        properties: { checks: { type: 'array', items: { $ref: '#/components/schemas/Check' } } },
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
          bucket: { type: 'string' },
          uptime: { type: ['number', 'null'] },
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
              },
            },
          },
        },
      },
    },
  },
} as const;
