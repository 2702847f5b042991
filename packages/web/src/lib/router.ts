/** The app's pages, from the path (the monitor serves index.html for `/` and `/checks/*`). */
export type Route =
  | { readonly page: 'dashboard' }
  | { readonly page: 'check'; readonly name: string }
  | { readonly page: 'not-found'; readonly path: string };

export function parseRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/') return { page: 'dashboard' };
  const m = /^\/checks\/([^/]+)$/.exec(path);
  if (m) {
    try {
      return { page: 'check', name: decodeURIComponent(m[1] as string) };
    } catch {
      // A malformed escape names no check.
    }
  }
  return { page: 'not-found', path: pathname };
}

export function checkHref(name: string): string {
  return `/checks/${encodeURIComponent(name)}`;
}

/**
 * Whether a click on a link should be handled in the page (pushState) rather than by the
 * browser: a plain left click on a same-origin link to one of the app's own pages, without
 * a modifier (which opens a tab or a window), without download or target, and not an
 * in-page anchor. `link.href` is the attribute as written (`/checks/a`, `#main`).
 */
export function isAppNavigation(
  click: { button: number; metaKey: boolean; ctrlKey: boolean; shiftKey: boolean; altKey: boolean },
  link: { href: string; target: string; hasDownload: boolean },
  origin: string,
): boolean {
  if (click.button !== 0 || click.metaKey || click.ctrlKey || click.shiftKey || click.altKey) return false;
  // An in-page anchor (the skip link's #main) is the browser's to follow.
  if (link.href.startsWith('#')) return false;
  if (link.hasDownload || (link.target !== '' && link.target !== '_self')) return false;
  let url: URL;
  try {
    url = new URL(link.href, origin);
  } catch {
    return false;
  }
  return url.origin === origin && parseRoute(url.pathname).page !== 'not-found';
}
