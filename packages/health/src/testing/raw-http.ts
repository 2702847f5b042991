import { connect } from 'node:net';

/** An HTTP answer read off a raw socket. */
export interface Raw {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `bytes` on a new connection and reads the answer until the server closes it (bounded). */
export function rawRequest(port: number, bytes: Buffer | string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(5_000, () => socket.destroy(new Error(`no answer within 5 s to ${JSON.stringify(bytes)}`)));
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const match = /^HTTP\/1\.1 (\d{3}) [^\r\n]*\r\n/.exec(text);
      if (!match || end === -1) {
        reject(new Error(`not an HTTP answer to ${JSON.stringify(bytes).slice(0, 200)}: ${JSON.stringify(text)}`));
        return;
      }
      const headers: Record<string, string> = {};
      for (const line of text.slice(match[0].length, end).split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(match[1]), headers, body: text.slice(end + 4) });
    });
    socket.end(bytes);
  });
}
