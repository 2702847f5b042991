import type { LookupFunction, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { CheckError } from '../domain/errors.js';
import type { Mutable, Observation, Phases } from '../domain/result.js';
import { classifyError } from './classify.js';
import { connectSocket, instrument, isIpLiteral, type PeerInfo, Timing } from './timing.js';
import { Client } from './undici.js';

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

interface Hop {
  readonly status: number | null;
  readonly location?: string;
  readonly error?: CheckError;
  readonly body?: string;
  readonly bodyTooLarge?: boolean;
  readonly contentType?: string;
  readonly ip?: string;
  readonly certificateExpirationMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly phases: Phases;
}

/** How a connection is made: the same for every request that may share it. */
type ConnectSettings = Pick<HttpProbeRequest, 'insecure' | 'ca' | 'lookup'>;

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

  /** Only what making a connection needs, not the whole request it came with. */
  private readonly settings: ConnectSettings;
  /**
   * Sockets still connecting (DNS, TCP or the TLS handshake): undici owns a
   * socket only once the connector hands it over, and destroying the Client
   * does not reach one it never got. A peer that accepts TCP and never
   * finishes the handshake would otherwise keep it open for ever.
   */
  private readonly connecting = new Set<Socket>();
  private destroyed = false;

  constructor(origin: string, { insecure, ca, lookup }: ConnectSettings) {
    this.settings = { insecure, ca, lookup };
    this.client = new Client(origin, {
      connect: (options, callback) => this.connect(options.protocol, options.hostname, options.port, callback),
      // The probe's own deadline covers every phase; undici's would fire on its own clock.
      headersTimeout: 0,
      bodyTimeout: 0,
      pipelining: 1,
    });
  }

  /** Closes the client and every socket it made, whatever phase each is in. Never rejects. */
  destroy(): Promise<void> {
    this.destroyed = true;
    for (const socket of this.connecting) socket.destroy(new Error('the probe ended while connecting'));
    this.connecting.clear();
    return this.client.destroy().catch(() => {});
  }

  private connect(
    protocol: string,
    hostname: string,
    port: string,
    callback: (...args: [null, Socket | TLSSocket] | [Error, null]) => void,
  ): void {
    if (this.destroyed) {
      callback(new Error('the connection was closed'), null);
      return;
    }
    const secure = protocol === 'https:';
    let socket: Socket | TLSSocket;
    try {
      socket = connectSocket({
        ...this.settings,
        host: hostname,
        port: Number(port) || (secure ? 443 : 80),
        tls: secure,
        alpn: ['http/1.1'],
      });
    } catch (error) {
      // tls.connect can throw before there is a socket; undici must hear of it as a connect error.
      callback(error as Error, null);
      return;
    }
    this.connecting.add(socket);
    socket.setNoDelay(true);
    this.peer = {};
    if (this.timing) instrument(socket, this.timing, this.peer);
    let done = false;
    const fail = (error: Error) => {
      this.connecting.delete(socket);
      socket.destroy();
      if (done) return;
      done = true;
      callback(error, null);
    };
    // `on`, not `once`: a second error before undici listens must not be thrown.
    socket.on('error', fail);
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      if (done) return;
      done = true;
      this.connecting.delete(socket);
      socket.off('error', fail);
      this.open = true;
      socket.once('close', () => {
        this.open = false;
      });
      callback(null, socket);
    });
  }
}

/** Which check a probe belongs to, for a prober that serves many runs of many checks. */
export interface ProbeOwner {
  /** The check's name: its client and its prepared request are kept under it between runs. */
  readonly key: string;
  /**
   * Keep the connection open for the next run (its DNS, connect and TLS
   * phases are then 0). Otherwise each run connects afresh and closes.
   */
  readonly keepAlive: boolean;
}

