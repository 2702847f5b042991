/** The push-check part of the OpenAPI document (openapi.ts merges it in). Issue #11. */

const json = (schema: unknown) => ({ 'application/json': { schema } });
const error = (description: string) => ({ description, content: json({ $ref: '#/components/schemas/Error' }) });
const checkParam = {
  name: 'check',
  in: 'path',
  required: true,
  description: 'The push check (`type: push`)',
  schema: { type: 'string' },
};
const refusals = {
  '400': error(
    'bad_request: the check is probed by the monitor, not pinged; or a malformed path; unknown_parameter: these routes take no query parameters',
  ),
  '401': {
    description:
      'unauthorized: no `Authorization: Bearer <token>` or not the check\'s token (`WWW-Authenticate: Bearer realm="lifeline push"`); nothing is recorded',
    content: json({ $ref: '#/components/schemas/Error' }),
  },
  '404': error('not_found: no check by that name (asked before the token: check names are not secrets)'),
  '408': error('request_timeout: the body did not arrive within 10 s; the connection is closed'),
  '413': error('payload_too_large: the body is past the hard cap; the rest is not read and the connection is closed'),
  '429': {
    description:
      'too_many_requests: the check was pinged more than 10 times in a burst (5 per second sustained); nothing is recorded',
    headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds until a ping is taken again' } },
    content: json({ $ref: '#/components/schemas/Error' }),
  },
};
const outcome = {
  '200': {
    description:
      'The ping was received. `accepted: true`: it counted for the expected run at `scheduledAt`; ' +
      '`accepted: false`: it fits no run (too late, or that run was already decided) and `reason` says why — still 200',
    content: json({ $ref: '#/components/schemas/PingOutcome' }),
  },
};
const pingBody = {
  required: false,
  description:
    "Optional message (e.g. the last lines of the job's log): the first 10 KB (10,240 bytes) are kept, as UTF-8 with control characters but \\n and \\t removed; past 64 KB the ping is refused with 413",
  content: { '*/*': { schema: { type: 'string' } } },
};

function ping(summary: string) {
  const op = (method: string) => ({
    summary: `${summary} (${method})`,
    security: [{ pushToken: [] }],
    parameters: [checkParam],
    ...(method === 'POST' ? { requestBody: pingBody } : {}),
    responses: { ...outcome, ...refusals },
  });
  return { get: op('GET, no body; HEAD is the same'), post: op('POST') };
}

export const PUSH_PATHS = {
  '/api/v1/push/{check}': ping('The job ran and succeeded'),
  '/api/v1/push/{check}/start': ping('The job started (with maxRunTime, a run that never ends is a timeout)'),
  '/api/v1/push/{check}/fail': ping('The job ran and failed'),
  '/api/v1/push/{check}/report': {
    post: {
      summary:
        'The results of `lifeline check --once` run by a job: stored as results of their own checks, and counted as a success (all passed) or fail ping of this check',
      security: [{ pushToken: [] }],
      parameters: [checkParam],
      requestBody: {
        required: true,
        description:
          'At most 100 results and 256 KB; unknown fields of a result are ignored, a `__proto__` key is refused',
        content: json({
          type: 'object',
          required: ['results'],
          properties: {
            results: {
              type: 'array',
              minItems: 1,
              maxItems: 100,
              items: { $ref: '#/components/schemas/Result' },
            },
          },
        }),
      },
      responses: {
        '200': {
          description: 'Received: the ping outcome, and how many results were handed on',
          content: json({
            allOf: [
              { $ref: '#/components/schemas/PingOutcome' },
              { type: 'object', required: ['stored'], properties: { stored: { type: 'integer' } } },
            ],
          }),
        },
        ...refusals,
        '400': error(
          'bad_request: not JSON, no results array, more than 100 results, a field of the wrong type (the message names the index and field), or a `__proto__` key',
        ),
        '415': error('unsupported_media_type: the Content-Type is not application/json'),
      },
    },
  },
} as const;

export const PUSH_SCHEMAS = {
  PingOutcome: {
    oneOf: [
      {
        type: 'object',
        required: ['check', 'accepted', 'scheduledAt', 'state'],
        properties: {
          check: { type: 'string' },
          accepted: { const: true },
          scheduledAt: { type: 'string', format: 'date-time', description: 'The expected run the ping counted for' },
          state: { enum: ['up', 'failed', 'running'] },
        },
      },
      {
        type: 'object',
        required: ['check', 'accepted', 'reason'],
        properties: { check: { type: 'string' }, accepted: { const: false }, reason: { type: 'string' } },
      },
    ],
  },
} as const;

export const PUSH_SECURITY = {
  pushToken: { type: 'http', scheme: 'bearer', description: "The push check's own `token` (not server.auth)" },
} as const;
