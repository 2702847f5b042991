/** What an HTTP probe is asked to do, and its target prepared once for reuse between runs. */
import type { LookupFunction } from 'node:net';
import { isIpLiteral } from './timing.js';

export interface HttpProbeRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
  readonly timeoutMs: number;
  /** Bytes of body read at most (default 1 MiB). */
  readonly maxBodyBytes?: number | undefined;
  /** Read the body (conditions or `expect: health` need it); otherwise it is discarded. */
  readonly readBody?: boolean | undefined;
  /** Keep the final response's headers ([HEADER] conditions need them). */
  readonly readHeaders?: boolean | undefined;
  /** Redirects followed at most (default 10); 0 reports the 3xx itself. */
  readonly maxRedirects?: number | undefined;
  /** Skip certificate verification. Off by default. */
  readonly insecure?: boolean | undefined;
  /** Extra trusted CA certificates (PEM). */
  readonly ca?: string | undefined;
  /** Stops the probe early (e.g. on a forced shutdown); reported as a timeout. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Name resolution; defaults to the system resolver (getaddrinfo), which
   * applies resolv.conf's search domains and ndots, as `api` needs in a pod.
   */
  readonly lookup?: LookupFunction | undefined;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_MAX_REDIRECTS = 10;
export const USER_AGENT = 'lifeline-prober/0.1';
const ACCEPT = 'application/health+json, application/json;q=0.9, */*;q=0.1';

/** A request target, parsed and with its headers ready: kept between runs for the first hop of a check. */
export interface Prepared {
  readonly url: string;
  /** The headers it was prepared from (the check's, compared by identity). */
  readonly source: Readonly<Record<string, string>>;
  readonly origin: string;
  readonly path: string;
  readonly secure: boolean;
  readonly ipLiteral: boolean;
  readonly headers: Record<string, string>;
  /** The check asked for `Connection: close`. */
  readonly close: boolean;
}

/** Headers undici sets itself from the request: a user's value would be rejected. */
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive']);

/**
 * The headers of a check that sets none, shared by all such checks (a
 * monitor keeps each check's prepared target: one object, not 100,000).
 * Frozen: undici reads a request's headers and never changes them.
 */
const DEFAULT_HEADERS: Record<string, string> = Object.freeze({ 'user-agent': USER_AGENT, accept: ACCEPT });

/** Throws on a malformed URL. */
export function prepare(url: string, source: Readonly<Record<string, string>>): Prepared {
  const parsed = new URL(url);
  let close = false;
  const names = Object.keys(source);
  const headers: Record<string, string> = names.length === 0 ? DEFAULT_HEADERS : { ...DEFAULT_HEADERS };
  for (const name of names) {
    const value = source[name] as string;
    const lower = name.toLowerCase();
    if (lower === 'connection' && value.toLowerCase() === 'close') close = true;
    if (!CONNECTION_HEADERS.has(lower)) headers[lower] = value;
  }
  return {
    url,
    source,
    origin: parsed.origin,
    path: `${parsed.pathname}${parsed.search}`,
    secure: parsed.protocol === 'https:',
    ipLiteral: isIpLiteral(parsed.hostname),
    headers,
    close,
  };
}
