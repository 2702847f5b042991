import { isIP, type LookupFunction, connect as netConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import type { Phase } from '../domain/errors.js';
import type { Phases } from '../domain/result.js';
import { detachableLookup } from './lookup.js';

const round = (ms: number) => Math.round(ms * 100) / 100;

/** Marks the moments of one connection/request and turns them into phases. */
export class Timing {
  readonly start = performance.now();
  lookup?: number;
  connect?: number;
  secure?: number;
  sent?: number;
  firstByte?: number;
  /** The whole head of the final response has arrived (status line and headers). */
  head?: number;
  end?: number;

  now(): number {
    return performance.now();
  }

  constructor(
    /** TLS is a phase of its own on https:// and tls:// targets. */
    readonly secureTransport = false,
    /** An IP literal is not looked up: its DNS phase is zero, and it starts connecting at once. */
    ipLiteral = false,
  ) {
    if (ipLiteral) this.lookup = this.start;
  }

  /**
   * The phase a request is in right now: for timeout messages. Until the
   * whole response head has arrived it is still `ttfb`, however many bytes of
   * it came (a peer that dribbles its headers has not started the transfer).
   */
  phase(): Phase {
    if (this.head !== undefined) return 'transfer';
    if (this.firstByte !== undefined) return 'ttfb';
    if (this.connect !== undefined) return this.secureTransport && this.secure === undefined ? 'tls' : 'ttfb';
    if (this.lookup !== undefined) return 'connect';
    return 'dns';
  }

  phases(): Phases {
    const end = this.end ?? performance.now();
    const lookup = this.lookup ?? this.start;
    const connect = this.connect ?? lookup;
    const secure = this.secure ?? connect;
    const sent = this.sent ?? secure;
    return {
      dns: round(this.lookup !== undefined ? lookup - this.start : 0),
      connect: round(this.connect !== undefined ? connect - lookup : 0),
      tls: round(this.secure !== undefined ? secure - connect : 0),
      ttfb: round(this.firstByte !== undefined ? this.firstByte - sent : 0),
      transfer: round(this.firstByte !== undefined ? end - this.firstByte : 0),
      total: round(end - this.start),
    };
  }
}

/** What the connection learned about the peer. */
export interface PeerInfo {
  ip?: string;
  /** When the peer certificate expires (its notAfter), epoch ms: read once per connection, at the handshake. */
  certificateExpiresAtMs?: number;
}

/** ms until a certificate expires (negative when it has), as [CERTIFICATE_EXPIRATION] reads it, from now. */
export const expiresInMs = (expiresAtMs: number): number => expiresAtMs - Date.now();

/**
 * Marks the lookup, connect and TLS moments of a socket on `timing`, and fills
 * in the peer's address and certificate expiry. `onReady` runs once the
 * connection is usable: after connect, or after the handshake on TLS.
 */
export function instrument(socket: Socket, timing: Timing, peer: PeerInfo, onReady?: () => void): void {
  socket.once('lookup', () => {
    timing.lookup = timing.now();
  });
  socket.once('connect', () => {
    timing.connect = timing.now();
    peer.ip = socket.remoteAddress;
    if (!timing.secureTransport) onReady?.();
  });
  socket.once('secureConnect', () => {
    timing.secure = timing.now();
    const cert = (socket as TLSSocket).getPeerCertificate();
    const notAfter = cert?.valid_to ? Date.parse(cert.valid_to) : Number.NaN;
    if (Number.isFinite(notAfter)) peer.certificateExpiresAtMs = notAfter;
    onReady?.();
  });
}

const unbracket = (host: string) => host.replace(/^\[|\]$/g, '');

/** Whether a host (a URL's hostname, IPv6 in brackets or not) is an IP address rather than a name. */
export function isIpLiteral(host: string): boolean {
  return isIP(unbracket(host)) !== 0;
}

export interface SocketTarget {
  /** A name or an address; an IPv6 address may keep its URL brackets. */
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** Skip certificate verification. */
  readonly insecure?: boolean | undefined;
  /** Extra trusted CA certificates (PEM). */
  readonly ca?: string | undefined;
  readonly lookup?: LookupFunction | undefined;
  readonly alpn?: readonly string[];
}

/**
 * Opens the TCP connection, or TLS over it, that every probe makes: the
 * certificate verified unless `insecure`, SNI sent for a name (never for an
 * IP address). May throw before there is a socket (a malformed CA, say).
 */
export function connectSocket(target: SocketTarget): Socket | TLSSocket {
  const host = unbracket(target.host);
  // A lookup outlives a socket closed while it waits (getaddrinfo cannot be
  // cancelled): detached on close, it no longer holds the socket, its
  // listeners and the HTTP client behind them.
  const { lookup, detach } = detachableLookup(target.lookup);
  const options = { host, port: target.port, lookup };
  const socket = !target.tls
    ? netConnect(options)
    : tlsConnect({
        ...options,
        rejectUnauthorized: !target.insecure,
        ...(target.ca ? { ca: target.ca } : {}),
        ...(isIP(host) === 0 ? { servername: host } : {}),
        ...(target.alpn ? { ALPNProtocols: [...target.alpn] } : {}),
      });
  socket.once('close', detach);
  return socket;
}
