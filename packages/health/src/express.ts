import type { IncomingMessage, ServerResponse } from 'node:http';

/** The shape Express 4 and 5 (and Connect) middleware share; no Express import needed. */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** Wraps the node:http handler as middleware: health paths are answered, everything else goes on. */
export function toMiddleware(handle: (req: IncomingMessage, res: ServerResponse) => boolean): Middleware {
  return (req, res, next) => {
    if (!handle(req, res)) next();
  };
}
