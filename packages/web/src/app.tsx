import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { SignIn } from './components/sign-in.tsx';
import { createApiClient } from './lib/api.ts';
import { type Credentials, loadCredentials, saveCredentials } from './lib/auth.ts';
import { isAppNavigation, parseRoute, type Route } from './lib/router.ts';
import { CheckPage } from './pages/check-page.tsx';
import { Dashboard } from './pages/dashboard.tsx';
import { type Session, SessionContext } from './session.ts';

/** sessionStorage, or nothing where the browser refuses it (a sandboxed frame, some privacy modes). */
function tabStorage(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}

interface AuthRequest {
  readonly challenge: string | null | undefined;
  /** The API's message, shown when credentials were sent and refused. */
  readonly message: string;
  readonly refused: boolean;
}

/** Follows the address bar: links inside the app change it with pushState, Back and Forward with popstate. */
function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const onPop = () => setRoute(parseRoute(location.pathname));
    const onClick = (event: MouseEvent) => {
      if (event.defaultPrevented) return;
      const link = (event.target as Element | null)?.closest?.('a[href]') as HTMLAnchorElement | null;
      if (!link) return;
      const href = link.getAttribute('href') ?? '';
      const target = { href, target: link.target, hasDownload: link.hasAttribute('download') };
      if (!isAppNavigation(event, target, location.origin)) return;
      event.preventDefault();
      const url = new URL(link.href);
      if (url.pathname + url.search !== location.pathname + location.search) {
        history.pushState(null, '', url.pathname + url.search);
        window.scrollTo(0, 0);
      }
      setRoute(parseRoute(url.pathname));
    };
    window.addEventListener('popstate', onPop);
    document.addEventListener('click', onClick);
    return () => {
      window.removeEventListener('popstate', onPop);
      document.removeEventListener('click', onClick);
    };
  }, []);
  return route;
}

export function App() {
  const storage = useMemo(tabStorage, []);
  const credentials = useRef<Credentials | undefined>(loadCredentials(storage));
  const [signedIn, setSignedIn] = useState(credentials.current !== undefined);
  const [auth, setAuth] = useState<AuthRequest | undefined>(undefined);
  // Bumped after a sign-in or sign-out: the page remounts and loads again with the new credentials.
  const [epoch, setEpoch] = useState(0);
  const route = useRoute();
  const routeKey = route.page === 'check' ? `check:${route.name}` : route.page;
  const firstRoute = useRef(true);
  // After a navigation inside the app, focus goes to the new page (the link that had it is gone).
  useEffect(() => {
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    document.getElementById('main')?.focus();
  }, [routeKey]);

  const session = useMemo<Session>(
    () => ({
      api: createApiClient({
        fetch: (input, init) => window.fetch(input, init),
        credentials: () => credentials.current,
      }),
      // The first 401 says why (a list request's API message beats the event stream's).
      unauthorized: (failure) =>
        setAuth(
          (prev) =>
            prev ?? {
              challenge: failure.challenge,
              message: failure.message,
              refused: credentials.current !== undefined,
            },
        ),
    }),
    [],
  );

  const signIn = useCallback(
    (next: Credentials) => {
      credentials.current = next;
      saveCredentials(storage, next);
      setSignedIn(true);
      setAuth(undefined);
      setEpoch((e) => e + 1);
    },
    [storage],
  );

  const signOut = useCallback(() => {
    credentials.current = undefined;
    saveCredentials(storage, undefined);
    setSignedIn(false);
    setEpoch((e) => e + 1);
  }, [storage]);

  return (
    <SessionContext.Provider value={session}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="site-header">
        <a class="brand" href="/">
          <span aria-hidden="true" class="brand-mark" />
          Lifeline
        </a>
        <nav aria-label="Site">
          <a href="/" aria-current={route.page === 'dashboard' ? 'page' : undefined}>
            Checks
          </a>
        </nav>
        {signedIn && (
          <button type="button" class="link-button sign-out" onClick={signOut}>
            Sign out
          </button>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {auth ? (
          <SignIn
            challenge={auth.challenge}
            message={auth.refused ? auth.message : undefined}
            previous={credentials.current}
            onSubmit={signIn}
          />
        ) : (
          <Page key={`${epoch}:${routeKey}`} route={route} />
        )}
      </main>
    </SessionContext.Provider>
  );
}

function Page({ route }: { route: Route }) {
  if (route.page === 'dashboard') return <Dashboard />;
  if (route.page === 'check') return <CheckPage name={route.name} />;
  return <NotFound path={route.path} />;
}

function NotFound({ path }: { path: string }) {
  useEffect(() => {
    document.title = 'Not found · Lifeline';
  }, []);
  return (
    <section class="panel">
      <h1>Page not found</h1>
      <p>
        There is no page at <code>{path}</code>. <a href="/">See all checks</a>.
      </p>
    </section>
  );
}
