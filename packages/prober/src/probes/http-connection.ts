/** The connection an HTTP probe runs on, and the connector that times its DNS, connect and TLS phases. */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { HttpProbeRequest } from './http-request.js';
import { connectSocket, instrument, type PeerInfo, type Timing } from './timing.js';
import { Client, errors } from './undici.js';

/**
 * What a Client is destroyed with: undici would make a ClientDestroyedError
 * for every destroy (each run of a check without keepAlive), and capture and
 * format its stack. One, made once, does: by the time a probe's connection is
 * destroyed its exchange has settled, so the error reaches no result (close()
 * cancelling runs in flight reports them as before: "The client is destroyed").
 */
const DESTROYED = new errors.ClientDestroyedError();
DESTROYED.stack = `${DESTROYED.name}: ${DESTROYED.message}`;

/** How a connection is made: the same for every request that may share it. */
export type ConnectSettings = Pick<HttpProbeRequest, 'insecure' | 'ca' | 'lookup'>;

/**
 * One undici Client, so one connection, to one origin, with a connector that
 * marks the DNS, connect and TLS moments on the timing of the request that
 * caused the connection. A check never overlaps itself, so a kept Connection
 * serves one request at a time and `timing` is that request's.
 */
export class Connection {
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
    return this.client.destroy(DESTROYED).catch(() => {});
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
