import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { NotificationPayload } from '../domain/alerts.js';

/** 2026-01-02T03:04:05.000Z: the incident's start in every payload built here. */
export const STARTED_AT = Date.UTC(2026, 0, 2, 3, 4, 5);

/** A firing notification for check `api`; override any part. */
export function makePayload(overrides: Partial<NotificationPayload> = {}): NotificationPayload {
  const kind = overrides.kind ?? 'firing';
  const incident = overrides.incident ?? {
    id: `api:${STARTED_AT}`,
    check: 'api',
    startedAt: STARTED_AT,
    endedAt: kind === 'resolved' ? STARTED_AT + 252_000 : null,
    error: { code: 'timeout', message: 'no complete response within the timeout (stopped in ttfb)', phase: 'ttfb' },
    failures: 3,
  };
  return {
    kind,
    key: `${incident.id}:${kind}`,
    check: {
      name: incident.check,
      url: 'http://api.shop.svc:3000/healthz',
      labels: { team: 'payments', 'app.kubernetes.io/name': 'api' },
      severity: 'critical',
    },
    incident,
    link: 'http://lifeline.monitoring:8080/api/checks/api',
    createdAt: (incident.endedAt ?? STARTED_AT + 60_000) + 1_000,
    ...overrides,
  };
}

/** The common part of a ChannelConfig. */
export const channelBase = (name: string, url: string, secrets: readonly string[] = []) => ({
  name,
  timeoutMs: 2_000,
  concurrency: 2,
  maxAttempts: 5,
  secrets,
  displayUrl: url,
});

export interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface Recorder {
  readonly url: string;
  readonly received: Received[];
  /** The next request not yet taken (in arrival order); rejects after `ms`. */
  next(ms?: number): Promise<Received>;
  /** Connections open on the receiver's side now. */
  connections(): number;
  /** Resolves once no connection is open (the client closed them all); rejects after `ms`. */
  disconnected(ms?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * An HTTP receiver on loopback that records every request and answers with
 * `answer` (default 200 "ok").
 */
export async function startRecorder(
  answer: (req: Received, res: http.ServerResponse) => void = (_req, res) => res.end('ok'),
): Promise<Recorder> {
  const received: Received[] = [];
  let taken = 0;
  let wake: (() => void) | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(request);
      wake?.();
      answer(request, res);
    });
  });
  const sockets = new Set<Socket>();
  let change: (() => void) | undefined;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      change?.();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    connections: () => sockets.size,
    disconnected(ms = 10_000) {
      if (sockets.size === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          change = undefined;
          reject(new Error(`${sockets.size} connections still open after ${ms} ms`));
        }, ms);
        change = () => {
          if (sockets.size > 0) return;
          clearTimeout(timer);
          change = undefined;
          resolve();
        };
      });
    },
    url: `http://127.0.0.1:${port}`,
    received,
    async next(ms = 10_000) {
      const deadline = Date.now() + ms;
      while (received.length <= taken) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no request within ${ms} ms (${received.length} received)`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
      return received[taken++] as Received;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
