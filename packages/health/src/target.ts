/**
 * PURE: the request target (`req.url`) split into path and query, or a reason
 * why it is malformed. Never throws: a request target is attacker input, and an
 * exception from a node:http 'request' listener ends the process.
 */

/** A request target split into its parts; `query` is what follows `?`, without it. */
export interface RequestTarget {
  readonly path: string;
  readonly query: string | undefined;
}

/**
 * Why a request target cannot be used; the message names the part that is malformed.
 * `path` is there when the target could still be split (a bad escape, not a bad URL),
 * so a router can tell whether the malformed request was meant for it.
 */
export interface MalformedTarget {
  readonly error: string;
  readonly path?: string;
}

const MAX_SHOWN = 100;

/** The offending text for a message: JSON-quoted and cut short, so a 64 KB path is not echoed whole. */
export function shown(text: string): string {
  return JSON.stringify(text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}...` : text);
}

/** True when every `%` starts a valid escape and the escapes decode as UTF-8. */
function decodes(text: string): boolean {
  if (!text.includes('%')) return true;
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses a request target as node:http hands it over: origin-form (`/readyz?verbose`)
 * or absolute-form (`http://host/readyz`, RFC 9112 section 3.2.2, which a server must
 * accept). Returns undefined for asterisk-form (`*`, for `OPTIONS *`) and authority-form
 * (`host:443`, for CONNECT): they name no path. A target whose path or query has a
 * malformed percent-escape (`%ZZ`, a truncated `%E0%A4%A`, an overlong `%C0%AF`) or an
 * absolute-form that is not a URL (`http://[/x`) is malformed.
 *
 * @example parseRequestTarget('/readyz/%ZZ') // { error: 'malformed percent-encoding in the path "/readyz/%ZZ"' }
 */
export function parseRequestTarget(url: string): RequestTarget | MalformedTarget | undefined {
  let target = url;
  if (!url.startsWith('/')) {
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url)) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { error: `the request target ${shown(url)} is not a valid URL` };
    }
    target = `${parsed.pathname}${parsed.search}`;
  }
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? undefined : target.slice(q + 1);
  if (!decodes(path)) return { error: `malformed percent-encoding in the path ${shown(path)}`, path };
  if (query !== undefined && !decodes(query)) {
    return { error: `malformed percent-encoding in the query string ${shown(query)}`, path };
  }
  return { path, query };
}

/** `decodeURIComponent` that answers undefined instead of throwing a URIError. */
export function decodeComponent(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
