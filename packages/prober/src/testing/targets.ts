import { createSocket } from 'node:dgram';
import { Resolver, lookup as systemLookup } from 'node:dns';
import http from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { createServer as createTcpServer } from 'node:net';

export interface Target {
  readonly url: string;
  close(): Promise<void>;
}

/** A real HTTP server on loopback, port 0, closed by the test. */
export async function startTarget(handler: http.RequestListener): Promise<Target> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port that nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A DNS server on loopback that answers NXDOMAIN to every query, and a lookup
 * function that resolves through it. Tests use it so that no query for a
 * made-up name leaves this machine; the probe still goes through a real
 * resolver and a real DNS answer.
 */
export async function startNxdomainDns(): Promise<{
  lookup: LookupFunction;
  queries: () => number;
  close(): Promise<void>;
}> {
  const socket = createSocket('udp4');
  let queries = 0;
  socket.on('message', (msg, rinfo) => {
    queries += 1;
    const reply = Buffer.from(msg);
    // QR=1, opcode copied, RD copied, RA=1, RCODE=3 (NXDOMAIN); keep the question, no answers.
    reply[2] = 0x80 | ((msg[2] ?? 0) & 0x79);
    reply[3] = 0x80 | 0x03;
    reply.writeUInt16BE(0, 6);
    reply.writeUInt16BE(0, 8);
    reply.writeUInt16BE(0, 10);
    const end = questionEnd(msg);
    socket.send(reply.subarray(0, end), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  const lookup = ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (hostname === 'localhost' || /^[\d.]+$/.test(hostname)) {
      systemLookup(hostname, options as never, callback as never);
      return;
    }
    resolver.resolve4(hostname, (error, addresses) => {
      if (error) return callback(error);
      if (options.all)
        return callback(
          null,
          addresses.map((address) => ({ address, family: 4 })),
        );
      return callback(null, addresses[0], 4);
    });
  }) as unknown as LookupFunction;
  return {
    lookup,
    queries: () => queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

function questionEnd(msg: Buffer): number {
  let offset = 12;
  while (offset < msg.length && msg[offset] !== 0) offset += (msg[offset] as number) + 1;
  return Math.min(offset + 5, msg.length); // zero label, QTYPE, QCLASS
}
