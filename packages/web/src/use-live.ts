import { useEffect, useRef, useState } from 'preact/hooks';
import { type LiveStatus, openLiveStream } from './lib/live.ts';
import type { SseEvent } from './lib/sse.ts';
import { useSession } from './session.ts';

/**
 * Follows the monitor's event stream (GET /api/v1/events) while the component is mounted,
 * with the session's credentials; returns the stream's status for the live indicator.
 */
export function useLiveStream(url: string, onEvent: (event: SseEvent) => void): LiveStatus {
  const session = useSession();
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const handler = useRef(onEvent);
  handler.current = onEvent;

  useEffect(() => {
    const stream = openLiveStream({
      url,
      fetch: (input, init) => window.fetch(input, init),
      headers: session.api.headers,
      onEvent: (event) => handler.current(event),
      onStatus: (next, detail) => {
        setStatus(next);
        if (next === 'unauthorized') {
          session.unauthorized({
            message: detail?.message ?? 'the event stream needs credentials',
            challenge: detail?.challenge,
          });
        }
      },
    });
    return () => stream.close();
  }, [url, session]);

  return status;
}
