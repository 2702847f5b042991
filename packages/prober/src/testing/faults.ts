import { readdirSync, readlinkSync } from 'node:fs';
import type http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';

/**
 * The misbehaving HTTP routes that the fault tests and the fault benchmark
 * share: each produces one error class in a real exchange on loopback.
 *   /slow-headers     headers after 3 s (timeout in ttfb)
 *   /slow-body        half a body, the rest after 3 s (timeout in transfer)
 *   /reset            the socket closed before any response (reset)
 *   /reset-mid-body   the socket closed after part of the body (reset)
 *   /ten-mb           a 10 MB body (body_too_large for a check that reads it)
 *   /not-json         HTML where a JSON condition looks (invalid_json)
 *   /loop             a redirect to itself (redirect_loop)
 */
export function createFaultRoutes() {
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };
  return {
    /** Answers a fault route; false for any other path. */
    handle(req: http.IncomingMessage, res: http.ServerResponse): boolean {
      switch (req.url) {
        case '/slow-headers':
          later(3_000, () => res.writeHead(200).end());
          return true;
        case '/slow-body':
          res.writeHead(200, { 'content-length': '100' });
          res.write('{"a":');
          later(3_000, () => res.end());
          return true;
        case '/reset':
          req.socket.destroy();
          return true;
        case '/reset-mid-body':
          res.writeHead(200, { 'content-length': '1000' });
          res.write('partial');
          later(20, () => res.socket?.destroy());
          return true;
        case '/ten-mb':
          res.writeHead(200, { 'content-type': 'application/json' }).end(Buffer.alloc(10 * 1024 * 1024, ' '));
          return true;
        case '/not-json':
          res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>');
          return true;
        case '/loop':
          res.writeHead(302, { location: '/loop' }).end();
          return true;
        default:
          return false;
      }
    },
    /** Clears the delayed answers still pending. */
    close(): void {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}

/**
 * Peers that accept a connection and then never finish the exchange, at each
 * depth a probe can be stuck at:
 *   tcp        accepts TCP and says nothing (a tls:// or https:// probe waits for the ServerHello)
 *   tls        completes the TLS handshake and says nothing (an https:// probe waits for a response)
 *   headers    an HTTP status line, then headers a byte at a time, never the blank line that ends them
 *   half-body  a whole response head and part of the body, never the rest
 *   garbage    answers every connection with `reply` (not HTTP) and closes
 *   ok         (not silent: the control) answers every request 200 and keeps the connection
 */
export type SilentKind = 'tcp' | 'tls' | 'headers' | 'half-body' | 'garbage' | 'ok';

export interface SilentPeer {
  readonly port: number;
  /** Connections accepted so far. */
  accepted(): number;
  /** Connections still open on the server's side. */
  open(): number;
  /**
   * Resolves once `total` connections have been accepted in all and every one
   * of them is closed (by the client: the peer never closes one itself);
   * rejects after `ms`.
   */
  settled(total: number, ms: number): Promise<void>;
  /** Resolves on the next accepted connection (TLS: once its handshake is done). */
  nextConnection(): Promise<void>;
  close(): Promise<void>;
}

export async function startSilentPeer(
  kind: SilentKind,
  options: { key?: string; cert?: string; reply?: string | Buffer } = {},
): Promise<SilentPeer> {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let accepted = 0;
  let change: (() => void) | undefined;
  let waiting: (() => void) | undefined;
  const track = (socket: net.Socket, read = true) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('error', () => {});
    // Read (and drop) what the client sends: a paused socket would never see its end.
    if (read) socket.resume();
    socket.once('close', () => {
      sockets.delete(socket);
      change?.();
    });
    change?.();
  };
  const served = (socket: net.Socket) => {
    waiting?.();
    waiting = undefined;
    if (kind === 'garbage') socket.end(options.reply ?? 'SSH-2.0-OpenSSH_9.6\r\n');
    else if (kind === 'ok') {
      // A healthy keep-alive server: 200 to every request head (GETs have no body), connection kept.
      let seen = '';
      socket.on('data', (chunk: Buffer) => {
        seen += chunk.toString('latin1');
        for (let end = seen.indexOf('\r\n\r\n'); end >= 0; end = seen.indexOf('\r\n\r\n')) {
          seen = seen.slice(end + 4);
          socket.write(
            'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 16\r\n\r\n{"status":"ok"}\n',
          );
        }
      });
    } else if (kind === 'half-body')
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"status":');
    else if (kind === 'headers') {
      // Slowloris: the status line at once, then one byte of the headers at a time, never their end.
      socket.write('HTTP/1.1 200 OK\r\n');
      const head = Buffer.from(`content-type: text/plain\r\nx-pad: ${'a'.repeat(10_000)}`);
      let at = 0;
      const timer = setInterval(() => {
        if (socket.destroyed || at >= head.length) return clearInterval(timer);
        socket.write(head.subarray(at, ++at));
      }, 20);
      timers.add(timer);
      socket.once('close', () => {
        clearInterval(timer);
        timers.delete(timer);
      });
    }
  };
  let server: net.Server;
  if (kind === 'tls') {
    if (!options.key || !options.cert) throw new Error('a tls silent peer needs key and cert');
    server = tls.createServer({ key: options.key, cert: options.cert }, (socket) => {
      socket.on('error', () => {});
      socket.resume();
      served(socket);
    });
    // The raw TCP connection (read by TLS): closed when the client closes, whether or not its handshake finished.
    server.on('connection', (socket: net.Socket) => track(socket, false));
    server.on('tlsClientError', () => {});
  } else {
    server = net.createServer((socket) => {
      track(socket);
      served(socket);
    });
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    accepted: () => accepted,
    open: () => sockets.size,
    settled(total, ms) {
      const done = () => accepted >= total && sockets.size === 0;
      if (done()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          change = undefined;
          reject(
            new Error(
              `${kind} peer after ${ms} ms: ${accepted} of ${total} connections accepted, ${sockets.size} still open`,
            ),
          );
        }, ms);
        change = () => {
          if (!done()) return;
          clearTimeout(timer);
          change = undefined;
          resolve();
        };
      });
    },
    nextConnection: () =>
      new Promise<void>((resolve) => {
        waiting = resolve;
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearInterval(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The sockets this process holds open now (from /proc/self/fd; Linux). */
export function openSocketFds(): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) count += 1;
    } catch {
      // closed between the listing and the readlink
    }
  }
  return count;
}

/** Rejects (a failed test, not a hung one) when the promise does not settle within ms. */
export async function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
