import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { type ApiClient, ApiFailure } from './lib/api.ts';

/** What every page needs: the API client (with the credentials) and a way to ask for sign-in. */
export interface Session {
  readonly api: ApiClient;
  /** A 401 (from a request or the event stream): show the sign-in form. */
  unauthorized(failure: Pick<ApiFailure, 'message' | 'challenge'>): void;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside <SessionContext.Provider>');
  return session;
}

/** Sends a 401 to the sign-in form; returns the failure for the caller to show (any error becomes an ApiFailure). */
export function handleFailure(error: unknown, session: Session): ApiFailure {
  const failure =
    error instanceof ApiFailure ? error : new ApiFailure(0, 'network', `the request failed: ${String(error)}`);
  if (failure.status === 401) session.unauthorized(failure);
  return failure;
}