/** Sends HTTP probes; keeps a client per check, and its connection when asked to. */
export interface HttpProber {
  /**
   * Sends the request (following redirects) and reports what happened, with
   * the time spent in each phase. Never rejects: every failure, the timeout
   * included, comes back as data. Without an owner everything made for the
   * probe is closed after it.
   */
  probe(req: HttpProbeRequest, owner?: ProbeOwner): Promise<Observation>;
  /** Closes the clients of a check (removed or changed) once a run still under way is done. */
  forget(key: string): Promise<void>;
  /** Closes every client at once, cancelling what is in flight. */
  close(): Promise<void>;
}

/** A request target, parsed and with its headers ready: kept between runs for the first hop of a check. */
interface Prepared {
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

/** Throws on a malformed URL. */
function prepare(url: string, source: Readonly<Record<string, string>>): Prepared {
  const parsed = new URL(url);
  let close = false;
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: ACCEPT };
  for (const [name, value] of Object.entries(source)) {
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

/** What a check keeps between runs. */
interface Kept {
  /** Its clients, by origin (a redirect may lead to another). */
  readonly connections: Map<string, Connection>;
  first?: Prepared;
  /** Forgotten (the check was removed or changed): a run still under way must not add to it. */
  closed: boolean;
}

/**
 * The HTTP prober of one monitor (or one `check --once`). Each check has
 * clients of its own: no pool is shared between checks, so one slow target
 * never delays another check's request.
 */
export function createHttpProber(): HttpProber {
  const kept = new Map<string, Kept>();
  // One listener per cancellation signal (the scheduler has one for all its
  // runs), not one per request: it cancels every exchange still waiting on it.
  // Removed when the prober closes, so a short-lived prober leaves nothing on a
  // signal that outlives it.
  const waiting = new Map<AbortSignal, { exchanges: Set<Exchange>; onAbort: () => void }>();
  const watch = (signal: AbortSignal): Set<Exchange> => {
    let watched = waiting.get(signal);
    if (!watched) {
      const exchanges = new Set<Exchange>();
      const onAbort = () => {
        waiting.delete(signal);
        for (const exchange of exchanges) exchange.cancel();
      };
      watched = { exchanges, onAbort };
      waiting.set(signal, watched);
      signal.addEventListener('abort', onAbort, { once: true });
    }
    return watched.exchanges;
  };
  const unwatchAll = () => {
    for (const [signal, { onAbort }] of waiting) signal.removeEventListener('abort', onAbort);
    waiting.clear();
  };

  const connectionIn = (entry: Kept, origin: string, settings: ConnectSettings) => {
    let connection = entry.connections.get(origin);
    if (!connection) {
      connection = new Connection(origin, settings);
      entry.connections.set(origin, connection);
    }
    return connection;
  };

  const closeAll = (connections: Iterable<Connection>) =>
    Promise.all([...connections].map((c) => c.destroy())).then(() => {});

  return {
    async probe(req, owner) {
      const started = performance.now();
      const deadline = started + req.timeoutMs;
      const maxRedirects = req.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
      const signalSet = req.signal ? watch(req.signal) : undefined;
      let entry: Kept | undefined;
      if (owner) {
        entry = kept.get(owner.key);
        if (!entry) {
          entry = { connections: new Map(), closed: false };
          kept.set(owner.key, entry);
        }
      }
      const keepAlive = owner?.keepAlive === true;
      let visited: Set<string> | undefined;
      let url = req.url;
      let method = req.method;
      let body = req.body;
      for (let hop = 0; ; hop++) {
        let target = hop === 0 ? entry?.first : undefined;
        if (target?.url !== url || target.source !== req.headers) {
          try {
            target = prepare(url, req.headers);
          } catch (error) {
            return toObservation(
              { status: null, error: { code: 'unknown', message: (error as Error).message }, phases: zeroPhases() },
              performance.now() - started,
            );
          }
          if (hop === 0 && entry && !entry.closed) entry.first = target;
        }
        const owned = entry?.closed === false ? entry : undefined;
        const connection = owned ? connectionIn(owned, target.origin, req) : new Connection(target.origin, req);
        const exchange = new Exchange(connection, req, target, deadline - performance.now(), keepAlive);
        if (req.signal?.aborted) exchange.cancel();
        else {
          signalSet?.add(exchange);
          exchange.send(target, method, body, !keepAlive || target.close);
        }
        const last = await exchange.done;
        signalSet?.delete(exchange);
        if (!owned) void connection.destroy();
        else if (last.error || exchange.stopped) {
          // The exchange failed or was cut short, in whatever phase: its
          // connection goes with it, sockets still connecting included, and
          // the next run starts a new one. undici 7 can leave a Client stalled
          // after a failed connect (after a TLS hostname mismatch:
          // nodejs/undici#5355), and after an aborted request it connects
          // again for the request it has just dropped, and keeps that socket.
          owned.connections.delete(target.origin);
          void connection.destroy();
        }
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
        visited ??= new Set([url]);
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
        visited.add(next);
        url = next;
      }
    },
    async forget(key) {
      const entry = kept.get(key);
      kept.delete(key);
      if (!entry) return;
      entry.closed = true;
      // A run of the old check may still be under way: its request finishes first.
      await Promise.all([...entry.connections.values()].map((c) => c.client.close().catch(() => {})));
    },
    async close() {
      unwatchAll();
      const all = [...kept.values()].flatMap((entry) => [...entry.connections.values()]);
      kept.clear();
      await closeAll(all);
    },
  };
}

/** One request on a fresh connection, closed afterwards: `lifeline check --once` and tests. */
export async function probeHttp(req: HttpProbeRequest): Promise<Observation> {
  const prober = createHttpProber();
  try {
    return await prober.probe(req);
  } finally {
    await prober.close();
  }
}

const zeroPhases = (): Phases => ({ dns: 0, connect: 0, tls: 0, ttfb: 0, transfer: 0, total: 0 });

function toObservation(hop: Hop, totalMs: number): Observation {
  const observation: Mutable<Observation> = {
    status: hop.status,
    durationMs: totalMs,
    phases: { ...hop.phases, total: Math.round(totalMs * 100) / 100 },
    connected: hop.ip !== undefined,
  };
  if (hop.error) observation.error = hop.error;
  if (hop.body !== undefined) observation.body = hop.body;
  if (hop.bodyTooLarge) observation.bodyTooLarge = true;
  if (hop.contentType !== undefined) observation.contentType = hop.contentType;
  if (hop.ip !== undefined) observation.ip = hop.ip;
  if (hop.certificateExpirationMs !== undefined) observation.certificateExpirationMs = hop.certificateExpirationMs;
  if (hop.headers !== undefined) observation.headers = hop.headers;
  return observation;
}

/** Raw header pairs as a record: names in lower case, repeated fields joined with ", " (RFC 9110, 5.3). */
function decodeHeaders(raw: Buffer[]): Record<string, string> {
  const headers: Record<string, string> = Object.create(null);
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as Buffer).toString('latin1').toLowerCase();
    const value = (raw[i + 1] as Buffer).toString('latin1');
    const seen = headers[name];
    headers[name] = seen === undefined ? value : `${seen}, ${value}`;
  }
  return headers;
}

