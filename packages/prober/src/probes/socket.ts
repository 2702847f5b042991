import { isIP, type LookupFunction, connect as netConnect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import type { CheckError } from '../domain/errors.js';
import type { Observation } from '../domain/result.js';
import { classifyError } from './classify.js';
import { Timing } from './timing.js';

export interface SocketProbeRequest {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly timeoutMs: number;
  readonly insecure?: boolean;
  /** Extra trusted CA certificates (PEM). */
  readonly ca?: string;
  readonly signal?: AbortSignal;
  readonly lookup?: LookupFunction;
}

/**
 * `tcp://host:port`: can a connection be opened? `tls://host:port`: does the
 * TLS handshake succeed, and when does the certificate expire? Never rejects.
 */
export function probeSocket(req: SocketProbeRequest): Promise<Observation> {
  const timing = new Timing(req.tls);
  const host = req.host.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) timing.lookup = timing.start;
  return new Promise((resolve) => {
    let settled = false;
    let ip: string | undefined;
    let certificateExpirationMs: number | undefined;
    let socket: Socket | TLSSocket;
    const finish = (error?: CheckError) => {
      if (settled) return;
      settled = true;
      timing.end = timing.now();
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      const phases = timing.phases();
      resolve({
        status: null,
        durationMs: phases.total,
        phases,
        connected: timing.connect !== undefined,
        ...(ip !== undefined ? { ip } : {}),
        ...(certificateExpirationMs !== undefined ? { certificateExpirationMs } : {}),
        ...(error ? { error } : {}),
      });
    };
    const options = { host, port: req.port, ...(req.lookup ? { lookup: req.lookup } : {}) };
    socket = req.tls
      ? tlsConnect({
          ...options,
          rejectUnauthorized: !req.insecure,
          ...(req.ca ? { ca: req.ca } : {}),
          ...(isIP(host) === 0 ? { servername: host } : {}),
        })
      : netConnect(options);
    socket.once('lookup', () => {
      timing.lookup = timing.now();
    });
    socket.once('connect', () => {
      timing.connect = timing.now();
      ip = socket.remoteAddress;
      if (!req.tls) finish();
    });
    socket.once('secureConnect', () => {
      timing.secure = timing.now();
      const cert = (socket as TLSSocket).getPeerCertificate();
      if (cert?.valid_to) certificateExpirationMs = Date.parse(cert.valid_to) - Date.now();
      finish();
    });
    socket.once('error', (error) => finish(classifyError(error)));
    const timer = setTimeout(() => {
      const phase = timing.phase();
      finish({
        code: 'timeout',
        phase,
        message: `no ${req.tls ? 'TLS handshake' : 'connection'} within the timeout (stopped in ${phase})`,
      });
    }, req.timeoutMs);
    const onAbort = () =>
      finish({ code: 'timeout', phase: timing.phase(), message: 'the check was cancelled before it completed' });
    req.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
