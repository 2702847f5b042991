/** The cluster part of the OpenAPI document (openapi.ts merges it in). Issue #13. */

const time = (description: string) => ({ type: 'string', format: 'date-time', description }) as const;

export const CLUSTER_PATHS = {
  '/api/v1/cluster': {
    get: {
      summary:
        'The monitors sharing this PostgreSQL database, as this one last read them: whose leases are live, who owns checks, and how many',
      description:
        'Served from memory (the last read of `lifeline_members`, refreshed every renewal), so it answers while the database does not. ' +
        'Times are those of the database clock. A monitor on SQLite or without storage is `mode: single`: it owns every check.',
      parameters: [
        {
          name: 'checks',
          in: 'query',
          description: '`true`: each member lists the checks it owns (`checks`, sorted)',
          schema: { type: 'string', enum: ['true', 'false'], default: 'false' },
        },
      ],
      responses: {
        '200': {
          description: 'The cluster view',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Cluster' } } },
        },
        '400': { $ref: '#/components/responses/BadRequest' },
        '401': { $ref: '#/components/responses/Unauthorized' },
        '404': {
          description: 'not_found: this server was started without a cluster view',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    },
  },
} as const;

export const CLUSTER_SCHEMAS = {
  Cluster: {
    type: 'object',
    required: ['mode', 'self', 'epoch', 'leaseTtlMs', 'renewMs', 'members'],
    properties: {
      mode: {
        type: 'string',
        enum: ['cluster', 'single'],
        description: '`cluster` on PostgreSQL; `single` on SQLite or without storage (this process owns every check)',
      },
      self: { type: 'string', description: 'The id of the member that answered' },
      epoch: {
        type: ['integer', 'null'],
        description: "The answering member's lease epoch (its fencing token) while its lease is valid, else null",
      },
      leaseTtlMs: { type: ['integer', 'null'], description: 'cluster.leaseTtl; null in mode single' },
      renewMs: { type: ['integer', 'null'], description: 'cluster.renewEvery; null in mode single' },
      members: { type: 'array', items: { $ref: '#/components/schemas/ClusterMember' } },
    },
  },
  ClusterMember: {
    type: 'object',
    required: [
      'id',
      'self',
      'host',
      'api',
      'epoch',
      'startedAt',
      'activeAt',
      'renewedAt',
      'expiresAt',
      'live',
      'active',
      'checksOwned',
    ],
    properties: {
      id: { type: 'string', description: 'cluster.id, or `<host name>-<6 random characters>`' },
      self: { type: 'boolean', description: 'This is the member that answered' },
      host: { type: 'string', description: 'The host name of its process' },
      api: {
        type: ['string', 'null'],
        description: 'cluster.advertiseUrl: where its API is reached; null without one',
      },
      epoch: {
        type: 'integer',
        description: 'A new value each time it joins, never reused: writes of an older epoch are refused (fenced)',
      },
      startedAt: time('When it joined'),
      activeAt: time('From when it owns checks (a joiner waits until every member has seen it)'),
      renewedAt: time('Its last lease renewal'),
      expiresAt: time('Its lease ends here unless renewed; then its checks move to the other members'),
      live: { type: 'boolean', description: 'Its lease had not ended at the last read' },
      active: { type: 'boolean', description: 'Live and past activeAt: it owns checks' },
      checksOwned: { type: 'integer', description: 'How many configured checks it owns now' },
      checks: {
        type: 'array',
        items: { type: 'string' },
        description: 'With `?checks=true`: the names of the checks it owns, sorted',
      },
    },
  },
} as const;
