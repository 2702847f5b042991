import { isIP, type LookupFunction, connect as netConnect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { Client } from 'undici';
import type { CheckError } from '../domain/errors.js';
import type { Observation, Phases } from '../domain/result.js';
import { classifyError } from './classify.js';
import { instrument, type PeerInfo, Timing } from './timing.js';

export interface HttpProbeRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs: number;
  /** Bytes of body read at most (default 1 MiB). */
  readonly maxBodyBytes?: number;
  /** Read the body (conditions or `expect: health` need it); otherwise it is discarded. */
  readonly readBody?: boolean;
  /** Redirects followed at most (default 10); 0 reports the 3xx itself. */
  readonly maxRedirects?: number;
  /** Skip certificate verification. Off by default. */
  readonly insecure?: boolean;
  /** Extra trusted CA certificates (PEM). */
  readonly ca?: string;
  /** Stops the probe early (e.g. on a forced shutdown); reported as a timeout. */
  readonly signal?: AbortSignal;
  /**
   * Name resolution; defaults to the system resolver (getaddrinfo), which
   * applies resolv.conf's search domains and ndots, as `api` needs in a pod.
   */
  readonly lookup?: LookupFunction;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_MAX_REDIRECTS = 10;
export const USER_AGENT = 'lifeline-prober/0.1';
const ACCEPT = 'application/health+json, application/json;q=0.9, */*;q=0.1';

interface Hop {
  readonly status: number | null;
  readonly location?: string;
  readonly error?: CheckError;
  readonly body?: string;
  readonly bodyTooLarge?: boolean;
  readonly contentType?: string;
  readonly ip?: string;
  readonly certificateExpirationMs?: number;
  readonly phases: Phases;
}

/** How a connection is made: the same for every request that may share it. */
interface ConnectSettings {
  readonly insecure?: boolean;
  readonly ca?: string;
  readonly lookup?: LookupFunction;
}

/**
 * One undici Client, so one connection, to one origin, with a connector that
 * marks the DNS, connect and TLS moments on the timing of the request that
 * caused the connection. A check never overlaps itself, so a kept Connection
 * serves one request at a time and `timing` is that request's.
 */
class Connection {
  readonly client: Client;
  timing: Timing | undefined;
  /** What the current socket learned about the peer; kept while the socket is reused. */
  peer: PeerInfo = {};
  /** A socket is open and will be reused by the next request. */
  open = false;

  constructor(
    origin: string,
    readonly settings: ConnectSettings,
  ) {
    this.client = new Client(origin, {
      connect: (options, callback) => this.connect(options.protocol, options.hostname, options.port, callback),
      // The probe's own deadline covers every phase; undici's would fire on its own clock.
      headersTimeout: 0,
      bodyTimeout: 0,
      pipelining: 1,
    });
  }

  private connect(
    protocol: string,
    hostname: string,
    port: string,
    callback: (...args: [null, Socket | TLSSocket] | [Error, null]) => void,
  ): void {
    const host = hostname.replace(/^\[|\]$/g, '');
    const secure = protocol === 'https:';
    const base = {
      host,
      port: Number(port) || (secure ? 443 : 80),
      ...(this.settings.lookup ? { lookup: this.settings.lookup } : {}),
    };
    const socket = secure
      ? tlsConnect({
          ...base,
          rejectUnauthorized: !this.settings.insecure,
          ...(this.settings.ca ? { ca: this.settings.ca } : {}),
          ...(isIP(host) === 0 ? { servername: host } : {}),
          ALPNProtocols: ['http/1.1'],
        })
      : netConnect(base);
    socket.setNoDelay(true);
    this.peer = {};
    if (this.timing) instrument(socket, this.timing, this.peer);
    let done = false;
    const fail = (error: Error) => {
      if (done) return;
      done = true;
      callback(error, null);
    };
    socket.once('error', fail);
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      if (done) return;
      done = true;
      socket.off('error', fail);
      this.open = true;
      socket.once('close', () => {
        this.open = false;
      });
      callback(null, socket);
    });
  }
}

/** Sends HTTP probes; keeps one connection per check when asked to. */
export interface HttpProber {
  /**
   * Sends the request (following redirects) and reports what happened, with
   * the time spent in each phase. Never rejects: every failure, the timeout
   * included, comes back as data. With a `keepAliveKey` the connection stays
   * open for the next probe with the same key (its DNS, connect and TLS
   * phases are then 0); without one a fresh connection is made and closed.
   */
  probe(req: HttpProbeRequest, keepAliveKey?: string): Promise<Observation>;
  /** Closes the kept connections of a key (a check removed or changed). */
  forget(key: string): Promise<void>;
  /** Closes every kept connection. */
  close(): Promise<void>;
}

