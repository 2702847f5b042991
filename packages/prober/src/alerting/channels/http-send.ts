/**
 * The one way the HTTP channels talk to their receivers: POST a body, read a
 * bounded piece of the answer, and turn whatever happened into a
 * DeliveryOutcome. Never rejects; every socket it opens is closed on every
 * path (undici destroys the socket of an aborted request, and `close()` the
 * idle ones).
 */
import { createRequire } from 'node:module';
import type * as Undici from 'undici';
import { scrub, scrubUrls } from '../../config/redact.js';
import { classifyError } from '../../probes/classify.js';
import { USER_AGENT } from '../../probes/http-request.js';
import type { DeliveryOutcome } from '../channel.js';
import { type Answer, Delivery } from './http-delivery.js';

export { MAX_ANSWER_BYTES } from './http-delivery.js';

// undici's Pool without its index, as probes/undici.ts does for Client (issue 14): the same
// module the index re-exports. Pinned undici version; a moved path fails every channel test.
const require = createRequire(import.meta.url);
const Pool = require('undici/lib/dispatcher/pool.js') as typeof Undici.Pool;
type Pool = Undici.Pool;

/** Characters of the answer that reach the message. */
const MESSAGE_CHARS = 200;

export interface HttpSenderOptions {
  /** The receiver: every request of the sender goes to this URL's origin. */
  readonly url: string;
  /** One try's bound: connect, headers and body each, and the whole exchange. */
  readonly timeoutMs: number;
  /** Connections open at once to the receiver. */
  readonly concurrency: number;
  /** Strings scrubbed from every message. */
  readonly secrets: readonly string[];
  /** Clock for Retry-After dates; Date.now by default. */
  readonly now?: () => number;
}

export interface HttpSender {
  /** POSTs `body` to `url` (same origin as the sender's). Resolves, never rejects. */
  post(
    url: string,
    body: string,
    headers: Readonly<Record<string, string>>,
    signal?: AbortSignal,
  ): Promise<DeliveryOutcome>;
  /** Destroys every connection, idle or busy. Never rejects. */
  close(): Promise<void>;
}

/** How an answer's status is judged: 2xx delivered; 408, 425, 429 and 5xx worth another try; the rest final. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * Retry-After (RFC 9110, 10.2.3) as milliseconds from `now`: delay-seconds or
 * an HTTP-date; undefined when absent or unreadable. A date in the past is 0.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP-date names its month ("Fri, 02 Jan 2026 03:04:35 GMT" and the two obsolete forms);
  // Date.parse alone would take "-5" for a year.
  const at = /[a-z]{3}/i.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** One line, printable, bounded, and without the channel's secrets. */
export function cleanMessage(text: string, secrets: readonly string[], max = MESSAGE_CHARS): string {
  // Secrets first: a secret split by the line folding below would no longer match.
  const line = scrubUrls(scrub(text, secrets))
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[^\x20-\x7e\u00a0-\uffff]/g, '')
    .trim();
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

/**
 * The config's secrets and the ones a channel knows itself (routing key,
 * signing secret), longest first so a secret inside another is not half-scrubbed.
 */
export function withSecrets(secrets: readonly string[], ...own: (string | undefined)[]): string[] {
  const all = new Set(secrets);
  for (const secret of own) if (secret) all.add(secret);
  return [...all].sort((a, b) => b.length - a.length);
}

/** Headers undici sets from the request itself: a configured value would be refused or would lie. */
const HOP_HEADERS = new Set(['host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade']);

/** Configured headers (lower-cased, hop headers dropped) under the channel's own, which win. */
export function mergeHeaders(
  configured: Readonly<Record<string, string>>,
  own: Readonly<Record<string, string>>,
): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT };
  for (const [name, value] of Object.entries(configured)) {
    const lower = name.toLowerCase();
    if (!HOP_HEADERS.has(lower)) headers[lower] = value;
  }
  for (const [name, value] of Object.entries(own)) headers[name.toLowerCase()] = value;
  return headers;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const basicCredentials = (url: URL) =>
  Buffer.from(`${decode(url.username)}:${decode(url.password)}`).toString('base64');