function onDeadline(exchange: Exchange): void {
  const phase = exchange.timing.phase();
  exchange.stop({ code: 'timeout', phase, message: `no complete response within the timeout (stopped in ${phase})` });
}

/**
 * One request and its response on a connection, as undici's dispatch
 * handler. It uses the callbacks that mark when the request was written and
 * when the first byte of the response arrived (the ttfb and transfer phases):
 * undici 7 still calls them; its newer controller API has no such moments.
 * A class, so that the thousands of requests a second of a busy monitor do
 * not each allocate a set of closures.
 */
class Exchange {
  readonly timing: Timing;
  readonly done: Promise<Hop>;
  private resolve: (hop: Hop) => void = () => {};
  private readonly timer: NodeJS.Timeout;
  private settled = false;
  /** Ended early (timeout, cancel, body too large): its connection is not reused. */
  stopped = false;
  private abortRequest: ((error?: Error) => void) | undefined;
  private status: number | null = null;
  private location: string | undefined;
  private contentType: string | undefined;
  private headers: Record<string, string> | undefined;
  private chunks: Buffer[] = [];
  private received = 0;
  private tooLarge = false;

  constructor(
    private readonly connection: Connection,
    private readonly req: HttpProbeRequest,
    target: Prepared,
    budgetMs: number,
    keepAlive: boolean,
  ) {
    this.timing = new Timing(target.secure, target.ipLiteral);
    // A kept socket has no lookup, connect or handshake to time; if undici
    // finds it closed and reconnects, the connector marks the real moments.
    if (keepAlive && connection.open) this.timing.lookup = this.timing.connect = this.timing.secure = this.timing.start;
    connection.timing = this.timing;
    this.done = new Promise((resolve) => {
      this.resolve = resolve;
    });
    this.timer = setTimeout(onDeadline, Math.max(0, budgetMs), this);
  }

