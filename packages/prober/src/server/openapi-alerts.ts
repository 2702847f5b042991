/** The alerting part of the OpenAPI document (openapi.ts merges it in). */

const page = (name: string) => [
  {
    name: 'until',
    in: 'query',
    description: `Exclusive upper bound on ${name}: an ISO 8601 time or epoch ms; \`next\` sets it to page back`,
    schema: { type: 'string' },
  },
  {
    name: 'limit',
    in: 'query',
    description: 'Entries per page, in plain decimal digits',
    schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  },
];
const checkFilter = {
  name: 'check',
  in: 'query',
  description: 'Only this check',
  schema: { type: 'string' },
};
const errors = {
  '400': { $ref: '#/components/responses/BadRequest' },
  '401': { $ref: '#/components/responses/Unauthorized' },
  '503': { $ref: '#/components/responses/HistoryUnavailable' },
};

export const ALERT_PATHS = {
  '/api/v1/alerts': {
    get: {
      summary:
        'Checks firing now: an open incident each, and whether its receivers were told (a maintenance window holds notifications back)',
      responses: {
        '200': {
          description: 'Firing alerts, oldest incident first',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/AlertList' } } },
        },
        '401': { $ref: '#/components/responses/Unauthorized' },
      },
    },
  },
  '/api/v1/incidents': {
    get: {
      summary: 'Incident history, newest first by start, paged; filter by check and start time',
      parameters: [
        checkFilter,
        {
          name: 'since',
          in: 'query',
          description: 'Inclusive lower bound on startedAt: an ISO 8601 time or epoch ms',
          schema: { type: 'string' },
        },
        ...page('startedAt'),
      ],
      responses: {
        '200': {
          description: 'A page of incidents',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/IncidentPage' } } },
        },
        ...errors,
      },
    },
  },
  '/api/v1/notifications': {
    get: {
      summary: 'The notification outbox, newest first: what was sent, what waits for a retry, and the dead letters',
      parameters: [
        {
          name: 'status',
          in: 'query',
          description: '`pending` (not delivered yet), `delivered`, or `dead` (given up)',
          schema: { type: 'string', enum: ['pending', 'delivered', 'dead'] },
        },
        checkFilter,
        ...page('createdAt'),
      ],
      responses: {
        '200': {
          description: 'A page of notifications',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/NotificationPage' } } },
        },
        ...errors,
      },
    },
  },
} as const;

const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;

export const ALERT_SCHEMAS = {
  Incident: {
    type: 'object',
    required: ['id', 'check', 'startedAt', 'endedAt', 'failures', 'error'],
    properties: {
      id: { type: 'string', description: '`<check>:<start epoch ms>`; part of every notification key' },
      check: { type: 'string' },
      startedAt: { ...time, description: 'The first failed run of the streak that opened it' },
      endedAt: { ...nullableTime, description: 'The run that closed it; null while open' },
      failures: {
        type: 'integer',
        description: 'Failed runs counted in it so far',
      },
      error: {
        type: ['object', 'null'],
        description: 'The error of its first failed run',
        properties: { code: { type: 'string' }, message: { type: 'string' }, phase: { type: 'string' } },
      },
      maintenance: { type: 'boolean', description: 'Opened or closed inside a maintenance window' },
    },
  },
  AlertList: {
    type: 'object',
    properties: {
      alerts: {
        type: 'array',
        items: {
          type: 'object',
          required: ['check', 'notified', 'incident'],
          properties: {
            check: { type: 'string' },
            notified: { type: 'boolean' },
            incident: { $ref: '#/components/schemas/Incident' },
          },
        },
      },
    },
  },
  IncidentPage: {
    type: 'object',
    properties: {
      incidents: { type: 'array', items: { $ref: '#/components/schemas/Incident' } },
      next: { type: ['string', 'null'], description: 'The next (older) page, or null' },
    },
  },
  NotificationPage: {
    type: 'object',
    properties: {
      notifications: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            id: { type: 'string', description: '`<key>@<channel>`' },
            key: { type: 'string', description: 'The Idempotency-Key / dedup key: `<incident>:<kind>[:<n>]`' },
            channel: { type: 'string' },
            check: { type: 'string' },
            kind: { type: 'string', enum: ['firing', 'resolved', 'reminder', 'test'] },
            incident: { type: 'string' },
            status: { type: 'string', enum: ['pending', 'delivered', 'dead'] },
            attempts: { type: 'integer' },
            createdAt: time,
            nextAttemptAt: nullableTime,
            deliveredAt: nullableTime,
            lastError: { type: ['string', 'null'] },
          },
        },
      },
      next: { type: ['string', 'null'] },
    },
  },
} as const;
