import type http from 'node:http';

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
