import { ApiError } from './errors.js';

/** A value from a request, quoted and shortened for an error message. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/**
 * The query string of a request, percent-decoded once. Each route names the
 * parameters it knows: any other is refused, as is a parameter given twice,
 * so a typo (`?limt=5`) is an error instead of a silent default.
 */
export class Query {
  constructor(private readonly entries: ReadonlyMap<string, readonly string[]>) {}

  /** Refuses parameters not in `known` (400 `unknown_parameter`, listing the known ones). */
  allow(known: readonly string[]): this {
    for (const name of this.entries.keys()) {
      if (!known.includes(name)) {
        throw new ApiError(
          'unknown_parameter',
          known.length === 0
            ? `unknown query parameter ${quote(name)}: this route takes none`
            : `unknown query parameter ${quote(name)}: this route takes ${known.join(', ')}`,
        );
      }
    }
    return this;
  }

  /** The parameter's value, undefined when absent; given twice is a 400 naming it. */
  get(name: string): string | undefined {
    const values = this.entries.get(name);
    if (values === undefined) return undefined;
    if (values.length > 1) throw new ApiError('bad_parameter', `${name} is given ${values.length} times; give it once`);
    return values[0];
  }
}

export interface Target {
  /** The path as sent (still percent-encoded), without trailing slashes; "/" for the root. */
  readonly path: string;
  /** The path's segments, percent-decoded ("/api/v1/checks/a%20b" -> ["api", "v1", "checks", "a b"]). */
  readonly segments: readonly string[];
  /** Path and query in origin form, for handlers that read req.url themselves (the health paths). */
  readonly originForm: string;
  readonly query: Query;
}

const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

function decode(part: string, where: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ApiError('bad_request', `the ${where} has a malformed percent-escape: ${quote(part)}`);
  }
}

/**
 * The one place that reads a request target (RFC 9112 section 3.2). Accepts
 * origin form (`/path?query`) and absolute form (`http://host/path`); refuses
 * anything else (`*`, authority form, a bare word) and any malformed
 * percent-escape with a 400 `bad_request`, never an exception that escapes.
 */
export function parseTarget(raw: string | undefined): Target {
  let target = raw ?? '/';
  if (ABSOLUTE_FORM.test(target)) {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new ApiError('bad_request', `the request target ${quote(target)} is not a valid absolute URL`);
    }
    target = `${url.pathname}${url.search}`;
  }
  if (!target.startsWith('/')) {
    throw new ApiError(
      'bad_request',
      `the request target ${quote(target)} is not a path; send e.g. "GET /api/v1/checks HTTP/1.1"`,
    );
  }
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const path = rawPath.replace(/\/+$/, '') || '/';
  const segments =
    path === '/'
      ? []
      : path
          .slice(1)
          .split('/')
          .map((s) => decode(s, 'path'));

  const entries = new Map<string, string[]>();
  if (q !== -1) {
    for (const pair of target.slice(q + 1).split('&')) {
      if (pair === '' || pair === '=') continue; // `?&a=1&&` and a lone `=` name nothing
      const eq = pair.indexOf('=');
      const name = decode((eq === -1 ? pair : pair.slice(0, eq)).replaceAll('+', ' '), 'query string');
      const value = eq === -1 ? '' : decode(pair.slice(eq + 1).replaceAll('+', ' '), 'query string');
      const list = entries.get(name);
      if (list) list.push(value);
      else entries.set(name, [value]);
    }
  }
  return { path, segments, originForm: target, query: new Query(entries) };
}