/** The URL's password as written, decoded, and inside Basic credentials: any may reach a message. */
function userinfoSecrets(url: URL): string[] {
  return url.password ? [url.password, decode(url.password), basicCredentials(url)] : [];
}

/** undici sends no userinfo: https://user:pass@host/ becomes Basic auth, unless a header says otherwise. */
function withBasicAuth(url: URL, headers: Readonly<Record<string, string>>): Record<string, string> {
  if (!url.username || headers.authorization !== undefined) return { ...headers };
  return { ...headers, authorization: `Basic ${basicCredentials(url)}` };
}

function toOutcome(answer: Answer, timeoutMs: number, secrets: readonly string[], now: number): DeliveryOutcome {
  if (answer.timedOut) return { ok: false, retryable: true, message: `timeout: no answer within ${timeoutMs} ms` };
  if (answer.cancelled) return { ok: false, retryable: true, message: 'cancelled: the send was stopped' };
  if (answer.status === undefined) {
    const error = classifyError(answer.error);
    // undici's own timeouts (connect, headers, body) carry codes the probes never see.
    const code = /TIMEOUT/.test((answer.error as { code?: string })?.code ?? '') ? 'timeout' : error.code;
    return { ok: false, retryable: true, message: cleanMessage(`${code}: ${error.message}`, secrets) };
  }
  const { status } = answer;
  const said = cleanMessage(answer.body, secrets);
  const head = `HTTP ${status}${answer.statusText ? ` ${answer.statusText}` : ''}`;
  const message = cleanMessage(said ? `${head}: ${said}` : head, secrets);
  const ok = status >= 200 && status < 300;
  const outcome: { -readonly [K in keyof DeliveryOutcome]: DeliveryOutcome[K] } = {
    ok,
    status,
    message,
    retryable: !ok && isRetryableStatus(status),
  };
  const retryAfterMs = ok ? undefined : parseRetryAfter(answer.retryAfter, now);
  if (retryAfterMs !== undefined) outcome.retryAfterMs = retryAfterMs;
  return outcome;
}

/**
 * A sender for one channel: one undici Pool to the receiver's origin, up to
 * `concurrency` connections, kept alive between notifications (undici closes
 * an idle one after its keep-alive timeout) and all destroyed by `close()`.
 *
 * @example
 * const sender = createHttpSender({ url, timeoutMs: 10_000, concurrency: 2, secrets: [] });
 * const outcome = await sender.post(url, JSON.stringify(body), { 'content-type': 'application/json' });
 * await sender.close();
 */
export function createHttpSender(options: HttpSenderOptions): HttpSender {
  const { timeoutMs } = options;
  const now = options.now ?? Date.now;
  const base = new URL(options.url);
  const origin = base.origin;
  const secrets = withSecrets(options.secrets, ...userinfoSecrets(base));
  let pool: Pool | undefined;
  let closed = false;
  const getPool = (): Pool => {
    pool ??= new Pool(origin, {
      connections: Math.max(1, options.concurrency),
      connect: { timeout: timeoutMs },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    return pool;
  };

  async function post(
    url: string,
    body: string,
    headers: Readonly<Record<string, string>>,
    signal?: AbortSignal,
  ): Promise<DeliveryOutcome> {
    const delivery = new Delivery();
    if (closed) return { ok: false, retryable: true, message: 'cancelled: the channel is closed' };
    if (signal?.aborted) return { ok: false, retryable: true, message: 'cancelled: the send was stopped' };
    const onAbort = () => delivery.stop({ cancelled: true });
    // The whole exchange's bound, on top of undici's per-phase ones: a receiver that
    // dribbles its answer a byte at a time never trips a phase timeout.
    const timer = setTimeout(() => delivery.stop({ timedOut: true }), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const target = new URL(url);
      if (target.origin !== origin) throw new Error(`bug: ${target.origin} is not this sender's origin`);
      getPool().dispatch(
        {
          path: `${target.pathname}${target.search}`,
          method: 'POST',
          headers: withBasicAuth(target, headers),
          body,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        },
        delivery as never,
      );
    } catch (error) {
      delivery.stop({ error });
    }
    try {
      return toOutcome(await delivery.done, timeoutMs, secrets, now());
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  return {
    post,
    async close() {
      closed = true;
      await pool?.destroy().catch(() => {});
    },
  };
}
