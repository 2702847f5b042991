import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compressible, contentType, etagMatches, negotiateEncoding } from './static-http.js';

describe('negotiateEncoding', () => {
  const both = ['br', 'gzip'] as const;
  const cases: [string | undefined, readonly ('br' | 'gzip')[], string][] = [
    [undefined, both, 'identity'],
    ['', both, 'identity'],
    ['br', both, 'br'],
    ['gzip, br', both, 'br'],
    ['gzip;q=1, br;q=0.9', both, 'gzip'],
    ['GZIP', both, 'gzip'],
    ['x-gzip', both, 'gzip'],
    ['deflate', both, 'identity'],
    ['*', both, 'br'],
    ['*;q=0.5, br;q=0', both, 'gzip'],
    ['br;q=0', both, 'identity'],
    ['gzip;q=0.5, identity', both, 'identity'],
    ['gzip;q=0.5, identity;q=0.2', both, 'gzip'],
    ['br', ['gzip'], 'identity'],
    ['br, gzip', [], 'identity'],
    ['br;q=2, gzip', both, 'gzip'],
    ['br;q=abc, gzip', both, 'gzip'],
    ['br;level=5', both, 'br'],
    [' , ;q=1,,br ', both, 'br'],
  ];
  for (const [header, available, expected] of cases) {
    it(`${JSON.stringify(header)} of [${available.join(', ')}] -> ${expected}`, () => {
      assert.equal(negotiateEncoding(header, available), expected);
    });
  }
});

describe('etagMatches', () => {
  it('matches by weak comparison in a list, or *', () => {
    assert.equal(etagMatches('"abc"', '"abc"'), true);
    assert.equal(etagMatches('W/"abc"', '"abc"'), true);
    assert.equal(etagMatches('"x", "abc"', '"abc"'), true);
    assert.equal(etagMatches(' * ', '"abc"'), true);
    assert.equal(etagMatches('"abcd"', '"abc"'), false);
    assert.equal(etagMatches(undefined, '"abc"'), false);
    assert.equal(etagMatches('', '"abc"'), false);
  });
});

describe('contentType and compressible', () => {
  it('knows the types of a build, and which of them compress', () => {
    assert.equal(contentType('index.html'), 'text/html; charset=utf-8');
    assert.equal(contentType('a/b/app-1.JS'), 'text/javascript; charset=utf-8');
    assert.equal(contentType('logo.svg'), 'image/svg+xml');
    assert.equal(contentType('README'), 'application/octet-stream');
    assert.equal(contentType('font.woff2'), 'font/woff2');
    assert.equal(compressible(contentType('x.css')), true);
    assert.equal(compressible(contentType('x.svg')), true);
    assert.equal(compressible(contentType('x.map')), true);
    assert.equal(compressible(contentType('x.png')), false);
    assert.equal(compressible(contentType('x.woff2')), false);
  });
});
