/** The status page and badge part of the OpenAPI document (openapi.ts merges it in). Issue #12. */

const json = (schema: unknown) => ({ 'application/json': { schema } });
const error = (description: string) => ({ description, content: json({ $ref: '#/components/schemas/Error' }) });
/** Credentials optional: which of the two the config picks. */
const maybeOpen = [{}, { bearerAuth: [] }, { basicAuth: [] }];

const svg = {
  description:
    'The badge (badge-maker, shields.io style). `Cache-Control: public, max-age=60` (`private` while the badges need credentials) and a strong ETag',
  headers: { ETag: { schema: { type: 'string' }, description: 'A hash of the SVG' } },
  content: { 'image/svg+xml': { schema: { type: 'string' } } },
};
const badgeParams = (extra: readonly object[]) => [
  { $ref: '#/components/parameters/name' },
  ...extra,
  {
    name: 'label',
    in: 'query',
    description:
      'The left-hand text, at most 64 printable characters (default: the check name, "uptime <window>", "<stat> <window>")',
    schema: { type: 'string', maxLength: 64 },
  },
  {
    name: 'style',
    in: 'query',
    schema: { enum: ['flat', 'flat-square', 'plastic', 'for-the-badge', 'social'], default: 'flat' },
  },
];
const window = {
  name: 'window',
  in: 'query',
  description: 'A duration from 1h to 400d, from the rollups',
  schema: { type: 'string', default: '24h' },
};
const badge = (summary: string, extra: readonly object[], history: boolean) => ({
  get: {
    summary,
    description:
      'Without credentials when `server.auth.badges: public`; otherwise behind server.auth like the API. `If-None-Match` with its ETag: a 304',
    security: maybeOpen,
    parameters: badgeParams(extra),
    responses: {
      '200': svg,
      '304': { description: 'Not modified: the ETag named in If-None-Match is still the badge' },
      '400': { $ref: '#/components/responses/BadRequest' },
      '401': { $ref: '#/components/responses/Unauthorized' },
      '404': error('not_found: no such check, or no such badge'),
      ...(history ? { '503': { $ref: '#/components/responses/HistoryUnavailable' } } : {}),
    },
  },
});

export const STATUS_PATHS = {
  '/status': {
    get: {
      summary:
        'The public status page (HTML, no script): the checks `statusPage` lists, by label, with their state, a 90-day daily uptime bar and the open incidents; never URLs or errors',
      description:
        'Without credentials unless `server.auth.statusPage: protected`. `Cache-Control: no-cache`; a Content-Security-Policy that allows only its own inline stylesheet. When the store cannot be read it still answers 200 with the current states and says the history is unavailable',
      security: maybeOpen,
      responses: {
        '200': { description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } },
        '400': { $ref: '#/components/responses/BadRequest' },
        '401': { $ref: '#/components/responses/Unauthorized' },
        '404': error('not_found: the config has no statusPage'),
      },
    },
  },
  '/api/v1/checks/{name}/badge/status.svg': badge(
    'The check state: up, down, degraded, maintenance or unknown',
    [],
    false,
  ),
  '/api/v1/checks/{name}/badge/uptime.svg': badge('Uptime over the window, e.g. 99.95%', [window], true),
  '/api/v1/checks/{name}/badge/response-time.svg': badge(
    'Response time over the window, e.g. 123 ms',
    [window, { name: 'stat', in: 'query', schema: { enum: ['avg', 'p50', 'p95'], default: 'p95' } }],
    true,
  ),
};
