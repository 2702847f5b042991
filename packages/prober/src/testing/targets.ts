import { createSocket } from 'node:dgram';
import { Resolver, lookup as systemLookup } from 'node:dns';
import http from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';

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

export { unusedPort as closedPort } from '../../../../test/support/services.js';

/**
 * A DNS server on loopback: A queries for the names in `records` get those
 * addresses, everything else NXDOMAIN. Tests use it so that no query for a
 * made-up name leaves this machine; the probe still goes through a real
 * resolver and real DNS packets.
 */
export async function startDns(records: Readonly<Record<string, readonly string[]>> = {}): Promise<{
  server: string;
  lookup: LookupFunction;
  queries: () => number;
  close(): Promise<void>;
}> {
  const socket = createSocket('udp4');
  let queries = 0;
  socket.on('message', (msg, rinfo) => {
    queries += 1;
    const end = questionEnd(msg);
    const name = questionName(msg);
    const qtype = msg.readUInt16BE(end - 4);
    const answers = qtype === 1 ? (records[name.toLowerCase()] ?? []) : [];
    const known = name.toLowerCase() in records;
    const header = Buffer.from(msg.subarray(0, 12));
    // QR=1, opcode and RD copied, RA=1; RCODE 0 (NOERROR) or 3 (NXDOMAIN).
    header[2] = 0x80 | ((msg[2] ?? 0) & 0x79);
    header[3] = 0x80 | (known ? 0 : 3);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    header.writeUInt16BE(0, 8);
    header.writeUInt16BE(0, 10);
    const rrs = answers.map((ip) => {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0); // pointer to the question name
      rr.writeUInt16BE(1, 2); // A
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(30, 6); // TTL
      rr.writeUInt16BE(4, 10);
      ip.split('.').forEach((octet, i) => {
        rr[12 + i] = Number(octet);
      });
      return rr;
    });
    socket.send(Buffer.concat([header, msg.subarray(12, end), ...rrs]), rinfo.port, rinfo.address);
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
    server: `127.0.0.1:${port}`,
    lookup,
    queries: () => queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** The NXDOMAIN-only server of the tests that need no records. */
export const startNxdomainDns = () => startDns({});

function questionName(msg: Buffer): string {
  const labels: string[] = [];
  let offset = 12;
  while (offset < msg.length && msg[offset] !== 0) {
    const length = msg[offset] as number;
    labels.push(msg.subarray(offset + 1, offset + 1 + length).toString('ascii'));
    offset += length + 1;
  }
  return labels.join('.');
}

function questionEnd(msg: Buffer): number {
  let offset = 12;
  while (offset < msg.length && msg[offset] !== 0) offset += (msg[offset] as number) + 1;
  return Math.min(offset + 5, msg.length); // zero label, QTYPE, QCLASS
}
