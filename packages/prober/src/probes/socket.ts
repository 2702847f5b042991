import type { LookupFunction, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { CheckError } from '../domain/errors.js';
import type { Observation } from '../domain/result.js';
import { classifyError } from './classify.js';
import { connectSocket, expiresInMs, instrument, isIpLiteral, type PeerInfo, Timing } from './timing.js';

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
  const timing = new Timing(req.tls, isIpLiteral(req.host));
  return new Promise((resolve) => {
    let settled = false;
    const peer: PeerInfo = {};
    let socket: Socket | TLSSocket | undefined;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () =>
      finish({ code: 'timeout', phase: timing.phase(), message: 'the check was cancelled before it completed' });
    const finish = (error?: CheckError) => {
      if (settled) return;
      settled = true;
      timing.end = timing.now();
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      // Whatever phase it is in (lookup, connect, handshake): the probe is over, so is its socket.
      socket?.destroy();
      const phases = timing.phases();
      resolve({
        status: null,
        durationMs: phases.total,
        phases,
        connected: timing.connect !== undefined,
        ...(peer.ip !== undefined ? { ip: peer.ip } : {}),
        ...(peer.certificateExpiresAtMs !== undefined
          ? {
              certificateExpirationMs: expiresInMs(peer.certificateExpiresAtMs),
              certificateExpiresAtMs: peer.certificateExpiresAtMs,
            }
          : {}),
        ...(error ? { error } : {}),
      });
    };
    if (req.signal?.aborted) return onAbort();
    try {
      socket = connectSocket(req);
    } catch (error) {
      // connect can throw before there is a socket (a port out of range, say): a result, not a rejection.
      return finish(classifyError(error));
    }
    instrument(socket, timing, peer, () => finish());
    // `on`, not `once`: a second error event must not be thrown.
    socket.on('error', (error) => finish(classifyError(error)));
    timer = setTimeout(() => {
      const phase = timing.phase();
      finish({
        code: 'timeout',
        phase,
        message: `no ${req.tls ? 'TLS handshake' : 'connection'} within the timeout (stopped in ${phase})`,
      });
    }, req.timeoutMs);
    req.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
