/** What the user signs in with: the scheme the API asked for. */
export type Credentials =
  | { readonly scheme: 'bearer'; readonly token: string }
  | { readonly scheme: 'basic'; readonly username: string; readonly password: string };

export type Scheme = Credentials['scheme'];

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Splits a header value at the commas that are outside quoted strings. */
function splitOutsideQuotes(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (quoted && c === '\\') {
      current += c + (value[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

/**
 * The schemes a WWW-Authenticate value offers (RFC 9110 section 11.6.1), lower case, in
 * order. Several challenges share one header value (fetch joins repeated headers with ", "),
 * and their parameters are comma-separated too: a part that starts with a token not followed
 * by "=" starts a challenge, the other parts are its parameters.
 *
 * @example
 * challengeSchemes('Bearer realm="lifeline", error="invalid_token", Basic realm="lifeline"') // ['bearer', 'basic']
 */
export function challengeSchemes(header: string | null | undefined): string[] {
  if (!header) return [];
  const schemes: string[] = [];
  for (const part of splitOutsideQuotes(header)) {
    const text = part.trim();
    // `name=value` (also `name = value`) is a parameter of the challenge before it.
    if (/^[^\s=]+\s*=/.test(text) && !/^[^\s=]+\s+[^\s=]/.test(text)) continue;
    const first = /^[^\s]+/.exec(text)?.[0];
    if (first && TOKEN.test(first)) schemes.push(first.toLowerCase());
  }
  return schemes;
}

/** The scheme the sign-in form asks for: bearer when offered (one field), else basic, else none known. */
export function preferredScheme(schemes: readonly string[]): Scheme | undefined {
  if (schemes.includes('bearer')) return 'bearer';
  if (schemes.includes('basic')) return 'basic';
  return undefined;
}

/** Base64 of a string's UTF-8 bytes (btoa alone takes Latin-1 only). */
function base64Utf8(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The Authorization header value for the credentials (RFC 6750, RFC 7617 with charset UTF-8). */
export function authorizationHeader(credentials: Credentials): string {
  return credentials.scheme === 'bearer'
    ? `Bearer ${credentials.token}`
    : `Basic ${base64Utf8(`${credentials.username}:${credentials.password}`)}`;
}

const KEY = 'lifeline.credentials';

/** Reads the credentials kept for this tab; anything unreadable counts as none. */
export function loadCredentials(storage: Pick<Storage, 'getItem'> | undefined): Credentials | undefined {
  try {
    const raw = storage?.getItem(KEY);
    if (!raw) return undefined;
    const value = JSON.parse(raw) as Record<string, unknown>;
    if (value.scheme === 'bearer' && typeof value.token === 'string') return { scheme: 'bearer', token: value.token };
    if (value.scheme === 'basic' && typeof value.username === 'string' && typeof value.password === 'string')
      return { scheme: 'basic', username: value.username, password: value.password };
  } catch {
    // Storage disabled or a damaged value: sign in again.
  }
  return undefined;
}

/** Keeps the credentials for this tab only (sessionStorage), or forgets them. */
export function saveCredentials(
  storage: Pick<Storage, 'setItem' | 'removeItem'> | undefined,
  credentials: Credentials | undefined,
): void {
  try {
    if (credentials) storage?.setItem(KEY, JSON.stringify(credentials));
    else storage?.removeItem(KEY);
  } catch {
    // Storage disabled: the credentials last until the page is reloaded.
  }
}
