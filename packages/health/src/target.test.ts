import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeComponent, parseRequestTarget } from './target.js';

describe('parseRequestTarget', () => {
  const ok: [string, string, string | undefined][] = [
    ['/readyz', '/readyz', undefined],
    ['/readyz?verbose&exclude=db', '/readyz', 'verbose&exclude=db'],
    ['/readyz?', '/readyz', ''],
    ['/readyz/%E2%9C%93', '/readyz/%E2%9C%93', undefined],
    ['/a?b?c', '/a', 'b?c'],
    ['http://example.com/readyz?verbose', '/readyz', 'verbose'],
    ['https://example.com:8443/livez/db', '/livez/db', undefined],
    ['http://example.com', '/', undefined],
  ];
  for (const [url, path, query] of ok) {
    it(`${url} -> path ${path}, query ${query}`, () => {
      assert.deepEqual(parseRequestTarget(url), { path, query });
    });
  }

  for (const url of ['*', 'example.com:443', 'mailto:a@b']) {
    it(`${url} names no path`, () => assert.equal(parseRequestTarget(url), undefined));
  }

  const malformed: [string, RegExp][] = [
    ['/readyz/%ZZ', /^malformed percent-encoding in the path "\/readyz\/%ZZ"$/],
    ['/livez/%E0%A4%A', /in the path "\/livez\/%E0%A4%A"/],
    ['/readyz/%', /in the path/],
    ['/readyz/%C0%AF', /in the path/], // overlong UTF-8 for "/"
    ['/readyz/%ED%A0%80', /in the path/], // a lone surrogate
    ['/readyz?exclude=%ZZ', /^malformed percent-encoding in the query string "exclude=%ZZ"$/],
    ['http://[/x', /^the request target "http:\/\/\[\/x" is not a valid URL$/],
    ['http://example.com/readyz/%ZZ', /in the path "\/readyz\/%ZZ"/],
    [`/readyz/%ZZ${'a'.repeat(10_000)}`, /"\/readyz\/%ZZa{89}\.\.\."$/],
  ];
  for (const [url, message] of malformed) {
    it(`${url.slice(0, 40)} is malformed`, () => {
      const parsed = parseRequestTarget(url);
      assert.ok(parsed && 'error' in parsed, `expected an error for ${url}`);
      assert.match(parsed.error, message);
    });
  }
});

describe('parseRequestTarget on a malformed target', () => {
  it('still gives the path when the target could be split, so a router can tell whose it is', () => {
    assert.equal((parseRequestTarget('/readyz/%ZZ?verbose') as { path?: string }).path, '/readyz/%ZZ');
    assert.equal((parseRequestTarget('/api/x?q=%ZZ') as { path?: string }).path, '/api/x');
    assert.equal((parseRequestTarget('http://[/x') as { path?: string }).path, undefined);
  });
});

describe('decodeComponent', () => {
  it('decodes, or answers undefined where decodeURIComponent throws', () => {
    assert.equal(decodeComponent('a%2Fb'), 'a/b');
    assert.equal(decodeComponent('%ZZ'), undefined);
    assert.equal(decodeComponent('%E0%A4%A'), undefined);
  });
});
