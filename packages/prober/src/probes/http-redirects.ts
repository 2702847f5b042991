/** Following redirects: where the next hop goes, with which method, and when to stop. */
import type { Hop } from './http-exchange.js';
import { DEFAULT_MAX_REDIRECTS, type HttpProbeRequest } from './http-request.js';

/** The redirects of one probe: the current request, and the URLs it has visited. */
export class RedirectChain {
  url: string;
  method: string;
  body: string | undefined;
  private readonly maxRedirects: number;
  private visited: Set<string> | undefined;

  constructor(req: HttpProbeRequest) {
    this.url = req.url;
    this.method = req.method;
    this.body = req.body;
    this.maxRedirects = req.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  }

  /**
   * After hop number `hop` (from 0): the hop to report, when the probe ends
   * here (a failure, a final response, a bad or looping redirect); otherwise
   * undefined, with `url`, `method` and `body` moved on to the next request.
   */
  follow(last: Hop, hop: number): Hop | undefined {
    const maxRedirects = this.maxRedirects;
    if (last.error || last.location === undefined || maxRedirects === 0) return last;
    let next: string;
    try {
      next = new URL(last.location, this.url).toString();
    } catch {
      return { ...last, error: { code: 'protocol', message: `bad Location header "${last.location}"` } };
    }
    this.visited ??= new Set([this.url]);
    if (this.visited.has(next)) {
      return { ...last, error: { code: 'redirect_loop', message: `redirect back to ${next}, already visited` } };
    }
    if (hop + 1 > maxRedirects) {
      return {
        ...last,
        error: { code: 'redirect_loop', message: `more than ${maxRedirects} redirects (last to ${next})` },
      };
    }
    // 303, and 301/302 after a POST, turn into GET as browsers do.
    if (last.status === 303 || ((last.status === 301 || last.status === 302) && this.method === 'POST')) {
      this.method = 'GET';
      this.body = undefined;
    }
    this.visited.add(next);
    this.url = next;
    return undefined;
  }
}
