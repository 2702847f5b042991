/** One request and its response (headers, body read up to a bound), reported as a hop. */
import type { CheckError } from '../domain/errors.js';
import type { Mutable, Observation, Phases } from '../domain/result.js';
import { classifyError } from './classify.js';
import type { Connection } from './http-connection.js';
import { DEFAULT_MAX_BODY_BYTES, type HttpProbeRequest, type Prepared } from './http-request.js';
import { expiresInMs, Timing } from './timing.js';

export interface Hop {
  readonly status: number | null;
  readonly location?: string;
  readonly error?: CheckError;
  readonly body?: string;
  readonly bodyTooLarge?: boolean;
  readonly contentType?: string;
  readonly ip?: string;
  /** The peer certificate's notAfter, epoch ms (a kept connection keeps the one of its handshake). */
  readonly certificateExpiresAtMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly phases: Phases;
}

export const zeroPhases = (): Phases => ({ dns: 0, connect: 0, tls: 0, ttfb: 0, transfer: 0, total: 0 });

export function toObservation(hop: Hop, totalMs: number): Observation {
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
  if (hop.certificateExpiresAtMs !== undefined) {
    // From now, not from the handshake: a kept connection may be older than this run.
    observation.certificateExpirationMs = expiresInMs(hop.certificateExpiresAtMs);
    observation.certificateExpiresAtMs = hop.certificateExpiresAtMs;
  }
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
export class Exchange {
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
    if (peer.certificateExpiresAtMs !== undefined) hop.certificateExpiresAtMs = peer.certificateExpiresAtMs;
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
