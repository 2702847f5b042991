/**
 * What of a check's URL and headers must never leave the process: passwords
 * and tokens in userinfo, credential-like headers and query parameters. Config
 * resolution computes a redacted display URL and the list of secret strings
 * once; results, logs, the API, metrics and stored rows carry only the display
 * URL, and error messages are scrubbed of the secret strings.
 */

/** Shown instead of a secret. */
export const REDACTED = '***';

/**
 * Query parameters whose value is redacted by default (names compared
 * case-insensitively). `redact.queryParams` in the config adds to these.
 */
export const DEFAULT_REDACTED_QUERY_PARAMS = [
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'api_key',
  'apikey',
  'api-key',
  'key',
  'password',
  'passwd',
  'pwd',
  'secret',
  'client_secret',
  'signature',
  'sig',
  'auth',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
] as const;

/**
 * A header whose value is a credential: authorization, proxy-authorization,
 * cookie, set-cookie, x-api-key, and any name containing auth, token, secret,
 * passw, api-key/apikey/api_key, cookie, session, signature or credential.
 * `redact.headers` in the config names more.
 */
const SECRET_HEADER = /auth|token|secret|passw|api[-_]?key|cookie|session|signature|credential/i;

export interface RedactOptions {
  /** Lower-cased query parameter names whose values are secret. */
  readonly queryParams: ReadonlySet<string>;
  /** Lower-cased extra header names whose values are secret. */
  readonly headers: ReadonlySet<string>;
}

export function redactOptions(extra: { queryParams?: readonly string[]; headers?: readonly string[] } = {}) {
  return {
    queryParams: new Set([...DEFAULT_REDACTED_QUERY_PARAMS, ...(extra.queryParams ?? [])].map((p) => p.toLowerCase())),
    headers: new Set((extra.headers ?? []).map((h) => h.toLowerCase())),
  } satisfies RedactOptions;
}

export function isSecretHeader(name: string, options: RedactOptions): boolean {
  return SECRET_HEADER.test(name) || options.headers.has(name.toLowerCase());
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

export interface Redacted {
  /** The URL with userinfo and secret query values replaced by `***`. */
  readonly displayUrl: string;
  /**
   * Every secret string, raw and as it appears in the URL (percent-encoded),
   * longest first: scrubbed from free text such as error messages.
   */
  readonly secrets: readonly string[];
}

/**
 * Redacts a check's URL and collects its secrets (from the URL and from the
 * values of credential headers). A password becomes `***`; a user name
 * without a password is redacted too, since that is where tokens go
 * (`https://TOKEN@host`). The rest of the URL is kept byte for byte.
 *
 * @example redactCheck('https://u:p@h/?token=t&a=1', {}, redactOptions()).displayUrl // 'https://u:***@h/?token=***&a=1'
 */
export function redactCheck(text: string, headers: Readonly<Record<string, string>>, options: RedactOptions): Redacted {
  const secrets = new Set<string>();
  const add = (value: string) => {
    // Very short values (e.g. "1") would scrub innocent text; they are redacted where they stand only.
    if (value.length >= 3) {
      secrets.add(value);
      secrets.add(decode(value));
    }
  };
  for (const [name, value] of Object.entries(headers)) {
    if (!isSecretHeader(name, options)) continue;
    add(value);
    // "Bearer abc", "Basic dXNlcjpw": the credential alone may be echoed too.
    const credential = /^\S+\s+(\S+)$/.exec(value.trim())?.[1];
    if (credential) add(credential);
  }
  let displayUrl = text;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url) {
    let userinfo = '';
    if (url.password) {
      add(url.password);
      userinfo = `${url.username}:${REDACTED}@`;
    } else if (url.username) {
      add(url.username);
      userinfo = `${REDACTED}@`;
    }
    // Rebuilt from the text, not from URL#href, so what is not secret stays as written.
    const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(text)?.[0] ?? '';
    let rest = text.slice(scheme.length);
    const at = rest.search(/[/?#]/);
    const authority = at === -1 ? rest : rest.slice(0, at);
    if (authority.includes('@')) rest = userinfo + rest.slice(authority.lastIndexOf('@') + 1);
    const hashAt = rest.indexOf('#');
    const hash = hashAt === -1 ? '' : rest.slice(hashAt);
    const beforeHash = hashAt === -1 ? rest : rest.slice(0, hashAt);
    const queryAt = beforeHash.indexOf('?');
    if (queryAt !== -1) {
      const query = beforeHash
        .slice(queryAt + 1)
        .split('&')
        .map((part) => {
          const eq = part.indexOf('=');
          if (eq === -1 || !options.queryParams.has(decode(part.slice(0, eq)).toLowerCase())) return part;
          add(part.slice(eq + 1));
          return `${part.slice(0, eq + 1)}${REDACTED}`;
        })
        .join('&');
      rest = `${beforeHash.slice(0, queryAt)}?${query}${hash}`;
    }
    displayUrl = scheme + rest;
  }
  return { displayUrl, secrets: [...secrets].sort((a, b) => b.length - a.length) };
}

/** Replaces every secret in a text with `***`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

const DEFAULT_QUERY_SET: ReadonlySet<string> = new Set(DEFAULT_REDACTED_QUERY_PARAMS);
const USERINFO_IN_TEXT = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@]+)@/gi;
const QUERY_IN_TEXT = /([?&])([^=&#\s"'<>]+)=([^&#\s"'<>]*)/g;

/**
 * Redacts URLs the check did not configure but a message may carry (a
 * redirect's Location): userinfo, and the default secret query parameters.
 * Values the config names are scrubbed by {@link scrub}.
 */
export function scrubUrls(text: string): string {
  if (!text.includes('@') && !text.includes('=')) return text;
  return text
    .replace(USERINFO_IN_TEXT, (_all, scheme: string, userinfo: string) =>
      userinfo.includes(':')
        ? `${scheme}${userinfo.slice(0, userinfo.indexOf(':'))}:${REDACTED}@`
        : `${scheme}${REDACTED}@`,
    )
    .replace(QUERY_IN_TEXT, (all, sep: string, name: string, value: string) => {
      if (!DEFAULT_QUERY_SET.has(decode(name).toLowerCase())) return all;
      // Punctuation that ends the sentence ("..., already visited") is kept.
      const trail = /[,.;:)\]]+$/.exec(value)?.[0] ?? '';
      return `${sep}${name}=${REDACTED}${trail}`;
    });
}