/**
 * The HTTP prober of one monitor (or one `check --once`). A check's kept
 * connections are its own: no pool is shared between checks, so one slow
 * target never delays another check's request.
 */
export function createHttpProber(): HttpProber {
  const kept = new Map<string, Map<string, Connection>>();

  const connectionFor = (key: string | undefined, origin: string, settings: ConnectSettings) => {
    if (key === undefined) return { connection: new Connection(origin, settings), reuse: false };
    let byOrigin = kept.get(key);
    if (!byOrigin) {
      byOrigin = new Map();
      kept.set(key, byOrigin);
    }
    let connection = byOrigin.get(origin);
    if (!connection) {
      connection = new Connection(origin, settings);
      byOrigin.set(origin, connection);
    }
    return { connection, reuse: true };
  };

  const closeAll = (connections: Iterable<Connection>) =>
    Promise.all([...connections].map((c) => c.client.destroy().catch(() => {}))).then(() => {});

  return {
    async probe(req, keepAliveKey) {
      const started = performance.now();
      const deadline = started + req.timeoutMs;
      const maxRedirects = req.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
      const settings: ConnectSettings = {
        ...(req.insecure ? { insecure: true } : {}),
        ...(req.ca ? { ca: req.ca } : {}),
        ...(req.lookup ? { lookup: req.lookup } : {}),
      };
      const visited = new Set<string>();
      let url = req.url;
      let method = req.method;
      let body = req.body;
      for (let hop = 0; ; hop++) {
        visited.add(url);
        let parsed: URL;
        try {
          parsed = new URL(url);
        } catch (error) {
          return toObservation(
            { status: null, error: { code: 'unknown', message: (error as Error).message }, phases: zeroPhases() },
            performance.now() - started,
          );
        }
        const { connection, reuse } = connectionFor(keepAliveKey, parsed.origin, settings);
        const last = await requestOnce(connection, reuse, req, parsed, method, body, deadline - performance.now());
        if (!reuse) void connection.client.destroy().catch(() => {});
        const total = performance.now() - started;
        if (last.error || last.location === undefined || maxRedirects === 0) return toObservation(last, total);
        let next: string;
        try {
          next = new URL(last.location, url).toString();
        } catch {
          return toObservation(
            { ...last, error: { code: 'protocol', message: `bad Location header "${last.location}"` } },
            total,
          );
        }
        if (visited.has(next)) {
          return toObservation(
            { ...last, error: { code: 'redirect_loop', message: `redirect back to ${next}, already visited` } },
            total,
          );
        }
        if (hop + 1 > maxRedirects) {
          return toObservation(
            {
              ...last,
              error: { code: 'redirect_loop', message: `more than ${maxRedirects} redirects (last to ${next})` },
            },
            total,
          );
        }
        // 303, and 301/302 after a POST, turn into GET as browsers do.
        if (last.status === 303 || ((last.status === 301 || last.status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
        }
        url = next;
      }
    },
    async forget(key) {
      const byOrigin = kept.get(key);
      kept.delete(key);
      if (byOrigin) await closeAll(byOrigin.values());
    },
    async close() {
      const all = [...kept.values()].flatMap((byOrigin) => [...byOrigin.values()]);
      kept.clear();
      await closeAll(all);
    },
  };
}

/** One request on a fresh connection, closed afterwards: `lifeline check --once` and tests. */
export function probeHttp(req: HttpProbeRequest): Promise<Observation> {
  return createHttpProber().probe(req);
}

const zeroPhases = (): Phases => ({ dns: 0, connect: 0, tls: 0, ttfb: 0, transfer: 0, total: 0 });

function toObservation(hop: Hop, totalMs: number): Observation {
  return {
    status: hop.status,
    durationMs: totalMs,
    phases: { ...hop.phases, total: Math.round(totalMs * 100) / 100 },
    ...(hop.error ? { error: hop.error } : {}),
    ...(hop.body !== undefined ? { body: hop.body } : {}),
    ...(hop.bodyTooLarge ? { bodyTooLarge: true } : {}),
    ...(hop.contentType !== undefined ? { contentType: hop.contentType } : {}),
    ...(hop.ip !== undefined ? { ip: hop.ip } : {}),
    ...(hop.certificateExpirationMs !== undefined ? { certificateExpirationMs: hop.certificateExpirationMs } : {}),
    connected: hop.ip !== undefined,
  };
}

/**
 * undici's handler callbacks that mark when the request was written and when
 * the first byte of the response arrived (the ttfb and transfer phases).
 * undici 7 still calls them; its newer controller API has no such moments.
 */
interface TimedHandler {
  onConnect(abort: (error?: Error) => void): void;
  onRequestSent(): void;
  onResponseStarted(): void;
  onHeaders(statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: string[] | null): void;
  onError(error: Error): void;
}

/** Headers undici sets itself from the request: a user's value would be rejected. */
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive']);

function requestOnce(
  connection: Connection,
  reuse: boolean,
  req: HttpProbeRequest,
  url: URL,
  method: string,
  body: string | undefined,
  budgetMs: number,
): Promise<Hop> {
  const timing = new Timing(url.protocol === 'https:', url.hostname);
  // A kept socket has no lookup, connect or handshake to time; if undici
  // finds it closed and reconnects, the connector marks the real moments.
  if (connection.open) timing.lookup = timing.connect = timing.secure = timing.start;
  connection.timing = timing;
  const maxBody = req.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  let close = !reuse;
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: ACCEPT };
  for (const [name, value] of Object.entries(req.headers)) {
    const lower = name.toLowerCase();
    if (lower === 'connection' && value.toLowerCase() === 'close') close = true;
    if (!CONNECTION_HEADERS.has(lower)) headers[lower] = value;
  }

  return new Promise((resolve) => {
    let settled = false;
    let abortRequest: ((error?: Error) => void) | undefined;
    let status: number | null = null;
    let location: string | undefined;
    let contentType: string | undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    let tooLarge = false;

    const finish = (error?: CheckError) => {
      if (settled) return;
      settled = true;
      timing.end = timing.now();
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      if (connection.timing === timing) connection.timing = undefined;
      const peer = connection.peer;
      const readBody = req.readBody && status !== null && !error;
      resolve({
        status,
        ...(location !== undefined ? { location } : {}),
        ...(error ? { error } : {}),
        ...(readBody ? { body: Buffer.concat(chunks).toString('utf8') } : {}),
        ...(tooLarge ? { bodyTooLarge: true } : {}),
        ...(contentType !== undefined ? { contentType } : {}),
        ...(peer.ip !== undefined ? { ip: peer.ip } : {}),
        ...(peer.certificateExpirationMs !== undefined
          ? { certificateExpirationMs: peer.certificateExpirationMs }
          : {}),
        phases: timing.phases(),
      });
    };
    /** Ends the request early; undici then destroys the socket, so a kept connection starts afresh. */
    const stop = (error?: CheckError) => {
      finish(error);
      abortRequest?.();
    };

    const timer = setTimeout(
      () => {
        const phase = timing.phase();
        stop({ code: 'timeout', phase, message: `no complete response within the timeout (stopped in ${phase})` });
      },
      Math.max(0, budgetMs),
    );
    const onAbort = () =>
      stop({ code: 'timeout', phase: timing.phase(), message: 'the check was cancelled before it completed' });
    req.signal?.addEventListener('abort', onAbort, { once: true });

    const handler: TimedHandler = {
      onConnect(abort) {
        abortRequest = abort;
        if (settled) abort();
      },
      onRequestSent() {
        timing.sent = timing.now();
      },
      onResponseStarted() {
        timing.firstByte = timing.now();
      },
      onHeaders(statusCode, raw) {
        if (statusCode < 200) return true; // 1xx: the final response follows
        status = statusCode;
        for (let i = 0; i + 1 < raw.length; i += 2) {
          const name = (raw[i] as Buffer).toString('latin1').toLowerCase();
          if (name === 'content-type') contentType = (raw[i + 1] as Buffer).toString('latin1');
          else if (name === 'location' && statusCode >= 300 && statusCode < 400)
            location = (raw[i + 1] as Buffer).toString('latin1');
        }
        return true;
      },
      onData(chunk) {
        if (settled) return false;
        received += chunk.length;
        if (received > maxBody) {
          // Enough to judge the status; stop downloading what nobody reads.
          tooLarge = true;
          stop();
          return false;
        }
        if (req.readBody) chunks.push(chunk);
        return true;
      },
      onComplete() {
        finish();
      },
      onError(error) {
        finish(classifyError(error));
      },
    };
    try {
      connection.client.dispatch(
        {
          path: `${url.pathname}${url.search}`,
          method: method as 'GET',
          headers,
          ...(body !== undefined ? { body } : {}),
          reset: close,
        },
        handler as never,
      );
    } catch (error) {
      finish(classifyError(error));
    }
  });
}
