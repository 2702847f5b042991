import assert from 'node:assert/strict';
import { it } from 'node:test';
import { accepts } from './encoding.js';

it('reads Accept-Encoding as RFC 9110 says: listed with q > 0, or covered by *', () => {
  const cases: [string | undefined, boolean][] = [
    [undefined, false],
    ['', false],
    ['gzip', true],
    ['GZip', true],
    ['gzip, deflate, br, zstd', true],
    ['br;q=1.0, gzip;q=0.8, *;q=0.1', true],
    ['gzip;q=0', false],
    ['gzip; q=0.000', false],
    ['identity', false],
    ['*', true],
    ['*;q=0', false],
    ['*, gzip;q=0', false],
    ['deflate, x-gzip', false],
    [' , ,gzip', true],
  ];
  for (const [header, expected] of cases) assert.equal(accepts(header, 'gzip'), expected, String(header));
});
