import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { gzip } from 'node:zlib';
import { negotiateEncoding } from './static-http.js';

/**
 * Error codes of the monitor API (the `error` field of every error body).
 * Clients match on these; messages may change, codes may not.
 */
export const API_ERRORS = {
  bad_request: 400,
  bad_parameter: 400,
  unknown_parameter: 400,
  unauthorized: 401,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  request_header_fields_too_large: 431,
  internal: 500,
  no_store: 503,
  history_unavailable: 503,
  too_many_clients: 503,
  shutting_down: 503,
  ui_not_built: 503,
  owner_unavailable: 503,
} as const;
export type ApiErrorCode = keyof typeof API_ERRORS;

/** A request the API refuses: the one error translator turns it into JSON. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** Extra fields of the body (e.g. the check list a 503 still serves). */
    readonly body?: Readonly<Record<string, unknown>>,
    readonly headers?: Readonly<Record<string, string | string[]>>,
  ) {
    super(message);
    this.status = API_ERRORS[code];
  }
}

/** JSON bodies this long or longer are gzipped for clients that accept it (the list of 10,000 checks is megabytes). */
export const GZIP_MIN_BYTES = 8 * 1024;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string | string[]>> = {},
): void {
  const text = JSON.stringify(body);
  const head = {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    vary: 'Accept-Encoding',
  };
  if (text.length < GZIP_MIN_BYTES || negotiateEncoding(res.req?.headers['accept-encoding'], ['gzip']) !== 'gzip') {
    res.writeHead(status, { ...head, 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  // On libuv's thread pool, not the event loop: megabytes take tens of ms to compress.
  gzip(text, { level: 4 }, (error, zipped) => {
    if (res.destroyed || res.headersSent) return;
    if (error) {
      res.writeHead(status, { ...head, 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    res.writeHead(status, { ...head, 'content-encoding': 'gzip', 'content-length': zipped.length });
    res.end(zipped);
  });
}

/**
 * The one error translator: an ApiError becomes its status and
 * `{"error", "message", ...}`; anything else is a bug, answered 500 without
 * its stack. A response already under way is cut off, never patched.
 */
export function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  if (error instanceof ApiError) {
    sendJson(res, error.status, { error: error.code, message: error.message, ...error.body }, error.headers);
  } else {
    sendJson(res, 500, { error: 'internal', message: 'the monitor failed to answer this request; see its log' });
  }
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/**
 * The server's `clientError` listener: a request Node's parser refuses (a bad
 * request line, a NUL, headers past maxHeaderSize, a timeout) gets the same
 * JSON error body as any other, and its socket is destroyed. Mirrors Node's
 * own default (lib/_http_server.js socketOnError): answer only when no
 * response is under way on the socket.
 */
export function onClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent && error.code !== 'ECONNRESET') {
    const [status, code, message] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'request_header_fields_too_large', 'the request line and headers are larger than the server accepts']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'request_timeout', 'the request was not received in time']
          : [400, 'bad_request', `malformed HTTP request (${error.code ?? 'parse error'})`];
    const body = JSON.stringify({ error: code, message });
    socket.write(
      `HTTP/1.1 ${status} ${REASONS[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/**
 * Makes a node:http server answer what never reaches its request listener:
 * a request Node's parser refuses (see onClientError), and CONNECT, which
 * Node would otherwise drop without a word.
 */
export function guardServer(server: Server): Server {
  server.on('clientError', onClientError);
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    const body = JSON.stringify({
      error: 'method_not_allowed',
      message: `${req.method} is not allowed; the API is read-only`,
    });
    socket.on('error', () => {});
    // Gone once the answer is flushed, or after 5 s if the peer does not read it.
    (socket as Duplex & { setTimeout(ms: number, cb: () => void): void }).setTimeout(5_000, () => socket.destroy());
    socket.end(
      `HTTP/1.1 405 Method Not Allowed\r\nallow: GET, HEAD\r\ncontent-type: application/json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${body}`,
      () => socket.destroy(),
    );
  });
  return server;
}