  send(target: Prepared, method: string, body: string | undefined, close: boolean): void {
    try {
      this.connection.client.dispatch(
        { path: target.path, method: method as 'GET', headers: target.headers, body: body ?? null, reset: close },
        this as never,
      );
    } catch (error) {
      this.finish(classifyError(error));
    }
  }

  /** The scheduler gave up on the run (a forced stop). */
  cancel(): void {
    this.stop({ code: 'timeout', phase: this.timing.phase(), message: 'the check was cancelled before it completed' });
  }

  /** Ends the request early; undici then destroys the socket, and the prober the connection. */
  stop(error?: CheckError): void {
    this.stopped = true;
    this.finish(error);
    this.abortRequest?.();
  }

  private finish(error?: CheckError): void {
    if (this.settled) return;
    this.settled = true;
    const timing = this.timing;
    timing.end = timing.now();
    clearTimeout(this.timer);
    if (this.connection.timing === timing) this.connection.timing = undefined;
    const peer = this.connection.peer;
    const status = this.status;
    const hop: Mutable<Hop> = { status, phases: timing.phases() };
    if (this.location !== undefined) hop.location = this.location;
    if (error) hop.error = error;
    if (this.req.readBody && status !== null && !error) hop.body = Buffer.concat(this.chunks).toString('utf8');
    if (this.tooLarge) hop.bodyTooLarge = true;
    if (this.contentType !== undefined) hop.contentType = this.contentType;
    if (this.headers !== undefined) hop.headers = this.headers;
    if (peer.ip !== undefined) hop.ip = peer.ip;
    if (peer.certificateExpirationMs !== undefined) hop.certificateExpirationMs = peer.certificateExpirationMs;
    this.resolve(hop);
  }

  // undici's handler callbacks

  onConnect(abort: (error?: Error) => void): void {
    this.abortRequest = abort;
    if (this.settled) abort();
  }

  onRequestSent(): void {
    this.timing.sent = this.timing.now();
  }

  onResponseStarted(): void {
    this.timing.firstByte = this.timing.now();
  }

  onHeaders(statusCode: number, raw: Buffer[]): boolean {
    if (statusCode < 200) return true; // 1xx: the final response follows
    this.timing.head = this.timing.now();
    this.status = statusCode;
    if (this.req.readHeaders) this.headers = decodeHeaders(raw);
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const field = raw[i] as Buffer;
      // Only names of the right length are decoded: most headers are neither.
      if (field.length === 12 && field.toString('latin1').toLowerCase() === 'content-type')
        this.contentType = (raw[i + 1] as Buffer).toString('latin1');
      else if (
        field.length === 8 &&
        statusCode >= 300 &&
        statusCode < 400 &&
        field.toString('latin1').toLowerCase() === 'location'
      )
        this.location = (raw[i + 1] as Buffer).toString('latin1');
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return false;
    this.received += chunk.length;
    if (this.received > (this.req.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES)) {
      // Enough to judge the status; stop downloading what nobody reads.
      this.tooLarge = true;
      this.stop();
      return false;
    }
    if (this.req.readBody) this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    this.finish();
  }

  onError(error: Error): void {
    this.finish(classifyError(error));
  }
}
