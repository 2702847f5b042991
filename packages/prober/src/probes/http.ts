import http from 'node:http';
import https from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
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

/**
 * Sends an HTTP request (following redirects) and reports what happened,
 * with the time spent in each phase. Never throws and never rejects: every
 * failure, the timeout included, comes back as data. A fresh connection is
 * used every time, because a health check that rides on a warm keep-alive
 * socket would not notice that new connections fail.
 */
export async function probeHttp(req: HttpProbeRequest): Promise<Observation> {
  const started = performance.now();
  const deadline = started + req.timeoutMs;
  const maxRedirects = req.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const visited = new Set<string>();
  let url = req.url;
  let method = req.method;
  let body = req.body;
  let last: Hop | undefined;
  for (let hop = 0; ; hop++) {
    visited.add(url);
    last = await requestOnce(req, url, method, body, deadline - performance.now());
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
        { ...last, error: { code: 'redirect_loop', message: `more than ${maxRedirects} redirects (last to ${next})` } },
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
}

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

function requestOnce(
  req: HttpProbeRequest,
  target: string,
  method: string,
  body: string | undefined,
  budgetMs: number,
): Promise<Hop> {
  let host: string | undefined;
  try {
    host = new URL(target).hostname;
  } catch {
    host = undefined;
  }
  const timing = new Timing(target.startsWith('https:'), host);
  const maxBody = req.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return new Promise((resolve) => {
    let settled = false;
    let status: number | null = null;
    let location: string | undefined;
    const peer: PeerInfo = {};
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

    let url: URL;
    try {
      url = new URL(target);
    } catch (error) {
      finish({ code: 'unknown', message: (error as Error).message });
      return;
    }
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, {
      method,
      headers: {
        'user-agent': USER_AGENT,
        accept: 'application/health+json, application/json;q=0.9, */*;q=0.1',
        ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
        ...req.headers,
      },
      agent: false,
      ...(url.protocol === 'https:'
        ? { rejectUnauthorized: !req.insecure, servername: url.hostname, ...(req.ca ? { ca: req.ca } : {}) }
        : {}),
      ...(req.lookup ? { lookup: req.lookup } : {}),
    });

    const timer = setTimeout(
      () => {
        const phase = timing.phase();
        finish({ code: 'timeout', phase, message: `no complete response within the timeout (stopped in ${phase})` });
        request.destroy();
      },
      Math.max(0, budgetMs),
    );
    const onAbort = () => {
      finish({ code: 'timeout', phase: timing.phase(), message: 'the check was cancelled before it completed' });
      request.destroy();
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });

    request.on('socket', (socket: Socket) => instrument(socket, timing, peer));
    request.on('finish', () => {
      timing.sent = timing.now();
    });
    request.on('error', (error) => finish(classifyError(error)));
    request.on('response', (response) => {
      timing.firstByte = timing.now();
      status = response.statusCode ?? null;
      contentType = response.headers['content-type'];
      if (status !== null && status >= 300 && status < 400 && response.headers.location)
        location = response.headers.location;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > maxBody) {
          // Enough to judge the status; stop downloading what nobody reads.
          tooLarge = true;
          finish();
          request.destroy();
          return;
        }
        if (req.readBody) chunks.push(chunk);
      });
      response.on('end', () => finish());
      response.on('aborted', () =>
        finish({ code: 'reset', message: 'the connection closed before the body was complete' }),
      );
      response.on('error', (error) => finish(classifyError(error)));
    });
    request.end(body);
  });
}
