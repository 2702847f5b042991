import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ServerAuth } from '../config/resolved.js';
import { ApiError } from './errors.js';
import { quote } from './request.js';

export interface Authenticator {
  /** Whether /metrics needs credentials too. */
  readonly metricsProtected: boolean;
  /** Whether /status needs credentials (`server.auth.statusPage: protected`). */
  readonly statusPageProtected: boolean;
  /** Whether the badges need credentials (unless `server.auth.badges: public`). */
  readonly badgesProtected: boolean;
  /** Returns when the request carries valid credentials; throws a 401 ApiError otherwise. */
  verify(req: IncomingMessage): void;
}

const REALM = 'lifeline';
export const digest = (value: string | Buffer): Buffer => createHash('sha256').update(value).digest();
/** Equal-length digests, so the comparison takes the same time whatever was sent. */
export const matches = (given: string | Buffer, expected: Buffer): boolean => timingSafeEqual(digest(given), expected);

/** `Authorization: <scheme> <credentials>`; the scheme is case-insensitive (RFC 9110 section 11.1). */
export const CREDENTIALS = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]+([^ \t]+)[ \t]*$/;

/**
 * Access control of the monitor API: a bearer token, HTTP basic auth, or
 * both, as `server.auth` configures. Secrets are compared as SHA-256 digests
 * with crypto.timingSafeEqual, so neither the length nor the content of a
 * guess shows in the time taken. Without `server.auth` every request passes.
 */
export function createAuth(config: ServerAuth | undefined): Authenticator {
  if (!config) return { metricsProtected: false, statusPageProtected: false, badgesProtected: false, verify: () => {} };
  const bearer = config.bearer === undefined ? undefined : digest(config.bearer);
  const basic =
    config.basic === undefined
      ? undefined
      : { username: digest(config.basic.username), password: digest(config.basic.password) };
  const schemes = [...(bearer ? ['Bearer'] : []), ...(basic ? ['Basic'] : [])];
  const example = bearer ? 'Authorization: Bearer <token>' : 'Authorization: Basic <base64 of user:password>';

  const refuse = (message: string, invalidToken = false): never => {
    const challenges = [
      ...(bearer ? [`Bearer realm="${REALM}"${invalidToken ? ', error="invalid_token"' : ''}`] : []),
      ...(basic ? [`Basic realm="${REALM}", charset="UTF-8"`] : []),
    ];
    throw new ApiError('unauthorized', message, undefined, { 'www-authenticate': challenges });
  };

  return {
    metricsProtected: config.metrics === 'protected',
    statusPageProtected: config.statusPage === 'protected',
    badgesProtected: config.badges === 'protected',
    verify(req) {
      const header = req.headers.authorization;
      if (header === undefined || header.trim() === '') {
        return refuse(`this API needs credentials: send ${example}`);
      }
      const m = CREDENTIALS.exec(header.trim());
      const scheme = m?.[1]?.toLowerCase();
      const credentials = m?.[2] ?? '';
      if (scheme === 'bearer' && bearer) {
        if (!matches(credentials, bearer)) refuse('the bearer token is not valid', true);
        return;
      }
      if (scheme === 'basic' && basic) {
        const decoded = Buffer.from(credentials, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        // Both parts are always compared: which one was wrong takes no different time.
        const userOk = matches(colon === -1 ? decoded : decoded.slice(0, colon), basic.username);
        const passOk = matches(colon === -1 ? '' : decoded.slice(colon + 1), basic.password);
        if (!(userOk && passOk)) refuse('the username or password is not valid');
        return;
      }
      return refuse(
        m
          ? `the Authorization scheme ${quote(m[1] as string)} is not accepted here; use ${schemes.join(' or ')} (${example})`
          : `the Authorization header is malformed; send ${example}`,
      );
    },
  };
}

/**
 * Whether a route answers without credentials when server.auth is set:
 * /metrics with `metrics: open`, /status unless `statusPage: protected`, the
 * badges (/api/v1/checks/{name}/badge/*) with `badges: public`.
 */
export function isOpen(auth: Authenticator, path: string, segments: readonly string[]): boolean {
  if (path === '/metrics') return !auth.metricsProtected;
  if (path === '/status') return !auth.statusPageProtected;
  const [a, v, c, , sub, file, ...rest] = segments;
  const badge =
    a === 'api' && v === 'v1' && c === 'checks' && sub === 'badge' && file !== undefined && rest.length === 0;
  return badge && !auth.badgesProtected;
}
