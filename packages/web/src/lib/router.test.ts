import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkHref, isAppNavigation, parseRoute } from './router.ts';

describe('parseRoute', () => {
  const cases: [string, ReturnType<typeof parseRoute>][] = [
    ['/', { page: 'dashboard' }],
    ['', { page: 'dashboard' }],
    ['//', { page: 'dashboard' }],
    ['/checks/api', { page: 'check', name: 'api' }],
    ['/checks/a.b-c_1/', { page: 'check', name: 'a.b-c_1' }],
    ['/checks/a%20b', { page: 'check', name: 'a b' }],
    ['/checks/%E0%A4%A', { page: 'not-found', path: '/checks/%E0%A4%A' }],
    ['/checks', { page: 'not-found', path: '/checks' }],
    ['/checks/a/b', { page: 'not-found', path: '/checks/a/b' }],
    ['/status', { page: 'not-found', path: '/status' }],
  ];
  for (const [path, route] of cases) it(JSON.stringify(path), () => assert.deepEqual(parseRoute(path), route));

  it('checkHref round-trips through parseRoute', () => {
    for (const name of ['api', 'a.b', 'we/ird?#']) {
      assert.deepEqual(parseRoute(checkHref(name)), { page: 'check', name });
    }
  });
});

describe('isAppNavigation', () => {
  const origin = 'http://127.0.0.1:8080';
  const click = { button: 0, metaKey: false, ctrlKey: false, shiftKey: false, altKey: false };
  const link = { href: `${origin}/checks/api`, target: '', hasDownload: false };

  it('handles a plain click on an app link in the page', () => {
    assert.equal(isAppNavigation(click, link, origin), true);
    assert.equal(isAppNavigation(click, { ...link, href: '/' }, origin), true);
  });

  it('leaves modified clicks, other targets, downloads, other origins and other paths to the browser', () => {
    assert.equal(isAppNavigation({ ...click, ctrlKey: true }, link, origin), false);
    assert.equal(isAppNavigation({ ...click, button: 1 }, link, origin), false);
    assert.equal(isAppNavigation(click, { ...link, target: '_blank' }, origin), false);
    assert.equal(isAppNavigation(click, { ...link, hasDownload: true }, origin), false);
    assert.equal(isAppNavigation(click, { ...link, href: 'http://elsewhere/checks/api' }, origin), false);
    assert.equal(isAppNavigation(click, { ...link, href: '/api/v1/checks' }, origin), false);
    assert.equal(isAppNavigation(click, { ...link, href: '/status' }, origin), false);
    assert.equal(isAppNavigation(click, { ...link, href: '#main' }, origin), false);
  });
});
