/**
 * Pings that reach a member that does not own their push check (issue #13):
 * the Service sends a job's ping to any monitor, but only the check's owner
 * holds its expected run. The ping goes on to the owner's API (its
 * cluster.advertiseUrl) once, marked so that the owner never sends it on
 * again, and the owner's answer comes back to the job as it is.
 */
import http from 'node:http';
import https from 'node:https';

/** The header that marks a forwarded ping; a member that sees it takes the ping itself. */
export const FORWARDED_HEADER = 'x-lifeline-forwarded-by';
/** How long the owner may take to answer (connect, headers and body each, and the whole exchange). */
export const FORWARD_TIMEOUT_MS = 5_000;
/** Bytes of the owner's answer read at most (a ping's answer is a small JSON object). */
export const FORWARD_MAX_ANSWER_BYTES = 64 * 1024;

export interface ForwardRequest {
  readonly method: string;
  /** Path and query, as the job sent them. */
  readonly path: string;
  readonly authorization: string | undefined;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

export type ForwardOutcome =
  | { readonly ok: true; readonly status: number; readonly body: unknown }
  | { readonly ok: false; readonly message: string };

export interface PushForwarder {
  /** Sends the ping to the owner at `base` (http(s)://host:port); resolves, never rejects. */
  forward(base: string, request: ForwardRequest): Promise<ForwardOutcome>;
  /** Destroys every connection. Never rejects. */
  close(): Promise<void>;
}

/** Keep-alive agents (a handful of members); each request bounded as a whole; its socket destroyed on every failure. */
export function createPushForwarder(self: string, timeoutMs = FORWARD_TIMEOUT_MS): PushForwarder {
  const agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: 8 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 8 }),
  };

  const exchange = (url: URL, request: ForwardRequest) =>
    new Promise<ForwardOutcome>((resolve) => {
      const headers: Record<string, string> = { [FORWARDED_HEADER]: self };
      if (request.authorization !== undefined) headers.authorization = request.authorization;
      if (request.contentType !== undefined) headers['content-type'] = request.contentType;
      const sendsBody = request.method !== 'GET' && request.method !== 'HEAD';
      if (sendsBody) headers['content-length'] = String(request.body.length);
      const secure = url.protocol === 'https:';
      const req = (secure ? https : http).request(url, {
        method: request.method,
        path: request.path,
        headers,
        agent: secure ? agents.https : agents.http,
      });
      let settled = false;
      const finish = (outcome: ForwardOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (!outcome.ok) req.destroy();
        resolve(outcome);
      };
      // One bound for the whole exchange: connect, sending, the head and the body.
      const timer = setTimeout(() => finish({ ok: false, message: `no answer within ${timeoutMs} ms` }), timeoutMs);
      req.on('error', (error) => finish({ ok: false, message: error.message }));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > FORWARD_MAX_ANSWER_BYTES) {
            finish({ ok: false, message: `the owner's answer is larger than ${FORWARD_MAX_ANSWER_BYTES} bytes` });
            res.destroy();
          } else chunks.push(chunk);
        });
        res.on('error', (error) => finish({ ok: false, message: error.message }));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (request.method === 'HEAD') return finish({ ok: true, status, body: undefined });
          try {
            finish({ ok: true, status, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
          } catch {
            finish({ ok: false, message: `the owner answered ${status} without JSON` });
          }
        });
      });
      req.end(sendsBody ? request.body : undefined);
    });

  return {
    async forward(base, request) {
      let url: URL;
      try {
        url = new URL(base);
      } catch {
        return { ok: false, message: `the owner's address ${JSON.stringify(base)} is not a URL` };
      }
      return exchange(url, request);
    },
    async close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
