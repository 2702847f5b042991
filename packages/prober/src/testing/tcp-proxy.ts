import net from 'node:net';

export type ProxyMode = 'forward' | 'silent';

export interface TcpProxy {
  readonly port: number;
  /** Client-side sockets open now. */
  readonly open: number;
  /**
   * forward: bytes flow both ways. silent: nothing is read or forwarded any
   * more and no socket is closed, as behind a peer or a network that went away
   * without a reset; new connections are accepted and then ignored.
   */
  mode(mode: ProxyMode): void;
  /** Resets every connection (RST), as a peer that restarted. */
  reset(): void;
  /** Resolves once every client has closed its side (their bytes are read and dropped from now on). */
  drained(): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
}

/** A TCP proxy on 127.0.0.1 port 0 to a real server, with faults a test switches on and off. */
export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let current: ProxyMode = 'forward';
  const pairs = new Set<Pair>();
  const silentOnes = new Set<net.Socket>();
  const waiters = new Set<() => void>();
  const settle = () => {
    if (pairs.size + silentOnes.size > 0) return;
    for (const w of waiters) w();
    waiters.clear();
  };

  const server = net.createServer((client) => {
    client.on('error', () => {});
    if (current === 'silent') {
      // Accepted, never read: the client's connect succeeds and then nothing answers.
      client.pause();
      silentOnes.add(client);
      client.once('close', () => {
        silentOnes.delete(client);
        settle();
      });
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    upstream.on('error', () => {});
    const pair = { client, upstream };
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      if (pairs.delete(pair)) settle();
    };
    client.once('close', end);
    upstream.once('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;

  const silence = (pair: Pair) => {
    pair.client.unpipe(pair.upstream);
    pair.upstream.unpipe(pair.client);
    pair.client.pause();
    pair.upstream.pause();
  };
  const resume = (pair: Pair) => {
    pair.client.pipe(pair.upstream);
    pair.upstream.pipe(pair.client);
    pair.client.resume();
    pair.upstream.resume();
  };

  return {
    port,
    get open() {
      return pairs.size + silentOnes.size;
    },
    mode(mode) {
      if (mode === current) return;
      current = mode;
      for (const pair of pairs) (mode === 'silent' ? silence : resume)(pair);
    },
    reset() {
      for (const { client, upstream } of pairs) {
        client.resetAndDestroy();
        upstream.destroy();
      }
      for (const client of silentOnes) client.resetAndDestroy();
    },
    drained() {
      // A paused socket never sees its peer's FIN: read and discard from now on, so a close shows.
      for (const { client, upstream } of pairs) {
        client.unpipe(upstream);
        client.on('data', () => {});
        client.resume();
      }
      for (const client of silentOnes) {
        client.on('data', () => {});
        client.resume();
      }
      return new Promise((resolve) => {
        waiters.add(resolve);
        settle();
      });
    },
    async close() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      for (const client of silentOnes) client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
