import { backoffDelay, DEFAULT_BACKOFF } from './backoff.ts';
import { type SseEvent, SseParser } from './sse.ts';

/**
 * - connecting: the first connection is being made;
 * - live: connected, events arrive;
 * - reconnecting: the connection dropped, a new one is due after a backoff;
 * - unavailable: the monitor has no event stream (404), asked again now and then;
 * - unauthorized: the monitor wants credentials (401); nothing more until a new stream.
 */
export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'unavailable' | 'unauthorized';

export interface LiveOptions {
  /** e.g. /api/v1/events or /api/v1/events?checks=a */
  readonly url: string;
  readonly fetch: typeof fetch;
  /** Headers of each connection: the Authorization header. */
  readonly headers: () => Readonly<Record<string, string>>;
  readonly onEvent: (event: SseEvent) => void;
  /** `detail` of `unauthorized`: the 401's challenge and the API's message. */
  readonly onStatus: (
    status: LiveStatus,
    detail?: { readonly challenge?: string | null; readonly message?: string | undefined },
  ) => void;
  readonly random?: () => number;
  /** No byte for this long (the server pings every 15 s) means the connection is dead. */
  readonly idleMs?: number;
  /** The first reconnect delay until the server sends `retry:` (default 2 s). */
  readonly retryMs?: number;
  readonly maxDelayMs?: number;
  /** How often a monitor without an event stream is asked again. */
  readonly unavailableRetryMs?: number;
  /** A connection that lasted this long was a working one: the next drop starts the backoff again. */
  readonly stableMs?: number;
  readonly now?: () => number;
}

export interface LiveStream {
  close(): void;
  /** The id a reconnect will send as Last-Event-ID ("" before any). */
  lastEventId(): string;
}

/**
 * Reads GET /api/v1/events with fetch (EventSource cannot send an Authorization header) and
 * keeps it open: after a drop it reconnects with Last-Event-ID, waiting a jittered
 * exponential backoff from the server's `retry:`; a connection silent past idleMs is
 * dropped and made again.
 */
export function openLiveStream(options: LiveOptions): LiveStream {
  const idleMs = options.idleMs ?? 45_000;
  const stableMs = options.stableMs ?? 10_000;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  let closed = false;
  let attempt = 0;
  let lastId = '';
  let baseMs: number = options.retryMs ?? DEFAULT_BACKOFF.baseMs;
  let controller: AbortController | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;

  const status: LiveOptions['onStatus'] = (s, detail) => {
    if (!closed) options.onStatus(s, detail);
  };

  /** (Re)arms the watchdog that aborts a connection that says nothing. */
  const watch = (abort: AbortController) => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => abort.abort(), idleMs);
  };

  const schedule = (delayMs: number) => {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => void connect(), delayMs);
  };

  const reconnect = () => {
    if (closed) return;
    status('reconnecting');
    schedule(backoffDelay(attempt++, { baseMs, maxMs: options.maxDelayMs ?? DEFAULT_BACKOFF.maxMs, random }));
  };

  async function connect(): Promise<void> {
    if (closed) return;
    const abort = new AbortController();
    controller = abort;
    watch(abort);
    const headers: Record<string, string> = { accept: 'text/event-stream', ...options.headers() };
    if (lastId !== '') headers['last-event-id'] = lastId;
    let response: Response;
    try {
      // credentials: 'omit', as in api.ts: no browser login dialog for a Basic challenge.
      response = await options.fetch(options.url, {
        headers,
        signal: abort.signal,
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch {
      clearTimeout(idleTimer);
      return reconnect();
    }
    const type = response.headers.get('content-type') ?? '';
    if (response.status === 401) {
      // The API's own words (e.g. "the bearer token is not valid"), read within the idle bound.
      const message = await response
        .json()
        .then((body: { message?: unknown }) => (typeof body?.message === 'string' ? body.message : undefined))
        .catch(() => undefined);
      clearTimeout(idleTimer);
      return status('unauthorized', { challenge: response.headers.get('www-authenticate'), message });
    }
    if (!response.ok || !response.body || !type.toLowerCase().startsWith('text/event-stream')) {
      clearTimeout(idleTimer);
      await response.body?.cancel().catch(() => {});
      if (response.status === 404) {
        status('unavailable');
        return schedule(options.unavailableRetryMs ?? 60_000);
      }
      return reconnect();
    }
    status('live');
    await read(response.body, abort);
    clearTimeout(idleTimer);
    reconnect();
  }

  async function read(body: ReadableStream<Uint8Array>, abort: AbortController): Promise<void> {
    const openedAt = now();
    const parser = new SseParser(lastId);
    const decoder = new TextDecoder();
    const reader = body.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || closed) break;
        watch(abort);
        const events = parser.feed(decoder.decode(value, { stream: true }));
        lastId = parser.lastEventId;
        if (parser.retryMs !== undefined) baseMs = parser.retryMs;
        for (const event of events) {
          attempt = 0;
          try {
            options.onEvent(event);
          } catch (error) {
            // A bug in a handler must not end the stream.
            console.error('live event handler failed', error);
          }
        }
      }
    } catch {
      // Dropped, aborted by the watchdog, or closed: the caller decides what follows.
    } finally {
      abort.abort();
      reader.releaseLock();
    }
    if (now() - openedAt >= stableMs) attempt = 0;
  }

  status('connecting');
  void connect();
  return {
    close() {
      closed = true;
      clearTimeout(retryTimer);
      clearTimeout(idleTimer);
      controller?.abort();
    },
    lastEventId: () => lastId,
  };
}
