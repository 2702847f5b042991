import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import { parseRequestTarget } from '@lifeline/health';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';

/** The api's one error body: a stable code for programs, a sentence for people. Never a stack. */
export interface ErrorBody {
  readonly error: string;
  readonly message: string;
}

/** Codes by status for the client errors Express and its parsers raise (http-errors' `status`). */
const CODES: Readonly<Record<number, string>> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Why a request target is unusable (`/%ZZ`, `GET http://[/x`), or undefined when it is fine. */
export function malformedTarget(url: string): string | undefined {
  const parsed = parseRequestTarget(url);
  return parsed !== undefined && 'error' in parsed ? parsed.error : undefined;
}

/** 400 before any route when the path or query cannot be decoded; routes then never see a URIError. */
export function rejectMalformed(req: Request, _res: Response, next: NextFunction): void {
  const problem = malformedTarget(req.originalUrl ?? req.url);
  next(problem === undefined ? undefined : new HttpError(400, 'bad_request', problem));
}

/** What an error becomes on the wire: a client error says what was wrong, anything else is a generic 500. */
export function toErrorBody(error: unknown): { status: number; body: ErrorBody; expected: boolean } {
  if (error instanceof HttpError)
    return { status: error.status, body: { error: error.code, message: error.message }, expected: true };
  if (error instanceof URIError) {
    return {
      status: 400,
      body: { error: 'bad_request', message: 'malformed percent-encoding in the request' },
      expected: true,
    };
  }
  const e = error as { status?: unknown; statusCode?: unknown; expose?: unknown; message?: unknown } | undefined;
  const status = Number(e?.status ?? e?.statusCode);
  if (Number.isInteger(status) && status >= 400 && status < 500) {
    // http-errors marks client errors `expose: true`: their message is meant for the client.
    const message =
      e?.expose === true && typeof e.message === 'string' ? e.message : (STATUS_CODES[status] ?? 'bad request');
    return { status, body: { error: CODES[status] ?? 'client_error', message }, expected: true };
  }
  return { status: 500, body: { error: 'internal_error', message: 'internal server error' }, expected: false };
}

/**
 * The last word on every failed request: JSON, no stack. A server error is logged
 * with its stack (the log is where it belongs); the client learns only that it happened.
 */
export function sendError(error: unknown, req: IncomingMessage, res: ServerResponse, logger: Logger): void {
  const { status, body, expected } = toErrorBody(error);
  const log = (req as { log?: Logger }).log ?? logger;
  if (!expected) log.error({ err: error, method: req.method, url: req.url }, 'request failed');
  if (res.headersSent) {
    // Too late for a status: end the connection so the client sees the answer is incomplete.
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : text);
}
