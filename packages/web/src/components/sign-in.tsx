import { useEffect, useRef, useState } from 'preact/hooks';
import { type Credentials, challengeSchemes, preferredScheme, type Scheme } from '../lib/auth.ts';

interface Props {
  /** The 401's WWW-Authenticate: which schemes the monitor takes. */
  readonly challenge: string | null | undefined;
  /** The API's message when the credentials sent were refused. */
  readonly message: string | undefined;
  /** The credentials that were refused: the form starts from their scheme and username. */
  readonly previous: Credentials | undefined;
  readonly onSubmit: (credentials: Credentials) => void;
}

/**
 * The monitor's API wants credentials (server.auth): a bearer token, or a username and
 * password, as its challenge offers. They are kept for this tab only (sessionStorage).
 */
export function SignIn({ challenge, message, previous, onSubmit }: Props) {
  const offered = challengeSchemes(challenge).filter((s): s is Scheme => s === 'bearer' || s === 'basic');
  const [scheme, setScheme] = useState<Scheme>(
    previous && offered.includes(previous.scheme) ? previous.scheme : (preferredScheme(offered) ?? 'bearer'),
  );
  const [token, setToken] = useState('');
  const [username, setUsername] = useState(previous?.scheme === 'basic' ? previous.username : '');
  const [password, setPassword] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    document.title = 'Sign in · Lifeline';
    heading.current?.focus();
  }, []);

  const submit = (event: Event) => {
    event.preventDefault();
    onSubmit(scheme === 'bearer' ? { scheme, token: token.trim() } : { scheme, username, password });
  };

  return (
    <section class="panel sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title" ref={heading} tabIndex={-1}>
        Sign in
      </h1>
      <p>This monitor's API needs credentials. They are kept in this browser tab only.</p>
      {message && (
        <p class="error" role="alert" id="sign-in-error">
          {message}
        </p>
      )}
      <form onSubmit={submit} aria-describedby={message ? 'sign-in-error' : undefined}>
        {offered.length > 1 && (
          <fieldset class="schemes">
            <legend>Sign in with</legend>
            <label>
              <input
                type="radio"
                name="scheme"
                value="bearer"
                checked={scheme === 'bearer'}
                onChange={() => setScheme('bearer')}
              />
              A bearer token
            </label>
            <label>
              <input
                type="radio"
                name="scheme"
                value="basic"
                checked={scheme === 'basic'}
                onChange={() => setScheme('basic')}
              />
              Username and password
            </label>
          </fieldset>
        )}
        {scheme === 'bearer' ? (
          <div class="field">
            <label for="sign-in-token">Token</label>
            <input
              id="sign-in-token"
              type="password"
              autoComplete="current-password"
              required
              value={token}
              onInput={(e) => setToken(e.currentTarget.value)}
            />
          </div>
        ) : (
          <>
            <div class="field">
              <label for="sign-in-username">Username</label>
              <input
                id="sign-in-username"
                type="text"
                autoComplete="username"
                required
                value={username}
                onInput={(e) => setUsername(e.currentTarget.value)}
              />
            </div>
            <div class="field">
              <label for="sign-in-password">Password</label>
              <input
                id="sign-in-password"
                type="password"
                autoComplete="current-password"
                value={password}
                onInput={(e) => setPassword(e.currentTarget.value)}
              />
            </div>
          </>
        )}
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
    </section>
  );
}
